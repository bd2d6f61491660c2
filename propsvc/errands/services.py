"""Front-desk errands [F1]: the rules, independent of the web.

    receive_parcel(community_id, ParcelIn, actor, now=None) -> Parcel
    collect_parcel(parcel, actor, name, is_recipient, note, now=None)        (race-safe, 409 twice)
    return_parcel(parcel, actor, note, now=None)
    receive_mail(community_id, MailIn, actor, now=None) -> MailItem
    forward_mail(mail, actor, to_name, note, now=None);  return_mail(mail, actor, note, now=None)
    request_card(community_id, CardIn, actor, now=None) -> CardRequest
    pay_card(card, actor, receipt_no, now=None);  complete_card(card, actor, card_no, note, now=None)
    cancel_card(card, actor, note, now=None)
    notify(item, actor, method, note, key=None, now=None) -> ErrandNotice   (any kind; several allowed)

Every state change is a conditional UPDATE (`... WHERE state IN (<allowed>)`): of two staff
tapping 已领取 at once exactly one wins; the other gets an ErrandError(409) naming who did it,
and when. Every change and every notification is an Event (propsvc.core.services.record)."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from ..auth.models import User
from ..core import limits
from ..core.forms import parse_id
from ..core.models import utcnow
from ..core.normalize import QueryTooLong, clean_query, half_width
from ..core.services import record
from ..core.timefmt import localtime
from ..extensions import db
from ..registry import services as registry
from ..registry.models import Building, Occupancy, OccupantRole, Person, Unit
from .models import (CardRequest, CardState, ErrandNotice, ErrandSettings, MailItem, MailState, Parcel,
                     ParcelState)

# --- names shown to people -------------------------------------------------------------------

PARCEL_STATES = {ParcelState.HELD: "待领取", ParcelState.NOTIFIED: "已通知",
                 ParcelState.COLLECTED: "已领取", ParcelState.RETURNED: "已退回"}
MAIL_STATES = {MailState.PENDING: "待转递", MailState.NOTIFIED: "已通知",
               MailState.FORWARDED: "已转交", MailState.RETURNED: "已退回"}
CARD_STATES = {CardState.APPLIED: "已申请", CardState.PAID: "已缴费",
               CardState.DONE: "已办结", CardState.CANCELLED: "已取消"}

COURIERS = ("顺丰", "京东", "中通", "圆通", "韵达", "申通", "极兔", "邮政EMS", "德邦", "菜鸟", "其他")
MAIL_KINDS = {"letter": "平信", "registered": "挂号信", "periodical": "报刊", "other": "其他"}
CARD_KINDS = {"issue": "新办", "replace": "补办", "cancel": "注销"}
NOTICE_METHODS = {"phone": "电话", "sms": "短信", "wechat": "微信", "in_person": "当面"}

# Defaults when a community has not set its own (ErrandSettings).
DEFAULT_CARD_FEES = {"issue": Decimal("20"), "replace": Decimal("30"), "cancel": Decimal("0")}
DEFAULT_OVERDUE_DAYS = 7

PARCEL_OPEN = (ParcelState.HELD, ParcelState.NOTIFIED)
MAIL_OPEN = (MailState.PENDING, MailState.NOTIFIED)
CARD_OPEN = (CardState.APPLIED, CardState.PAID)

# State filters of the lists: key -> (label, states or None for all).
PARCEL_FILTERS = {"open": ("未领取", PARCEL_OPEN), "overdue": ("超期", PARCEL_OPEN),
                  "held": ("待领取", (ParcelState.HELD,)), "notified": ("已通知", (ParcelState.NOTIFIED,)),
                  "collected": ("已领取", (ParcelState.COLLECTED,)), "returned": ("已退回", (ParcelState.RETURNED,)),
                  "all": ("全部", None)}
MAIL_FILTERS = {"open": ("未转交", MAIL_OPEN), "pending": ("待转递", (MailState.PENDING,)),
                "notified": ("已通知", (MailState.NOTIFIED,)), "forwarded": ("已转交", (MailState.FORWARDED,)),
                "returned": ("已退回", (MailState.RETURNED,)), "all": ("全部", None)}
CARD_FILTERS = {"open": ("未办结", CARD_OPEN), "applied": ("待缴费", (CardState.APPLIED,)),
                "paid": ("已缴费", (CardState.PAID,)), "done": ("已办结", (CardState.DONE,)),
                "cancelled": ("已取消", (CardState.CANCELLED,)), "all": ("全部", None)}

LIST_LIMIT = 200
OVERVIEW_LIMIT = 15


class ErrandError(ValueError):
    """A refusal with a Chinese message, the form field it belongs to and an HTTP status."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


