"""Fees rules [D4]: charge items, monthly bills, the arrears import, payments (oldest first,
overpayment kept as credit, reversals with a reason), the arrears list with its age buckets and
the steward's daily collection round with its contact records.

Money is integer fen throughout (money.py). Services flush and never commit; views commit."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update

from ..core import hooks
from ..documents import service as documents
from ..documents.models import DocKind
from ..core.scope import assigned_building_ids
from ..core.roles import Role
from ..core.services import record
from ..core.timefmt import site_today, utcnow
from ..extensions import db
from ..registry.models import Building, Unit
from .models import (BY_AREA, CONTACT_METHODS, FIXED, MANUAL, METHODS, RESULTS, Allocation, Bill, ChargeItem,
                     Contact, FeeSettings, Payment, RoundItem)
from .money import MoneyError, area_charge, cn_upper, yuan, yuan_text

REPAIR_ITEM = "维修费"  # paid repairs' charges (item 7)
DEFAULT_ITEMS = (("物业费", BY_AREA, 250), ("水费", MANUAL, 0), ("电费", MANUAL, 0), ("停车费", MANUAL, 0),
                 ("垃圾费", FIXED, 1000), (REPAIR_ITEM, MANUAL, 0))
BUCKETS = (("1-3", "1–3 个月", 1, 3), ("4-6", "4–6 个月", 4, 6), ("7-12", "7–12 个月", 7, 12),
           ("12+", "12 个月以上", 13, 10**6))
MAX_RECEIPT = 32
MAX_NOTE = 200


class FeeError(ValueError):
    """A rule said no; the message is for the user, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


# --- setup and settings ----------------------------------------------------------------------

def ensure_fee_defaults(community_id: int) -> None:
    """COMMUNITY_SETUP: the usual charge items and the settings row, only what is missing."""
    have = set(db.session.scalars(select(ChargeItem.name).where(ChargeItem.community_id == community_id)))
    for i, (name, kind, rate) in enumerate(DEFAULT_ITEMS):
        if name not in have:
            db.session.add(ChargeItem(community_id=community_id, name=name, kind=kind, rate_fen=rate, sort=i))
    if db.session.get(FeeSettings, community_id) is None:
        db.session.add(FeeSettings(community_id=community_id))
    db.session.flush()


def settings_for(community_id: int) -> FeeSettings:
    s = db.session.get(FeeSettings, community_id)
    if s is None:
        ensure_fee_defaults(community_id)
        s = db.session.get(FeeSettings, community_id)
    return s


def items(community_id: int, active_only: bool = False) -> list[ChargeItem]:
    stmt = select(ChargeItem).where(ChargeItem.community_id == community_id).order_by(ChargeItem.sort, ChargeItem.id)
    if active_only:
        stmt = stmt.where(ChargeItem.active.is_(True))
    return list(db.session.scalars(stmt))


def save_item(community_id: int, actor, *, item_id: int | None, name: str, kind: str, rate_fen: int,
              active: bool) -> ChargeItem:
    name = (name or "").strip()
    if not name or len(name) > 32:
        raise FeeError("请填写收费项目名称（不超过 32 个字）。", "name")
    if kind not in (BY_AREA, FIXED, MANUAL):
        raise FeeError("请选择计费方式。", "kind")
    if kind != MANUAL and rate_fen <= 0:
        raise FeeError("按面积或固定收费的项目需要大于 0 的单价。", "rate")
    clash = db.session.scalar(select(ChargeItem.id).where(ChargeItem.community_id == community_id,
                                                          ChargeItem.name == name))
    if clash is not None and clash != item_id:
        raise FeeError(f"已有名为“{name}”的收费项目。", "name")
    if item_id is None:
        item = ChargeItem(community_id=community_id, sort=len(items(community_id)))
        db.session.add(item)
    else:
        item = db.session.get(ChargeItem, item_id) if 0 < item_id < 2**31 else None
        if item is None or item.community_id != community_id:
            raise FeeError("未找到该收费项目。", status=404)
    before = {"name": item.name, "kind": item.kind, "rate_fen": item.rate_fen, "active": item.active}
    item.name, item.kind, item.rate_fen, item.active = name, kind, rate_fen, active
    db.session.flush()
    record("fees.item_saved", item, community_id=community_id, actor=actor, before=before,
           after={"name": name, "kind": kind, "rate_fen": rate_fen, "active": active})
    return item


def save_settings(community_id: int, actor, *, daily_round: int, target_pct: int) -> FeeSettings:
    if not 1 <= daily_round <= 200:
        raise FeeError("每日催费户数应在 1 到 200 之间。", "daily_round")
    if not 1 <= target_pct <= 100:
        raise FeeError("收缴率目标应在 1% 到 100% 之间。", "target_pct")
    s = settings_for(community_id)
    s.daily_round, s.target_pct = daily_round, target_pct
    record("fees.settings_saved", community_id=community_id, actor=actor, daily_round=daily_round,
           target_pct=target_pct)
    return s


# --- periods ---------------------------------------------------------------------------------

def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_index(period: str) -> int:
    y, m = period.split("-")
    return int(y) * 12 + int(m) - 1


def parse_period(text, today: date | None = None, *, what: str = "账期") -> str:
    """'2026-3', '2026-03', '202603', '2026年3月' → '2026-03'; not after this month."""
    import re

    raw = str(text or "").strip()
    m = re.fullmatch(r"(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))", raw)
    if not m:
        raise FeeError(f"{what}“{raw}”格式不对，应为 年-月，如 2026-03。", "period")
    year, month = int(m.group(1)), int(m.group(2) or m.group(3))
    if not 1 <= month <= 12 or year < 2000:
        raise FeeError(f"{what}“{raw}”不是有效的月份。", "period")
    period = f"{year:04d}-{month:02d}"
    if month_index(period) > month_index(period_of(today or site_today())):
        raise FeeError(f"{what} {period} 在将来，不能登记。", "period")
    return period


def age_months(period: str, today: date) -> int:
    """The bill's age: its own month is month 1."""
    return month_index(period_of(today)) - month_index(period) + 1


