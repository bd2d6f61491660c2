"""Intake (with look-before-you-create), the ticket page and its steps, ticket photos."""
from flask import abort, flash, g, get_template_attribute, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import Department, User
from ..core import hooks, idempotency
from ..core import scope
from ..core.access import allow, get_or_404
from ..core.forms import Form
from ..core.models import Event
from ..core.roles import Role
from ..core.timefmt import from_local
from ..core.web import is_htmx, local_next, render_page
from ..extensions import db
from ..photos.services import PhotoError, delete_photo, photo_response, save_photo
from ..registry import services as registry
from ..registry.models import Unit
from . import forms, queue, services
from .blueprint import bp
from .models import Kind, Outage, Photo, Ticket

VIEWERS = (Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER, Role.TECHNICIAN, Role.FINANCE,
           Role.ADMIN)


# --- loading ---------------------------------------------------------------------------

def load_ticket(ticket_id: int) -> Ticket:
    t = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id).options(
        selectinload(Ticket.photos), selectinload(Ticket.callers), selectinload(Ticket.unit).selectinload(Unit.building)))
    if t is None or t.community_id != g.community.id or not services.can_view(current_user, t):
        abort(404)
    return t


def _save_photos(field) -> list:
    """Store the uploaded photos (checked, shrunk, EXIF stripped); PhotoError for a bad one."""
    files = [f for f in (field.data or []) if getattr(f, "filename", "")]
    stored = []
    try:
        for f in files:
            stored.append(save_photo(f, folder=f"c{g.community.id}/tickets"))
    except PhotoError:
        for s in stored:
            delete_photo(s)
        raise
    return stored


# --- intake ----------------------------------------------------------------------------

def _intake_form() -> forms.TicketForm:
    # A GET carries the form's fields when the no-JS 查找 button or an htmx look-up sent them.
    args = request.args if request.method == "GET" and set(request.args) - {"part", "channel"} else None
    form = forms.TicketForm(formdata=args) if args is not None else forms.TicketForm()
    form.category_id.choices = [(0, "请选择")] + [(c.id, c.name) for c in services.categories(g.community.id)]
    form.building_id.choices = [(0, "—")] + [(b.id, b.label) for b in g.community.buildings]
    if args is None and request.args.get("channel") in dict(form.channel.choices):
        form.channel.data = request.args["channel"]
    return form


def _intake_context(form: forms.TicketForm) -> dict:
    found = registry.unit_lookup(g.community.id, form.unit_id.data, form.unit_q.data)
    unit, options, search_error = found.unit, found.options, found.error
    building_id = unit.building_id if unit else (form.building_id.data or None)
    phone = form.reporter_phone.data if form.reporter_phone.data and not form.reporter_phone.errors else None
    return {
        "form": form, "unit": unit, "options": options, "search_error": search_error,
        "owner": services.owner_of(unit) if unit else None,
        "nearby": services.open_tickets_near(g.community.id, unit.id if unit else None, building_id, phone),
        "outages": services.outages_for(g.community.id, building_id) if building_id else [],
        "attach_form": forms.AttachForm(formdata=None), "Kind": Kind,
        # the kinds each conditional field is shown for (CSS classes k-<kind>; static/css/app.css)
        "kinds_of": {f: " ".join(f"k-{k}" for k in services.intake_kinds_of(f)) for f in ("urgency", "photos")},
    }


def _created(key: str) -> str | None:
    """A resubmitted intake form: show what the first one created (core.idempotency)."""
    done = services.find_by_client_key(key)
    return url_for("tickets.show", ticket_id=done.id) if done is not None else None


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)
@idempotency.on_repeat(_created)
def new():
    form = _intake_form()
    if request.method == "POST" and form.validate():
        try:
            stored = _save_photos(form.photos)
        except PhotoError as e:
            form.photos.errors = [str(e)]
        else:
            try:
                t = services.create_ticket(g.community.id, services.Intake(
                    kind=form.kind.data, channel=form.channel.data, category_id=form.category_id.data,
                    urgency=form.urgency.data, description=form.description.data,
                    unit_id=form.unit_id.data,
                    building_id=form.building_id.data or None, location=form.location.data,
                    reporter_name=form.reporter_name.data or None, reporter_phone=form.reporter_phone.data or None,
                    reply_due=from_local(form.reply_due.data), answer=form.answer.data,
                    client_key=idempotency.current_key()), current_user)
                if stored:
                    ev = db.session.scalar(select(services.Event).where(
                        services.Event.object_type == "ticket", services.Event.object_id == t.id,
                        services.Event.action == "ticket.created"))
                    services.attach_photos(t, ev, stored, current_user)
                db.session.commit()
            except services.TicketError as e:
                db.session.rollback()
                for s in stored:
                    delete_photo(s)
                form.location.errors = [str(e)]
            else:
                flash(services.step_message(services.creation_event(t), t), "ok")  # 当场答复 included
                return redirect(url_for("tickets.show", ticket_id=t.id), 303)
    status = 422 if request.method == "POST" else 200
    ctx = _intake_context(form)
    block = "lookup" if request.args.get("part") == "lookup" else None
    return render_page("tickets/new.html", block=block, status=status, **ctx)


