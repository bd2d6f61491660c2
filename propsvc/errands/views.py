"""Errand routes [F1]: the overview, and for parcels, mail and access cards a list with state
filters, an intake form, the item's page and its actions.

Who may use what (the front desk runs the errands; others help where their work touches):
- front desk, supervisor, manager: everything — register, tell the resident, hand over,
  return, forward, take a card fee, issue/cancel a card, cancel a request.
- steward: sees parcels, mail and cards and records that the resident was told (they are the
  ones who call or WeChat the owners), but does not hand items over.
- finance: sees the card requests (not parcels or mail: not their work) and records card
  fees against a receipt; the desk may record them too, because many offices take the
  20 元 at the desk against a finance receipt. Finance sees residents' phones masked.
- supervisor, manager: the card fees and the overdue mark (settings).

Each step on an item's page is a declaration run by core.steps: load the item of this community
→ validate the form → claim its one-time key (a repeat of the same form does nothing) → one
service call → one commit. Bad input: the message
next to its field with a 422; a step that is no longer possible (collected by someone else):
the page with who did it and when, 409."""
from functools import partial

from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user

from ..core import idempotency
from ..core.access import allow
from ..core.models import utcnow
from ..core.roles import Role
from ..core.steps import StepPage
from ..core.timefmt import from_local
from ..core.web import intake_block, intake_form, local_next, render_page
from ..extensions import db
from ..registry import services as registry
from . import forms, services
from .blueprint import bp
from .models import CardRequest, MailItem, Parcel

DESK = (Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER)
NOTIFIERS = (*DESK, Role.STEWARD)
VIEWERS = NOTIFIERS
CARD_VIEWERS = (*NOTIFIERS, Role.FINANCE)
FEE_TAKERS = (*DESK, Role.FINANCE)
SETTERS = (Role.SUPERVISOR, Role.MANAGER)

KINDS = {
    "parcel": {"model": Parcel, "show": "errands.parcel", "arg": "parcel_id", "template": "errands/parcel.html",
               "states": services.PARCEL_STATES, "noun": "快递"},
    "mail": {"model": MailItem, "show": "errands.mail_item", "arg": "mail_id", "template": "errands/mail_item.html",
             "states": services.MAIL_STATES, "noun": "信件"},
    "card": {"model": CardRequest, "show": "errands.card", "arg": "card_id", "template": "errands/card.html",
             "states": services.CARD_STATES, "noun": "门禁卡申请"},
}
ACTION_FORMS = {
    "notify": forms.NotifyForm, "collect": forms.CollectForm, "return": forms.NoteForm,
    "forward": forms.ForwardForm, "pay": forms.FeeForm, "complete": forms.CompleteForm, "cancel": forms.NoteForm,
}
KIND_ACTIONS = {"parcel": ("notify", "collect", "return"), "mail": ("notify", "forward", "return"),
                "card": ("notify", "pay", "complete", "cancel")}


def _common() -> dict:
    return {"methods": services.NOTICE_METHODS,
            "mail_kinds": services.MAIL_KINDS, "card_kinds": services.CARD_KINDS, "now": utcnow(),
            "yuan": services.yuan}


def _load(kind: str, item_id: int):
    item = services.get_item(KINDS[kind]["model"], g.community.id, item_id)
    if item is None:
        abort(404)
    return item


def _show_url(kind: str, item) -> str:
    return url_for(KINDS[kind]["show"], **{KINDS[kind]["arg"]: item.id})


# --- the overview ----------------------------------------------------------------------------

@bp.get("")
@allow(*CARD_VIEWERS)
def index():
    cid, now = g.community.id, utcnow()
    see_items = current_user.has_role(*VIEWERS)
    parcels = services.parcels(cid, "open", limit=services.OVERVIEW_LIMIT) if see_items else []
    mail = services.mail_items(cid, "open", limit=services.OVERVIEW_LIMIT) if see_items else []
    cards = services.cards(cid, "open", limit=services.OVERVIEW_LIMIT)
    return render_page(
        "errands/index.html", block="content", counts=services.counts(cid, now), parcels=parcels, mail=mail,
        cards=cards, overdue_days=services.overdue_days(cid), is_overdue=services.is_overdue,
        days_held=services.days_held, parcel_states=services.PARCEL_STATES, mail_states=services.MAIL_STATES,
        card_states=services.CARD_STATES, needs_fee=services.needs_fee,
        last={"parcel": services.last_notices("parcel", [p.id for p in parcels]),
              "mail": services.last_notices("mail", [m.id for m in mail])}, **_common())