def yuan(amount) -> str:
    """Decimal('20.00') → '20'; Decimal('12.50') → '12.5'."""
    text = f"{Decimal(amount or 0):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _name_of(user_id: int | None) -> str:
    return user_names({user_id}).get(user_id, "他人") if user_id else "他人"


# --- settings --------------------------------------------------------------------------------

def settings_for(community_id: int) -> ErrandSettings:
    s = db.session.get(ErrandSettings, community_id)
    if s is None:  # not saved: the defaults, unsaved
        s = ErrandSettings(community_id=community_id, card_fee_issue=DEFAULT_CARD_FEES["issue"],
                           card_fee_replace=DEFAULT_CARD_FEES["replace"], parcel_overdue_days=DEFAULT_OVERDUE_DAYS)
    return s


def save_settings(community_id: int, actor, *, fee_issue: Decimal, fee_replace: Decimal, overdue_days: int) -> None:
    s = db.session.get(ErrandSettings, community_id)
    if s is None:
        s = ErrandSettings(community_id=community_id)
        db.session.add(s)
    s.card_fee_issue, s.card_fee_replace, s.parcel_overdue_days = fee_issue, fee_replace, overdue_days
    db.session.flush()
    record("errands.settings", None, actor=actor, community_id=community_id, card_fee_issue=str(fee_issue),
           card_fee_replace=str(fee_replace), parcel_overdue_days=overdue_days)


def card_fee(community_id: int, kind: str) -> Decimal:
    s = settings_for(community_id)
    return {"issue": s.card_fee_issue, "replace": s.card_fee_replace}.get(kind, Decimal("0"))


def overdue_days(community_id: int) -> int:
    return settings_for(community_id).parcel_overdue_days or DEFAULT_OVERDUE_DAYS


def is_overdue(parcel: Parcel, days: int, now: datetime | None = None) -> bool:
    return parcel.state in PARCEL_OPEN and parcel.arrived_at < (now or utcnow()) - timedelta(days=days)


def days_held(parcel: Parcel, now: datetime | None = None) -> int:
    end = parcel.closed_at or now or utcnow()
    return max(0, (end - parcel.arrived_at).days)


# --- units and their people ------------------------------------------------------------------

def unit_of_community(community_id: int, unit_id) -> Unit | None:
    unit_id = parse_id(unit_id)
    if unit_id is None:
        return None
    return db.session.scalar(select(Unit).join(Unit.building).where(
        Unit.id == unit_id, Building.community_id == community_id).options(
        joinedload(Unit.building), selectinload(Unit.occupancies).selectinload(Occupancy.person)))


def occupants(unit: Unit | None) -> list[Person]:
    """The unit's current people, owners first, each once."""
    if unit is None:
        return []
    order = {"owner": 0, "tenant": 1, "member": 2}
    seen, out = set(), []
    for o in sorted(unit.current_occupancies(), key=lambda o: (order.get(o.role, 9), o.id)):
        if o.person_id not in seen:
            seen.add(o.person_id)
            out.append(o)
    return out


def _occupant(unit: Unit, person_id) -> Person | None:
    for o in occupants(unit):
        if str(o.person_id) == str(person_id):
            return o.person
    return None