@bp.post("/new/check/<name>")
@allow(Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)
def check_field(name: str):
    """Inline validation: re-render one field with its error as the clerk fills the form."""
    form = _intake_form()
    if name not in form._fields or name in ("csrf_token", "photos", "client_key"):
        abort(404)
    form.validate()
    field = form[name]
    return get_template_attribute("_macros.html", "field")(field)


def _attached_to(_key: str) -> str | None:
    """A repeated 关联来电: to the ticket the caller was attached to."""
    ticket_id = forms.AttachForm().ticket_id
    return url_for("tickets.show", ticket_id=ticket_id.data) if ticket_id.data and not ticket_id.errors else None


@bp.post("/new/attach")
@allow(Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)
@idempotency.on_repeat(_attached_to)
def attach():
    """Attach this caller to an open ticket (one more affected household) instead of a duplicate."""
    form = forms.AttachForm()
    if not form.validate_on_submit():
        abort(400)
    t = load_ticket(form.ticket_id.data)
    try:
        services.attach_caller(t, current_user, unit_id=form.unit_id.data, name=form.reporter_name.data or None,
                               phone=form.reporter_phone.data or None, channel=form.channel.data)
    except services.TicketError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("tickets.new"), 303)
    db.session.commit()
    flash(f"已将来电关联到工单 {t.serial}，受影响户数 {t.affected}。", "ok")
    return redirect(url_for("tickets.show", ticket_id=t.id), 303)


@bp.post("/outages/<id:outage_id>/call")
@allow(Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)
def outage_call(outage_id: int):
    """Link a call to a recorded outage (停水/停电) instead of opening a ticket."""
    outage = get_or_404(Outage, outage_id)
    form = forms.CallerForm()
    if not form.validate():  # back to the intake form, the errors next to its fields
        intake = _intake_form()
        for name, errors in form.errors.items():
            if name in intake._fields:
                intake[name].errors = list(errors)
        return render_page("tickets/new.html", status=422, **_intake_context(intake))
    services.link_to_outage(outage, current_user, unit_id=form.unit_id.data, name=form.reporter_name.data or None,
                            phone=form.reporter_phone.data or None, channel=form.channel.data)
    db.session.commit()
    flash(f"已记录来电并关联到{outage.what}通知（共 {len(outage.calls)} 个来电）。", "ok")
    return redirect(url_for("tickets.new"), 303)


# --- the ticket page and its steps -------------------------------------------------------

def _dispatch_form(t: Ticket, formdata=None) -> forms.DispatchForm:
    f = forms.DispatchForm(formdata=formdata, prefix="dispatch")
    f.department_id.choices = [(d.id, d.name) for d in db.session.scalars(select(Department).order_by(Department.id))]
    if formdata is None:
        f.department_id.data = t.department_id or (t.category.department_id if t.category else None)
    staff = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
    f.assignee_id.choices = [(0, "不指定（部门内抢单）")] + [
        (u.id, f"{u.name}（{u.department.name if u.department else ''}）") for u in staff
        if g.community.id in u.community_ids and u.has_role(Role.TECHNICIAN, Role.STEWARD, Role.SUPERVISOR)]
    return f


STEP_FORMS = {
    "dispatch": None, "accept": Form, "note": forms.NoteForm, "delay": forms.DelayForm,
    "pause": forms.PauseForm, "resume": Form, "escalate": forms.MemoForm, "resolve": forms.ResolveForm,
    "confirm": forms.ConfirmForm, "visit": forms.VisitForm, "answer": forms.AnswerForm,
    "promise": forms.PromiseForm, "contact": forms.ContactForm, "close": forms.CloseForm,
    "recheck": forms.RecheckForm,  # patrols: rectification recheck [D3]
}


def _run_step(step: str, t: Ticket, f):
    u = current_user._get_current_object()
    match step:
        case "dispatch":
            return services.dispatch(t, u, f.department_id.data, f.assignee_id.data or None, f.task.data)
        case "accept":
            return services.accept(t, u)
        case "note":
            return services.add_note(t, u, f.text.data, f.public.data)
        case "delay":
            return services.delay(t, u, f.text.data, from_local(f.expected_at.data), f.owner_told.data)
        case "pause":
            return services.pause(t, u, f.text.data, from_local(f.until.data))
        case "resume":
            return services.resume(t, u)
        case "escalate":
            return services.escalate(t, u, f.text.data)
        case "resolve":
            return services.resolve(t, u, f.text.data)
        case "confirm":
            return services.confirm_completion(t, u, f.text.data)
        case "visit":
            return services.return_visit(t, u, f.satisfaction.data, f.outcome.data, f.text.data)
        case "answer":
            return services.answer(t, u, f.text.data)
        case "promise":
            return services.promise_reply(t, u, from_local(f.reply_due.data))
        case "contact":
            return services.contact(t, u, f.method.data, f.text.data)
        case "close":
            return services.close(t, u, f.text.data)
        case "recheck":  # patrols [D3]
            return services.recheck(t, u, f.outcome.data, f.text.data,
                                    has_photo=any(getattr(x, "filename", "") for x in (f.photos.data or [])))
    abort(404)


