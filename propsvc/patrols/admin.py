"""Patrol routes for supervisors: 巡查设置 (/patrols/admin) — today's coverage [D3] and plans,
the coverage rules, the checklist templates; 巡查计划 (/patrols/plans) — recurring patrols;
and 巡查记录 (/patrols/records, .csv) — the searchable patrol records, also for stewards.

As on the ticket settings page: one template (patrols/admin.html) with a block per section;
each small form posts on its own; without JavaScript a success redirects back (303) and a
mistake shows the page again with the message next to the field (422); with htmx only the
section is sent back. Every change records an Event and commits; bad input saves nothing.
To keep the page small, checklist items are plain rows: 编辑 opens one item's form (GET
/patrols/admin/items/<id>: the whole page without JS, just that row with htmx).

Editing a checklist never breaks a past record: a result keeps the item's text as it read
when tapped, and an item is never deleted, only retired (active=False)."""
from datetime import date, time

from flask import Response, current_app, flash, g, make_response, redirect, request, url_for
from jinja2_fragments.flask import render_block
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..core.access import allow, get_or_404
from ..core.models import utcnow
from ..core.roles import Role
from ..core.services import record
from ..core.web import is_htmx, render_page
from ..extensions import db
from ..registry.models import Building, Unit
from ..registry.services import SearchError, parse_query, search_units
from . import admin_forms as af, plans
from .blueprint import bp
from .models import PATROL_KIND_LABELS, ChecklistItem, ChecklistTemplate, PatrolKind, PatrolPlan, PatrolSettings

ADMIN_ROLES = (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)
RECORD_ROLES = (Role.STEWARD, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)
TEMPLATE = "patrols/admin.html"
RECORDS_TEMPLATE = "patrols/records.html"
VACANT_SHOWN = 30  # vacant units listed per steward; the count says how many more
SECTION_VIEW = {"today": "admin", "coverage": "admin", "checklists": "admin", "plans": "plans"}


# --- helpers ------------------------------------------------------------------------------

def _json(value):
    """A value as it can be stored in an Event's JSON data."""
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="minutes") if hasattr(value, "hour") else value.isoformat()
    return value


def _changes(obj, **new) -> dict:
    """{field: [old, new]} for the fields whose value changes; applies them to obj."""
    changed = {}
    for name, value in new.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = [_json(old), _json(value)]
            setattr(obj, name, value)
    return changed


def _ensure_templates(community_id: int) -> None:
    """A community without checklists gets the default ones (the phone patrol's module seeds
    them; until it exists there is nothing to seed)."""
    if db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.community_id == community_id)
                         .limit(1)) is not None:
        return
    try:
        from .defaults import ensure_patrol_defaults
    except ImportError:
        return
    ensure_patrol_defaults(community_id)
    db.session.commit()


def _day_arg() -> date:
    """?day=YYYY-MM-DD (the overview of another day), else today."""
    value = request.args.get("day") or ""
    try:
        d = date.fromisoformat(value) if value else None
    except ValueError:
        d = None
    return d if d is not None and 2000 <= d.year <= 2100 else plans.local_today(utcnow())


def _templates(community_id: int) -> list[ChecklistTemplate]:
    order = {str(k): i for i, k in enumerate(PatrolKind)}
    ts = db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.community_id == community_id)
                            .options(selectinload(ChecklistTemplate.items)))
    return sorted(ts, key=lambda t: (not t.active, order.get(t.kind, 99), t.id))


def _buildings(community_id: int) -> list[Building]:
    return list(db.session.scalars(select(Building).where(Building.community_id == community_id)
                                   .order_by(Building.sort_key, Building.number)))


def _own_template(template_id: int) -> ChecklistTemplate:
    t = get_or_404(ChecklistTemplate, template_id)
    return t


def _own_item(item_id: int) -> ChecklistItem:
    it = get_or_404(ChecklistItem, item_id, community_of=lambda o: o.template.community_id)
    return it


def _own_plan(plan_id: int) -> PatrolPlan:
    p = get_or_404(PatrolPlan, plan_id)
    return p


# --- forms with their choices -----------------------------------------------------------------

