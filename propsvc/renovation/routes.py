"""Import every renovation route module so their routes register on the blueprint."""
from . import board, gate, passes, settings, views  # noqa: F401
from .blueprint import bp  # noqa: F401