# --- lists -----------------------------------------------------------------------------------

def _list(kind: str, template: str, filters: dict, fetch):
    which = request.args.get("state", "open")
    if which not in filters:
        which = "open"
    q = (request.args.get("q") or "").strip()
    error, status = None, 200
    try:
        items = fetch(g.community.id, which, q)
    except services.ErrandError as e:
        items, error, status = [], str(e), 400
    cid = g.community.id
    return render_page(
        template, block="results", status=status, items=items, which=which, filters=filters, q=q, error=error,
        limit=services.LIST_LIMIT, states=KINDS[kind]["states"], overdue_days=services.overdue_days(cid),
        is_overdue=services.is_overdue, days_held=services.days_held, needs_fee=services.needs_fee,
        last=services.last_notices(kind, [i.id for i in items]) if kind != "card" else {}, **_common())


@bp.get("/parcels")
@allow(*VIEWERS)
def parcels():
    return _list("parcel", "errands/parcels.html", services.PARCEL_FILTERS, services.parcels)


@bp.get("/mail")
@allow(*VIEWERS)
def mail():
    return _list("mail", "errands/mail.html", services.MAIL_FILTERS, services.mail_items)


@bp.get("/cards")
@allow(*CARD_VIEWERS)
def cards():
    return _list("card", "errands/cards.html", services.CARD_FILTERS, services.cards)


# --- intake ----------------------------------------------------------------------------------

def _intake_context(form, kind: str) -> dict:
    cid = g.community.id
    found = registry.unit_lookup(g.community.id, form.unit_id.data, form.unit_q.data)
    unit, options, search_error = found.unit, found.options, found.error
    if unit is not None:
        form.unit_id.data = unit.id
    people = services.occupants(unit)
    if kind in ("parcel", "mail") and request.method == "GET" and form.person_id.data is None:
        form.person_id.data = services.default_recipient(people)  # the owner, until another is picked
    ctx = {"form": form, "unit": unit, "options": options, "search_error": search_error, "people": people,
           "kind": kind, **_common()}
    if kind == "card":
        ctx["fees"] = {k: services.card_fee(cid, k) for k in services.CARD_KINDS}
        ctx["current_cards"] = {o.person_id: services.current_card_no(o.person_id) for o in people}
    return ctx


def _intake_repeat(kind: str):
    """A double tap or a resend of an intake form: to the item the first one registered."""
    def answer(key: str) -> str | None:
        done = services.find_by_key(KINDS[kind]["model"], key)
        if done is None:
            return None
        flash("此次登记已保存，未重复登记。", "notice")
        return _show_url(kind, done)
    return answer


def _step_repeat(kind: str):
    """A repeat of a done step on an item's page: back to where it was sent from, or the item."""
    def answer(_key: str) -> str:
        flash("已处理，未重复登记。", "notice")
        item_id = next(iter(request.view_args.values()))
        return local_next() or url_for(KINDS[kind]["show"], **{KINDS[kind]["arg"]: item_id})
    return answer


def _intake(kind: str, cls, template: str, save, done_message):
    form = intake_form(cls)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                item = save(form)
                db.session.commit()
            except services.ErrandError as e:
                db.session.rollback()
                field = getattr(form, e.field or "unit_id", None) or form.unit_id
                field.errors = [str(e)]
                status = e.status
            else:
                flash(done_message(item), "ok")
                return redirect(_show_url(kind, item), 303)
    return render_page(template, block=intake_block(), status=status, **_intake_context(form, kind))


