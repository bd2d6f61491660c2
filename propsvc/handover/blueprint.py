"""The handover blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("handover", __name__, url_prefix="/handover")
