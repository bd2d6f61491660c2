"""Renovation rules [R1]–[R7]: the application and its permit, the first-renovation
inspection, extensions and the board. Views call these; every state change records an Event.

For the worker passes (propsvc.renovation.passes) this module offers:
  get_renovation(community_id, renovation_id, *, lock=False) -> Renovation | None
  active_renovation_for_unit(unit_id, today=None) -> Renovation | None
  applicant_ok(renovation, name, role) -> bool        (alias: can_apply_as)
  applicant_error(renovation, name, role) -> str | None  (the Chinese refusal, or None)
  settings_for(community_id) -> RenovationSettings
  save_settings(community_id, actor, *, deposit, card_fee, default_months) -> changes

Errors are RenovationError with a Chinese message and an HTTP status: 409 for a step out of
order (or on a renovation in the wrong state), 422 for bad input.

Finishing (完工) sets the unit's status back to 已入住 when it was occupied before the
renovation was approved, otherwise to 已交付 (renovated, nobody registered as living there;
the move-in records 已入住). The status before approval is kept in the approval Event.

Attachments of the application (photos) have no column of their own: their stored paths are
in the `renovation.applied` Event's data (`attachments`), which never changes.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

if TYPE_CHECKING:
    from ..documents.service import DocStatus

from ..core import limits, scope
from ..core.models import Event, utcnow
from ..core.services import record
from ..core.timefmt import site_today
from ..documents.models import DocKind, Document
from ..extensions import db
from ..registry.models import Building, OccupantRole, Person, Unit, UnitStatus
from .models import Extension, ExtensionState, Inspection, Renovation, RenovationSettings, RenovationState

APPLICANT_ROLES = {"owner": "业主", "lead": "装修负责人"}

# The first-renovation check [R2]: the points the steward looks at with the owner.
INSPECTION_POINTS = {
    "door": "入户门",
    "lock": "门锁",
    "windows": "窗户",
    "latches": "窗户锁扣",
    "drains": "阳台地漏",
}

OPEN_STATES = (RenovationState.APPLIED, RenovationState.APPROVED)

EVENT_LABELS = {
    "renovation.applied": "登记装修申请",
    "renovation.approved": "经理批准，发放装修许可证",
    "renovation.rejected": "驳回申请",
    "renovation.inspected": "首次装修检查",
    "renovation.finished": "完工",
    "renovation.extension_requested": "申请延期",
    "renovation.extension_reviewed": "工程主管审核延期",
    "renovation.extension_approved": "经理批准延期",
    "renovation.extension_rejected": "延期未获批准",
    "renovation.extension_fee_paid": "财务收取延期费用",
    "renovation.extended": "装修期延长",
}


class RenovationError(ValueError):
    """A refused step; `str(e)` is the Chinese message shown to the clerk."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def _docs():
    """The shared document service, or None while it is not installed yet."""
    try:
        from ..documents import service
    except ModuleNotFoundError as e:
        if e.name == "propsvc.documents.service":
            return None
        raise
    return service


def documents_available() -> bool:
    return _docs() is not None


# --- dates and settings [R1] ---------------------------------------------------------------

def add_months(d: date, months: int) -> date:
    """Calendar months: the same day `months` later, or the month's last day when it has
    no such day (Nov 30 + 3 months → Feb 28, or Feb 29 in a leap year)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def settings_for(community_id: int) -> RenovationSettings:
    """The community's renovation settings; defaults (not saved) when none are stored."""
    s = db.session.get(RenovationSettings, community_id)
    if s is None:
        s = RenovationSettings(community_id=community_id, deposit=Decimal("100"), card_fee=Decimal("5"),
                               default_months=3)
    return s


SETTINGS_LABELS = {"deposit": "押金", "card_fee": "工本费", "default_months": "默认装修期"}


