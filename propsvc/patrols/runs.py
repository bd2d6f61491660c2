"""Patrol routes: runs on the steward's phone [D3] — start, the checklist, one tap per item,
finish (problems become rectification tickets), checkpoint scans, the finding photos.

A tap answers with the item's row only (a few hundred bytes) when sent by the page's script
(HX-Request header), or redirects back to the checklist for a plain form post (no script).
The script's answer says what became of the tap in the X-Tap-Status header: saved, repeat (a
key already applied) or stale (ignored: a newer tap of the same phone was there first); the
row is the item as stored either way. Refusals: 422 (with the row and its message), 413 (too
big), 404 (no such item), 409 (the patrol is finished)."""
from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from ..core import idempotency, scope
from ..core.access import allow, get_or_404
from ..core.forms import Form, parse_id
from ..core.models import utcnow
from ..core.roles import Role
from ..core.timefmt import localtime
from ..core.web import is_htmx, render_page
from ..extensions import db
from ..photos.services import PhotoError, delete_photo, photo_response, save_photo
from ..registry import services as registry
from ..registry.models import Unit
from . import forms, plans, services
from .blueprint import bp
from .models import RESULT_LABELS, Patrol, PatrolPlan, PatrolResult

RUN_ROLES = (Role.STEWARD, Role.SUPERVISOR, Role.ADMIN)
READ_ALL = services.PATROL_READERS  # may look at any patrol of the community
# A row is swapped into a page that has the document's policy; the fragment itself runs nothing.
FRAGMENT_CSP = "default-src 'none'; frame-ancestors 'none'"


def load_patrol(patrol_id: int, write: bool = False) -> Patrol:
    """The patrol, if it is of this community and the user's own (supervisors may look at
    any, read-only); anything else is 404."""
    p = get_or_404(Patrol, patrol_id)
    if p.steward_id != current_user.id and (write or not current_user.has_role(*READ_ALL)):
        abort(404)
    return p


# --- start -----------------------------------------------------------------------------------

def _start_form() -> forms.StartForm:
    args = request.args if request.method == "GET" and set(request.args) - {"plan_id"} else None
    form = forms.StartForm(formdata=args) if args is not None else forms.StartForm()
    form.template_id.choices = [(0, "请选择")] + [(t.id, t.label)
                                                  for t in services.templates_for(g.community.id)]
    form.building_id.choices = [(0, "—")] + [(b.id, b.label) for b in scope.own_buildings_first(
        current_user, g.community.buildings, g.community.id)]  # [D2] own buildings first
    return form


def _unit_choice(form: forms.StartForm) -> tuple[Unit | None, list[Unit], str | None]:
    found = registry.unit_lookup(g.community.id, form.unit_id.data, form.unit_q.data)
    if found.unit is None and form.unit_q.data and not found.options and found.error is None:
        return None, [], "没有找到该房屋。"
    return found.unit, found.options, found.error


def _started(key: str) -> str | None:
    """A resent start: to the patrol the first one started."""
    p = services.patrol_by_client_key(key)
    return url_for("patrols.run", patrol_id=p.id) if p is not None else None


@bp.route("/start", methods=["GET", "POST"])
@allow(*RUN_ROLES)
@idempotency.on_repeat(_started)
def start():
    plan = None
    plan_id = request.values.get("plan_id", "")
    if plan_id:
        plan = db.session.get(PatrolPlan, parse_id(plan_id)) if parse_id(plan_id) else None
        if plan is None or plan.community_id != g.community.id:
            abort(404)
        done = services.patrol_for_plan(plan, current_user)
        if done is not None:  # started already today: resume it
            return redirect(url_for("patrols.run", patrol_id=done.id), 303)
    form = _start_form()
    unit, options, search_error = _unit_choice(form)
    if request.method == "GET" and (form.unit_q.data or unit):  # the no-script 查找 button
        form.target_type.data = "unit"
    error, status = None, 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                p = services.start_patrol(
                    g.community.id, current_user, form.template_id.data or None, form.target_type.data,
                    building_id=form.building_id.data or None, unit_id=unit.id if unit else None,
                    area=form.area.data, plan_id=plan.id if plan else None, client_key=idempotency.current_key())
                db.session.commit()
            except services.PatrolError as e:
                db.session.rollback()
                error = str(e)
            else:
                return redirect(url_for("patrols.run", patrol_id=p.id), 303)
        else:
            error = next(iter(e for errs in form.errors.values() for e in errs), "请检查填写的内容。")
    late = plan is not None and plans.started_late(plan, services.local_day(), utcnow())
    return render_page("patrols/start.html", status=status, form=form, plan=plan, unit=unit, options=options,
                       search_error=search_error, error=error, late=late,
                       today=services.open_patrols(g.community.id, current_user))


