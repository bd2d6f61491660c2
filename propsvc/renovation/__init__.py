"""Renovation (装修): applications, permits, first-renovation inspections, worker passes, extensions, the board."""
