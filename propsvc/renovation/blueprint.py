"""The renovation blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("renovation", __name__, url_prefix="/renovations")
