"""Community event routes [F2]: the lists, planning and revising (supervisor, manager), one
event with its steps (publish, cancel, close, the checklist), sign-up at the desk, the kiosk or
by a steward, check-in on a phone with walk-ins, the look back, the public page the poster's QR
opens, and three PDFs (poster, sign-up sheet, one-page look back).

Each POST (its one-time key claimed by core.idempotency first): validate the form → one service
call → one commit, or rollback and the page again with the message next to the field (422 bad
input, 409 a step out of order)."""
from flask import abort, current_app, flash, g, make_response, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core import idempotency
from ..core.access import allow, get_or_404, public
from ..core.roles import Role
from ..core.timefmt import from_local, site_now, utcnow
from ..core.web import is_htmx, render_page
from ..documents.pdf import DocumentTooLong, render_pdf
from ..extensions import db
from ..photos.services import PhotoError, delete_photo, open_photo, photo_response, save_photo
from ..registry import services as registry
from ..registry.masking import mask_phone
from ..registry.models import Building
from . import services
from .blueprint import bp
from .forms import ActionForm, CancelForm, EventForm, LookBackForm, SignupForm, WalkinForm
from .models import CommunityEvent, EventSignup, EventState, SignupState

PLANNERS = (Role.SUPERVISOR, Role.MANAGER)
SIGNERS = (Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)


def _event(event_id: int) -> CommunityEvent:
    return get_or_404(CommunityEvent, event_id)


def _signup(signup_id: int) -> EventSignup:
    return get_or_404(EventSignup, signup_id, community_of=lambda s: s.event.community_id)


def _buildings() -> list[Building]:
    return list(db.session.scalars(select(Building).where(Building.community_id == g.community.id)
                                   .order_by(Building.sort_key, Building.number)))


def _show(form, e: services.EventError, fallback: str) -> None:
    """The service's message next to the field it concerns."""
    field = getattr(form, e.field, None) or getattr(form, fallback)
    field.errors = [*field.errors, str(e)]


def _local(dt):
    return site_now(dt).replace(tzinfo=None) if dt else None


def _to_event(_key: str = "") -> str:
    return url_for("events.detail", event_id=request.view_args["event_id"])


# --- lists and planning ------------------------------------------------------------------------

@bp.get("")
@allow()
def index():
    which = request.args.get("list", "upcoming")
    if which not in services.LISTS:
        which = "upcoming"
    return render_page("events/index.html", block="results", which=which, lists=services.LISTS,
                       items=services.listing(g.community.id, which), counts=services.list_counts(g.community.id),
                       tally=services.counts, when=services.when_label)


def _event_in(form) -> services.EventIn:
    return services.EventIn(
        title=form.title.data, kind=form.kind.data, starts_at=from_local(form.starts_at.data),
        ends_at=from_local(form.ends_at.data), place=form.place.data, capacity=form.capacity.data,
        age_group=form.age_group.data, building_ids=form.building_ids.data or [], description=form.description.data,
        resources=form.resources.data, budget=form.budget.data)


@bp.route("/new", methods=["GET", "POST"])
@allow(*PLANNERS)
def new():
    form = EventForm(buildings=_buildings())
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                ev = services.plan(g.community.id, current_user._get_current_object(), _event_in(form))
            except services.EventError as e:
                db.session.rollback()
                _show(form, e, "title")
            else:
                db.session.commit()
                flash("活动已创建（筹备中）。核对物资与预算后点“发布”。", "ok")
                return redirect(url_for("events.detail", event_id=ev.id), 303)
    return render_page("events/edit.html", block="content", status=status, form=form, ev=None)


