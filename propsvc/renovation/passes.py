"""Renovation routes: passes (to be written)."""
