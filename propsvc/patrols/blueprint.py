"""The patrols blueprint. Route modules (runs, admin, today, briefing) register on it."""
from flask import Blueprint

bp = Blueprint("patrols", __name__, url_prefix="/patrols")
