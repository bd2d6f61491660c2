"""The guard's gate page: worker passes and release slips. A phone page: scan the QR
(camera via the BarcodeDetector API where the browser has it, static/js/gate.js) or type the
number; the answer is big and colour-coded.

* A worker pass (CRZ…): valid / expired / revoked / unknown, with the worker's photo, name and
  unit and nothing else personal.
* A release slip (FX…, its document code, or a scanned /v/<code> URL) [S1]-[S3]: the items,
  the carrier (ID number masked) and 可放行 / 已使用 (when and by whom) / 已过期 / 未到日期 /
  未批准 / 已作废; a valid one has the 放行 button, which marks it 已放行 once (race-safe: see
  propsvc.slips.services.release).
Every check and every release is an Event."""
from flask import abort, g, request
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
    from ..slips import services as slips

    q = (request.args.get("q") or "").strip()[:ps.GATE_QUERY_LENGTH]
    term = ps.parse_query(q)
    if not term:  # empty, or nothing left once cleaned (spaces, a NUL)
        return render_page("renovation/gate.html", block="result", result=None, q="", empty=True)
    actor = current_user._get_current_object()
    slip = slips.find_slip(g.community.id, term)
    if slip is not None:
        result = slips.check(slip, actor)
        db.session.commit()
        return render_page("renovation/gate.html", block="result", result=None, slip=result, q=term)
    result = ps.check_pass(g.community.id, term, actor=actor)
    db.session.commit()
    return render_page("renovation/gate.html", block="result", result=result, q=term)


@bp.post("/gate/slips/<id:slip_id>/release")
@allow(*GUARDS)
def gate_release(slip_id: int):
    """放行: once. 200 with 已放行 for the guard who released it; 409 with when and by whom (or
    why not) for everyone else."""
    from ..slips import services as slips

    s = slips.get_slip(g.community.id, slip_id)
    if s is None:
        abort(404)
    result, released = slips.release(s, current_user._get_current_object())
    db.session.commit()
    return render_page("renovation/gate.html", block="result", status=200 if released else 409, result=None,
                       slip=result, released=released, q=result.serial)