def _template_form(t: ChecklistTemplate, formdata=None) -> af.TemplateEditForm:
    if formdata is None:
        return af.TemplateEditForm(formdata=None, prefix=f"tpl{t.id}", name=t.name, active=t.active)
    return af.TemplateEditForm(prefix=f"tpl{t.id}")


def _item_form(it: ChecklistItem, formdata=None) -> af.ItemForm:
    if formdata is None:
        return af.ItemForm(formdata=None, prefix=f"item{it.id}", text=it.text, photo_required=it.photo_required)
    return af.ItemForm(prefix=f"item{it.id}")


def _new_item_form(t: ChecklistTemplate, formdata=None) -> af.ItemForm:
    return af.ItemForm(formdata=None, prefix=f"new{t.id}") if formdata is None else af.ItemForm(prefix=f"new{t.id}")


def _plan_choices(f: af.PlanForm, community_id: int) -> af.PlanForm:
    f.template_id.choices = [(0, "请选择检查表")] + [
        (t.id, t.label) for t in _templates(community_id) if t.active]
    f.steward_id.choices = [(0, "请选择管家")] + [(u.id, u.name) for u in plans.stewards(community_id)]
    f.building_id.choices = [(0, "请选择楼栋")] + [(b.id, b.label) for b in _buildings(community_id)]
    return f


def _plan_form(p: PatrolPlan | None, community_id: int, formdata=None) -> af.PlanForm:
    prefix = f"plan{p.id}" if p is not None else "newplan"
    if formdata is not None:
        f = af.PlanForm(prefix=prefix)
    elif p is not None:
        f = af.PlanForm(formdata=None, prefix=prefix, template_id=p.template_id, steward_id=p.steward_id,
                        target_type=p.target_type, building_id=p.building_id or 0,
                        unit_code=p.unit.code if p.unit is not None else "", area=p.area or "",
                        weekdays=[int(d) for d in p.weekdays if d.isdigit()],
                        window_start=p.window_start, window_end=p.window_end)
    else:
        f = af.PlanForm(formdata=None, prefix=prefix, window_start=time(9, 0), window_end=time(11, 0))
    return _plan_choices(f, community_id)


# --- the pages ---------------------------------------------------------------------------------

def _context(view: str, failed: dict | None = None, saved: dict | None = None, day: date | None = None,
             open_template: int | None = None, open_item: ChecklistItem | None = None) -> dict:
    """Everything a view shows. `failed`: forms that did not validate, by key (shown with their
    messages instead of fresh ones); `saved`: a confirmation per section; `open_item`: the one
    checklist item shown with its edit form (the others are plain rows with an 编辑 link)."""
    failed = failed or {}
    if open_item is not None:
        open_template = open_item.template_id
    cid = g.community.id
    now = utcnow()
    today = plans.local_today(now)
    day = day or today
    ctx = {
        "view": view, "day": day, "today": today, "saved": saved or {}, "open_template": open_template,
        "open_item": open_item.id if open_item is not None else None,
        "due": plans.due_on(cid, day, now=now), "state_labels": plans.DUE_STATE_LABELS,
        "weekdays_label": plans.weekdays_label, "target_label": plans.plan_target_label,
        "patrol_url": patrol_url,
    }
    if view == "admin":
        s = plans.settings_for(cid)
        templates = _templates(cid)
        ctx.update({
            "coverage": plans.coverage(cid, day, now=now),
            "vacant_shown": VACANT_SHOWN,
            "coverage_form": failed.get("coverage") or af.CoverageForm(
                formdata=None, prefix="cov", buildings_per_day=s.buildings_per_day,
                vacant_every_days=s.vacant_every_days),
            "templates": templates,
            "kinds": PATROL_KIND_LABELS,
            "template_forms": {t.id: failed.get(f"tpl{t.id}") or _template_form(t) for t in templates},
            "item_form_": (failed.get(f"item{open_item.id}") or _item_form(open_item)) if open_item is not None else None,
            "new_item_forms": {t.id: failed.get(f"new{t.id}") or _new_item_form(t) for t in templates},
            "new_template_form": failed.get("newtpl") or af.TemplateAddForm(formdata=None, prefix="newtpl"),
            "plans_in_use": dict(db.session.execute(
                select(PatrolPlan.template_id, func.count()).where(PatrolPlan.community_id == cid,
                                                                   PatrolPlan.active.is_(True))
                .group_by(PatrolPlan.template_id)).all()),
        })
    else:
        all_plans = list(db.session.scalars(
            select(PatrolPlan).where(PatrolPlan.community_id == cid)
            .options(selectinload(PatrolPlan.template), selectinload(PatrolPlan.steward),
                     selectinload(PatrolPlan.building), selectinload(PatrolPlan.unit).selectinload(Unit.building))))
        all_plans.sort(key=lambda p: (not p.active, p.steward.name if p.steward else "", p.window_start, p.id))
        ctx.update({
            "plans": all_plans,
            "plan_forms": {p.id: failed.get(f"plan{p.id}") or _plan_form(p, cid) for p in all_plans},
            "new_plan_form": failed.get("newplan") or _plan_form(None, cid),
            "today_state": {d.plan.id: d for d in ctx["due"]} if day == today else {},
            "has_stewards": bool(plans.stewards(cid)),
        })
    return ctx


