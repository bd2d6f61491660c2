"""Import every patrol route module so their routes register on the blueprint."""
from . import admin, briefing, checkpoints, runs, today  # noqa: F401
from .blueprint import bp  # noqa: F401
