"""Patrol routes: runs (to be written)."""
