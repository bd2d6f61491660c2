"""The assessment blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("assessment", __name__, url_prefix="/assessment")
