"""The home page: what each role does first."""
from flask import Blueprint

from ..core.access import allow
from ..core.web import render_page

bp = Blueprint("core", __name__)


@bp.get("/")
@allow()
def home():
    return render_page("core/home.html", block="content")


@bp.get("/healthz")
@allow(scope="none")
def healthz():
    return {"ok": True}
