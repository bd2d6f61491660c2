"""Ticket routes: queue (to be written)."""