def save_settings(community_id: int, actor, *, deposit: Decimal, card_fee: Decimal,
                  default_months: int) -> dict[str, dict[str, str]]:
    """Store the community's deposit and card fee per person [R5] and default period [R1].
    Returns what changed, {"deposit": {"old": "100.00", "new": "200.00"}, …}, also recorded in
    a `renovation.settings` Event; nothing changed: nothing stored, no Event. Workers already
    registered keep the amounts they were asked for (Worker.deposit/card_fee); new
    registrations and applications use the new values."""
    s = db.session.get(RenovationSettings, community_id)
    current = settings_for(community_id) if s is None else s
    old = {"deposit": Decimal(current.deposit), "card_fee": Decimal(current.card_fee),
           "default_months": int(current.default_months or 3)}
    new = {"deposit": Decimal(deposit), "card_fee": Decimal(card_fee), "default_months": int(default_months)}
    changes = {key: {"old": _setting_text(old[key]), "new": _setting_text(new[key])}
               for key in new if new[key] != old[key]}
    if not changes:
        return {}
    if s is None:
        s = RenovationSettings(community_id=community_id)
        db.session.add(s)
    s.deposit, s.card_fee, s.default_months = new["deposit"], new["card_fee"], new["default_months"]
    db.session.flush()
    record("renovation.settings", None, actor=actor, community_id=community_id, changes=changes)
    return changes


def _setting_text(value) -> str:
    return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


def default_end(community_id: int, starts_on: date) -> date:
    """[R1] The planned end when none is given: start + the community's period (3 months)."""
    return add_months(starts_on, settings_for(community_id).default_months or 3)


# --- loading -------------------------------------------------------------------------------

def get_renovation(community_id: int, renovation_id: int, *, lock: bool = False) -> Renovation | None:
    """The renovation if it belongs to this community (else None: never reveal another site's).
    lock=True: for a state change — the row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite
    write transactions are serialised anyway), so two clicks at once cannot both act."""
    stmt = (select(Renovation).where(Renovation.id == renovation_id, Renovation.community_id == community_id)
            .options(selectinload(Renovation.unit).selectinload(Unit.building),
                     selectinload(Renovation.extensions)))
    if lock:
        stmt = stmt.with_for_update(of=Renovation).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def active_renovation_for_unit(unit_id: int, today: date | None = None) -> Renovation | None:
    """The unit's approved renovation whose period (starts_on..ends_on) includes today."""
    today = today or site_today()
    return db.session.scalar(
        select(Renovation).where(Renovation.unit_id == unit_id, Renovation.state == RenovationState.APPROVED,
                                 Renovation.starts_on <= today, Renovation.ends_on >= today)
        .order_by(Renovation.id.desc()).limit(1))


def open_renovation_for_unit(unit_id: int) -> Renovation | None:
    """An application still pending, or an approved renovation not yet finished."""
    return db.session.scalar(
        select(Renovation).where(Renovation.unit_id == unit_id, Renovation.state.in_(OPEN_STATES))
        .order_by(Renovation.id.desc()).limit(1))


def ever_approved(unit_id: int) -> bool:
    """Whether the unit ever had an approved renovation (then a new one is not the first)."""
    return db.session.scalar(
        select(Renovation.id).where(Renovation.unit_id == unit_id,
                                    Renovation.state.in_((RenovationState.APPROVED, RenovationState.FINISHED)))
        .limit(1)) is not None


def find_by_client_key(key: str | None) -> Renovation | None:
    if not key:
        return None
    return db.session.scalar(select(Renovation).where(Renovation.client_key == key))


def owners_of(unit: Unit, today: date | None = None) -> list[Person]:
    """The unit's current owners (a home may have several)."""
    today = today or site_today()
    return [o.person for o in unit.occupancies if o.role == OccupantRole.OWNER and o.is_current(today)]


def is_overdue(r: Renovation, today: date | None = None) -> bool:
    """Approved and past its end date without being finished [R7]."""
    return r.state == RenovationState.APPROVED and r.ends_on < (today or site_today())


# --- the applicant [R4] --------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def _norm(name: str | None) -> str:
    return _SPACES.sub("", name or "")


def _applicant_problem(unit: Unit, lead_name: str | None, name: str | None, role: str | None) -> str | None:
    who = _norm(name)
    if not who:
        return "请填写办证人姓名。"
    if role == "owner":
        owners = owners_of(unit)
        if not owners:
            return "该房屋没有登记业主，无法以业主身份申请；请先在房屋档案中登记业主。"
        if who not in {_norm(p.name) for p in owners}:
            return f"{name} 不是该房屋登记的业主，只有业主本人或装修负责人可以办理。"
        return None
    if role == "lead":
        if who != _norm(lead_name):
            return f"{name} 不是本次装修登记的装修负责人，只有业主本人或装修负责人可以办理。"
        return None
    return "请选择办证人身份（业主或装修负责人）。"


