"""The slips blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("slips", __name__, url_prefix="/slips")