def default_recipient(people: list) -> int | None:
    """The person a parcel or a letter for the unit is for unless the desk picks another: its
    (first) owner; None when it has no owner on record."""
    return next((o.person_id for o in people if o.role == OccupantRole.OWNER), None)


def _recipient(unit: Unit, person_id, name: str | None, phone: str | None) -> tuple[int | None, str, str | None]:
    """The recipient from the chosen occupant, the typed name/phone overriding. Nobody chosen
    and no name: the message stands under the unit's people to choose from, or under the name
    when the unit has nobody on record."""
    person = _occupant(unit, person_id) if person_id else None
    if person_id and person is None:
        raise ErrandError("所选住户不属于该房屋，请重新选择。", field="person_id")
    name = (name or "").strip() or (person.name if person else "")
    phone = (phone or "").strip() or (person.phone if person else None) or None
    if not name:
        raise ErrandError("请选择收件住户或填写收件人姓名。",
                          field="person_id" if occupants(unit) else "recipient_name")
    return (person.id if person else None), name, phone


def normalize_tracking(value: str | None) -> str:
    """Stored and searched without case, width, spaces or dashes (core.normalize)."""
    return re.sub(r"[\s\-]", "", half_width(value or "")).upper()


# --- notifications ---------------------------------------------------------------------------

ITEM_TYPES = {Parcel: "parcel", MailItem: "mail", CardRequest: "card"}


def item_type(item) -> str:
    return ITEM_TYPES[type(item)]


def notices_of(item) -> list[ErrandNotice]:
    return list(db.session.scalars(select(ErrandNotice).where(
        ErrandNotice.item_type == item_type(item), ErrandNotice.item_id == item.id).order_by(ErrandNotice.id)))


def last_notices(kind: str, ids) -> dict[int, ErrandNotice]:
    """The latest notification of each item (for lists)."""
    ids = list({i for i in ids})
    if not ids:
        return {}
    latest = select(func.max(ErrandNotice.id)).where(
        ErrandNotice.item_type == kind, ErrandNotice.item_id.in_(ids)).group_by(ErrandNotice.item_id)
    return {n.item_id: n for n in db.session.scalars(select(ErrandNotice).where(ErrandNotice.id.in_(latest)))}


def notify(item, actor, method: str, note: str | None = None, key: str | None = None,
           now: datetime | None = None) -> ErrandNotice:
    """Record that the resident was told (how, by whom, when). A held parcel or pending letter
    becomes 已通知; a closed one needs no telling (409)."""
    now = now or utcnow()
    if method not in NOTICE_METHODS:
        raise ErrandError("请选择通知方式。", field="method")
    kind = item_type(item)
    if kind == "parcel":
        if item.state not in PARCEL_OPEN:
            raise ErrandError(_parcel_closed(item), status=409)
        _advance(Parcel, item, (ParcelState.HELD,), ParcelState.NOTIFIED)
    elif kind == "mail":
        if item.state not in MAIL_OPEN:
            raise ErrandError(_mail_closed(item), status=409)
        _advance(MailItem, item, (MailState.PENDING,), MailState.NOTIFIED)
    elif item.state == CardState.CANCELLED:
        raise ErrandError("该申请已取消，无需通知。", status=409)
    n = ErrandNotice(community_id=item.community_id, item_type=kind, item_id=item.id, method=method,
                     note=(note or "").strip() or None, by_id=getattr(actor, "id", None), at=now,
                     client_key=key or None)
    db.session.add(n)
    db.session.flush()
    record(f"{kind}.notified", item, actor=actor, community_id=item.community_id, method=method,
           note=n.note, notice_id=n.id)
    return n


