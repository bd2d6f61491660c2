"""Admin pages (the unit import page is added by the import work)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