def applicant_error(renovation: Renovation, name: str | None, role: str | None) -> str | None:
    """None when `name` in `role` ('owner' | 'lead') may apply for this renovation [R4]:
    a current owner of its unit (by name), or its renovation lead; else the Chinese refusal."""
    return _applicant_problem(renovation.unit, renovation.lead_name, name, role)


def applicant_ok(renovation: Renovation, name: str | None, role: str | None) -> bool:
    """[R4] The applicant is the unit's current owner or the renovation's lead."""
    return applicant_error(renovation, name, role) is None


can_apply_as = applicant_ok


# --- the application [R1][R4] --------------------------------------------------------------

@dataclass
class Application:
    unit_id: int
    applicant_name: str
    applicant_role: str
    lead_name: str
    lead_phone: str
    scope: str
    starts_on: date
    ends_on: date | None = None  # None: the default period [R1]
    lead_company: str | None = None
    lead_id_number: str | None = None
    first_renovation: bool | None = None  # None: first unless the unit had an approved one
    client_key: str | None = None
    attachments: list[dict] = field(default_factory=list)  # [{"path":…, "thumb":…}]


def apply(community_id: int, a: Application, actor) -> Renovation:
    """Register an application (待审批). Raises RenovationError (422) for a refused applicant."""
    # Lock the unit: two applications for it at once cannot both pass the check below.
    unit = db.session.scalar(select(Unit).where(Unit.id == a.unit_id).with_for_update(of=Unit)
                             .execution_options(populate_existing=True))
    if unit is None or unit.community_id != community_id:
        raise RenovationError("房屋不存在，请重新选择。", 422)
    pending = open_renovation_for_unit(unit.id)
    if pending is not None:
        raise RenovationError(f"该房屋已有未完工的装修（{pending.state_label}，{pending.starts_on}至{pending.ends_on}），"
                              "请勿重复登记；如需延长请办理延期。", 409)
    role = a.applicant_role
    name = (a.applicant_name or "").strip()
    owners = owners_of(unit)
    if role == "owner" and not name and len(owners) == 1:
        name = owners[0].name
    problem = _applicant_problem(unit, a.lead_name, name, role)
    if problem:
        raise RenovationError(problem, 422)
    ends_on = a.ends_on or default_end(community_id, a.starts_on)
    if ends_on <= a.starts_on:
        raise RenovationError("计划完工日期必须晚于开工日期。", 422)
    first = a.first_renovation if a.first_renovation is not None else not ever_approved(unit.id)
    r = Renovation(
        community_id=community_id, unit_id=unit.id, owner_person_id=owners[0].id if owners else None,
        applicant_name=name, applicant_role=role, lead_company=(a.lead_company or "").strip() or None,
        lead_name=a.lead_name.strip(), lead_phone=a.lead_phone, lead_id_number=a.lead_id_number or None,
        scope=a.scope.strip(), starts_on=a.starts_on, ends_on=ends_on, first_renovation=first,
        state=RenovationState.APPLIED, created_by_id=getattr(actor, "id", None), client_key=a.client_key or None)
    db.session.add(r)
    db.session.flush()
    record("renovation.applied", r, actor=actor, unit=unit.label, applicant=name, applicant_role=role,
           starts_on=r.starts_on.isoformat(), ends_on=r.ends_on.isoformat(),
           default_period=a.ends_on is None, first_renovation=first, attachments=list(a.attachments))
    return r


def attachments(r: Renovation) -> list[dict]:
    ev = db.session.scalar(select(Event).where(Event.object_type == "renovation", Event.object_id == r.id,
                                               Event.action == "renovation.applied").limit(1))
    return list((ev.data or {}).get("attachments") or []) if ev else []


def _period(r_or_start, end: date | None = None) -> str:
    start = r_or_start.starts_on if end is None else r_or_start
    end = r_or_start.ends_on if end is None else end
    return f"{start:%Y年%m月%d日} 至 {end:%Y年%m月%d日}"


def permit_data(r: Renovation, approved_on: date) -> dict:
    """What the permit prints (plain data, frozen at approval): no phone or ID numbers."""
    owners = owners_of(r.unit)
    owner = db.session.get(Person, r.owner_person_id) if r.owner_person_id else (owners[0] if owners else None)
    return {
        "community": r.unit.building.community.name,
        "unit": r.unit.label,
        "owner": owner.name if owner else "",
        "applicant": r.applicant_name,
        "applicant_role": APPLICANT_ROLES.get(r.applicant_role, r.applicant_role),
        "lead_company": r.lead_company or "",
        "lead_name": r.lead_name,
        "scope": r.scope,
        "starts_on": r.starts_on.isoformat(),
        "ends_on": r.ends_on.isoformat(),
        "period": _period(r),
        "approved_on": approved_on.isoformat(),
    }


