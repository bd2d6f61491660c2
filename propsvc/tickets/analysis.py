"""Ticket routes: analysis (to be written)."""
