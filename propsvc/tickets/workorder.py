"""Ticket routes: workorder (to be written)."""