@bp.get("/admin")
@allow(*ADMIN_ROLES)
def admin():
    _ensure_templates(g.community.id)
    return render_page(TEMPLATE, **_context("admin", day=_day_arg()))


@bp.get("/plans", endpoint="plans")
@allow(*ADMIN_ROLES)
def plans_page():
    _ensure_templates(g.community.id)
    return render_page(TEMPLATE, **_context("plans", day=_day_arg()))


@bp.get("/admin/items/<id:item_id>")
@allow(*ADMIN_ROLES)
def admin_item(item_id: int):
    """One checklist item with its edit form (move, retire/restore too): with htmx just that row
    (?part=row: the plain row again, for 取消); without JS the whole settings page with the row
    open."""
    it = _own_item(item_id)
    if is_htmx():
        editing = request.args.get("part") != "row"
        return render_page(TEMPLATE, block="item", it=it, open_item=it.id if editing else None,
                           item_form_=_item_form(it) if editing else None)
    return render_page(TEMPLATE, **_context("admin", day=_day_arg(), open_item=it))


def _done(section: str, message: str, open_template: int | None = None, open_item: ChecklistItem | None = None):
    """After a saved change: the section again (htmx), or back to the page (no JS). `open_item`:
    the item stays open for more changes (after a move)."""
    db.session.commit()
    view = SECTION_VIEW[section]
    if open_item is not None and not is_htmx():
        flash(message, "ok")
        return redirect(url_for("patrols.admin_item", item_id=open_item.id) + f"#item-{open_item.id}", 303)
    if is_htmx():
        ctx = _context(view, saved={section: message}, open_template=open_template, open_item=open_item)
        if section != "plans":
            return render_page(TEMPLATE, block=section, **ctx)
        # a changed plan changes today's list too: send it along, swapped out of band
        body = render_block(TEMPLATE, section, **ctx) + render_block(TEMPLATE, "today", oob=True, **ctx)
        resp = make_response(body, 200)
        resp.vary.add("HX-Request")
        return resp
    flash(message, "ok")
    endpoint = "patrols.admin" if view == "admin" else "patrols.plans"
    anchor = f"tpl-{open_template}" if open_template else section
    return redirect(url_for(endpoint) + f"#{anchor}", 303)


def _failed(section: str, key: str, form, open_template: int | None = None, open_item: ChecklistItem | None = None,
            *, field=None, message: str | None = None):
    """Bad input: nothing saved; the form again with its messages (422); `message`: one more,
    next to `field` (a rule the form itself cannot check: a name taken, a checklist in use)."""
    if field is not None:
        field.errors.append(message)
    db.session.rollback()
    return render_page(TEMPLATE, block=section, status=422,
                       **_context(SECTION_VIEW[section], failed={key: form}, open_template=open_template,
                                  open_item=open_item))


# --- coverage rules [D3] -------------------------------------------------------------------------

