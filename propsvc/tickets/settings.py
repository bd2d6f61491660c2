"""Ticket routes: settings per community (工单设置) — categories [T2], deadline policies,
working hours and holidays, outages (停水/停电) that the intake look-up shows.

One page, several small forms. Each form posts on its own: without JavaScript a success
redirects back to the page (303) and a mistake shows the page again with the message next to
the field (422); with htmx only the form's section is sent back and swapped in. Every change
records an Event and commits; bad input saves nothing."""
from datetime import timedelta

from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..auth.models import Department
from ..core.access import allow, get_or_404
from ..core.models import utcnow
from ..core.services import record
from ..core.timefmt import SITE_TZ, from_local, localtime
from ..core.web import is_htmx, render_page
from ..extensions import db
from . import services, settings_forms as sf
from .blueprint import bp
from .calendar import format_periods, parse_periods
from .models import URGENCY_LABELS, Category, Holiday, Outage, SlaPolicy, Urgency, WorkSchedule

SETTINGS_ROLES = services.CALENDAR_KEEPERS  # the ticket settings hold the working calendar
TEMPLATE = "tickets/settings.html"
HOLIDAYS_SHOWN_FROM = timedelta(days=31)  # past holidays older than this are not listed
TIME_FORMAT = "%Y-%m-%d %H:%M"


# --- building the page -----------------------------------------------------------------

def _department_choices() -> list[tuple[int, str]]:
    return [(0, "（不指定）")] + [(d.id, d.name) for d in db.session.scalars(select(Department).order_by(Department.id))]


def _category_form(c: Category | None, depts, formdata=None) -> sf.CategoryForm:
    prefix = f"cat{c.id}" if c is not None else "newcat"
    if formdata is None and c is not None:
        f = sf.CategoryForm(formdata=None, prefix=prefix, name=c.name, department_id=c.department_id or 0,
                            assign_mode=c.assign_mode, active=c.active)
    elif formdata is None:
        f = sf.CategoryForm(formdata=None, prefix=prefix)
    else:
        f = sf.CategoryForm(prefix=prefix)
    f.department_id.choices = depts
    return f


def _policy(urgency: str) -> SlaPolicy:
    p = db.session.scalar(select(SlaPolicy).where(SlaPolicy.community_id == g.community.id,
                                                  SlaPolicy.urgency == urgency))
    if p is None:  # ensure_defaults creates all three; only a new urgency could be missing
        abort(404)
    return p


def _sla_form(p: SlaPolicy, formdata=None) -> sf.SlaForm:
    if formdata is None:
        return sf.SlaForm(formdata=None, prefix=f"sla_{p.urgency}", respond=p.respond, resolve=p.resolve,
                          clock="working" if p.working_time else "wall")
    return sf.SlaForm(prefix=f"sla_{p.urgency}")


def _schedule() -> WorkSchedule:
    ws = db.session.get(WorkSchedule, g.community.id)
    if ws is None:
        services.ensure_defaults(g.community.id)
        ws = db.session.get(WorkSchedule, g.community.id)
    return ws


def _hours_form(ws: WorkSchedule, formdata=None) -> sf.HoursForm:
    if formdata is None:
        return sf.HoursForm(formdata=None, prefix="hours", periods=ws.periods,
                            weekdays=[int(ch) for ch in ws.weekdays], statutory=ws.follows_statutory)
    return sf.HoursForm(prefix="hours")


def _outage_form(formdata=None) -> sf.OutageForm:
    f = sf.OutageForm(formdata=None, prefix="outage") if formdata is None else sf.OutageForm(prefix="outage")
    f.building_ids.choices = [(b.id, b.label) for b in g.community.buildings]
    return f


def _outages() -> list[Outage]:
    """Outages in force or announced (not yet over), soonest first."""
    return list(db.session.scalars(
        select(Outage).where(Outage.community_id == g.community.id, Outage.ends_at > utcnow())
        .order_by(Outage.starts_at, Outage.id)))


def _holidays() -> list[Holiday]:
    since = utcnow().astimezone(SITE_TZ).date() - HOLIDAYS_SHOWN_FROM
    return list(db.session.scalars(
        select(Holiday).where(Holiday.community_id == g.community.id, Holiday.day >= since).order_by(Holiday.day)))


def _context(failed: dict | None = None, saved: dict | None = None) -> dict:
    """Everything the page shows. `failed`: forms that did not validate, by key (shown with their
    messages instead of a fresh form); `saved`: a confirmation per section (htmx responses)."""
    failed = failed or {}
    cid = g.community.id
    depts = _department_choices()
    cats = services.categories(cid, active_only=False)
    policies = {p.urgency: p for p in db.session.scalars(select(SlaPolicy).where(SlaPolicy.community_id == cid))}
    ordered = [policies[u] for u in Urgency if u in policies]
    ws = _schedule()
    now = utcnow()
    return {
        "categories": cats,
        "dept_names": dict(depts),
        "cat_forms": {c.id: failed.get(f"cat{c.id}") or _category_form(c, depts) for c in cats},
        "new_cat_form": failed.get("newcat") or _category_form(None, depts),
        "policies": ordered,
        "sla_forms": {p.urgency: failed.get(f"sla_{p.urgency}") or _sla_form(p) for p in ordered},
        "hours_form": failed.get("hours") or _hours_form(ws),
        "holidays": _holidays(),
        "statutory": services.upcoming_statutory_days(cid),
        "calendar_warnings": services.calendar_warnings(cid),
        "holiday_form": failed.get("holiday") or sf.HolidayForm(formdata=None, prefix="holiday"),
        "outages": _outages(),
        "outage_form": failed.get("outage") or _outage_form(),
        "now": now,
        "saved": saved or {},
        "urgency_labels": URGENCY_LABELS,
        "assign_labels": sf.ASSIGN_MODE_LABELS,
        "weekday_labels": sf.WEEKDAY_LABELS,
    }