def _advance(model, item, from_states, to_state, **values) -> bool:
    """Move the item on only if it is still in one of `from_states`; True if this call did it."""
    won = db.session.execute(
        update(model).where(model.id == item.id, model.state.in_([str(s) for s in from_states]))
        .values(state=str(to_state), **values).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(item)
    return won == 1


# --- parcels ---------------------------------------------------------------------------------

@dataclass
class ParcelIn:
    unit_id: int
    courier: str
    shelf: str
    person_id: int | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None
    tracking_no: str | None = None
    arrived_at: datetime | None = None
    note: str | None = None
    client_key: str | None = None


def find_by_key(model, key: str | None):
    if not key:
        return None
    return db.session.scalar(select(model).where(model.client_key == key))


def _check_time(at: datetime | None, now: datetime, field: str, what: str) -> datetime:
    if at is None:
        return now
    if at > now + limits.NOW_SLACK:
        raise ErrandError(f"{what}不能晚于现在。", field=field)
    if at < now - limits.ARRIVAL_BACK:
        raise ErrandError(f"{what}不能早于{limits.ARRIVAL_BACK.days}天前。", field=field)
    return at


def receive_parcel(community_id: int, p: ParcelIn, actor, now: datetime | None = None) -> Parcel:
    """[F1] A parcel arrives at the desk for a unit's resident and goes on a shelf."""
    now = now or utcnow()
    unit = unit_of_community(community_id, p.unit_id)
    if unit is None:
        raise ErrandError("请选择本小区的房屋。", field="unit_id")
    person_id, name, phone = _recipient(unit, p.person_id, p.recipient_name, p.recipient_phone)
    if p.courier not in COURIERS:
        raise ErrandError("请选择快递公司。", field="courier")
    shelf = (p.shelf or "").strip().upper()
    if not shelf:
        raise ErrandError("请填写货架/格口号。", field="shelf")
    parcel = Parcel(
        community_id=community_id, unit_id=unit.id, person_id=person_id, recipient_name=name,
        recipient_phone=phone, courier=p.courier, tracking_no=normalize_tracking(p.tracking_no) or None,
        shelf=shelf, note=(p.note or "").strip() or None,
        arrived_at=_check_time(p.arrived_at, now, "arrived_at", "到件时间"),
        received_by_id=getattr(actor, "id", None), state=ParcelState.HELD, client_key=p.client_key or None)
    db.session.add(parcel)
    db.session.flush()
    record("parcel.received", parcel, actor=actor, community_id=community_id, unit=unit.label,
           courier=parcel.courier, shelf=parcel.shelf)
    return parcel


def _parcel_closed(parcel: Parcel) -> str:
    when = localtime(parcel.closed_at, "%m-%d %H:%M")
    if parcel.state == ParcelState.COLLECTED:
        who = parcel.collector_name or ""
        how = "本人" if parcel.collector_is_recipient else "代领"
        return f"该快递已于 {when} 由 {who}（{how}）领取，经手 {_name_of(parcel.closed_by_id)}。"
    return f"该快递已于 {when} 由 {_name_of(parcel.closed_by_id)} 退回快递公司。"


def collect_parcel(parcel: Parcel, actor, name: str, is_recipient: bool, note: str | None = None,
                   now: datetime | None = None) -> None:
    """[F1] Hand the parcel over: to the recipient or someone on their behalf. Once only."""
    now = now or utcnow()
    name = (name or "").strip() or (parcel.recipient_name if is_recipient else "")
    if not name:
        raise ErrandError("请填写代领人姓名。", field="collector_name")
    won = _advance(Parcel, parcel, PARCEL_OPEN, ParcelState.COLLECTED, collector_name=name,
                   collector_is_recipient=bool(is_recipient), closed_at=now,
                   closed_by_id=getattr(actor, "id", None), close_note=(note or "").strip() or None)
    if not won:
        raise ErrandError(_parcel_closed(parcel), status=409)
    record("parcel.collected", parcel, actor=actor, community_id=parcel.community_id,
           collector=name, by_recipient=bool(is_recipient))


def return_parcel(parcel: Parcel, actor, note: str | None = None, now: datetime | None = None) -> None:
    """[F1] The parcel goes back to the courier (refused, or held too long)."""
    now = now or utcnow()
    won = _advance(Parcel, parcel, PARCEL_OPEN, ParcelState.RETURNED, closed_at=now,
                   closed_by_id=getattr(actor, "id", None), close_note=(note or "").strip() or None)
    if not won:
        raise ErrandError(_parcel_closed(parcel), status=409)
    record("parcel.returned", parcel, actor=actor, community_id=parcel.community_id, note=parcel.close_note)


def get_item(model, community_id: int, item_id: int):
    return db.session.scalar(select(model).where(model.id == item_id, model.community_id == community_id)
                             .options(joinedload(model.unit).joinedload(Unit.building)))


def _search(stmt, model, community_id: int, q: str | None, *, tracking: bool = True):
    """Narrow a list to what the clerk typed: a unit (3-2-1201), a name, a phone's last 4 digits
    or a tracking number (or its last digits)."""
    q = _clean(q)
    if not q:
        return stmt
    compact = normalize_tracking(q)
    if re.fullmatch(r"\d{4}", q):
        conds = [model.recipient_phone.like(f"%{q}"), Unit.number == q]
        if tracking:
            conds.append(model.tracking_no.like(f"%{q}"))
        return stmt.where(or_(*conds))
    if re.fullmatch(r"\d{5,}", q):
        conds = [model.recipient_phone == q]
        if tracking:
            conds.append(model.tracking_no.contains(q, autoescape=True))
        return stmt.where(or_(*conds))
    try:
        uq, error = registry.parse_query(q), None
    except registry.SearchError as e:
        uq, error = None, e
    if tracking and re.fullmatch(r"[A-Za-z0-9 ]{5,40}", q) and re.search(r"\d", q):
        conds = [model.tracking_no.contains(compact, autoescape=True), Unit.number == q.upper()]
        if uq is not None and uq.is_code:  # 3 2 1201: a unit typed with spaces
            conds.append(and_(*registry.unit_conditions(uq)))
        return stmt.where(or_(*conds))
    if error is not None:
        raise ErrandError(str(error), field="q") from None
    if uq is not None and uq.is_code:
        return stmt.where(*registry.unit_conditions(uq))
    return stmt.where(model.recipient_name.contains(q, autoescape=True))


def _clean(q: str | None) -> str:
    """The list's search box through the one normaliser (core.normalize): "" = no filter."""
    try:
        return clean_query(q)
    except QueryTooLong as e:
        raise ErrandError(str(e), field="q") from None


def _listing(model, community_id: int):
    return (select(model).join(model.unit).join(Unit.building).where(model.community_id == community_id)
            .options(joinedload(model.unit).joinedload(Unit.building)))


def parcels(community_id: int, which: str = "open", q: str | None = None, now: datetime | None = None,
            limit: int = LIST_LIMIT) -> list[Parcel]:
    """Parcels in a state filter, open ones oldest first (the longest-held on top)."""
    _label, states = PARCEL_FILTERS.get(which, PARCEL_FILTERS["open"])
    stmt = _search(_listing(Parcel, community_id), Parcel, community_id, q)
    if states:
        stmt = stmt.where(Parcel.state.in_([str(s) for s in states]))
    if which == "overdue":
        stmt = stmt.where(Parcel.arrived_at < (now or utcnow()) - timedelta(days=overdue_days(community_id)))
    if which in ("open", "overdue", "held", "notified"):
        stmt = stmt.order_by(Parcel.arrived_at, Parcel.id)
    else:
        stmt = stmt.order_by(Parcel.arrived_at.desc(), Parcel.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))