@bp.post("/admin/coverage")
@allow(*ADMIN_ROLES)
def admin_coverage():
    f = af.CoverageForm(prefix="cov")
    if not f.validate_on_submit():
        return _failed("coverage", "coverage", f)
    s = db.session.get(PatrolSettings, g.community.id)
    if s is None:
        s = plans.settings_for(g.community.id)
        db.session.add(s)
    changed = _changes(s, buildings_per_day=f.buildings_per_day.data, vacant_every_days=f.vacant_every_days.data)
    if not changed:
        return _done("coverage", "巡查标准没有改动。")
    record("patrol_settings.updated", g.community, actor=current_user, changes=changed)
    return _done("coverage", f"已保存：每位管家每天巡查 {s.buildings_per_day} 栋，空置房每 {s.vacant_every_days} 天巡查一次。")


# --- checklist templates -------------------------------------------------------------------------

def _template_name_taken(name: str, except_id: int | None = None) -> bool:
    stmt = select(func.count()).select_from(ChecklistTemplate).where(
        ChecklistTemplate.community_id == g.community.id, ChecklistTemplate.name == name)
    if except_id is not None:
        stmt = stmt.where(ChecklistTemplate.id != except_id)
    return db.session.scalar(stmt) > 0


@bp.post("/admin/templates")
@allow(*ADMIN_ROLES)
def admin_template_add():
    f = af.TemplateAddForm(prefix="newtpl")
    if not f.validate_on_submit():
        return _failed("checklists", "newtpl", f)
    if _template_name_taken(f.name.data):
        return _failed("checklists", "newtpl", f, field=f.name, message="已有同名检查表。")
    t = ChecklistTemplate(community_id=g.community.id, kind=f.kind.data, name=f.name.data, active=True)
    db.session.add(t)
    db.session.flush()
    record("checklist_template.created", t, actor=current_user, kind=t.kind, name=t.name)
    return _done("checklists", f"已添加检查表“{t.name}”，请添加检查项。", open_template=t.id)


@bp.post("/admin/templates/<id:template_id>")
@allow(*ADMIN_ROLES)
def admin_template_edit(template_id: int):
    t = _own_template(template_id)
    key = f"tpl{t.id}"
    f = _template_form(t, request.form)
    if not f.validate_on_submit():
        return _failed("checklists", key, f, t.id)
    if _template_name_taken(f.name.data, except_id=t.id):
        return _failed("checklists", key, f, t.id, field=f.name, message="已有同名检查表。")
    if t.active and not f.active.data:
        in_use = db.session.scalar(select(func.count()).select_from(PatrolPlan).where(
            PatrolPlan.template_id == t.id, PatrolPlan.active.is_(True)))
        if in_use:
            return _failed("checklists", key, f, t.id, field=f.active,
                           message=f"有 {in_use} 个巡查计划正在使用此检查表，请先停用或修改这些计划。")
    changed = _changes(t, name=f.name.data, active=f.active.data)
    if not changed:
        return _done("checklists", f"检查表“{t.name}”没有改动。", t.id)
    record("checklist_template.updated", t, actor=current_user, name=t.name, changes=changed)
    return _done("checklists", f"已保存检查表“{t.name}”。", t.id)


# --- checklist items ---------------------------------------------------------------------------

def _item_text_taken(t: ChecklistTemplate, text: str, except_id: int | None = None) -> bool:
    return any(it.text == text and it.id != except_id and it.active for it in t.items)


@bp.post("/admin/templates/<id:template_id>/items")
@allow(*ADMIN_ROLES)
def admin_item_add(template_id: int):
    t = _own_template(template_id)
    key = f"new{t.id}"
    f = _new_item_form(t, request.form)
    if not f.validate_on_submit():
        return _failed("checklists", key, f, t.id)
    if _item_text_taken(t, f.text.data):
        return _failed("checklists", key, f, t.id, field=f.text, message="此检查表已有相同的检查项。")
    last = max((it.sort for it in t.items), default=-1)
    it = ChecklistItem(template_id=t.id, text=f.text.data, photo_required=f.photo_required.data, sort=last + 1,
                       active=True)
    db.session.add(it)
    db.session.flush()
    record("checklist_item.created", it, community_id=t.community_id, actor=current_user, template_id=t.id,
           text=it.text, photo_required=it.photo_required)
    return _done("checklists", f"已添加检查项“{it.text}”。", t.id)


