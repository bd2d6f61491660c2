"""The notices blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("notices", __name__, url_prefix="/notices")
