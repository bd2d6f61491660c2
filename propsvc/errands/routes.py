"""Import every errands route module so their routes register on the blueprint."""
from .blueprint import bp  # noqa: F401
