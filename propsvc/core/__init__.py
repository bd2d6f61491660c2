"""Shared infrastructure: roles, access declarations, the Event record, page rendering."""