def approve(r: Renovation, actor, today: date | None = None) -> Document | None:
    """The site manager approves: 装修中, and the permit is issued (sealed). Returns the permit
    (None only while the document service is not installed)."""
    if r.state != RenovationState.APPLIED:
        raise RenovationError(f"该申请当前为“{r.state_label}”，只有待审批的申请可以批准。")
    today = today or site_today()
    before = r.unit.status
    r.state = RenovationState.APPROVED
    r.approved_at = utcnow()
    r.unit.status = UnitStatus.RENOVATING
    doc = None
    docs = _docs()
    if docs is not None:
        doc = docs.create(DocKind.PERMIT, r, permit_data(r, today), community_id=r.community_id,
                          valid_from=r.starts_on, valid_until=r.ends_on)
        doc = docs.approve(doc, actor)
    record("renovation.approved", r, actor=actor, unit_status_before=before,
           permit=doc.serial if doc is not None else None)
    return doc


def reject(r: Renovation, actor, reason: str) -> None:
    if r.state != RenovationState.APPLIED:
        raise RenovationError(f"该申请当前为“{r.state_label}”，只有待审批的申请可以驳回。")
    reason = (reason or "").strip()
    if not reason:
        raise RenovationError("请填写驳回原因。", 422)
    r.state = RenovationState.REJECTED
    record("renovation.rejected", r, actor=actor, text=reason)
    end_documents(r, actor, "装修申请已驳回")


def finish(r: Renovation, actor, note: str | None = None) -> str:
    """完工: the unit returns to 已入住 if it was occupied before, else 已交付. Returns the status."""
    if r.state != RenovationState.APPROVED:
        raise RenovationError(f"该装修当前为“{r.state_label}”，只有装修中的可以登记完工。")
    approved = db.session.scalar(select(Event).where(
        Event.object_type == "renovation", Event.object_id == r.id, Event.action == "renovation.approved")
        .order_by(Event.id.desc()).limit(1))
    before = (approved.data or {}).get("unit_status_before") if approved else None
    status = UnitStatus.OCCUPIED if before == UnitStatus.OCCUPIED else UnitStatus.DELIVERED
    r.state = RenovationState.FINISHED
    if r.unit.status == UnitStatus.RENOVATING:
        r.unit.status = status
    record("renovation.finished", r, actor=actor, unit_status=r.unit.status, text=(note or "").strip() or None,
           overdue_days=max(0, (site_today() - r.ends_on).days))
    end_documents(r, actor, "装修已完工")
    return r.unit.status


def all_documents_of(r: Renovation) -> list[Document]:
    """Every document of a renovation, oldest first: its permits (a reissue after an extension
    adds one), the extensions' documents and the workers' passes."""
    if _docs() is None:
        return []
    worker_ids = [w.id for w in r.workers]
    extension_ids = [e.id for e in r.extensions]
    clauses = [(Document.object_type == "renovation") & (Document.object_id == r.id)]
    if extension_ids:
        clauses.append((Document.object_type == "extension") & Document.object_id.in_(extension_ids))
    if worker_ids:
        clauses.append((Document.object_type == "worker") & Document.object_id.in_(worker_ids))
    return list(db.session.scalars(select(Document).where(or_(*clauses)).order_by(Document.id)))


def end_documents(r: Renovation, actor, reason: str) -> list[Document]:
    """The renovation is over: its permit, extension and pass documents still in force end
    (they verify 已结束 and the gate refuses them). Returns the documents ended."""
    docs = _docs()
    if docs is None:
        return []
    return [d for d in all_documents_of(r) if docs.end(d, actor, reason)]


# --- the first-renovation inspection [R2] --------------------------------------------------

@dataclass
class PointResult:
    ok: bool | None  # None: not answered
    note: str = ""
    photo: str | None = None  # stored path
    thumb: str | None = None


def inspection_of(r: Renovation) -> Inspection | None:
    return db.session.scalar(select(Inspection).where(Inspection.renovation_id == r.id))