@bp.route("/<id:event_id>/edit", methods=["GET", "POST"])
@allow(*PLANNERS)
@idempotency.on_repeat(_to_event)
def edit(event_id: int):
    ev = _event(event_id)
    if request.method == "GET":
        if ev.state not in (EventState.PLANNING, EventState.PUBLISHED):
            flash(f"活动{ev.state_label}，不能再修改。", "notice")
            return redirect(url_for("events.detail", event_id=ev.id), 303)
        form = EventForm(formdata=None, obj=ev, buildings=_buildings())
        form.starts_at.data, form.ends_at.data = _local(ev.starts_at), _local(ev.ends_at)
        form.building_ids.data = list(ev.building_ids or [])
        form.resources.data = services.lines_text(ev.resources, ("item", "owner", "due"))
        form.budget.data = services.lines_text(ev.budget, ("item", "amount"))
        return render_page("events/edit.html", block="content", form=form, ev=ev)
    form = EventForm(buildings=_buildings())
    status = 422
    if form.validate():
        try:
            changed = services.revise(ev, current_user._get_current_object(), _event_in(form))
        except services.EventError as e:
            db.session.rollback()
            ev = _event(event_id)
            status = e.status
            _show(form, e, "title")
        else:
            db.session.commit()
            flash("活动已修改。" + ("已发布的活动请重新打印海报。" if changed and ev.state == EventState.PUBLISHED else "")
                  if changed else "内容没有变化，未修改。", "ok" if changed else "notice")
            return redirect(url_for("events.detail", event_id=ev.id), 303)
    return render_page("events/edit.html", block="content", status=status, form=form, ev=ev)


# --- one event and its steps -------------------------------------------------------------------

def _detail(ev: CommunityEvent, status: int = 200, cancel_form=None, error: str | None = None):
    return render_page("events/detail.html", block="content", status=status, ev=ev, c=services.counts(ev),
                       when=services.when_label(ev), audience=services.audience_label(ev),
                       action=ActionForm(formdata=None), cancel_form=cancel_form or CancelForm(formdata=None),
                       budget_total=services.total(ev.budget), cost_total=services.total(ev.costs),
                       score=services.satisfaction_average(ev), error=error)


@bp.get("/<id:event_id>")
@allow()
def detail(event_id: int):
    return _detail(_event(event_id))


def _step(event_id: int, run, done: str):
    ev = _event(event_id)
    if not ActionForm().validate():
        return _detail(ev, 400, error="页面已过期，请刷新后重试。")
    try:
        run(ev, current_user._get_current_object())
    except services.EventError as e:
        db.session.rollback()
        return _detail(_event(event_id), e.status, error=str(e))
    db.session.commit()
    flash(done, "ok")
    return redirect(url_for("events.detail", event_id=ev.id), 303)


@bp.post("/<id:event_id>/publish")
@allow(*PLANNERS)
def publish(event_id: int):
    return _step(event_id, services.publish, "活动已发布：公告已上墙（前台终端首页、管家“今日”），可打印海报张贴。")


@bp.post("/<id:event_id>/start")
@allow(*SIGNERS)
def start(event_id: int):
    ev = _event(event_id)
    resp = _step(event_id, services.start, "活动已开始，可以签到。")
    return redirect(url_for("events.checkin", event_id=ev.id), 303) if resp.status_code == 303 else resp


@bp.post("/<id:event_id>/close")
@allow(*PLANNERS)
def close(event_id: int):
    return _step(event_id, services.close, "活动已结束。请填写活动总结。")


@bp.post("/<id:event_id>/resources/<int:index>")
@allow(*PLANNERS)
def tick(event_id: int, index: int):
    return _step(event_id, lambda ev, actor: services.tick_resource(ev, actor, index), "已更新物资清单。")


@bp.post("/<id:event_id>/cancel")
@allow(*PLANNERS)
def cancel(event_id: int):
    ev = _event(event_id)
    form = CancelForm()
    if not form.validate():
        return _detail(ev, 422, cancel_form=form)
    try:
        tell = services.cancel(ev, current_user._get_current_object(), form.reason.data)
    except services.EventError as e:
        db.session.rollback()
        if e.field == "reason":
            form.reason.errors = [str(e)]
            return _detail(_event(event_id), e.status, cancel_form=form)
        return _detail(_event(event_id), e.status, error=str(e))
    db.session.commit()
    flash(f"活动已取消，公告已撤回。请逐户通知已报名的{len(tell)}户，并在名单上点“已通知”。" if tell else
          "活动已取消，公告已撤回。", "ok")
    return redirect(url_for("events.detail", event_id=ev.id), 303)


