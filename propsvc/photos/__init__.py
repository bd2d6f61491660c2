"""Photo storage shared by tickets and patrols: checked, shrunk, metadata-free JPEGs on disk.

The database rows belong to the areas that use photos; see `services`."""