@bp.route("/parcels/new", methods=["GET", "POST"])
@allow(*DESK)
@idempotency.on_repeat(_intake_repeat("parcel"))
def parcel_new():
    def save(f):
        return services.receive_parcel(g.community.id, services.ParcelIn(
            unit_id=f.unit_id.data, person_id=f.person_id.data, recipient_name=f.recipient_name.data,
            recipient_phone=f.recipient_phone.data, courier=f.courier.data, tracking_no=f.tracking_no.data,
            shelf=f.shelf.data, arrived_at=from_local(f.arrived_at.data), note=f.note.data,
            client_key=idempotency.current_key()), current_user)
    return _intake("parcel", forms.ParcelForm, "errands/parcel_new.html", save,
                   lambda p: f"已登记 {p.unit.label} {p.recipient_name} 的{p.courier}快递，放在 {p.shelf}。请通知业主取件。")


@bp.route("/mail/new", methods=["GET", "POST"])
@allow(*DESK)
@idempotency.on_repeat(_intake_repeat("mail"))
def mail_new():
    def save(f):
        return services.receive_mail(g.community.id, services.MailIn(
            unit_id=f.unit_id.data, person_id=f.person_id.data, recipient_name=f.recipient_name.data,
            recipient_phone=f.recipient_phone.data, kind=f.kind.data, sender=f.sender.data,
            tracking_no=f.tracking_no.data, received_at=from_local(f.received_at.data), note=f.note.data,
            client_key=idempotency.current_key()), current_user)
    return _intake("mail", forms.MailForm, "errands/mail_new.html", save,
                   lambda m: f"已登记 {m.unit.label} {m.recipient_name} 的{services.MAIL_KINDS[m.kind]}。请通知业主。")


@bp.route("/cards/new", methods=["GET", "POST"])
@allow(*DESK)
@idempotency.on_repeat(_intake_repeat("card"))
def card_new():
    def save(f):
        return services.request_card(g.community.id, services.CardIn(
            unit_id=f.unit_id.data, person_id=f.person_id.data, kind=f.kind.data,
            card_no=f.card_no.data, note=f.note.data, client_key=idempotency.current_key()), current_user)

    def message(c):
        head = f"已登记 {c.person_name} 的门禁卡{services.CARD_KINDS[c.kind]}申请。"
        return head + (f"请先缴费 {services.yuan(c.fee)} 元。" if services.needs_fee(c) else "无需缴费，可直接办结。")
    return _intake("card", forms.CardForm, "errands/card_new.html", save, message)


# --- an item's page and its actions ----------------------------------------------------------

def _page(kind: str, item, status: int = 200, error: str | None = None, failed: str | None = None,
          failed_form=None):
    action_forms = STEPS[kind].forms_for(failed, failed_form, KIND_ACTIONS[kind])
    if kind == "card" and failed != "complete" and item.card_no:
        action_forms["complete"].card_no.data = item.card_no
    notices = services.notices_of(item)
    names = services.user_names({n.by_id for n in notices} | {getattr(item, a, None) for a in (
        "received_by_id", "closed_by_id", "created_by_id", "paid_by_id")})
    cid = g.community.id
    return render_page(
        KINDS[kind]["template"], block="content", status=status, item=item, kind=kind, error=error, failed=failed,
        forms=action_forms, notices=notices, names=names, states=KINDS[kind]["states"],
        overdue=kind == "parcel" and services.is_overdue(item, services.overdue_days(cid)),
        days_held=services.days_held, needs_fee=services.needs_fee, **_common())


def _steps(kind: str) -> StepPage:
    """An item page's steps (core.steps): back to the list the step was sent from, else the item;
    a refusal naming a field is shown next to it; a repeat goes back without doing it again."""
    return StepPage(load=lambda item_id, lock=False: _load(kind, item_id), forms=ACTION_FORMS,
                    page=partial(_page, kind), show_url=partial(_show_url, kind), refusal=services.ErrandError,
                    lock=False, back_to_next=True, errors_on_fields=True, on_repeat=_step_repeat(kind))


STEPS = {kind: _steps(kind) for kind in KINDS}
NOTIFIED = "已记录通知，等待本人来领取。"


def _notify(kind: str, item, f) -> str:
    services.notify(item, current_user, f.method.data, f.note.data, key=idempotency.current_key())
    then = "来办理" if kind == "card" else "来领取"
    return f"已记录{services.NOTICE_METHODS[f.method.data]}通知 {item_label(kind, item)}，等待本人{then}。"


def item_label(kind: str, item) -> str:
    return getattr(item, "recipient_name", None) or getattr(item, "person_name", "")