# --- the checklist ---------------------------------------------------------------------------

def _run_page(p: Patrol, status: int = 200, error: str | None = None, open_item: int | None = None,
              note: str | None = None, error_field: str = "note"):
    """The checklist; `open_item`: that item's 有问题 card (no script), `error` under its
    `error_field` (note or photo) there."""
    state = services.resume_state(p)
    open_row = next((r for r in state.rows if r.item_id == open_item), None)
    return render_page("patrols/run.html", status=status, p=p, state=state, error=error, open_row=open_row,
                       note=note, error_field=error_field, makeup=plans.makeup_of(p),
                       editable=p.finished_at is None and p.steward_id == current_user.id,
                       labels=list(RESULT_LABELS.items()))


@bp.get("/<id:patrol_id>")
@allow(*RUN_ROLES, Role.MANAGER)
def run(patrol_id: int):
    p = load_patrol(patrol_id)
    open_item = request.args.get("open", "")
    return _run_page(p, open_item=parse_id(open_item))


def _row(p: Patrol, item_id: int, status: int = 200, error: str | None = None, tap_status: str | None = None):
    """The item's row alone, for the page's script."""
    row = services.row_of(p, item_id)
    if row is None:
        abort(404)
    body = render_block("patrols/run.html", "row", r=row, p=p, editable=p.finished_at is None,
                        labels=list(RESULT_LABELS.items()), row_error=error)
    resp = make_response(body, status)
    resp.headers["Content-Security-Policy"] = FRAGMENT_CSP
    if tap_status:
        resp.headers["X-Tap-Status"] = tap_status
    return resp


@bp.post("/<id:patrol_id>/items/<id:item_id>")
@allow(*RUN_ROLES)
def tap(patrol_id: int, item_id: int):
    """One tap: result, key, device + seq (the phone's order), tapped_at (the phone's time, kept
    for the record), and for a problem note + photo."""
    p = load_patrol(patrol_id, write=True)
    form = forms.TapForm()
    script = is_htmx() or "f" in request.args  # patrol.js marks its taps with ?f

    def refused(status: int, message: str, about: str = "note"):
        if script:
            return _row(p, item_id, status, message)
        if status == 422 and form.result.data == "problem":
            return _run_page(p, 422, message, open_item=item_id, note=form.note.data, error_field=about)
        return _run_page(p, status, message)

    if not form.validate():
        return refused(422, next(e for errs in form.errors.values() for e in errs),
                       "photo" if form.photo.errors else "note")
    if not script and form.result.data == "problem" and "note" not in request.form:
        # 有问题 tapped in the list without a script: open the item's card to describe it; nothing
        # was typed yet, so nothing is checked (the card's own 保存问题 posts the note and photo).
        return redirect(url_for("patrols.run", patrol_id=p.id, open=item_id, _anchor="open"), 303)
    stored = None
    if form.photo.data and getattr(form.photo.data, "filename", ""):
        try:
            stored = save_photo(form.photo.data, folder=f"c{g.community.id}/patrols")
        except PhotoError as e:
            return refused(422, str(e), "photo")
    try:
        done = services.tap(p, current_user, item_id, form.result.data, key=form.key.data, note=form.note.data,
                            tapped_at=forms.parse_tap_time(form.tapped_at.data), photo=stored,
                            device=form.device.data, seq=form.seq_number)
        db.session.commit()
    except services.PatrolError as e:
        db.session.rollback()
        if stored is not None:
            delete_photo(stored)
        if isinstance(e, services.PatrolNotFound):
            abort(404)
        return refused(409 if isinstance(e, services.PatrolFinished) else 422, str(e),
                       "photo" if str(e) == services.MSG_PHOTO else "note")
    if stored is not None and (done.status != services.TapStatus.SAVED or done.result.photo_path != stored.path):
        delete_photo(stored)  # a repeat or a stale tap: nothing changed
    if script:
        return _row(p, item_id, tap_status=done.status)
    return redirect(url_for("patrols.run", patrol_id=p.id, _anchor=f"i{item_id}"), 303)


