"""The fees blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("fees", __name__, url_prefix="/fees")
