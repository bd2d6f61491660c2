"""Renovation routes: gate (to be written)."""