def bucket_of(months: int) -> tuple[str, str]:
    for key, label, lo, hi in BUCKETS:
        if lo <= months <= hi:
            return key, label
    return BUCKETS[0][0], BUCKETS[0][1]


# --- monthly bills ---------------------------------------------------------------------------

@dataclass
class GenerateResult:
    period: str
    created: int = 0
    existing: int = 0
    skipped_no_area: int = 0
    total_fen: int = 0
    credit_fen: int = 0  # of the new bills, paid from units' credit

    @property
    def summary(self) -> str:
        text = f"{self.period} 账单：新生成 {self.created} 笔，合计 {yuan_text(self.total_fen)}"
        if self.existing:
            text += f"；已有 {self.existing} 笔未重复生成"
        if self.skipped_no_area:
            text += f"；{self.skipped_no_area} 户未登记面积，未生成物业费"
        if self.credit_fen:
            text += f"；其中 {yuan_text(self.credit_fen)} 已从住户预存余额冲抵"
        return text + "。"


def generate_month(community_id: int, period: str, actor=None) -> GenerateResult:
    """The month's bills of every active BY_AREA and FIXED item for every unit of the community.
    Idempotent: a (unit, item, period) that has a bill gets none again. Bulk insert, one Event."""
    result = GenerateResult(period)
    chargeable = [i for i in items(community_id, active_only=True) if i.kind in (BY_AREA, FIXED) and i.rate_fen > 0]
    if not chargeable:
        return result
    units = db.session.execute(select(Unit.id, Unit.area).join(Building).where(Building.community_id == community_id)).all()
    have = set(db.session.execute(select(Bill.unit_id, Bill.item_id).where(Bill.community_id == community_id,
                                                                          Bill.period == period, Bill.ref == "")).all())
    rows, now = [], utcnow()
    for unit_id, area in units:
        for item in chargeable:
            if (unit_id, item.id) in have:
                result.existing += 1
                continue
            if item.kind == BY_AREA:
                if not area:
                    result.skipped_no_area += 1
                    continue
                amount = area_charge(area, item.rate_fen)
            else:
                amount = item.rate_fen
            rows.append({"community_id": community_id, "unit_id": unit_id, "item_id": item.id, "period": period,
                         "amount_fen": amount, "paid_outside_fen": 0, "paid_fen": 0, "source": "generated", "ref": "",
                         "created_at": now})
            result.total_fen += amount
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Bill), rows[start:start + 2000])
    result.created = len(rows)
    if rows:
        for unit_id in units_with_credit(community_id):
            result.credit_fen += apply_credit(unit_id, actor)
    record("fees.bills_generated", community_id=community_id, actor=actor, period=period, created=result.created,
           total_fen=result.total_fen, existing=result.existing, credit_fen=result.credit_fen)
    return result


# --- what a unit owes ------------------------------------------------------------------------

def open_bills(unit_id: int) -> list[Bill]:
    """The unit's bills with something left to pay, oldest first."""
    stmt = (select(Bill).where(Bill.unit_id == unit_id,
                               Bill.amount_fen - Bill.paid_outside_fen - Bill.paid_fen > 0)
            .order_by(Bill.period, Bill.item_id, Bill.id))
    return list(db.session.scalars(stmt))


def unit_bills(unit_id: int) -> list[Bill]:
    return list(db.session.scalars(select(Bill).where(Bill.unit_id == unit_id)
                                   .order_by(Bill.period.desc(), Bill.item_id)))


def unit_credit(unit_id: int) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(Payment.credit_fen), 0))
                                 .where(Payment.unit_id == unit_id, Payment.reversed_at.is_(None))) or 0)


def unit_due(unit_id: int) -> int:
    return sum(b.due_fen for b in open_bills(unit_id))


def load_unit(community_id: int, unit_id) -> Unit | None:
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        return None
    unit = db.session.get(Unit, unit_id)
    return unit if unit is not None and unit.building.community_id == community_id else None


# --- payments --------------------------------------------------------------------------------

def find_payment_by_key(key: str | None) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.client_key == key)) if key else None


def record_payment(community_id: int, unit: Unit, actor, *, receipt_no: str, method: str, paid_on: date,
                   amount_fen: int, bill_ids: list[int] | None = None, client_key: str | None = None,
                   today: date | None = None) -> Payment:
    """[D4] A payment at finance: allocated to the chosen bills (default: all open bills), oldest
    first; what is left over is kept as the unit's credit and stated. Refuses a receipt number
    used before, a future date, an unknown method, a non-positive amount."""
    existing = find_payment_by_key(client_key)
    if existing is not None:
        return existing
    receipt_no = (receipt_no or "").strip()
    if not receipt_no or len(receipt_no) > MAX_RECEIPT:
        raise FeeError(f"请填写收据号（不超过 {MAX_RECEIPT} 个字符）。", "receipt_no")
    if method not in METHODS:
        raise FeeError("请选择付款方式。", "method")
    if paid_on > (today or site_today()):
        raise FeeError("收款日期不能晚于今天。", "paid_on")
    if amount_fen <= 0:
        raise FeeError("金额必须大于 0。", "amount")
    if db.session.scalar(select(Payment.id).where(Payment.community_id == community_id,
                                                  Payment.receipt_no == receipt_no)) is not None:
        raise FeeError(f"收据号 {receipt_no} 已使用过，请核对。", "receipt_no", status=409)
    bills = open_bills(unit.id)
    if bill_ids:
        wanted = set(bill_ids)
        bills = [b for b in bills if b.id in wanted]
        if len(bills) != len(wanted):
            raise FeeError("所选账单不存在或已结清，请刷新后重选。", "bills", status=409)
    pay = Payment(community_id=community_id, unit_id=unit.id, receipt_no=receipt_no, method=method, paid_on=paid_on,
                  amount_fen=amount_fen, client_key=client_key, created_by_id=getattr(actor, "id", None))
    db.session.add(pay)
    db.session.flush()
    left, lines = amount_fen, []
    for bill in bills:  # oldest first (open_bills' order)
        if left <= 0:
            break
        take = min(left, bill.due_fen)
        db.session.add(Allocation(payment_id=pay.id, bill_id=bill.id, amount_fen=take))
        bill.paid_fen += take
        left -= take
        lines.append([bill.period, bill.item.name, yuan(take)])
    pay.credit_fen = left
    db.session.flush()
    settle_notices(unit.id, actor)
    # The receipt: a sealed document with its serial and QR (verification shows status and amount).
    doc = documents.create(DocKind.RECEIPT, pay, {
        "unit": unit.label, "receipt_no": receipt_no, "method": METHODS[method], "paid_on": paid_on,
        "amount": yuan(amount_fen), "amount_upper": cn_upper(amount_fen), "lines": lines, "credit": yuan(left),
        "cashier": getattr(actor, "name", "") or ""}, community_id=community_id)
    documents.approve(doc, actor)
    record("fees.payment_recorded", pay, community_id=community_id, actor=actor, unit_id=unit.id,
           receipt_no=receipt_no, amount_fen=amount_fen, credit_fen=left, method=method,
           paid_on=paid_on.isoformat())
    return pay


