"""Import every assessment route module so their routes register on the blueprint."""
from . import views  # noqa: F401
from .blueprint import bp  # noqa: F401