def inspection_problems(points: dict[str, PointResult], rules_told: bool, neighbours_told: bool) -> dict[str, str]:
    """What is missing, by form field name (`door_result`, `door_photo`, `door_note`, …,
    `rules_told`, `neighbours_told`); empty when the check may be saved."""
    errors = {}
    for key, label in INSPECTION_POINTS.items():
        p = points.get(key)
        if p is None or p.ok is None:
            errors[f"{key}_result"] = f"请检查{label}并选择“正常”或“有问题”。"
        elif not p.ok and not p.photo:
            errors[f"{key}_photo"] = f"{label}有问题，请拍照留证。"
        elif not p.ok and not p.note.strip():
            errors[f"{key}_note"] = f"请写明{label}的问题。"
    if not rules_told:
        errors["rules_told"] = "请向业主讲解装修管理规定后勾选。"
    if not neighbours_told:
        errors["neighbours_told"] = "请告知业主相邻装修情况后勾选。"
    return errors


def record_inspection(r: Renovation, actor, points: dict[str, PointResult], rules_told: bool,
                      neighbours_told: bool) -> Inspection:
    """[R2] Door, lock, windows, window latches, balcony drains, each OK or a defect with a photo;
    the owner told the rules and the neighbours' renovations. One per renovation."""
    if r.state not in OPEN_STATES:
        raise RenovationError(f"该装修当前为“{r.state_label}”，不能再登记首次装修检查。")
    if inspection_of(r) is not None:
        raise RenovationError("该装修已登记首次装修检查，不能重复登记。")
    errors = inspection_problems(points, rules_told, neighbours_told)
    if errors:
        raise RenovationError(next(iter(errors.values())), 422)
    results = {k: {"ok": bool(points[k].ok), "note": points[k].note.strip(), "photo": points[k].photo,
                   "thumb": points[k].thumb} for k in INSPECTION_POINTS}
    ins = Inspection(renovation_id=r.id, results=results, rules_told=True, neighbours_told=True,
                     steward_id=actor.id)
    db.session.add(ins)
    db.session.flush()
    record("renovation.inspected", r, actor=actor,
           defects=[INSPECTION_POINTS[k] for k, v in results.items() if not v["ok"]],
           neighbours=[n.unit.label for n in neighbours(r)])
    return ins


def neighbours(r: Renovation, today: date | None = None) -> list[Renovation]:
    """Other approved, unfinished renovations in the same building and entrance [R2]."""
    return list(db.session.scalars(
        select(Renovation).join(Renovation.unit)
        .where(Renovation.community_id == r.community_id, Renovation.id != r.id,
               Renovation.state == RenovationState.APPROVED,
               Unit.building_id == r.unit.building_id, Unit.entrance == r.unit.entrance)
        .options(selectinload(Renovation.unit).selectinload(Unit.building))
        .order_by(Unit.floor, Unit.number)))


# --- extensions [R6] -----------------------------------------------------------------------

def extension_applied(ext: Extension) -> bool:
    """Approved and any fee paid: the end date has moved."""
    return ext.state == ExtensionState.APPROVED and (not ext.fee or ext.fee_paid_at is not None)


def extension_label(ext: Extension) -> str:
    if ext.state == ExtensionState.REQUESTED:
        return "待工程主管审核"
    if ext.state == ExtensionState.REVIEWED:
        return "待经理审批"
    if ext.state == ExtensionState.REJECTED:
        return "未获批准"
    return "已批准，待缴费" if not extension_applied(ext) else "已批准"


def open_extension(r: Renovation) -> Extension | None:
    for ext in r.extensions:
        if ext.state in (ExtensionState.REQUESTED, ExtensionState.REVIEWED) or (
                ext.state == ExtensionState.APPROVED and not extension_applied(ext)):
            return ext
    return None


def parse_fee(value) -> Decimal:
    try:
        fee = Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RenovationError("费用格式不正确。", 422) from None
    if fee < 0 or fee > Decimal("100000"):
        raise RenovationError("费用须在 0 至 100000 元之间。", 422)
    return fee


