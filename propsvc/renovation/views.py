"""Renovation routes: views (to be written)."""