# --- mail ------------------------------------------------------------------------------------

@dataclass
class MailIn:
    unit_id: int
    kind: str
    person_id: int | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None
    sender: str | None = None
    tracking_no: str | None = None
    received_at: datetime | None = None
    note: str | None = None
    client_key: str | None = None


def receive_mail(community_id: int, m: MailIn, actor, now: datetime | None = None) -> MailItem:
    """[F1] A letter, registered mail or periodical arrives for a unit."""
    now = now or utcnow()
    unit = unit_of_community(community_id, m.unit_id)
    if unit is None:
        raise ErrandError("请选择本小区的房屋。", field="unit_id")
    person_id, name, phone = _recipient(unit, m.person_id, m.recipient_name, m.recipient_phone)
    if m.kind not in MAIL_KINDS:
        raise ErrandError("请选择信件类别。", field="kind")
    mail = MailItem(
        community_id=community_id, unit_id=unit.id, person_id=person_id, recipient_name=name,
        recipient_phone=phone, kind=m.kind, sender=(m.sender or "").strip() or None,
        tracking_no=normalize_tracking(m.tracking_no) or None, note=(m.note or "").strip() or None,
        received_at=_check_time(m.received_at, now, "received_at", "收到时间"),
        received_by_id=getattr(actor, "id", None), state=MailState.PENDING, client_key=m.client_key or None)
    db.session.add(mail)
    db.session.flush()
    record("mail.received", mail, actor=actor, community_id=community_id, unit=unit.label, kind=m.kind)
    return mail


