"""Patrol routes: today (to be written)."""
