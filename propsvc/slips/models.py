"""Release slips (物品放行条) [S1]-[S3]: models."""