def _mail_closed(mail: MailItem) -> str:
    when = localtime(mail.closed_at, "%m-%d %H:%M")
    if mail.state == MailState.FORWARDED:
        return f"该信件已于 {when} 转交 {mail.handed_to}，经手 {_name_of(mail.closed_by_id)}。"
    return f"该信件已于 {when} 由 {_name_of(mail.closed_by_id)} 退回。"


def forward_mail(mail: MailItem, actor, to_name: str, note: str | None = None, now: datetime | None = None) -> None:
    """[F1] Hand the mail on (to the resident or whoever takes it for them). Once only."""
    now = now or utcnow()
    to_name = (to_name or "").strip()
    if not to_name:
        raise ErrandError("请填写接收人姓名。", field="to_name")
    won = _advance(MailItem, mail, MAIL_OPEN, MailState.FORWARDED, handed_to=to_name, closed_at=now,
                   closed_by_id=getattr(actor, "id", None), close_note=(note or "").strip() or None)
    if not won:
        raise ErrandError(_mail_closed(mail), status=409)
    record("mail.forwarded", mail, actor=actor, community_id=mail.community_id, to=to_name)


def return_mail(mail: MailItem, actor, note: str | None = None, now: datetime | None = None) -> None:
    now = now or utcnow()
    won = _advance(MailItem, mail, MAIL_OPEN, MailState.RETURNED, closed_at=now,
                   closed_by_id=getattr(actor, "id", None), close_note=(note or "").strip() or None)
    if not won:
        raise ErrandError(_mail_closed(mail), status=409)
    record("mail.returned", mail, actor=actor, community_id=mail.community_id, note=mail.close_note)


def mail_items(community_id: int, which: str = "open", q: str | None = None, limit: int = LIST_LIMIT) -> list[MailItem]:
    _label, states = MAIL_FILTERS.get(which, MAIL_FILTERS["open"])
    stmt = _search(_listing(MailItem, community_id), MailItem, community_id, q)
    if states:
        stmt = stmt.where(MailItem.state.in_([str(s) for s in states]))
    order = (MailItem.received_at, MailItem.id) if which in ("open", "pending", "notified") else (
        MailItem.received_at.desc(), MailItem.id.desc())
    return list(db.session.scalars(stmt.order_by(*order).limit(limit)))


# --- access cards ----------------------------------------------------------------------------

@dataclass
class CardIn:
    unit_id: int
    person_id: int | None
    kind: str
    card_no: str | None = None
    note: str | None = None
    client_key: str | None = None


def normalize_card_no(value: str | None) -> str:
    return re.sub(r"\s", "", half_width(value or "")).upper()