def request_extension(r: Renovation, actor, *, name: str, role: str, reason: str, new_end: date,
                      fee=Decimal("0")) -> Extension:
    """The owner or the lead asks for a later end date [R6][R4]."""
    if r.state != RenovationState.APPROVED:
        raise RenovationError(f"该装修当前为“{r.state_label}”，只有已批准、未完工的装修可以申请延期。")
    if open_extension(r) is not None:
        raise RenovationError("已有一份处理中的延期申请，请等其办结后再申请。")
    problem = applicant_error(r, name, role)
    if problem:
        raise RenovationError(problem, 422)
    if not (reason or "").strip():
        raise RenovationError("请填写延期原因。", 422)
    if new_end is None or new_end <= r.ends_on:
        raise RenovationError(f"新的完工日期必须晚于当前完工日期 {r.ends_on.isoformat()}。", 422)
    if new_end > r.ends_on + limits.EXTENSION_MAX:
        raise RenovationError(f"一次延期最多{limits.EXTENSION_MAX.days}天（至 {(r.ends_on + limits.EXTENSION_MAX).isoformat()}）。",
                              422)
    fee = parse_fee(fee)
    ext = Extension(renovation_id=r.id, requested_by=name.strip(), requester_role=role, reason=reason.strip(),
                    new_end=new_end, fee=fee, state=ExtensionState.REQUESTED)
    r.extensions.append(ext)
    db.session.flush()
    record("renovation.extension_requested", r, actor=actor, extension_id=ext.id, requested_by=ext.requested_by,
           requester_role=role, new_end=new_end.isoformat(), old_end=r.ends_on.isoformat(), fee=str(fee),
           text=ext.reason)
    return ext


def _decide(agree: bool, note: str | None) -> str:
    note = (note or "").strip()
    if not agree and not note:
        raise RenovationError("不同意时请填写原因。", 422)
    return note


def review_extension(r: Renovation, ext: Extension, actor, *, agree: bool, note: str | None = None) -> None:
    """The engineering supervisor reviews (first step after the request)."""
    if ext.state != ExtensionState.REQUESTED:
        raise RenovationError(f"该延期申请当前为“{extension_label(ext)}”，工程审核只能在申请之后、经理审批之前进行。")
    note = _decide(agree, note)
    ext.state = ExtensionState.REVIEWED if agree else ExtensionState.REJECTED
    record("renovation.extension_reviewed" if agree else "renovation.extension_rejected", r, actor=actor,
           extension_id=ext.id, step="review", agree=agree, text=note or None)


def approve_extension(r: Renovation, ext: Extension, actor, *, agree: bool, note: str | None = None,
                      today: date | None = None) -> Document | None:
    """The site manager approves, only after the engineering review. The end date moves now
    if there is no fee or it is paid; otherwise when finance records it."""
    if ext.state == ExtensionState.REQUESTED:
        raise RenovationError("该延期申请尚未经工程主管审核，经理不能先审批。")
    if ext.state != ExtensionState.REVIEWED:
        raise RenovationError(f"该延期申请当前为“{extension_label(ext)}”，不能再审批。")
    note = _decide(agree, note)
    ext.state = ExtensionState.APPROVED if agree else ExtensionState.REJECTED
    record("renovation.extension_approved" if agree else "renovation.extension_rejected", r, actor=actor,
           extension_id=ext.id, step="approve", agree=agree, text=note or None)
    return _apply_if_ready(r, ext, actor, today) if agree else None


def pay_extension_fee(r: Renovation, ext: Extension, actor, receipt_no: str,
                      today: date | None = None) -> Document | None:
    """Finance records the fee with its receipt number [R6]."""
    if ext.state == ExtensionState.REJECTED:
        raise RenovationError("该延期申请未获批准，不能收费。")
    if not ext.fee:
        raise RenovationError("该延期申请无需缴费。")
    if ext.fee_paid_at is not None:
        raise RenovationError(f"延期费用已收取（收据号 {ext.fee_receipt_no}）。")
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        raise RenovationError("请填写收据号。", 422)
    ext.fee_paid_at = utcnow()
    ext.fee_receipt_no = receipt_no[:32]
    record("renovation.extension_fee_paid", r, actor=actor, extension_id=ext.id, fee=str(ext.fee),
           receipt_no=ext.fee_receipt_no)
    return _apply_if_ready(r, ext, actor, today)


def _step_by(r: Renovation, ext: Extension, action: str) -> tuple[str, str]:
    """(name, ISO day) of who did an extension step, from its Event."""
    from ..auth.models import User
    from ..core.timefmt import localtime

    events = db.session.scalars(select(Event).where(
        Event.object_type == "renovation", Event.object_id == r.id, Event.action == action).order_by(Event.id.desc()))
    for ev in events:
        if (ev.data or {}).get("extension_id") == ext.id:
            user = db.session.get(User, ev.actor_id) if ev.actor_id else None
            return (user.name if user else ""), localtime(ev.at, "%Y-%m-%d")
    return "", ""


