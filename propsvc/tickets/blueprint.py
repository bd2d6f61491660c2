"""The tickets blueprint. Route modules (views, queue, analysis, …) register on it."""
from flask import Blueprint

bp = Blueprint("tickets", __name__, url_prefix="/tickets")