def current_card_no(person_id: int | None) -> str | None:
    """The number of the card last issued to this person and not cancelled since."""
    if not person_id:
        return None
    last = db.session.scalar(select(CardRequest).where(
        CardRequest.person_id == person_id, CardRequest.state == CardState.DONE)
        .order_by(CardRequest.closed_at.desc(), CardRequest.id.desc()).limit(1))
    return last.card_no if last is not None and last.kind != "cancel" else None


def request_card(community_id: int, c: CardIn, actor, now: datetime | None = None) -> CardRequest:
    """[F1] An occupant asks for a card to be issued, replaced or cancelled; the fee is the
    community's (cancelling is free)."""
    now = now or utcnow()
    unit = unit_of_community(community_id, c.unit_id)
    if unit is None:
        raise ErrandError("请选择本小区的房屋。", field="unit_id")
    if not c.person_id:
        raise ErrandError("请选择办卡的住户。", field="person_id")
    person = _occupant(unit, c.person_id)
    if person is None:
        raise ErrandError("所选住户不属于该房屋，请重新选择。", field="person_id")
    if c.kind not in CARD_KINDS:
        raise ErrandError("请选择办理类型。", field="kind")
    card_no = normalize_card_no(c.card_no) or None
    if c.kind == "cancel":
        card_no = card_no or current_card_no(person.id)
    card = CardRequest(
        community_id=community_id, unit_id=unit.id, person_id=person.id, person_name=person.name, kind=c.kind,
        fee=card_fee(community_id, c.kind), card_no=card_no, note=(c.note or "").strip() or None,
        state=CardState.APPLIED, created_at=now, created_by_id=getattr(actor, "id", None),
        client_key=c.client_key or None)
    db.session.add(card)
    db.session.flush()
    record("card.requested", card, actor=actor, community_id=community_id, unit=unit.label, kind=c.kind,
           fee=str(card.fee))
    return card


def needs_fee(card: CardRequest) -> bool:
    return card.kind != "cancel" and (card.fee or 0) > 0


def _card_closed(card: CardRequest) -> str:
    when = localtime(card.closed_at, "%m-%d %H:%M")
    if card.state == CardState.DONE:
        return f"该申请已于 {when} 由 {_name_of(card.closed_by_id)} 办结（卡号 {card.card_no}）。"
    if card.state == CardState.CANCELLED:
        return f"该申请已于 {when} 由 {_name_of(card.closed_by_id)} 取消。"
    return f"该申请已于 {localtime(card.paid_at, '%m-%d %H:%M')} 缴费（收据号 {card.receipt_no}）。"


def pay_card(card: CardRequest, actor, receipt_no: str, now: datetime | None = None) -> None:
    """[F1] The fee is paid against a receipt; only then is the card issued."""
    now = now or utcnow()
    receipt_no = (receipt_no or "").strip()
    if not needs_fee(card):
        raise ErrandError("该申请无需缴费。", status=409)
    if not receipt_no:
        raise ErrandError("请填写收据号。", field="receipt_no")
    won = _advance(CardRequest, card, (CardState.APPLIED,), CardState.PAID, receipt_no=receipt_no, paid_at=now,
                   paid_by_id=getattr(actor, "id", None))
    if not won:
        raise ErrandError(_card_closed(card), status=409)
    record("card.paid", card, actor=actor, community_id=card.community_id, fee=str(card.fee), receipt_no=receipt_no)