@bp.post("/<id:patrol_id>/finish")
@allow(*RUN_ROLES)
# a resend whose first answer was lost (the same one-time key) is shown the patrol, done
@idempotency.on_repeat(lambda _key: url_for("patrols.run", patrol_id=request.view_args["patrol_id"]))
def finish(patrol_id: int):
    """完成巡查. patrol.js sends it (marked ?f) once every tap is saved, also when it was pressed
    without signal and kept on the phone: 204 when done (the message waits for the page it then
    opens), a refusal as 422 with the reason in plain text; without script a form post."""
    p = load_patrol(patrol_id, write=True)
    script = "f" in request.args
    if not Form().validate():
        abort(400)
    if p.finished_at is not None:  # a double tap: it is done
        return redirect(url_for("patrols.run", patrol_id=p.id), 303)
    try:
        tickets = services.finish(p, current_user)
        db.session.commit()
    except services.PatrolError as e:
        db.session.rollback()
        if script:
            resp = make_response(str(e), 422)
            resp.mimetype = "text/plain"
            resp.headers["Content-Security-Policy"] = FRAGMENT_CSP
            return resp
        return _run_page(load_patrol(patrol_id, write=True), 422, str(e))
    msg = "补巡已完成" if plans.makeup_of(p) else "巡查已完成"
    if tickets:
        msg += (f"，发现问题 {len(tickets)} 项，已生成整改工单 " + "、".join(t.serial for t in tickets)
                + "，已进入派单队列；整改完成后请到现场复检。")
    else:
        msg += "，各项正常，已记入今日巡查。"
    flash(msg, "ok")
    if script:
        return make_response("", 204)
    return redirect(url_for("patrols.run", patrol_id=p.id), 303)


@bp.get("/<id:patrol_id>/items/<id:item_id>/photo")
@allow(*RUN_ROLES, Role.MANAGER)
def photo(patrol_id: int, item_id: int):
    """The photo of a finding (?thumb=1: its thumbnail), to those who may see the patrol."""
    p = load_patrol(patrol_id)
    r = db.session.scalar(db.select(PatrolResult).where(PatrolResult.patrol_id == p.id,
                                                         PatrolResult.item_id == item_id))
    path = r and (r.thumb_path if request.args.get("thumb") and r.thumb_path else r.photo_path)
    return photo_response(path)


@bp.get("/checkpoint/<token>")
@allow(*RUN_ROLES)
def checkpoint(token: str):
    """Scanning a printed checkpoint QR opens this: it stamps the open patrol of that place."""
    try:
        cp, p = services.scan_checkpoint(g.community.id, current_user, token)
    except services.PatrolNotFound:
        abort(404)
    db.session.commit()
    if p is None:
        flash(f"已扫描巡查点“{cp.name}”，但您今天没有该处进行中的巡查：请先开始巡查，再扫码签到。", "error")
        args = {"target_type": "building", "building_id": cp.building_id} if cp.building_id else {
            "target_type": "area", "area": cp.name}
        return redirect(url_for("patrols.start", **args), 303)
    flash(f"已在巡查点“{cp.name}”签到（{localtime(p.checkpoint_at, '%H:%M')}）。", "ok")
    return redirect(url_for("patrols.run", patrol_id=p.id), 303)
