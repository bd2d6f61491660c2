"""Patrol routes: briefing (to be written)."""