def apply_credit(unit_id: int, actor=None) -> int:
    """[D4] The unit's credit (what earlier payments left over) pays its open bills, oldest bill
    from the oldest credit first, as allocations of those payments (a reversal takes them back
    with the payment). Called whenever a unit gets a new bill or a bill opens again. Returns the
    fen applied; records "fees.credit_applied" when anything was."""
    payments = list(db.session.scalars(select(Payment).where(
        Payment.unit_id == unit_id, Payment.credit_fen > 0, Payment.reversed_at.is_(None))
        .order_by(Payment.paid_on, Payment.id)))
    if not payments:
        return 0
    applied, lines = 0, []
    bills = iter(open_bills(unit_id))
    bill = next(bills, None)
    for pay in payments:
        while pay.credit_fen > 0 and bill is not None:
            take = min(pay.credit_fen, bill.due_fen)
            pay.allocations.append(Allocation(bill=bill, amount_fen=take))
            bill.paid_fen += take
            pay.credit_fen -= take
            applied += take
            lines.append({"receipt_no": pay.receipt_no, "period": bill.period, "item": bill.item.name, "fen": take})
            if bill.due_fen <= 0:
                bill = next(bills, None)
    if applied:
        db.session.flush()
        first = payments[0]
        record("fees.credit_applied", first, community_id=first.community_id, actor=actor, unit_id=unit_id,
               amount_fen=applied, lines=lines)
        settle_notices(unit_id, actor)
    return applied


def units_with_credit(community_id: int) -> list[int]:
    return list(db.session.scalars(select(Payment.unit_id).where(
        Payment.community_id == community_id, Payment.credit_fen > 0, Payment.reversed_at.is_(None))
        .distinct()))


def notice_outstanding(doc) -> int:
    """What is still owed today of the bills a 催缴通知单 listed (its unit, period and item)."""
    lines = {(period, item) for period, item, *_ in (doc.data or {}).get("lines") or []}
    if not lines:
        return 0
    due = Bill.amount_fen - Bill.paid_outside_fen - Bill.paid_fen
    rows = db.session.execute(select(Bill.period, ChargeItem.name, due).join(ChargeItem, ChargeItem.id == Bill.item_id)
                              .where(Bill.unit_id == doc.object_id, Bill.period.in_({p for p, _ in lines}))).all()
    return sum(max(int(d), 0) for period, name, d in rows if (period, name) in lines)


def settle_notices(unit_id: int, actor=None) -> int:
    """The unit's 催缴通知单 still in force whose listed bills are all paid end (已结束 · 欠费已缴清):
    their verification page and any reprint then say so instead of asking for money."""
    from ..documents.models import Document

    ended = 0
    for doc in db.session.scalars(select(Document).where(
            Document.kind == str(DocKind.FEE_NOTICE), Document.object_type == "unit", Document.object_id == unit_id,
            Document.ended_at.is_(None), Document.replaced_by_id.is_(None), Document.revoked_at.is_(None))):
        if notice_outstanding(doc) == 0 and documents.end(doc, actor, "欠费已缴清"):
            ended += 1
    return ended


def reverse_payment(payment: Payment, actor, reason: str) -> Payment:
    """A correction: the payment stays, marked reversed with who, when and why; its
    allocations no longer count and its credit is gone."""
    reason = (reason or "").strip()
    if not reason:
        raise FeeError("请填写冲正原因。", "reason")
    if len(reason) > MAX_NOTE:
        raise FeeError(f"冲正原因不超过 {MAX_NOTE} 个字。", "reason")
    if payment.reversed_at is not None:
        raise FeeError(f"收据 {payment.receipt_no} 已于之前冲正。", status=409)
    for a in payment.allocations:
        a.bill.paid_fen -= a.amount_fen
    payment.reversed_at = utcnow()
    payment.reversed_by_id = getattr(actor, "id", None)
    payment.reverse_reason = reason
    doc = documents.for_object(payment, DocKind.RECEIPT)
    if doc is not None and doc.state != "revoked":
        documents.revoke(doc, actor, f"冲正：{reason}")
    db.session.flush()
    record("fees.payment_reversed", payment, community_id=payment.community_id, actor=actor,
           receipt_no=payment.receipt_no, amount_fen=payment.amount_fen, reason=reason)
    apply_credit(payment.unit_id, actor)  # the bills it re-opened take other payments' credit
    return payment


def receipt_of(payment: Payment):
    return documents.for_object(payment, DocKind.RECEIPT)


def get_payment(community_id: int, payment_id: int) -> Payment | None:
    p = db.session.get(Payment, payment_id)
    return p if p is not None and p.community_id == community_id else None


def payments_of(unit_id: int) -> list[Payment]:
    return list(db.session.scalars(select(Payment).where(Payment.unit_id == unit_id)
                                   .order_by(Payment.paid_on.desc(), Payment.id.desc())))


# --- the arrears list ------------------------------------------------------------------------