def extension_data(r: Renovation, ext: Extension, old_end: date, approved_on: date) -> dict:
    """What the extension document prints (plain data): no phone or ID numbers."""
    owners = owners_of(r.unit)
    docs = _docs()
    permit = docs.for_object(r, DocKind.PERMIT) if docs is not None else None
    reviewed_by, reviewed_on = _step_by(r, ext, "renovation.extension_reviewed")
    approved_by, manager_on = _step_by(r, ext, "renovation.extension_approved")
    return {
        "community": r.unit.building.community.name,
        "unit": r.unit.label,
        "owner": owners[0].name if owners else "",
        "lead_company": r.lead_company or "",
        "lead_name": r.lead_name,
        "permit_serial": permit.serial if permit is not None else "",
        "requested_by": ext.requested_by,
        "requester_role": APPLICANT_ROLES.get(ext.requester_role, ext.requester_role),
        "reason": ext.reason,
        "starts_on": r.starts_on.isoformat(),
        "old_end": old_end.isoformat(),
        "new_end": ext.new_end.isoformat(),
        "period": _period(r.starts_on, ext.new_end),
        "fee": str(ext.fee),
        "receipt_no": ext.fee_receipt_no or "",
        "reviewed_by": reviewed_by,
        "reviewed_on": reviewed_on,
        "approved_by": approved_by,
        "approved_on": manager_on or approved_on.isoformat(),
    }


def reissue_permit(r: Renovation, actor, reason: str) -> Document | None:
    """The permit prints the renovation's period: when the end date moves, a new permit with
    the new end (a new serial) replaces the one in force (documents.service.reissue). None when
    there is none in force (or no document service)."""
    docs = _docs()
    permit = docs.for_object(r, DocKind.PERMIT) if docs is not None else None
    if permit is None or docs.status(permit) not in docs.STANDING:
        return None
    return docs.reissue(permit, actor, {"ends_on": r.ends_on.isoformat(), "period": _period(r)},
                        valid_until=r.ends_on, reason=reason)


def _apply_if_ready(r: Renovation, ext: Extension, actor, today: date | None) -> Document | None:
    """The end date moves: the permit is reissued with the new end, and the extension's own
    document (延期证明) is issued naming the new permit."""
    if not extension_applied(ext):
        return None
    old_end = r.ends_on
    r.ends_on = ext.new_end
    doc = permit = None
    docs = _docs()
    if docs is not None:
        permit = reissue_permit(r, actor, f"延期至 {ext.new_end.isoformat()}（原 {old_end.isoformat()}）")
        doc = docs.create(DocKind.EXTENSION, ext, extension_data(r, ext, old_end, today or site_today()),
                          community_id=r.community_id, valid_from=r.starts_on, valid_until=ext.new_end)
        doc = docs.approve(doc, actor)
    record("renovation.extended", r, actor=actor, extension_id=ext.id, old_end=old_end.isoformat(),
           new_end=ext.new_end.isoformat(), document=doc.serial if doc is not None else None,
           permit=permit.serial if permit is not None else None)
    return doc


def document_statuses(r: Renovation, today: date | None = None) -> list[tuple[Document, "DocStatus"]]:
    """documents_of(r), each with its documents.service.DocStatus on `today`."""
    docs = _docs()
    return [(d, docs.status_of(d, today)) for d in documents_of(r)] if docs is not None else []


def documents_of(r: Renovation) -> list[Document]:
    """The permits (a replaced one too: it says by which) and the extension documents of a
    renovation, oldest first (empty without the service)."""
    return [d for d in all_documents_of(r) if d.kind in (DocKind.PERMIT, DocKind.EXTENSION)]


# --- lists and the board [R7] --------------------------------------------------------------

LIST_FILTERS = {"open": "进行中", "applied": "待审批", "approved": "装修中", "overdue": "已超期",
                "finished": "已完工", "rejected": "已驳回", "all": "全部"}
LIST_LIMIT = 200