def _step_forms(t: Ticket, failed: str | None = None, failed_form=None) -> dict:
    out = {}
    for name in services.available_steps(current_user, t):
        if name == failed:
            out[name] = failed_form
        elif name == "dispatch":
            out[name] = _dispatch_form(t)
        else:
            out[name] = STEP_FORMS[name](formdata=None, prefix=name)
    return out


def _ticket_page(t: Ticket, status: int = 200, failed: str | None = None, failed_form=None, error=None):
    events = services.timeline(t)
    # [D3] a rectification's patrol origin, from the patrols area (core.hooks.TICKET_ORIGIN)
    found = hooks.first(hooks.TICKET_ORIGIN, t.id, current_user) if t.kind == Kind.PATROL else None
    origin, origin_url = found if found is not None else (None, None)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({e.actor_id for e in events})))}
    photos_by_event = {}
    for p in t.photos:
        photos_by_event.setdefault(p.event_id, []).append(p)
    return render_page(
        "tickets/ticket.html", block="content", status=status, t=t, events=events, users=users,
        photos_by_event=photos_by_event, step_forms=_step_forms(t, failed, failed_form), error=error,
        confidential=services.sees_confidential(current_user, t), overdue=services.is_overdue(t),
        messages=services.message_texts(t) if services.owner_facing(t) else {}, labels=services.EVENT_LABELS,
        event_hidden=scope.ticket_event_hidden, origin=origin, origin_url=origin_url)


@bp.get("/<id:ticket_id>")
@allow(*VIEWERS)
def show(ticket_id: int):
    return _ticket_page(load_ticket(ticket_id))


@bp.post("/<id:ticket_id>/<step>")
@allow(*VIEWERS)
def step(ticket_id: int, step: str):
    """One step of the ticket's life; the service decides whether it is allowed now."""
    if step not in STEP_FORMS:
        abort(404)
    t = load_ticket(ticket_id)
    f = _dispatch_form(t, request.form) if step == "dispatch" else STEP_FORMS[step](prefix=step)
    in_queue = step == "dispatch" and is_htmx()  # one tap in the queue: answered with its row alone
    if not f.validate_on_submit():
        if in_queue:
            message = next((e for errs in f.errors.values() for e in errs), "请检查派单内容。")
            return queue.row_response(t, f"未派单：{message}", 422, error=True, here=local_next())
        return _ticket_page(t, 422, step, f)
    stored = []
    try:
        if "photos" in f:
            stored = _save_photos(f.photos)
        ev = _run_step(step, t, f)
        if stored:
            services.attach_photos(t, ev, stored, current_user)
        db.session.commit()
    except PhotoError as e:
        db.session.rollback()
        f.photos.errors = [str(e)]
        return _ticket_page(load_ticket(ticket_id), 422, step, f)
    except services.TicketError as e:
        db.session.rollback()
        for s in stored:
            delete_photo(s)
        if in_queue:
            return queue.row_response(load_ticket(ticket_id), f"未派单：{e}", 409, error=True, here=local_next())
        return _ticket_page(load_ticket(ticket_id), 409, error=str(e))
    message = services.step_message(ev, t)  # what happened, and what comes next
    if in_queue:
        return queue.row_response(t, message, here=local_next())
    flash(message, "ok")
    back = local_next()
    if back and step == "dispatch":  # from the queue without JavaScript: back to the same row
        back = f"{back.split('#', 1)[0]}#q{t.id}"
    return redirect(back or url_for("tickets.show", ticket_id=t.id), 303)


@bp.get("/photos/<id:photo_id>")
@bp.get("/photos/<id:photo_id>/thumb", endpoint="photo_thumb")
@allow(*VIEWERS)
def photo(photo_id: int):
    """Photos are served only to staff who may see their ticket."""
    p = get_or_404(Photo, photo_id)
    t = load_ticket(p.ticket_id)  # dispatched to him or his department, for a technician
    ev = db.session.get(Event, p.event_id) if p.event_id else None
    if ev is not None and scope.ticket_event_hidden(services.sees_confidential(current_user, t), ev.action, ev.data):
        abort(404)  # a complaint's own photos stay with those who see its content [T9]
    return photo_response(p.thumb_path if request.endpoint == "tickets.photo_thumb" else p.path)

