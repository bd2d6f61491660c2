"""Front-desk errands [F1]: models."""