@dataclass
class Arrears:
    unit_id: int
    label: str
    building_id: int
    building: str
    due_fen: int
    oldest: str
    months: int
    bucket: str
    bucket_label: str
    last_contact: Contact | None = None
    promised_on: date | None = None
    by_item: dict = field(default_factory=dict)


def arrears(community_id: int, today: date, building_ids: set[int] | None = None, unit_ids=None) -> list[Arrears]:
    """Every unit that owes, with its amount, oldest period, age bucket, last contact and the
    promised date of its latest promise (when not past)."""
    due = Bill.amount_fen - Bill.paid_outside_fen - Bill.paid_fen
    stmt = (select(Bill.unit_id, func.sum(due), func.min(Bill.period))
            .where(Bill.community_id == community_id, due > 0).group_by(Bill.unit_id))
    if unit_ids is not None:
        stmt = stmt.where(Bill.unit_id.in_(list(unit_ids)))
    sums = {u: (int(s), p) for u, s, p in db.session.execute(stmt)}
    if not sums:
        return []
    units = db.session.execute(
        select(Unit.id, Unit.entrance, Unit.number, Building.id, Building.number)
        .join(Building).where(Unit.id.in_(list(sums)))).all()
    last = last_contacts(list(sums))
    out = []
    for uid, entrance, number, bid, bnum in units:
        if building_ids is not None and bid not in building_ids:
            continue
        total, oldest = sums[uid]
        months = age_months(oldest, today)
        key, label = bucket_of(months)
        c = last.get(uid)
        promised = latest_promise(uid, today)
        out.append(Arrears(uid, f"{bnum}栋{entrance}单元{number}", bid, bnum, total, oldest, months, key, label, c,
                           promised))
    return out


def last_contacts(unit_ids: list[int]) -> dict[int, Contact]:
    if not unit_ids:
        return {}
    newest = (select(func.max(Contact.id)).where(Contact.unit_id.in_(unit_ids)).group_by(Contact.unit_id))
    return {c.unit_id: c for c in db.session.scalars(select(Contact).where(Contact.id.in_(newest)))}


def latest_promise(unit_id: int, today: date) -> date | None:
    return db.session.scalar(select(Contact.promised_on).where(Contact.unit_id == unit_id, Contact.result == "promise",
                                                               Contact.promised_on >= today)
                             .order_by(Contact.id.desc()).limit(1))


SORTS = {"amount": (lambda a: (-a.due_fen, a.label)), "age": (lambda a: (-a.months, -a.due_fen)),
         "unit": (lambda a: (a.building, a.label)),
         "contact": (lambda a: (a.last_contact.created_at.timestamp() if a.last_contact else 0, a.label)),
         "promise": (lambda a: (a.promised_on or date.max, a.label))}


def sort_arrears(rows: list[Arrears], key: str) -> list[Arrears]:
    return sorted(rows, key=SORTS.get(key, SORTS["amount"]))


def bucket_totals(rows: list[Arrears]) -> list[tuple[str, int, int]]:
    out = []
    for key, label, _lo, _hi in BUCKETS:
        sel = [r for r in rows if r.bucket == key]
        out.append((label, len(sel), sum(r.due_fen for r in sel)))
    return out


def steward_buildings(user, community_id: int, day: date) -> set[int] | None:
    """A steward's buildings (own and covered) [D2]; None: the whole community (other roles)."""
    from ..core.roles import Role

    if user.has_role(Role.STEWARD) and not user.has_role(Role.SUPERVISOR, Role.MANAGER, Role.FINANCE):
        return assigned_building_ids(user, community_id, day)
    return None


# --- the daily collection round and contacts ---------------------------------------------

def round_for(user, community_id: int, day: date) -> list[RoundItem]:
    """The steward's 今日催费: drawn once a day (then fixed): units whose promised date is
    today first, then the oldest and largest arrears, up to the community's daily number."""
    have = list(db.session.scalars(select(RoundItem).where(RoundItem.user_id == user.id, RoundItem.day == day)
                                   .order_by(RoundItem.position)))
    if have:
        return have
    buildings = assigned_building_ids(user, community_id, day)
    if not buildings:
        return []
    limit = settings_for(community_id).daily_round
    rows = arrears(community_id, day, buildings)
    promised_today = set(db.session.scalars(
        select(Contact.unit_id).where(Contact.community_id == community_id, Contact.result == "promise",
                                      Contact.promised_on == day)))
    first = [r for r in rows if r.unit_id in promised_today]
    rest = sorted((r for r in rows if r.unit_id not in promised_today), key=lambda a: (a.oldest, -a.due_fen, a.label))
    chosen = (sorted(first, key=lambda a: a.label) + rest)[:max(limit, len(first))]
    out = []
    for i, r in enumerate(chosen):
        item = RoundItem(community_id=community_id, user_id=user.id, day=day, unit_id=r.unit_id, position=i,
                         reason="promised" if r.unit_id in promised_today else "arrears")
        db.session.add(item)
        out.append(item)
    db.session.flush()
    return out


def has_round(user, day: date) -> bool:
    return db.session.scalar(select(RoundItem.id).where(RoundItem.user_id == user.id, RoundItem.day == day)
                             .limit(1)) is not None


def draw_rounds(community_id: int, day: date | None = None) -> dict[str, int]:
    """Each morning (`flask fees-round`, or the first time a steward opens 今日 or 今日催费):
    every active steward of the community gets the day's round; one already drawn is kept.
    Returns {steward's name: units on the round} of the stewards who owe a round."""
    from ..auth.models import User
    from ..core.roles import Role

    day = day or site_today()
    out = {}
    for user in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        if user.has_role(Role.STEWARD) and community_id in user.community_ids:
            drawn = round_for(user, community_id, day)
            if drawn:
                out[user.name] = len(drawn)
    return out


@dataclass
class RoundLine:
    item: RoundItem
    arrears: Arrears | None
    contacts: list[Contact]

    @property
    def done(self) -> bool:
        return bool(self.contacts)


