"""The home page: what each role does first."""
from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user

from ..core.access import allow
from ..core.roles import Role
from ..core.web import render_page

bp = Blueprint("core", __name__)


@bp.get("/")
@allow()
def home():
    # 今日 is the steward's first screen (not on a shared kiosk); ?all=1 shows this page.
    if (current_user.has_role(Role.STEWARD) and not session.get("kiosk_id") and not request.args.get("all")
            and "patrols.today" in current_app.view_functions):
        return redirect(url_for("patrols.today"))
    return render_page("core/home.html", block="content")


@bp.get("/healthz")
@allow(scope="none")
def healthz():
    return {"ok": True}
