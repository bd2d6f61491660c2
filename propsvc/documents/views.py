"""Public verification of issued documents (written by the documents work)."""
from flask import Blueprint

bp = Blueprint("documents", __name__)