@bp.post("/signups/<id:signup_id>/told")
@allow(*SIGNERS)
def told(signup_id: int):
    s = _signup(signup_id)
    if not ActionForm().validate():
        abort(400)
    try:
        services.mark_told(s, current_user._get_current_object())
    except services.EventError as e:
        db.session.rollback()
        return _detail(s.event, e.status, error=str(e))
    db.session.commit()
    return redirect(url_for("events.detail", event_id=s.event_id, _anchor="told"), 303)


# --- sign-up -----------------------------------------------------------------------------------

def _channel() -> str:
    if session.get("kiosk_id"):
        return "kiosk"
    return "steward" if current_user.has_role(Role.STEWARD) and not current_user.has_role(
        Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER) else "desk"


def _signed(_key: str) -> str | None:
    done = services.by_client_key(_key)
    return url_for("events.detail", event_id=done.event_id) if done is not None else None


def _intake(ev: CommunityEvent, cls, template: str, save, done_message):
    args = request.args if request.method == "GET" and set(request.args) - {"part"} else None
    form = cls(formdata=args) if args is not None else cls()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                s = save(form)
            except services.EventError as e:
                db.session.rollback()
                ev = _event(ev.id)
                _show(form, e, "unit_id")
                status = e.status
            else:
                db.session.commit()
                flash(done_message(s), "ok")
                return redirect(url_for("events.checkin" if s.channel == "walkin" else "events.detail",
                                        event_id=ev.id), 303)
    found = registry.unit_lookup(g.community.id, form.unit_id.data, form.unit_q.data)
    if found.unit is not None:
        form.unit_id.data = found.unit.id
    block = "lookup" if request.args.get("part") == "lookup" else "content"
    return render_page(template, block=block, status=status, form=form, ev=ev, c=services.counts(ev),
                       unit=found.unit, options=found.options, search_error=found.error,
                       when=services.when_label(ev))


@bp.route("/<id:event_id>/signup", methods=["GET", "POST"])
@allow(*SIGNERS)
@idempotency.on_repeat(_signed)
def signup(event_id: int):
    ev = _event(event_id)

    def save(f):
        return services.sign_up(ev, current_user._get_current_object(), unit_id=f.unit_id.data, name=f.name.data,
                                people=f.people.data, phone=f.phone.data, channel=_channel(),
                                client_key=idempotency.current_key())

    def said(s):
        return (f"{s.unit_label} {s.name} 已报名（{s.people}人）。" if s.state == SignupState.CONFIRMED else
                f"名额已满，{s.unit_label} {s.name} 已登记为候补，有人取消时按顺序递补。")
    return _intake(ev, SignupForm, "events/signup.html", save, said)


@bp.route("/<id:event_id>/walkin", methods=["GET", "POST"])
@allow(*SIGNERS)
@idempotency.on_repeat(_signed)
def walkin(event_id: int):
    ev = _event(event_id)

    def save(f):
        return services.walk_in(ev, current_user._get_current_object(), unit_id=f.unit_id.data, name=f.name.data,
                                people=f.people.data, phone=f.phone.data, client_key=idempotency.current_key())
    return _intake(ev, WalkinForm, "events/signup.html", save, lambda s: f"{s.unit_label} {s.name} 已现场加入并签到（{s.people}人）。")


@bp.post("/signups/<id:signup_id>/cancel")
@allow(*SIGNERS)
def cancel_signup(signup_id: int):
    s = _signup(signup_id)
    if not ActionForm().validate():
        abort(400)
    try:
        moved = services.cancel_signup(s, current_user._get_current_object())
    except services.EventError as e:
        db.session.rollback()
        return _detail(_signup(signup_id).event, e.status, error=str(e))
    db.session.commit()
    flash(f"已取消 {s.unit_label} 的报名。" + ("递补：" + "、".join(f"{m.unit_label} {m.name}" for m in moved)
                                          + "，请通知他们。" if moved else ""), "ok")
    return redirect(url_for("events.detail", event_id=s.event_id), 303)


# --- on the day ----------------------------------------------------------------------------------

def _checkin_page(ev: CommunityEvent, q: str | None, status: int = 200, error: str | None = None):
    found, search_error = services.find_signups(ev, q)
    return render_page("events/checkin.html", block="results", status=status, ev=ev, q=q or "", found=found,
                       search_error=search_error, error=error, c=services.counts(ev), action=ActionForm(formdata=None))