@dataclass
class RoundProgress:
    """How far a steward's round of a day has got [D4]: a unit counts once it has a contact
    result that day (whoever recorded it). The round page, 今日, the daily summary and the
    assessment's 完成当日催费任务 [A2] all read this one."""
    unit_ids: list[int]  # the round's units, in order
    contacted: set[int]

    @property
    def total(self) -> int:
        return len(self.unit_ids)

    @property
    def missing(self) -> list[int]:
        return [u for u in self.unit_ids if u not in self.contacted]

    @property
    def done(self) -> int:
        return self.total - len(self.missing)

    @property
    def complete(self) -> bool:
        return bool(self.unit_ids) and not self.missing


def progress_of(lines: list[RoundLine]) -> RoundProgress:
    """The progress of a round already loaded (round_lines)."""
    return RoundProgress([ln.item.unit_id for ln in lines], {ln.item.unit_id for ln in lines if ln.done})


def round_progress(user, community_id: int, day: date) -> RoundProgress:
    """The progress of `user`'s round of `day` (empty when none was drawn), in two small queries."""
    unit_ids = list(db.session.scalars(select(RoundItem.unit_id).where(
        RoundItem.community_id == community_id, RoundItem.user_id == user.id, RoundItem.day == day)
        .order_by(RoundItem.position)))
    contacted = set(db.session.scalars(select(Contact.unit_id).where(
        Contact.unit_id.in_(unit_ids), Contact.day == day))) if unit_ids else set()
    return RoundProgress(unit_ids, contacted)


def round_lines(user, community_id: int, day: date) -> list[RoundLine]:
    items_ = round_for(user, community_id, day)
    ids = [i.unit_id for i in items_]
    arr = {a.unit_id: a for a in arrears(community_id, day, unit_ids=ids)} if ids else {}
    contacts = defaultdict(list)
    if ids:
        for c in db.session.scalars(select(Contact).where(Contact.unit_id.in_(ids), Contact.day == day)
                                    .order_by(Contact.id)):
            contacts[c.unit_id].append(c)
    labels = {}
    if ids:
        labels = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    lines = []
    for i in items_:
        a = arr.get(i.unit_id)
        if a is None:  # paid meanwhile: still on the round, owing nothing
            u = labels[i.unit_id]
            a = Arrears(u.id, u.label, u.building_id, u.building.number, 0, "", 0, "", "已结清")
        lines.append(RoundLine(i, a, contacts.get(i.unit_id, [])))
    return lines


def collection_round_result(user, community_id: int, day: date) -> tuple[bool, list[str]] | None:
    """core.hooks.COLLECTION_ROUND (assessment [A2], 完成当日催费任务): met when every unit of the
    steward's round of `day` has a contact result that day; the evidence names the units without
    one. None (not applicable) when no round was drawn for that day (nothing owed in the
    steward's buildings, or the round never opened): a past round is never drawn afterwards."""
    p = round_progress(user, community_id, day)
    if not p.total:
        return None
    line = f"今日催费 {p.done}/{p.total} 户已记录结果"
    if p.complete:
        return True, [line]
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(p.missing)))}
    return False, [line, "未记录：" + "、".join(units[m].label for m in p.missing if m in units)]


def find_contact_by_key(key: str | None) -> Contact | None:
    return db.session.scalar(select(Contact).where(Contact.client_key == key)) if key else None


def record_contact(community_id: int, unit: Unit, actor, *, method: str, result: str, promised_on: date | None = None,
                   note: str | None = None, client_key: str | None = None, now: datetime | None = None) -> Contact:
    """[D4] One contact with a unit about its arrears. A promise needs a date (today or later);
    a dispute opens a ticket (tickets area, through the FEE_DISPUTE point); a refusal needs a
    reason. A steward records only in their own (or covered) buildings. A repeated client_key
    (a resend after a dropped signal) returns the contact already saved."""
    existing = find_contact_by_key(client_key)
    if existing is not None:
        return existing
    now = now or utcnow()
    today = site_today(now)
    if unit is None or unit.building.community_id != community_id:
        raise FeeError("未找到该房屋。", "unit", status=404)
    mine = steward_buildings(actor, community_id, today)
    if mine is not None and unit.building_id not in mine:
        raise FeeError(f"{unit.label} 不在您负责的楼栋，不能登记催费。", "unit", status=403)
    if method not in CONTACT_METHODS:
        raise FeeError("请选择联系方式（电话/上门/通知单/微信）。", "method")
    if result not in RESULTS:
        raise FeeError("请选择结果。", "result")
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise FeeError(f"说明不超过 {MAX_NOTE} 个字。", "note")
    if result == "promise":
        if promised_on is None:
            raise FeeError("承诺缴费请选择承诺日期。", "promised_on")
        if promised_on < today:
            raise FeeError("承诺日期不能早于今天。", "promised_on")
    else:
        promised_on = None
    if result == "delivered" and method != "notice":
        raise FeeError("“已送达”只用于送达催缴通知单。", "result")
    if result == "refuse" and not note:
        raise FeeError("拒缴请填写原因。", "note")
    if result == "dispute" and not note:
        raise FeeError("有异议请写明异议内容（将生成工单）。", "note")
    c = Contact(community_id=community_id, unit_id=unit.id, user_id=getattr(actor, "id", None), day=today,
                method=method, result=result, promised_on=promised_on, note=note, client_key=client_key,
                created_at=now)
    db.session.add(c)
    db.session.flush()
    if result == "dispute":
        text = f"【收费异议】{unit.label} 欠费 {yuan_text(unit_due(unit.id))}：{note}"
        c.ticket_id = hooks.first(hooks.FEE_DISPUTE, community_id, unit.id, text, actor,
                                  f"fee-{client_key}" if client_key else None)
    record("fees.contact", c, community_id=community_id, actor=actor, unit_id=unit.id, method=method, result=result,
           promised_on=promised_on.isoformat() if promised_on else None, ticket_id=c.ticket_id)
    return c