def _done(section: str, message: str):
    """After a saved change: the section again (htmx), or back to the page (no JS)."""
    db.session.commit()
    if is_htmx():
        return render_page(TEMPLATE, block=section, **_context(saved={section: message}))
    flash(message, "ok")
    return redirect(url_for("tickets.settings") + f"#{section}", 303)


def _failed(section: str, key: str, form):
    """Bad input: nothing saved; the form again with its messages (422)."""
    db.session.rollback()
    return render_page(TEMPLATE, block=section, status=422, **_context(failed={key: form}))


def _changes(obj, **new) -> dict:
    """{field: [old, new]} for the fields whose value changes; applies them to obj."""
    changed = {}
    for name, value in new.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = [old, value]
            setattr(obj, name, value)
    return changed


# --- the page --------------------------------------------------------------------------

@bp.get("/settings")
@allow(*SETTINGS_ROLES)
def settings():
    services.ensure_defaults(g.community.id)
    db.session.commit()
    return render_page(TEMPLATE, **_context())


# --- (a) categories ----------------------------------------------------------------------

def _name_taken(name: str, except_id: int | None = None) -> bool:
    stmt = select(func.count()).select_from(Category).where(Category.community_id == g.community.id,
                                                            Category.name == name)
    if except_id is not None:
        stmt = stmt.where(Category.id != except_id)
    return db.session.scalar(stmt) > 0


@bp.post("/settings/categories/<id:category_id>")
@allow(*SETTINGS_ROLES)
def settings_category(category_id: int):
    c = get_or_404(Category, category_id)
    key = f"cat{c.id}"
    f = _category_form(c, _department_choices(), request.form)
    if not f.validate_on_submit():
        return _failed("categories", key, f)
    if _name_taken(f.name.data, except_id=c.id):
        f.name.errors.append("本小区已有同名类别。")
        return _failed("categories", key, f)
    changed = _changes(c, name=f.name.data, department_id=f.department_id.data or None,
                       assign_mode=f.assign_mode.data, active=f.active.data)
    if not changed:
        return _done("categories", f"类别“{c.name}”没有改动。")
    record("category.updated", c, actor=current_user, name=c.name, changes=changed)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        f.name.errors.append("本小区已有同名类别。")
        return _failed("categories", key, f)
    return _done("categories", f"已保存类别“{c.name}”。")


@bp.post("/settings/categories")
@allow(*SETTINGS_ROLES)
def settings_category_add():
    services.ensure_defaults(g.community.id)
    f = _category_form(None, _department_choices(), request.form)
    if not f.validate_on_submit():
        return _failed("categories", "newcat", f)
    if _name_taken(f.name.data):
        f.name.errors.append("本小区已有同名类别。")
        return _failed("categories", "newcat", f)
    last = db.session.scalar(select(func.max(Category.sort)).where(Category.community_id == g.community.id))
    c = Category(community_id=g.community.id, name=f.name.data, department_id=f.department_id.data or None,
                 assign_mode=f.assign_mode.data, active=f.active.data, sort=(last or 0) + 1)
    db.session.add(c)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        f.name.errors.append("本小区已有同名类别。")
        return _failed("categories", "newcat", f)
    record("category.created", c, actor=current_user, name=c.name, department_id=c.department_id,
           assign_mode=c.assign_mode, active=c.active)
    return _done("categories", f"已添加类别“{c.name}”。")


# --- (b) deadline policies ---------------------------------------------------------------

@bp.post("/settings/sla/<urgency>")
@allow(*SETTINGS_ROLES)
def settings_sla(urgency: str):
    if urgency not in set(Urgency):
        abort(404)
    services.ensure_defaults(g.community.id)
    p = _policy(urgency)
    key = f"sla_{urgency}"
    f = _sla_form(p, request.form)
    if not f.validate_on_submit():
        return _failed("sla", key, f)
    respond, resolve = "".join(f.respond.data.split()), "".join(f.resolve.data.split())
    working = f.clock.data == "working"
    try:  # the resolution deadline may not come before the response deadline
        cal = services.calendar_for(g.community.id)
        start = utcnow()
        if cal.add(start, resolve, working) < cal.add(start, respond, working):
            f.resolve.errors.append("完成时限不能短于响应时限。")
            return _failed("sla", key, f)
    except ValueError as e:  # e.g. no working day at all in the calendar
        f.clock.errors.append(str(e))
        return _failed("sla", key, f)
    changed = _changes(p, respond=respond, resolve=resolve, working_time=working)
    label = URGENCY_LABELS.get(urgency, urgency)
    if not changed:
        return _done("sla", f"“{label}”时限没有改动。")
    record("sla.updated", p, actor=current_user, urgency=urgency, changes=changed)
    return _done("sla", f"已保存“{label}”时限，新登记的工单按新时限计算。")


