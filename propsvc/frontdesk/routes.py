"""Import every frontdesk route module so their routes register on the blueprint."""
from . import visitors  # noqa: F401
from .blueprint import bp  # noqa: F401
