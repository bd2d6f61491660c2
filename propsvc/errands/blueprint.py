"""The errands blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("errands", __name__, url_prefix="/errands")