# --- (c) working hours and holidays -------------------------------------------------------

@bp.post("/settings/hours")
@allow(*SETTINGS_ROLES)
def settings_hours():
    ws = _schedule()
    f = _hours_form(ws, request.form)
    if not f.validate_on_submit():
        return _failed("hours", "hours", f)
    periods = format_periods(parse_periods(f.periods.data))
    weekdays = "".join(str(d) for d in sorted(set(f.weekdays.data)))
    changed = _changes(ws, periods=periods, weekdays=weekdays, statutory=bool(f.statutory.data))
    if not changed:
        return _done("hours", "工作时间没有改动。")
    record("schedule.updated", g.community, actor=current_user, changes=changed)
    return _done("hours", "已保存工作时间。")


@bp.post("/settings/holidays")
@allow(*SETTINGS_ROLES)
def settings_holiday_add():
    f = sf.HolidayForm(prefix="holiday")
    if not f.validate_on_submit():
        return _failed("hours", "holiday", f)
    exists = db.session.scalar(select(Holiday).where(Holiday.community_id == g.community.id,
                                                     Holiday.day == f.day.data))
    if exists is not None:
        f.day.errors.append(f"{f.day.data:%Y-%m-%d} 已设置为“{exists.name or ('调休上班' if exists.workday else '放假')}”，"
                            "请先删除。")
        return _failed("hours", "holiday", f)
    h = Holiday(community_id=g.community.id, day=f.day.data, name=(f.name.data or "").strip(),
                workday=f.workday.data == "1")
    db.session.add(h)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        f.day.errors.append(f"{f.day.data:%Y-%m-%d} 已设置，请先删除。")
        return _failed("hours", "holiday", f)
    record("holiday.created", h, actor=current_user, day=h.day.isoformat(), name=h.name, workday=h.workday)
    kind = "调休上班" if h.workday else "放假"
    return _done("hours", f"已添加 {h.day:%Y-%m-%d}（{h.name or kind}，{kind}）。")


@bp.post("/settings/holidays/<id:holiday_id>/delete")
@allow(*SETTINGS_ROLES)
def settings_holiday_delete(holiday_id: int):
    h = get_or_404(Holiday, holiday_id)
    record("holiday.deleted", h, actor=current_user, day=h.day.isoformat(), name=h.name, workday=h.workday)
    db.session.delete(h)
    return _done("hours", f"已删除 {h.day:%Y-%m-%d}。")


# --- (d) outages ---------------------------------------------------------------------------

@bp.post("/settings/outages")
@allow(*SETTINGS_ROLES)
def settings_outage_add():
    f = _outage_form(request.form)
    if not f.validate_on_submit():
        return _failed("outages", "outage", f)
    starts, ends = from_local(f.starts_at.data), from_local(f.ends_at.data)
    if ends <= utcnow():
        f.ends_at.errors.append("预计恢复时间已过，无需登记。")
        return _failed("outages", "outage", f)
    buildings = (list(g.community.buildings) if f.all_buildings.data else
                 [b for b in g.community.buildings if b.id in set(f.building_ids.data)])
    if not buildings:
        f.building_ids.errors.append("本小区还没有楼栋。")
        return _failed("outages", "outage", f)
    o = Outage(community_id=g.community.id, what=f.what.data, starts_at=starts, ends_at=ends,
               script=f.script.data.strip(), created_by_id=current_user.id, buildings=buildings)
    db.session.add(o)
    db.session.flush()
    record("outage.created", o, actor=current_user, what=o.what, starts_at=starts.isoformat(),
           ends_at=ends.isoformat(), buildings=[b.number for b in buildings])
    where = "全部楼栋" if f.all_buildings.data else "、".join(b.label for b in buildings)
    return _done("outages", f"已登记{o.what}：{where}，{localtime(starts, TIME_FORMAT)} 至 {localtime(ends, TIME_FORMAT)}。"
                            "登记工单时会看到提示。")


@bp.post("/settings/outages/<id:outage_id>/end")
@allow(*SETTINGS_ROLES)
def settings_outage_end(outage_id: int):
    o = get_or_404(Outage, outage_id)
    now = utcnow()
    if o.ends_at <= now:
        return _done("outages", f"{o.what}已结束。")
    was_starts, was_ends = o.starts_at, o.ends_at
    cancelled = o.starts_at > now  # announced but not begun: called off
    if cancelled:
        o.starts_at = now
    o.ends_at = now
    record("outage.ended", o, actor=current_user, what=o.what, cancelled=cancelled,
           starts_at_was=was_starts.isoformat(), ends_at_was=was_ends.isoformat())
    return _done("outages", f"已{'取消' if cancelled else '提前结束'}{o.what}通知。")