def contacts_of(unit_id: int, limit: int = 20) -> list[Contact]:
    return list(db.session.scalars(select(Contact).where(Contact.unit_id == unit_id)
                                   .order_by(Contact.id.desc()).limit(limit)))


# --- collection rate --------------------------------------------------------------------------

def collection_rate(community_id: int, period: str, building_ids: set[int] | None = None) -> tuple[int, int]:
    """(billed, collected) fen of a period's bills (collected: paid here or per the import)."""
    stmt = (select(func.coalesce(func.sum(Bill.amount_fen), 0),
                   func.coalesce(func.sum(Bill.paid_fen + Bill.paid_outside_fen), 0))
            .where(Bill.community_id == community_id, Bill.period == period))
    if building_ids is not None:
        stmt = stmt.join(Unit, Unit.id == Bill.unit_id).where(Unit.building_id.in_(list(building_ids)))
    billed, paid = db.session.execute(stmt).one()
    return int(billed), int(paid)


def pct(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{part * 1000 // whole / 10:.1f}%"


def month_figures(community_id: int, first: date, last: date) -> list[tuple[str, str, str]]:
    """core.hooks.MONTH_FIGURES (the manager's monthly report [A5]): the month's bills collected
    (rate) and the payments taken in it, not reversed."""
    billed, collected = collection_rate(community_id, f"{first:%Y-%m}")
    taken = db.session.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
        Payment.community_id == community_id, Payment.paid_on >= first, Payment.paid_on <= last,
        Payment.reversed_at.is_(None))) or 0
    return [("收费", "本月账单收缴率", pct(collected, billed)), ("收费", "本月实收", f"{yuan(int(taken))} 元")]


def receipts_on(community_id: int, day: date) -> tuple[int, int]:
    """(count, fen) of the payments taken on `day` and not reversed."""
    n, s = db.session.execute(select(func.count(Payment.id), func.coalesce(func.sum(Payment.amount_fen), 0))
                              .where(Payment.community_id == community_id, Payment.paid_on == day,
                                     Payment.reversed_at.is_(None))).one()
    return int(n), int(s)


def promises_due(community_id: int, day: date) -> int:
    return int(db.session.scalar(select(func.count(func.distinct(Contact.unit_id)))
                                 .where(Contact.community_id == community_id, Contact.result == "promise",
                                        Contact.promised_on == day)) or 0)


def briefing_facts(community_id: int, day: date) -> dict:
    """收费情况 for the morning meeting of `day` [D4]: this month's collection rate against the
    target, yesterday's receipts and the promises due today, as sentences (core.hooks.
    BRIEFING_SECTIONS: the briefing page and its printed copy show the same)."""
    period = period_of(day)
    billed, paid = collection_rate(community_id, period)
    count, amount = receipts_on(community_id, day - timedelta(days=1))
    return {"title": "收费情况", "lines": [
        f"{period} 收缴率 {pct(paid, billed)}（目标 {settings_for(community_id).target_pct}%）："
        f"应收 {yuan(billed)} 元，已收 {yuan(paid)} 元。",
        f"昨日收款 {count} 笔，{yuan(amount)} 元；今日到期的缴费承诺 {promises_due(community_id, day)} 户。"]}


def briefing_sections(community_id: int, day: date) -> list[dict]:
    """core.hooks.BRIEFING_SECTIONS: 收费情况 in the morning briefing."""
    return [briefing_facts(community_id, day)]




def rate_by_building_month(community_id: int, periods: list[str]) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """[(building number, [(period, billed fen, collected fen)…])…] for the analysis page."""
    rows = db.session.execute(
        select(Building.number, Building.sort_key, Bill.period, func.sum(Bill.amount_fen),
               func.sum(Bill.paid_fen + Bill.paid_outside_fen))
        .join(Unit, Unit.id == Bill.unit_id).join(Building, Building.id == Unit.building_id)
        .where(Bill.community_id == community_id, Bill.period.in_(periods))
        .group_by(Building.number, Building.sort_key, Bill.period)).all()
    by = defaultdict(dict)
    keys = {}
    for number, sort_key, period, billed, paid in rows:
        by[number][period] = (int(billed or 0), int(paid or 0))
        keys[number] = sort_key
    return [(n, [(p, *by[n].get(p, (0, 0))) for p in periods]) for n in sorted(by, key=lambda n: (keys[n], n))]


def last_periods(today: date, n: int = 6) -> list[str]:
    idx = month_index(period_of(today))
    return [f"{(i // 12):04d}-{(i % 12) + 1:02d}" for i in range(idx - n + 1, idx + 1)]


# --- 催缴通知单: a batch of notices -------------------------------------------------------------

NOTICE_DAYS = 15  # pay within this many days of the notice
HOW_TO_PAY = "请于缴费期限前到物业服务中心财务室缴纳（现金、微信、支付宝、银行卡），或转账后凭转账记录到财务室开具收据。"
MAX_NOTICES = 1000


def issue_notices(community_id: int, unit_ids: list[int], actor, today: date | None = None) -> list:
    """One sealed 催缴通知单 per unit that owes (its bills by item and period, the total, the
    due date, how to pay); units owing nothing are left out. Returns the documents in order."""
    today = today or site_today()
    if not unit_ids:
        raise FeeError("请选择要发通知单的房屋或楼栋。", "building")
    if len(unit_ids) > MAX_NOTICES:
        raise FeeError(f"一次最多 {MAX_NOTICES} 份通知单，请分楼栋打印。", "building")
    units = {u.id: u for u in db.session.scalars(select(Unit).join(Building).where(
        Unit.id.in_(unit_ids), Building.community_id == community_id))}
    open_ = defaultdict(list)
    due = Bill.amount_fen - Bill.paid_outside_fen - Bill.paid_fen
    for b in db.session.scalars(select(Bill).where(Bill.unit_id.in_(list(units)), due > 0)
                                .order_by(Bill.unit_id, Bill.period, Bill.item_id)):
        open_[b.unit_id].append(b)
    due_on = today + timedelta(days=NOTICE_DAYS)
    docs = []
    for uid in unit_ids:
        bills_ = open_.get(uid)
        if uid not in units or not bills_:
            continue
        by_item = defaultdict(int)
        for b in bills_:
            by_item[b.item.name] += b.due_fen
        total = sum(b.due_fen for b in bills_)
        u = units[uid]
        doc = documents.create(DocKind.FEE_NOTICE, u, {
            "unit": u.label, "lines": [[b.period, b.item.name, yuan(b.due_fen)] for b in bills_],
            "by_item": [[k, yuan(v)] for k, v in by_item.items()], "amount": yuan(total),
            "amount_upper": cn_upper(total), "due_on": due_on, "how_to_pay": HOW_TO_PAY,
            "issued_on": today}, community_id=community_id, valid_from=today, valid_until=due_on)
        documents.approve(doc, actor)
        docs.append(doc)
    if not docs:
        raise FeeError("所选房屋都没有欠费，没有生成通知单。", "building")
    record("fees.notices_issued", community_id=community_id, actor=actor, count=len(docs),
           serials=[docs[0].serial, docs[-1].serial])
    return docs