@bp.post("/admin/items/<id:item_id>")
@allow(*ADMIN_ROLES)
def admin_item_edit(item_id: int):
    it = _own_item(item_id)
    t = it.template
    key = f"item{it.id}"
    f = _item_form(it, request.form)
    if not f.validate_on_submit():
        return _failed("checklists", key, f, open_item=it)
    if it.active and _item_text_taken(t, f.text.data, except_id=it.id):
        return _failed("checklists", key, f, open_item=it, field=f.text, message="此检查表已有相同的检查项。")
    changed = _changes(it, text=f.text.data, photo_required=f.photo_required.data)
    if not changed:
        return _done("checklists", f"检查项“{it.text}”没有改动。", t.id)
    record("checklist_item.updated", it, community_id=t.community_id, actor=current_user, template_id=t.id,
           changes=changed)
    note = "，已有记录保留原文字" if "text" in changed else ""
    return _done("checklists", f"已保存检查项“{it.text}”{note}。", t.id)


@bp.post("/admin/items/<id:item_id>/move")
@allow(*ADMIN_ROLES)
def admin_item_move(item_id: int):
    it = _own_item(item_id)
    t = it.template
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        return _done("checklists", "请选择上移或下移。", open_item=it)
    items = sorted(t.items, key=lambda x: (x.sort, x.id))
    i = items.index(it)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(items):
        return _done("checklists", f"“{it.text}”已在{'最前' if direction == 'up' else '最后'}。", open_item=it)
    items[i], items[j] = items[j], items[i]
    for n, x in enumerate(items):  # renumber 0..n-1 (older rows may share a number)
        x.sort = n
    record("checklist_item.moved", it, community_id=t.community_id, actor=current_user, template_id=t.id,
           direction=direction, position=j + 1)
    return _done("checklists", f"已将“{it.text}”{'上移' if direction == 'up' else '下移'}到第 {j + 1} 项。",
                 open_item=it)


@bp.post("/admin/items/<id:item_id>/active")
@allow(*ADMIN_ROLES)
def admin_item_active(item_id: int):
    it = _own_item(item_id)
    t = it.template
    want = request.form.get("active") == "1"
    if want == it.active:
        return _done("checklists", f"检查项“{it.text}”已{'启用' if want else '停用'}。", t.id)
    if want and _item_text_taken(t, it.text, except_id=it.id):
        return _done("checklists", f"此检查表已有启用的“{it.text}”，不必恢复。", t.id)
    it.active = want
    record("checklist_item.restored" if want else "checklist_item.retired", it, community_id=t.community_id,
           actor=current_user, template_id=t.id, text=it.text)
    if want:
        return _done("checklists", f"已恢复检查项“{it.text}”。", t.id)
    return _done("checklists", f"已停用检查项“{it.text}”：之后的巡查不再出现，已有记录不受影响。", t.id)


# --- plans ---------------------------------------------------------------------------------------

def _resolve_unit(f: af.PlanForm) -> Unit | None:
    """The unit of the form's 房号 (3-2-1201), or None with the message on the field."""
    code = f.unit_code.data
    try:
        q = parse_query(code)
    except SearchError as e:
        f.unit_code.errors.append(str(e))
        return None
    if q is None or q.number is None or q.building is None:
        f.unit_code.errors.append("请按“栋-单元-房号”输入，如 3-2-1201。")
        return None
    found = search_units(g.community.id, q)
    if not found:
        f.unit_code.errors.append(f"本小区没有房号“{code}”。")
        return None
    if len(found) > 1:
        f.unit_code.errors.append("找到多套房屋：" + "、".join(u.code for u in found[:6]) + "，请写全“栋-单元-房号”。")
        return None
    return found[0]


def _plan_values(f: af.PlanForm) -> dict | None:
    """The plan's columns from a validated form; None when the target cannot be resolved."""
    target = f.target_type.data
    values = {"template_id": f.template_id.data, "steward_id": f.steward_id.data, "target_type": target,
              "building_id": None, "unit_id": None, "area": None,
              "weekdays": "".join(str(d) for d in sorted(set(f.weekdays.data))),
              "window_start": f.window_start.data.replace(second=0, microsecond=0),
              "window_end": f.window_end.data.replace(second=0, microsecond=0)}
    if target == "building":
        values["building_id"] = f.building_id.data
    elif target == "unit":
        unit = _resolve_unit(f)
        if unit is None:
            return None
        values["unit_id"], values["building_id"] = unit.id, unit.building_id
    else:
        values["area"] = f.area.data
    return values