@bp.get("/<id:event_id>/checkin")
@allow(*SIGNERS)
def checkin(event_id: int):
    return _checkin_page(_event(event_id), request.args.get("q"))


@bp.post("/signups/<id:signup_id>/checkin")
@allow(*SIGNERS)
def check_in(signup_id: int):
    s = _signup(signup_id)
    q = (request.form.get("q") or "")[:40]
    if not ActionForm().validate():
        abort(400)
    try:
        services.check_in(s, current_user._get_current_object())
    except services.EventError as e:
        db.session.rollback()
        return _checkin_page(_signup(signup_id).event, q, e.status, error=str(e))
    db.session.commit()
    if is_htmx():
        return _checkin_page(s.event, q)
    flash(f"{s.unit_label} {s.name} 已签到（{s.people}人）。", "ok")
    return redirect(url_for("events.checkin", event_id=s.event_id, q=q or None), 303)


# --- look back -----------------------------------------------------------------------------------

@bp.route("/<id:event_id>/lookback", methods=["GET", "POST"])
@allow(*PLANNERS)
@idempotency.on_repeat(_to_event)
def lookback(event_id: int):
    ev = _event(event_id)
    if request.method == "GET":
        form = LookBackForm(formdata=None, obj=ev)
        form.satisfaction.data = ", ".join(str(s) for s in ev.satisfaction or [])
        form.costs.data = services.lines_text(ev.costs or ev.budget, ("item", "amount"))
        return render_page("events/lookback.html", block="content", form=form, ev=ev, c=services.counts(ev))
    form = LookBackForm()
    status = 422
    if form.validate():
        stored = []
        try:
            for f in [f for f in (form.photos.data or []) if getattr(f, "filename", "")]:
                stored.append(save_photo(f, folder=f"c{g.community.id}/events"))
            services.look_back(ev, current_user._get_current_object(), summary=form.summary.data,
                               satisfaction=form.satisfaction.data, costs=form.costs.data,
                               photos=[{"path": s.path, "thumb": s.thumb_path} for s in stored])
        except PhotoError as e:
            db.session.rollback()
            for s in stored:
                delete_photo(s)
            form.photos.errors = [str(e)]
        except services.EventError as e:
            db.session.rollback()
            for s in stored:
                delete_photo(s)
            ev = _event(event_id)
            _show(form, e, "summary")
            status = e.status
        else:
            db.session.commit()
            flash("活动总结已保存，可打印一页总结。", "ok")
            return redirect(url_for("events.detail", event_id=ev.id), 303)
    return render_page("events/lookback.html", block="content", status=status, form=form, ev=ev, c=services.counts(ev))


@bp.get("/<id:event_id>/photos/<int:index>")
@allow()
def photo(event_id: int, index: int):
    ev = _event(event_id)
    if not 0 <= index < len(ev.photos or []):
        abort(404)
    p = ev.photos[index]
    return photo_response(p["thumb"] if request.args.get("full") is None else p["path"])


# --- the public page ---------------------------------------------------------------------------------

def public_url(ev: CommunityEvent) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    path = url_for("events.public_page", event_code=ev.public_code)
    return f"{base}{path}" if base else url_for("events.public_page", event_code=ev.public_code, _external=True)


@bp.get("/p/<event_code>")
@public
def public_page(event_code: str):
    ev = services.by_code(event_code)
    if ev is None or ev.state == EventState.PLANNING:
        abort(404)
    return render_page("events/public.html", e=services.public_view(ev))


# --- PDFs ----------------------------------------------------------------------------------------------

def _pdf(body: bytes, name: str):
    resp = make_response(body)
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return resp


def _clipped(text: str, limit: int) -> list[str]:
    """Paragraphs of `text` up to `limit` characters in all (the full text stays on the pages)."""
    out, left = [], limit
    for p in (p.strip() for p in (text or "").split("\n")):
        if not p:
            continue
        if len(p) > left:
            out.append(p[:max(left, 0)] + "……（详见活动页面）")
            break
        out.append(p)
        left -= len(p)
    return out


