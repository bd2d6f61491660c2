"""Ticket routes: settings (to be written)."""