def listing(community_id: int, which: str = "open", today: date | None = None, user=None) -> list[Renovation]:
    """The renovations of a state filter, newest first; a steward's (`user`) buildings first [D2]."""
    today = today or site_today()
    stmt = (select(Renovation).join(Renovation.unit).join(Unit.building)
            .where(Renovation.community_id == community_id)
            .options(selectinload(Renovation.unit).selectinload(Unit.building)))
    if which == "open":
        stmt = stmt.where(Renovation.state.in_(OPEN_STATES))
    elif which == "overdue":
        stmt = stmt.where(Renovation.state == RenovationState.APPROVED, Renovation.ends_on < today)
    elif which in ("applied", "approved", "finished", "rejected"):
        stmt = stmt.where(Renovation.state == which)
    own = [scope.own_first(user, Unit.building_id, community_id)] if user is not None else []
    stmt = stmt.order_by(*own, Renovation.id.desc()).limit(LIST_LIMIT)
    return list(db.session.scalars(stmt))


def board(community_id: int, today: date | None = None, building_id: int | None = None) -> list[dict]:
    """[R7] Who renovates where and until when, per building and floor: plain data (no phone
    or ID numbers — it hangs on the public notice board). Approved, unfinished renovations;
    overdue ones (past their end) marked."""
    today = today or site_today()
    stmt = (select(Renovation, Unit, Building).join(Unit, Renovation.unit_id == Unit.id)
            .join(Building, Unit.building_id == Building.id)
            .where(Renovation.community_id == community_id, Renovation.state == RenovationState.APPROVED)
            .order_by(Building.sort_key, Building.number, Unit.floor, Unit.entrance, Unit.number))
    if building_id:
        stmt = stmt.where(Building.id == building_id)
    out: list[dict] = []
    for r, unit, b in db.session.execute(stmt):
        if not out or out[-1]["building_id"] != b.id:
            out.append({"building_id": b.id, "building": b.label, "floors": []})
        floors = out[-1]["floors"]
        if not floors or floors[-1]["floor"] != unit.floor:
            floors.append({"floor": unit.floor, "rows": []})
        overdue = r.ends_on < today
        floors[-1]["rows"].append({
            "id": r.id, "unit": unit.label, "entrance": unit.entrance, "number": unit.number,
            "lead_company": r.lead_company or "", "lead_name": r.lead_name,
            "starts_on": r.starts_on.isoformat(), "ends_on": r.ends_on.isoformat(),
            "started": r.starts_on <= today, "overdue": overdue,
            "days_over": (today - r.ends_on).days if overdue else 0,
        })
    for b in out:
        b["count"] = sum(len(f["rows"]) for f in b["floors"])
        b["overdue"] = sum(1 for f in b["floors"] for row in f["rows"] if row["overdue"])
    return out


def applied_count(user, community_id: int) -> tuple[str, int]:
    """装修's tile (core.nav): applications waiting for approval (the 待审批 list)."""
    n = db.session.scalar(select(func.count()).select_from(Renovation).where(
        Renovation.community_id == community_id, Renovation.state == RenovationState.APPLIED))
    return "待审批", n or 0


def board_count(user, community_id: int) -> tuple[str, int]:
    """装修动态's tile (core.nav): approved renovations under way, as the board lists them."""
    n = db.session.scalar(select(func.count()).select_from(Renovation).where(
        Renovation.community_id == community_id, Renovation.state == RenovationState.APPROVED))
    return "在装修", n or 0


def month_figures(community_id: int, first: date, last: date) -> list[tuple[str, str, int]]:
    """core.hooks.MONTH_FIGURES: renovations active in [first, last], finished by then, and
    extensions asked and approved (the manager's monthly report [A5])."""
    from ..core.timefmt import day_bounds

    lo, hi = day_bounds(first)[0], day_bounds(last)[1]
    running = (RenovationState.APPROVED, RenovationState.FINISHED)
    active, finished = db.session.execute(select(  # one statement a table: counts FILTER (WHERE …)
        func.count().filter(Renovation.state.in_(running), Renovation.starts_on <= last, Renovation.ends_on >= first),
        func.count().filter(Renovation.state == RenovationState.FINISHED, Renovation.ends_on >= first,
                            Renovation.ends_on <= last))
        .where(Renovation.community_id == community_id)).one()
    asked, approved = db.session.execute(select(
        func.count(), func.count().filter(Extension.state == ExtensionState.APPROVED))
        .select_from(Extension).join(Renovation, Renovation.id == Extension.renovation_id)
        .where(Renovation.community_id == community_id, Extension.created_at >= lo, Extension.created_at < hi)).one()
    return [("装修", "在装修户数", active), ("装修", "完工户数", finished), ("装修", "申请延期", asked),
            ("装修", "批准延期", approved)]
