"""Renovation routes: board (to be written)."""
