"""Ticket routes: mine (to be written)."""