def _one_page(template: str, e: dict, shorter, **kw) -> bytes:
    """One A4 page: rendered again with shorter texts when the first try runs over."""
    try:
        return render_pdf(template, page_size="A4", max_pages=1, e=e, **kw)
    except DocumentTooLong:
        return render_pdf(template, page_size="A4", e=shorter(e), **kw)


def poster_data(ev: CommunityEvent, community) -> dict:
    v = services.public_view(ev)
    return {**v, "community": community.name, "issuer": (community.stamp_name or community.name).strip(),
            "url": public_url(ev), "paragraphs": _clipped(ev.description, 300),
            "cancelled": ev.state == EventState.CANCELLED}


@bp.get("/<id:event_id>/poster.pdf")
@allow()
def poster_pdf(event_id: int):
    ev = _event(event_id)
    if ev.state == EventState.PLANNING:
        flash("活动发布后才能打印海报。", "notice")
        return redirect(url_for("events.detail", event_id=ev.id), 303)
    data = poster_data(ev, g.community)
    body = _one_page("events/poster_pdf.html", data, lambda e: {**e, "paragraphs": _clipped(ev.description, 80)},
                     watermark={"main": "已取消", "sub": "活动取消"} if data["cancelled"] else None)
    return _pdf(body, f"event-{ev.id}-poster.pdf")


def sheet_data(ev: CommunityEvent, community) -> dict:
    rows = [{"no": n, "unit": s.unit_label, "name": s.name, "people": s.people, "phone": mask_phone(s.phone),
             "state": s.state_label, "channel": s.channel_label, "in": s.checked_in_at is not None}
            for n, s in enumerate(sorted((s for s in ev.signups if s.state != SignupState.CANCELLED),
                                         key=lambda s: (s.state != SignupState.CONFIRMED, s.id)), 1)]
    return {"title": ev.title, "when": services.when_label(ev), "place": ev.place, "community": community.name,
            "rows": rows, **services.counts(ev)}


@bp.get("/<id:event_id>/signups.pdf")
@allow(*SIGNERS)
def signups_pdf(event_id: int):
    ev = _event(event_id)
    return _pdf(render_pdf("events/signups_pdf.html", page_size="A4", e=sheet_data(ev, g.community)),
                f"event-{ev.id}-signups.pdf")


def report_data(ev: CommunityEvent, community) -> dict:
    budget = {r["item"]: r["amount"] for r in ev.budget or []}
    spent = {r["item"]: r["amount"] for r in ev.costs or []}
    lines = [{"item": k, "budget": budget.get(k, ""), "cost": spent.get(k, "")} for k in dict.fromkeys([*budget, *spent])]
    photos = []
    for p in (ev.photos or [])[:4]:
        try:
            photos.append(open_photo(p["thumb"]).as_uri())
        except FileNotFoundError:
            continue
    c = services.counts(ev)
    return {"title": ev.title, "kind": ev.kind_label, "when": services.when_label(ev), "place": ev.place,
            "community": community.name, "state": ev.state_label, "audience": services.audience_label(ev),
            "capacity": ev.capacity, "confirmed": c["confirmed"], "attended": c["attended"],
            "homes": len([s for s in ev.signups if s.checked_in_at is not None]),
            "walkins": sum(s.people for s in ev.signups if s.channel == "walkin"),
            "rate": f"{c['attended'] * 100 // ev.capacity}%" if ev.capacity else "—",
            "summary": _clipped(ev.summary, 600),
            "scores": len(ev.satisfaction or []), "score": services.satisfaction_average(ev),
            "lines": lines, "budget_total": str(services.total(ev.budget)), "cost_total": str(services.total(ev.costs)),
            "photos": photos, "printed": site_now(utcnow()).strftime("%Y-%m-%d %H:%M")}


@bp.get("/<id:event_id>/report.pdf")
@allow()
def report_pdf(event_id: int):
    ev = _event(event_id)
    def shorter(e):
        return {**e, "summary": _clipped(ev.summary, 200), "lines": e["lines"][:6], "photos": e["photos"][:2]}
    return _pdf(_one_page("events/report_pdf.html", report_data(ev, g.community), shorter), f"event-{ev.id}-report.pdf")