def complete_card(card: CardRequest, actor, card_no: str, note: str | None = None, now: datetime | None = None) -> None:
    """[F1] The card is issued (or cancelled in the access system) with its number. A fee must
    be paid first; cancelling needs none."""
    now = now or utcnow()
    card_no = normalize_card_no(card_no)
    if not card_no:
        raise ErrandError("请填写卡号。", field="card_no")
    if len(card_no) > 32:
        raise ErrandError("卡号最多32位。", field="card_no")
    if needs_fee(card) and card.state == CardState.APPLIED:
        raise ErrandError(f"须先缴纳{CARD_KINDS.get(card.kind, '')}费用 {yuan(card.fee)} 元，登记收据号后才能办结。", status=409)
    allowed = (CardState.PAID,) if needs_fee(card) else (CardState.APPLIED, CardState.PAID)
    won = _advance(CardRequest, card, allowed, CardState.DONE, card_no=card_no, closed_at=now,
                   closed_by_id=getattr(actor, "id", None), close_note=(note or "").strip() or None)
    if not won:
        raise ErrandError(_card_closed(card), status=409)
    record("card.completed", card, actor=actor, community_id=card.community_id, kind=card.kind, card_no=card_no)


def cancel_card(card: CardRequest, actor, note: str | None = None, now: datetime | None = None) -> None:
    """The request is withdrawn (a paid fee is refunded by finance outside this register)."""
    now = now or utcnow()
    won = _advance(CardRequest, card, CARD_OPEN, CardState.CANCELLED, closed_at=now,
                   closed_by_id=getattr(actor, "id", None), close_note=(note or "").strip() or None)
    if not won:
        raise ErrandError(_card_closed(card), status=409)
    record("card.cancelled", card, actor=actor, community_id=card.community_id, note=card.close_note,
           was_paid=bool(card.paid_at))


def cards(community_id: int, which: str = "open", q: str | None = None, limit: int = LIST_LIMIT) -> list[CardRequest]:
    _label, states = CARD_FILTERS.get(which, CARD_FILTERS["open"])
    stmt = _listing(CardRequest, community_id)
    q = _clean(q)
    if q:
        if re.fullmatch(r"[0-9A-Za-z]{5,}", q):
            stmt = stmt.where(CardRequest.card_no.contains(q.upper(), autoescape=True))
        else:
            try:
                uq = registry.parse_query(q)
            except registry.SearchError as e:
                raise ErrandError(str(e), field="q") from None
            conds = registry.unit_conditions(uq)
            stmt = stmt.where(*conds) if conds is not None else stmt.where(
                CardRequest.person_name.contains(uq.name, autoescape=True))
    if states:
        stmt = stmt.where(CardRequest.state.in_([str(s) for s in states]))
    order = (CardRequest.created_at, CardRequest.id) if which in ("open", "applied", "paid") else (
        CardRequest.created_at.desc(), CardRequest.id.desc())
    return list(db.session.scalars(stmt.order_by(*order).limit(limit)))


# --- the overview ----------------------------------------------------------------------------

def counts(community_id: int, now: datetime | None = None) -> dict:
    """Open items of each kind, by state, and held parcels past the overdue mark."""
    now = now or utcnow()

    def by_state(model):
        return dict(db.session.execute(select(model.state, func.count()).where(
            model.community_id == community_id).group_by(model.state)).all())

    p, m, c = by_state(Parcel), by_state(MailItem), by_state(CardRequest)
    overdue = db.session.scalar(select(func.count()).select_from(Parcel).where(
        Parcel.community_id == community_id, Parcel.state.in_([str(s) for s in PARCEL_OPEN]),
        Parcel.arrived_at < now - timedelta(days=overdue_days(community_id)))) or 0
    return {
        "parcels": {"open": sum(p.get(s, 0) for s in PARCEL_OPEN), "held": p.get(ParcelState.HELD, 0),
                    "notified": p.get(ParcelState.NOTIFIED, 0), "overdue": overdue},
        "mail": {"open": sum(m.get(s, 0) for s in MAIL_OPEN), "pending": m.get(MailState.PENDING, 0),
                 "notified": m.get(MailState.NOTIFIED, 0)},
        "cards": {"open": sum(c.get(s, 0) for s in CARD_OPEN), "applied": c.get(CardState.APPLIED, 0),
                  "paid": c.get(CardState.PAID, 0)},
    }