def _plan_summary(p: PatrolPlan) -> str:
    db.session.flush()
    db.session.expire(p, ["steward", "template", "building", "unit"])
    return (f"{p.steward.name} · {plans.plan_target_label(p)} · {p.template.name} · {plans.weekdays_label(p.weekdays)} "
            f"{p.window_start:%H:%M}–{p.window_end:%H:%M}")


@bp.post("/plans")
@allow(*ADMIN_ROLES)
def plan_add():
    f = _plan_form(None, g.community.id, request.form)
    if not f.validate_on_submit():
        return _failed("plans", "newplan", f)
    values = _plan_values(f)
    if values is None:
        return _failed("plans", "newplan", f)
    p = PatrolPlan(community_id=g.community.id, active=True, created_by_id=current_user.id, **values)
    db.session.add(p)
    db.session.flush()
    record("patrol_plan.created", p, actor=current_user, **{k: _json(v) for k, v in values.items()})
    return _done("plans", f"已添加巡查计划：{_plan_summary(p)}。")


@bp.post("/plans/<id:plan_id>")
@allow(*ADMIN_ROLES)
def plan_edit(plan_id: int):
    p = _own_plan(plan_id)
    key = f"plan{p.id}"
    f = _plan_form(p, g.community.id, request.form)
    if not f.validate_on_submit():
        return _failed("plans", key, f)
    values = _plan_values(f)
    if values is None:
        return _failed("plans", key, f)
    changed = _changes(p, **values)
    if not changed:
        return _done("plans", "巡查计划没有改动。")
    record("patrol_plan.updated", p, actor=current_user, changes=changed)
    db.session.flush()
    return _done("plans", f"已保存巡查计划：{_plan_summary(p)}。已完成的巡查记录不受影响。")


@bp.post("/plans/<id:plan_id>/active")
@allow(*ADMIN_ROLES)
def plan_active(plan_id: int):
    p = _own_plan(plan_id)
    want = request.form.get("active") == "1"
    if want == p.active:
        return _done("plans", f"此巡查计划已{'启用' if want else '停用'}。")
    if want and not p.template.active:
        return _done("plans", f"检查表“{p.template.name}”已停用，请先修改计划的检查表或启用该检查表。")
    p.active = want
    record("patrol_plan.reactivated" if want else "patrol_plan.deactivated", p, actor=current_user)
    db.session.flush()
    return _done("plans", f"已{'启用' if want else '停用'}巡查计划：{_plan_summary(p)}。")


# --- patrol records [item 9] ------------------------------------------------------------------------

def patrol_url(patrol_id: int) -> str:
    """The patrol's page (the phone patrol's route `patrols.run`), else its path."""
    try:
        rule = next(current_app.url_map.iter_rules("patrols.run"))
    except (KeyError, StopIteration):
        return f"/patrols/{patrol_id}"
    args = list(rule.arguments)
    if len(args) != 1:
        return f"/patrols/{patrol_id}"
    return url_for("patrols.run", **{args[0]: patrol_id})


def _own_only() -> int | None:
    """A steward (without a supervising role) sees only their own patrols."""
    if current_user.has_role(*ADMIN_ROLES):
        return None
    return current_user.id


def _record_filters() -> plans.RecordFilters:
    return plans.parse_record_filters(request.args, g.community.id, own_steward_id=_own_only())


@bp.get("/records")
@allow(*RECORD_ROLES)
def records():
    f = _record_filters()
    page = plans.search_records(g.community.id, f)
    own = _own_only() is not None
    return render_page(
        RECORDS_TEMPLATE, block="results", f=f, page=page, own_only=own,
        stewards=[] if own else plans.stewards(g.community.id, active_only=False),
        buildings=_buildings(g.community.id), result_filters=plans.RESULT_FILTERS, patrol_url=patrol_url,
        page_url=lambda n: url_for("patrols.records", **f.args(page=n)))


@bp.get("/records.csv")
@allow(*RECORD_ROLES)
def records_csv():
    f = _record_filters()
    body = plans.records_csv(g.community.id, f)
    name = f"patrols-{f.start:%Y%m%d}-{f.end:%Y%m%d}.csv"
    return Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
