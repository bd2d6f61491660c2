"""Renovation routes: the guard's pass check at the gate. A phone page: scan the pass's QR
(camera via the BarcodeDetector API where the browser has it, static/js/gate.js) or type the
pass number; the answer is valid / expired / revoked / unknown, big and colour-coded, with the
worker's photo, name and unit and nothing else personal. Every check is an Event."""
from flask import g, request
from flask_login import current_user

from ..core.access import allow
from ..core.roles import Role
from ..core.web import render_page
from ..extensions import db
from . import pass_services as ps
from .blueprint import bp

GUARDS = (Role.GUARD, Role.SUPERVISOR)


@bp.get("/gate")
@allow(*GUARDS)
def gate():
    return render_page("renovation/gate.html", result=None, q="")


@bp.get("/gate/check")
@allow(*GUARDS)
def gate_check():
    """?q=<serial, code or scanned URL>. htmx swaps the result block; without JS a full page."""
    q = (request.args.get("q") or "").strip()[:200]
    if not q:
        return render_page("renovation/gate.html", block="result", result=None, q="", empty=True)
    result = ps.check_pass(g.community.id, q, actor=current_user._get_current_object())
    db.session.commit()
    return render_page("renovation/gate.html", block="result", result=result, q=q)