NOTICES_PER_PART = 50


def notices_pdf(docs: list, today: date | None = None, part: int = NOTICES_PER_PART) -> bytes:
    """The batch as one PDF: one page per notice, each with its seal, serial and QR; laid out
    `part` notices at a time (bounded memory for a building of hundreds of units)."""
    from ..documents.pdf import render_pdf_in_parts

    notices = []
    for doc in docs:
        ctx = documents.print_context(doc, today)
        ctx.pop("cn_date", None)
        notices.append(ctx)
    return render_pdf_in_parts("fees/notices_pdf.html", "notices", notices, part=part, page_size="A5",
                               cn_date=documents.cn_date)


def units_of_building(community_id: int, building_id: int, user=None, day: date | None = None) -> list[int]:
    stmt = (select(Unit.id).join(Building).where(Building.community_id == community_id, Building.id == building_id)
            .order_by(Unit.entrance, Unit.floor, Unit.number))
    return list(db.session.scalars(stmt))


def notice_batch(community_id: int, first: int, last: int, building_ids: set[int] | None = None) -> list:
    """The notices with ids first..last of the community (a batch), limited to `building_ids`."""
    from ..documents.models import Document

    stmt = (select(Document).where(Document.community_id == community_id, Document.kind == str(DocKind.FEE_NOTICE),
                                   Document.id.between(first, last)).order_by(Document.id))
    docs = list(db.session.scalars(stmt))
    if building_ids is not None:
        ok = set(db.session.scalars(select(Unit.id).where(Unit.building_id.in_(list(building_ids)))))
        docs = [d for d in docs if d.object_id in ok]
    return docs


def summary_lines(user, community_id: int, day: date) -> list[str]:
    """SUMMARY_LINES [D4]: the steward's collection round of `day` and its results (units and
    results only), for the daily summary's draft. Nothing when the steward had no round and made
    no contact. The round's count is RoundProgress's (the same as 今日催费 and the assessment);
    the contacts listed are the steward's own."""
    p = round_progress(user, community_id, day)
    contacts = list(db.session.scalars(select(Contact).where(Contact.user_id == user.id, Contact.day == day,
                                                             Contact.community_id == community_id)
                                       .order_by(Contact.id)))
    if not p.total and not contacts:
        return []
    counts = defaultdict(int)
    for c in contacts:
        counts[c.result_label] += 1
    out = [f"催费：今日催费 {p.total} 户，已有结果 {p.done} 户" + ("（已完成）" if p.complete else "")
           + (f"；联系 {len(contacts)} 次：" + "、".join(f"{k} {v}" for k, v in counts.items()) if contacts else "")]
    labels = {u.id: u.label for u in db.session.scalars(select(Unit).where(Unit.id.in_({c.unit_id for c in contacts})))}
    for c in contacts:
        out.append(f"· {labels.get(c.unit_id, '')} {c.method_label} · {c.result_label}"
                   + (f"（承诺 {c.promised_on:%m-%d}）" if c.promised_on else ""))
    return out



# --- paid repairs (issue 19 item 7) -------------------------------------------------------------

def repair_prices(community_id: int, active_only: bool = False) -> list:
    from .models import RepairPrice

    stmt = select(RepairPrice).where(RepairPrice.community_id == community_id).order_by(RepairPrice.kind, RepairPrice.name)
    if active_only:
        stmt = stmt.where(RepairPrice.active.is_(True))
    return list(db.session.scalars(stmt))


def save_repair_price(community_id: int, actor, *, name: str, kind: str, unit_name: str, price_fen: int,
                      active: bool = True):
    """Add a price, or change the one of that name (the price list: materials and labour)."""
    from .models import REPAIR_KINDS, RepairPrice

    name, unit_name = (name or "").strip(), (unit_name or "").strip() or "次"
    if not name or len(name) > 40:
        raise FeeError("请填写名称（不超过 40 个字）。", "name")
    if kind not in REPAIR_KINDS:
        raise FeeError("请选择材料或人工。", "kind")
    if len(unit_name) > 8:
        raise FeeError("单位不超过 8 个字。", "unit_name")
    if price_fen <= 0:
        raise FeeError("单价必须大于 0。", "price")
    p = db.session.scalar(select(RepairPrice).where(RepairPrice.community_id == community_id, RepairPrice.name == name))
    if p is None:
        p = RepairPrice(community_id=community_id, name=name)
        db.session.add(p)
    p.kind, p.unit_name, p.price_fen, p.active = kind, unit_name, price_fen, active
    db.session.flush()
    record("fees.repair_price_saved", p, community_id=community_id, actor=actor, name=name, kind=kind,
           price_fen=price_fen, active=active)
    return p


def ticket_facts(community_id: int, ticket_id: int, user=None) -> dict | None:
    """The ticket's unit, kind, serial and state (tickets answers core.hooks.TICKET_FACTS); None
    when `user` may not open the ticket. Finance reads every paid repair of its community (it
    collects them) without being able to open the tickets themselves."""
    if user is not None and user.has_role(Role.FINANCE):
        user = None
    return hooks.first(hooks.TICKET_FACTS, community_id, ticket_id, user)


