"""Visitor routes [F1]: on site now + a day's list, register, sign out, CSV of a day.

Each POST: validate the form → the one-time key (a resubmission shows what the first one
saved) → one service call → one commit; bad input is shown next to its field with a 422."""
from flask import Response, abort, flash, g, get_template_attribute, make_response, redirect, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from ..core import idempotency
from ..core.access import allow
from ..core.forms import parse_id
from ..core.models import utcnow
from ..core.roles import Role
from ..core.timefmt import localtime, parse_iso_day, site_today
from ..core.web import is_htmx, local_next, render_page
from ..extensions import db
from ..registry import services as registry
from . import services
from .blueprint import bp
from .forms import VisitForm

USERS = (Role.FRONT_DESK, Role.GUARD, Role.SUPERVISOR, Role.MANAGER)
EXPORTERS = (Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)
CHECKED_FIELDS = ("visitor_name", "phone", "id_number", "plate", "party_size", "purpose_note")


def _stay(v, now) -> str:
    return services.duration_label(services.minutes_on_site(v, now))


# --- on site now + the day's list -----------------------------------------------------------

def _list_context(day, message: str | None = None) -> dict:
    now = utcnow()
    onsite = services.on_site(g.community.id)
    visits = services.day_visits(g.community.id, day)
    names = services.user_names({v.signed_out_by_id for v in visits} | {v.registered_by_id for v in visits})
    today = site_today(now)
    overnight = {v.id for v in onsite if services.stayed_overnight(v, today)}
    return {"onsite": onsite, "overnight": overnight, "visits": visits, "counts": services.day_counts(visits),
            "day": day, "today": today, "now": now, "stay": _stay, "names": names, "purposes": services.PURPOSES,
            "message": message, "limit": services.DAY_LIMIT}


def _live_fragment(ctx: dict):
    """For htmx: the on-site block, and the day's list swapped out of band (so a sign-out or a
    poll updates both)."""
    body = (render_block("frontdesk/visitors.html", "onsite", **ctx)
            + render_block("frontdesk/visitors.html", "daylist", oob=True, **ctx))
    resp = make_response(body)
    resp.vary.add("HX-Request")
    return resp


@bp.get("/visitors")
@allow(*USERS)
def visitors():
    raw = request.args.get("day")
    day = parse_iso_day(raw) or site_today()
    if raw and parse_iso_day(raw) is None:
        flash("日期格式不正确，已显示今天。", "error")
    if request.args.get("part") == "onsite" and is_htmx():
        return _live_fragment(_list_context(day))
    return render_page("frontdesk/visitors.html", **_list_context(day))


@bp.get("/visitors.csv")
@allow(*EXPORTERS)
def visits_csv():
    day = parse_iso_day(request.args.get("day")) or site_today()
    # A spreadsheet travels (e-mail, WeChat): ID numbers stay masked in it whoever exports.
    body = services.csv_for_day(g.community.id, day)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=visitors-{day.isoformat()}.csv"})


# --- sign out -------------------------------------------------------------------------------

@bp.post("/visitors/<id:visit_id>/out")
@allow(*USERS)
def visit_out(visit_id: int):
    result = services.sign_out(g.community.id, visit_id, current_user)
    if result is None:
        abort(404)
    db.session.commit()
    v = result.visit
    if result.done_now:
        message, cat = f"{v.visitor_name} 已签离（{localtime(v.left_at, '%H:%M')}）。", "ok"
    else:
        message, cat = (f"{v.visitor_name} 已于 {localtime(v.left_at, '%m-%d %H:%M')} 由"
                        f"{result.by_name or '他人'}签离，未重复签离。"), "notice"
    day = parse_iso_day(request.form.get("day"))  # the day whose list was on screen
    if is_htmx():
        return _live_fragment(_list_context(day or site_today(), message))
    flash(message, cat)
    back = url_for("frontdesk.visitors", day=day.isoformat()) if day and day != site_today() else None
    return redirect(local_next() or back or url_for("frontdesk.visitors"), 303)


# --- register -------------------------------------------------------------------------------

def _visit_form() -> VisitForm:
    # A GET carries the fields when the no-JS 查找 / 填入 buttons or an htmx look-up sent them.
    args = request.args if request.method == "GET" and set(request.args) - {"part"} else None
    return VisitForm(formdata=args) if args is not None else VisitForm()


def _form_context(form: VisitForm) -> dict:
    found = registry.unit_lookup(g.community.id, form.unit_id.data, form.unit_q.data)
    unit, options, search_error = found.unit, found.options, found.error
    if unit is not None:
        form.unit_id.data = unit.id
    return {"form": form, "unit": unit, "options": options, "search_error": search_error,
            "returning": _returning(form)}


def _returning(form: VisitForm):
    """The last visit of the typed phone, offered to fill the name and plate."""
    from ..registry.validation import is_valid_phone, normalize_phone

    phone = normalize_phone(form.phone.data)
    if not phone or not is_valid_phone(phone):
        return None
    return services.last_visit_by_phone(g.community.id, phone)


def _fill_from(form: VisitForm) -> None:
    """The 填入 button: copy the last visit's name and plate into empty fields."""
    ref = request.args.get("fill", "")
    last = services.get_visit(g.community.id, parse_id(ref)) if parse_id(ref) else None
    if last is None:
        return
    if not form.visitor_name.data:
        form.visitor_name.data = last.visitor_name
    if not form.plate.data and last.plate:
        form.plate.data = last.plate


def _registered(key: str) -> str | None:
    """A double tap or a resend: the first one registered the visit."""
    done = services.find_by_client_key(key)
    if done is None:
        return None
    flash(f"{done.visitor_name} 已登记（{localtime(done.arrived_at, '%H:%M')}），未重复登记。", "notice")
    return url_for("frontdesk.visitors")


@bp.route("/visitors/new", methods=["GET", "POST"])
@allow(*USERS)
@idempotency.on_repeat(_registered)
def visit_new():
    form = _visit_form()
    status = 200
    if request.method == "GET" and request.args.get("fill"):
        _fill_from(form)
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                v = services.register(g.community.id, services.VisitIn(
                    visitor_name=form.visitor_name.data, phone=form.phone.data, unit_id=form.unit_id.data,
                    purpose=form.purpose.data, purpose_note=form.purpose_note.data,
                    id_number=form.id_number.data or None, plate=form.plate.data or None,
                    party_size=form.party_size.data, client_key=idempotency.current_key()), current_user)
                db.session.commit()
            except services.VisitError as e:
                db.session.rollback()
                getattr(form, e.field or "unit_id").errors = [str(e)]
                status = e.status
            else:
                flash(f"已登记访客 {v.visitor_name}（{v.party_size}人），到访 {v.unit.label}。", "ok")
                return redirect(url_for("frontdesk.visitors"), 303)
    part = request.args.get("part")
    block = part if part in ("lookup", "returning") else None
    return render_page("frontdesk/visit_new.html", block=block, status=status, **_form_context(form))


@bp.post("/visitors/new/check/<name>")
@allow(*USERS)
def visit_check(name: str):
    """Inline validation: re-render one field with its error as the form is filled."""
    if name not in CHECKED_FIELDS:
        abort(404)
    form = VisitForm()
    form.validate()
    return get_template_attribute("frontdesk/_fields.html", "vfield")(form, name)
