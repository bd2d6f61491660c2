"""Import every ticket route module so their routes register on the blueprint."""
from . import analysis, mine, queue, settings, views, workorder  # noqa: F401
from .blueprint import bp  # noqa: F401
