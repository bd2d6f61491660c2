"""Patrol routes: admin (to be written)."""