def _repair_facts(community_id: int, ticket_id: int, actor) -> dict:
    """The ticket of a paid repair as `actor` may change it: one they may open (404 otherwise)
    and, for a steward, in their own or covered buildings [D2] (403, said so)."""
    facts = ticket_facts(community_id, ticket_id, actor)
    if facts is None:
        raise FeeError("未找到该工单。", status=404)
    mine = steward_buildings(actor, community_id, site_today()) if actor is not None else None
    if mine is not None and facts.get("unit_id"):
        unit = db.session.get(Unit, facts["unit_id"])
        if unit is not None and unit.building_id not in mine:
            raise FeeError(f"{unit.label} 不在您负责的楼栋，不能办理收费维修。", status=403)
    return facts


def quote_for(ticket_id: int):
    from .models import RepairQuote

    return db.session.scalar(select(RepairQuote).where(RepairQuote.ticket_id == ticket_id))


def add_repair_line(community_id: int, ticket_id: int, actor, *, price_id: int, qty: int):
    """A quoted line on a repair's work order: an item of the price list × quantity. Only a
    repair inside a home, before the owner consented (a change after consent needs a new one)."""
    from .models import RepairLine, RepairPrice, RepairQuote

    facts = _repair_facts(community_id, ticket_id, actor)
    if facts.get("kind") != "repair" or not facts.get("unit_id"):
        raise FeeError("只有住户室内的报修工单可以收费。", "price_id", status=409)
    if not 1 <= qty <= 999:
        raise FeeError("数量应为 1 到 999 的整数。", "qty")
    price = db.session.get(RepairPrice, price_id) if isinstance(price_id, int) and 0 < price_id < 2**31 else None
    if price is None or price.community_id != community_id or not price.active:
        raise FeeError("请从价目表中选择。", "price_id")
    q = quote_for(ticket_id)
    if q is None:
        q = RepairQuote(community_id=community_id, ticket_id=ticket_id, unit_id=facts["unit_id"])
        db.session.add(q)
        db.session.flush()
    if q.consent_at is not None:
        raise FeeError("业主已签字确认报价，不能再修改。", "price_id", status=409)
    line = RepairLine(quote_id=q.id, name=price.name, kind=price.kind, qty=qty, price_fen=price.price_fen,
                      amount_fen=price.price_fen * qty)
    q.lines.append(line)
    db.session.flush()
    record("fees.repair_quoted", q, community_id=community_id, actor=actor, ticket_id=ticket_id, name=price.name,
           qty=qty, amount_fen=line.amount_fen)
    return q


def consent_repair(community_id: int, ticket_id: int, actor, *, method: str, name: str,
                   signature_path: str | None = None, now: datetime | None = None):
    """The owner's consent to the quote, before the work: on the kiosk's pad (a signature) or
    on paper (the signer's name; the paper is kept)."""
    from .models import CONSENT_METHODS

    _repair_facts(community_id, ticket_id, actor)
    q = quote_for(ticket_id)
    if q is None or q.community_id != community_id or not q.lines:
        raise FeeError("请先填写报价。", "name", status=409)
    if q.consent_at is not None:
        raise FeeError("业主已签字确认。", "name", status=409)
    name = (name or "").strip()
    if method not in CONSENT_METHODS:
        raise FeeError("请选择签字方式。", "method")
    if not name or len(name) > 64:
        raise FeeError("请填写签字人姓名。", "name")
    if method == "pad" and not signature_path:
        raise FeeError("请在签字板上签字，或选择纸质签字。", "signature")
    q.consent_method, q.consent_name, q.consent_signature = method, name, signature_path
    q.consent_at = now or utcnow()
    record("fees.repair_consented", q, community_id=community_id, actor=actor, ticket_id=ticket_id, method=method,
           total_fen=q.total_fen)
    return q


def charge_repair(community_id: int, ticket_id: int, actor, today: date | None = None):
    """The work is confirmed: the quote's total becomes a bill (维修费, this month) of the unit,
    paid at finance like any other. Once only; never without the owner's consent."""
    _repair_facts(community_id, ticket_id, actor)
    q = quote_for(ticket_id)
    if q is None or q.community_id != community_id or not q.lines:
        raise FeeError("该工单没有收费报价。", status=409)
    if q.consent_at is None:
        raise FeeError("业主尚未签字确认报价，不能计费。", status=409)
    if q.charged_at is not None:
        raise FeeError("已计入账单。", status=409)
    ensure_fee_defaults(community_id)
    item = db.session.scalar(select(ChargeItem).where(ChargeItem.community_id == community_id,
                                                      ChargeItem.name == REPAIR_ITEM))
    bill = Bill(community_id=community_id, unit_id=q.unit_id, item_id=item.id, period=period_of(today or site_today()),
                amount_fen=q.total_fen, paid_outside_fen=0, paid_fen=0, source="repair", ref=f"R{q.id}")
    db.session.add(bill)
    db.session.flush()
    q.bill_id, q.charged_at = bill.id, utcnow()
    record("fees.repair_charged", q, community_id=community_id, actor=actor, ticket_id=ticket_id, bill_id=bill.id,
           amount_fen=bill.amount_fen)
    q.credit_applied_fen = apply_credit(q.unit_id, actor)
    return q


def workorder_charges(ticket_id: int) -> list[dict]:
    """WORKORDER_CHARGES: the quoted lines for the work-order PDF (plain data)."""
    from .models import CONSENT_METHODS, REPAIR_KINDS

    q = quote_for(ticket_id)
    if q is None or not q.lines:
        return []
    return [{"lines": [[REPAIR_KINDS.get(ln.kind, ln.kind), ln.name, ln.qty, yuan(ln.price_fen), yuan(ln.amount_fen)]
                       for ln in q.lines],
             "total": yuan(q.total_fen),
             "consent": (f"{q.consent_name}（{CONSENT_METHODS.get(q.consent_method, '')}）" if q.consent_at else ""),
             "charged": bool(q.charged_at)}]
