"""Community events (社区活动) [F2]: plan, publish, sign up, check in, look back."""
