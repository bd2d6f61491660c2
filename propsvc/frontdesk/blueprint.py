"""The frontdesk blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("frontdesk", __name__, url_prefix="/desk")