@bp.get("/parcels/<id:parcel_id>")
@allow(*VIEWERS)
def parcel(parcel_id: int):
    return _page("parcel", _load("parcel", parcel_id))


@bp.post("/parcels/<id:parcel_id>/notify")
@allow(*NOTIFIERS)
@STEPS["parcel"].step("notify", done=NOTIFIED)
def parcel_notify(p, f):
    return _notify("parcel", p, f)


@bp.post("/parcels/<id:parcel_id>/collect")
@allow(*DESK)
@STEPS["parcel"].step("collect", done="已登记领取。")
def parcel_collect(p, f):
    services.collect_parcel(p, current_user, f.collector_name.data if f.who.data == "proxy" else (
        f.collector_name.data or p.recipient_name), f.who.data == "self", f.note.data)
    return f"{p.recipient_name} 的快递已由 {p.collector_name}{'' if p.collector_is_recipient else '（代领）'}领取。"


@bp.post("/parcels/<id:parcel_id>/return")
@allow(*DESK)
@STEPS["parcel"].step("return", done="已登记退回快递公司，此件已办结。")
def parcel_return(p, f):
    services.return_parcel(p, current_user, f.note.data)


@bp.get("/mail/<id:mail_id>")
@allow(*VIEWERS)
def mail_item(mail_id: int):
    return _page("mail", _load("mail", mail_id))


@bp.post("/mail/<id:mail_id>/notify")
@allow(*NOTIFIERS)
@STEPS["mail"].step("notify", done=NOTIFIED)
def mail_notify(m, f):
    return _notify("mail", m, f)


@bp.post("/mail/<id:mail_id>/forward")
@allow(*DESK)
@STEPS["mail"].step("forward", done="已转交，此信件已办结。")
def mail_forward(m, f):
    services.forward_mail(m, current_user, f.to_name.data, f.note.data)
    return f"已转交 {m.handed_to}，此信件已办结。"


@bp.post("/mail/<id:mail_id>/return")
@allow(*DESK)
@STEPS["mail"].step("return", done="已登记退回，此信件已办结。")
def mail_return(m, f):
    services.return_mail(m, current_user, f.note.data)


@bp.get("/cards/<id:card_id>")
@allow(*CARD_VIEWERS)
def card(card_id: int):
    return _page("card", _load("card", card_id))


@bp.post("/cards/<id:card_id>/notify")
@allow(*NOTIFIERS)
@STEPS["card"].step("notify", done=NOTIFIED)
def card_notify(c, f):
    return _notify("card", c, f)


@bp.post("/cards/<id:card_id>/pay")
@allow(*FEE_TAKERS)
@STEPS["card"].step("pay", done="已收费，可以办卡。")
def card_pay(c, f):
    services.pay_card(c, current_user, f.receipt_no.data)
    return f"已收费 {services.yuan(c.fee)} 元（收据号 {c.receipt_no}），可办卡。"


@bp.post("/cards/<id:card_id>/complete")
@allow(*DESK)
@STEPS["card"].step("complete", done="门禁卡申请已办结。")
def card_complete(c, f):
    services.complete_card(c, current_user, f.card_no.data, f.note.data)
    verb = "已注销" if c.kind == "cancel" else "已发卡"
    return f"{verb}：{c.person_name}，卡号 {c.card_no}。"


@bp.post("/cards/<id:card_id>/cancel")
@allow(*DESK)
@STEPS["card"].step("cancel", done="已取消申请。")
def card_cancel(c, f):
    services.cancel_card(c, current_user, f.note.data)
    return "已取消申请。" + ("已缴费用请到财务办理退款。" if c.paid_at else "")


# --- settings --------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@allow(*SETTERS)
def settings():
    cid = g.community.id
    s = services.settings_for(cid)
    form = forms.SettingsForm(obj=s if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            services.save_settings(cid, current_user, fee_issue=form.card_fee_issue.data,
                                   fee_replace=form.card_fee_replace.data,
                                   overdue_days=form.parcel_overdue_days.data)
            db.session.commit()
            flash("已保存代办设置。", "ok")
            return redirect(url_for("errands.settings"), 303)
        status = 422
    return render_page("errands/settings.html", block="content", status=status, form=form)


