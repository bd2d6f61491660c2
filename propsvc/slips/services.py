"""Release slips (物品放行条) [S1]-[S3]: the rules. Views call these; these never commit (the
view commits once). Every state change records an Event.

* [S2] Who may apply: a current owner of THIS unit; the lead of the unit's approved renovation
  whose period includes today (the owner authorised it by applying); a current tenant of the
  unit only with the owner's consent, recorded as how it was given — the owner signed on the
  kiosk, the owner confirmed by phone to a named staff member, or a written consent attached
  as a photo. Anyone else is refused with the reason (SlipError, 422, next to the field).
* [S3] The applicant signs on the kiosk (a PNG data URL from static/js/signature.js, checked
  with Pillow, a blank canvas refused) or on paper. The duty supervisor signs (pending →
  signed); the site manager's approval stamps the document (signed → approved: the shared
  documents service seals it and freezes what it prints). A slip is a DocKind.SLIP Document
  from registration on (a draft: watermarked, no seal), serial FX<year>-NNNN.
* Validity: the moving date only (valid_from = valid_until = moving_on). What the gate says is
  the document's status (documents.service.status_of): before the day 未到日期 (未生效), after
  it 已过期. It releases once: a conditional UPDATE … WHERE released_at IS NULL, so two guards
  at once release it once; the winner marks the document used (已使用, when and by whom) in the
  same transaction, and a second scan shows when and by whom.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ..core.models import utcnow
from ..core import hooks, limits
from ..core.services import record
from ..core.timefmt import localtime, site_today
from ..documents.models import DocKind, DocState, Document
from ..extensions import db
from ..photos import signatures
from ..registry.masking import mask_id, mask_phone
from ..registry.models import Occupancy, OccupantRole, Person, Unit
from .models import APPLICANT_ROLES, CONSENT_METHODS, ReleaseSlip, SlipState

MAX_ITEMS = 200          # item lines on one slip: a whole move-out (the PDF flows onto more pages)
ITEM_NAME_MAX = 40       # characters of one item's name
ITEM_QTY_MAX = 999
MAX_DAYS_AHEAD = limits.SLIP_DAYS_AHEAD  # a moving date at most this far ahead
LIST_LIMIT = 100

MSG_SIGN = "请签名"
MSG_SIGN_BAD = "签名图片无效，请清除后重新签名。"
MSG_UNIT = "房屋不存在，请重新选择。"
MSG_NO_OWNER = "该房屋没有登记业主，无法办理放行条；请先在房屋档案中登记业主。"
MSG_NOT_OWNER = "{name} 不是该房屋（{unit}）登记的业主，不能以业主身份申请。"
MSG_OTHER_OWNER = "{name} 是其他房屋的业主，不是本房屋（{unit}）的业主，不能为本房屋申请放行。"
MSG_NO_RENOVATION = "该房屋没有经批准且在装修期内的装修，装修负责人不能申请放行。"
MSG_NOT_LEAD = "{name} 不是本房屋在期装修登记的装修负责人，不能以装修负责人身份申请。"
MSG_NOT_TENANT = "{name} 不是该房屋登记的租户；请先在房屋档案中登记租户，或由业主本人申请。"
MSG_NEEDS_CONSENT = "租户申请放行须经业主同意：请选择业主同意方式（前台签字、电话确认或书面同意）。"
MSG_CONSENT_OWNER = "请填写表示同意的业主姓名。"
MSG_CONSENT_NOT_OWNER = "{name} 不是该房屋登记的业主，其同意无效。"
MSG_CONSENT_STAFF = "请填写接听业主电话确认的工作人员姓名。"
MSG_CONSENT_SIGN = "请业主在屏幕上签字表示同意。"
MSG_CONSENT_PHOTO = "请上传业主书面同意书的照片。"
MSG_ITEMS = "请至少填写一件物品（名称和数量）。"
MSG_TOO_MANY_ITEMS = "一张放行条最多{max}项物品，本次填写了{n}项：请删去{over}项，或把其余物品另开一张放行条登记。"
MSG_ITEM_NAME = f"物品名称最多{ITEM_NAME_MAX}字。"
MSG_ITEM_QTY = f"数量须为1至{ITEM_QTY_MAX}的整数。"
MSG_ITEM_NO_NAME = "有数量的行请填写物品名称。"
MSG_PAST = "搬出日期不能早于今天。"
MSG_TOO_FAR = f"搬出日期最多可提前{MAX_DAYS_AHEAD}天登记。"
MSG_SIGN_FIRST = "请先由值班主管签字，再由经理审批盖章。"
MSG_EXPIRED_APPROVE = "搬出日期（{day}）已过，不能再批准；请重新登记。"
MSG_REASON = "请填写原因。"

GATE_LABELS = {"valid": "可放行", "used": "已使用", "expired": "已过期", "early": "未到日期",
               "not_approved": "未批准", "void": "已作废"}

EVENT_LABELS = {
    "slip.registered": "登记放行条",
    "slip.signed": "值班主管签字",
    "slip.approved": "经理审批盖章",
    "slip.refused": "驳回",
    "slip.cancelled": "取消",
    "slip.checked": "门岗查验",
    "slip.released": "门岗放行",
}

LIST_FILTERS = {"open": "未完成", "pending": "待主管签字", "signed": "待经理盖章", "approved": "已批准待放行",
                "today": "今日搬出", "released": "已放行", "closed": "已驳回/取消", "all": "全部"}


class SlipError(ValueError):
    """A refused step; `str(e)` is the Chinese message, shown next to `field` when given."""

    def __init__(self, message: str, status: int = 409, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field


def _docs():
    from ..documents import service

    return service


def _norm(name: str | None) -> str:
    return re.sub(r"\s+", "", name or "")


# --- signatures ----------------------------------------------------------------------------

def decode_signature(value: str | None) -> bytes:
    """A PNG data URL from the signature pad → a clean, cropped grayscale PNG (bytes)
    (photos.signatures). Refused (SlipError, field "signature"): nothing drawn ("请签名"), or
    not a usable PNG signature."""
    try:
        return signatures.decode(value)
    except signatures.SignatureError as e:
        raise SlipError(MSG_SIGN if e.blank else MSG_SIGN_BAD, 422, "signature") from None


store_png = signatures.store_png


def remove_file(rel: str | None) -> None:
    if not rel:
        return
    from ..photos.services import open_photo

    try:
        open_photo(rel).unlink(missing_ok=True)
    except (FileNotFoundError, OSError):
        pass


def png_data_url(rel: str | None) -> str | None:
    """A stored signature as a data: URL (frozen into the document, so a reprint is identical)."""
    if not rel:
        return None
    from ..photos.services import open_photo

    try:
        return "data:image/png;base64," + base64.b64encode(open_photo(rel).read_bytes()).decode()
    except (FileNotFoundError, OSError):
        return None


# --- who may apply [S2] --------------------------------------------------------------------

def _people(unit: Unit, role: str, today: date) -> list[Person]:
    return [o.person for o in unit.occupancies if o.role == role and o.is_current(today)]


def _match(people: list[Person], name: str) -> Person | None:
    who = _norm(name)
    return next((p for p in people if _norm(p.name) == who), None)


def _owner_elsewhere(unit: Unit, name: str, today: date) -> bool:
    """Whether `name` is a current owner of another unit of this community."""
    rows = db.session.scalars(
        select(Occupancy).join(Person, Occupancy.person_id == Person.id)
        .where(Person.community_id == unit.community_id, Person.name == name.strip(),
               Occupancy.role == OccupantRole.OWNER, Occupancy.unit_id != unit.id))
    return any(o.is_current(today) for o in rows)


@dataclass
class Consent:
    method: str | None = None      # kiosk | phone | written
    owner_name: str | None = None
    staff_name: str | None = None  # phone: who took the call
    has_signature: bool = False    # kiosk: the owner's signature was drawn
    has_photo: bool = False        # written: the letter's photo was uploaded


@dataclass
class Applicant:
    role: str
    name: str
    person_id: int | None = None
    renovation_id: int | None = None
    consent_owner: str | None = None


def running_renovation(unit_id: int, today: date | None = None):
    """[S2] The unit's approved renovation running today, whose lead may apply, or None: the
    renovation area answers (core.hooks.UNIT_RENOVATION)."""
    return hooks.first(hooks.UNIT_RENOVATION, unit_id, today)


def known_applicants(unit: Unit, today: date | None = None) -> dict[str, str]:
    """[S2] Who would apply for `unit` in each applicant role, where the records say: its
    (first) owner, the lead of its renovation in progress, its tenant when it has just one.
    The slip form starts with these (check_applicant still decides)."""
    today = today or site_today()
    out = {}
    owners, tenants = _people(unit, OccupantRole.OWNER, today), _people(unit, OccupantRole.TENANT, today)
    if owners:
        out["owner"] = owners[0].name
    r = running_renovation(unit.id, today)
    if r is not None:
        out["lead"] = r.lead_name
    if len(tenants) == 1:
        out["tenant"] = tenants[0].name
    return out


def check_applicant(unit: Unit, role: str | None, name: str | None, consent: Consent | None = None,
                    today: date | None = None) -> Applicant:
    """[S2] The applicant of a slip for `unit`, or SlipError (422) naming the field and why."""
    today = today or site_today()
    name = (name or "").strip()
    if role not in APPLICANT_ROLES:
        raise SlipError("请选择申请人身份（业主、装修负责人或租户）。", 422, "applicant_role")
    if not name:
        raise SlipError("请填写申请人姓名。", 422, "applicant_name")
    owners = _people(unit, OccupantRole.OWNER, today)
    if role == "owner":
        if not owners:
            raise SlipError(MSG_NO_OWNER, 422, "applicant_name")
        p = _match(owners, name)
        if p is None:
            msg = MSG_OTHER_OWNER if _owner_elsewhere(unit, name, today) else MSG_NOT_OWNER
            raise SlipError(msg.format(name=name, unit=unit.label), 422, "applicant_name")
        return Applicant(role, p.name, person_id=p.id)
    if role == "lead":
        r = running_renovation(unit.id, today)
        if r is None:
            raise SlipError(MSG_NO_RENOVATION, 422, "applicant_role")
        if _norm(r.lead_name) != _norm(name):
            raise SlipError(MSG_NOT_LEAD.format(name=name), 422, "applicant_name")
        return Applicant(role, r.lead_name, renovation_id=r.id)
    # A tenant: registered on this unit, and the owner's consent [S2].
    p = _match(_people(unit, OccupantRole.TENANT, today), name)
    if p is None:
        raise SlipError(MSG_NOT_TENANT.format(name=name), 422, "applicant_name")
    consent = consent or Consent()
    if consent.method not in CONSENT_METHODS:
        raise SlipError(MSG_NEEDS_CONSENT, 422, "consent_method")
    if not owners:
        raise SlipError(MSG_NO_OWNER, 422, "consent_owner")
    if not (consent.owner_name or "").strip():
        if len(owners) != 1:
            raise SlipError(MSG_CONSENT_OWNER, 422, "consent_owner")
        consent.owner_name = owners[0].name
    owner = _match(owners, consent.owner_name)
    if owner is None:
        raise SlipError(MSG_CONSENT_NOT_OWNER.format(name=consent.owner_name.strip()), 422, "consent_owner")
    if consent.method == "phone" and not (consent.staff_name or "").strip():
        raise SlipError(MSG_CONSENT_STAFF, 422, "consent_staff")
    if consent.method == "kiosk" and not consent.has_signature:
        raise SlipError(MSG_CONSENT_SIGN, 422, "consent_signature")
    if consent.method == "written" and not consent.has_photo:
        raise SlipError(MSG_CONSENT_PHOTO, 422, "consent_photo")
    return Applicant(role, p.name, person_id=p.id, consent_owner=owner.name)


def check_moving_day(day: date | None, today: date | None = None) -> date:
    today = today or site_today()
    if day is None:
        raise SlipError("请填写搬出日期。", 422, "moving_on")
    if day < today:
        raise SlipError(MSG_PAST, 422, "moving_on")
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise SlipError(MSG_TOO_FAR, 422, "moving_on")
    return day


def too_many_items(n: int) -> str:
    return MSG_TOO_MANY_ITEMS.format(max=MAX_ITEMS, n=n, over=n - MAX_ITEMS)


def clean_items(rows) -> list[dict]:
    """[(name, qty), …] → [{"name", "qty"}], every line with a name kept in order (a line
    without a name and without a quantity other than 1 is a blank row). A blank quantity is 1.
    Nothing is cut or dropped: a bad line, no line or more than MAX_ITEMS is a SlipError that
    names the line."""
    items = []
    for n, (name, qty) in enumerate(rows, 1):
        name = (name or "").strip()
        if not name:
            if qty not in (None, "", 1):
                raise SlipError(f"第{n}行：{MSG_ITEM_NO_NAME}", 422, "items")
            continue
        if len(name) > ITEM_NAME_MAX:
            raise SlipError(f"第{n}行：{MSG_ITEM_NAME}", 422, "items")
        if qty in (None, ""):
            qty = 1
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= ITEM_QTY_MAX:
            raise SlipError(f"第{n}行：{MSG_ITEM_QTY}", 422, "items")
        items.append({"name": name, "qty": qty})
    if not items:
        raise SlipError(MSG_ITEMS, 422, "items")
    if len(items) > MAX_ITEMS:
        raise SlipError(too_many_items(len(items)), 422, "items")
    return items


# --- registering ---------------------------------------------------------------------------

@dataclass
class SlipInput:
    unit_id: int
    applicant_role: str
    applicant_name: str
    carrier_name: str
    carrier_id_number: str
    carrier_phone: str
    items: list = field(default_factory=list)  # [(name, qty)]
    moving_on: date | None = None
    vehicle_plate: str | None = None
    signature_png: bytes | None = None      # None: signed on paper
    consent: Consent = field(default_factory=Consent)
    consent_png: bytes | None = None        # kiosk consent: the owner's signature
    consent_photo: object | None = None     # written consent: the uploaded file
    client_key: str | None = None


def find_by_client_key(key: str | None) -> ReleaseSlip | None:
    if not key:
        return None
    return db.session.scalar(select(ReleaseSlip).where(ReleaseSlip.client_key == key))


def get_slip(community_id: int, slip_id: int, *, lock: bool = False) -> ReleaseSlip | None:
    stmt = select(ReleaseSlip).where(ReleaseSlip.id == slip_id, ReleaseSlip.community_id == community_id)
    if lock:
        stmt = stmt.with_for_update(of=ReleaseSlip).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def _folder(community_id: int) -> str:
    return f"c{community_id}/slips"


def register(community_id: int, inp: SlipInput, actor, today: date | None = None) -> tuple[ReleaseSlip, list[str]]:
    """Register a slip (待主管签字) with its draft document. Returns the slip and the files it
    wrote (for the caller to delete if the commit fails). SlipError for a refused one."""
    today = today or site_today()
    unit = db.session.get(Unit, inp.unit_id)
    if unit is None or unit.community_id != community_id:
        raise SlipError(MSG_UNIT, 422, "unit_id")
    inp.consent.has_signature = inp.consent_png is not None
    inp.consent.has_photo = inp.consent_photo is not None
    who = check_applicant(unit, inp.applicant_role, inp.applicant_name, inp.consent, today)
    moving_on = check_moving_day(inp.moving_on, today)
    items = clean_items(inp.items)
    written: list[str] = []
    try:
        sig = store_png(inp.signature_png, _folder(community_id)) if inp.signature_png else None
        if sig:
            written.append(sig)
        consent_path = None
        if who.role == "tenant" and inp.consent.method == "kiosk":
            consent_path = store_png(inp.consent_png, _folder(community_id))
            written.append(consent_path)
        elif who.role == "tenant" and inp.consent.method == "written":
            from ..photos.services import save_photo

            stored = save_photo(inp.consent_photo, folder=_folder(community_id))
            written += [stored.path, stored.thumb_path]
            consent_path = stored.path
    except Exception:
        for rel in written:
            remove_file(rel)
        raise
    tenant = who.role == "tenant"
    s = ReleaseSlip(
        community_id=community_id, unit_id=unit.id, applicant_role=who.role, applicant_name=who.name,
        applicant_person_id=who.person_id, renovation_id=who.renovation_id,
        consent_method=inp.consent.method if tenant else None, consent_owner=who.consent_owner if tenant else None,
        consent_staff=(inp.consent.staff_name or "").strip()[:64] or None if tenant and inp.consent.method == "phone"
        else None,
        consent_path=consent_path, carrier_name=inp.carrier_name.strip(), carrier_id_number=inp.carrier_id_number,
        carrier_phone=inp.carrier_phone, items=items, moving_on=moving_on,
        vehicle_plate=(inp.vehicle_plate or "").strip().upper() or None, signature_path=sig,
        sign_on_paper=sig is None, state=SlipState.PENDING, created_by_id=getattr(actor, "id", None),
        client_key=inp.client_key or None)
    db.session.add(s)
    db.session.flush()
    doc = _docs().create(DocKind.SLIP, s, slip_data(s), community_id=community_id, valid_from=moving_on,
                         valid_until=moving_on)
    s.document_id = doc.id
    s.document = doc
    record("slip.registered", s, actor=actor, serial=doc.serial, unit=unit.label, applicant=who.name,
           applicant_role=who.role, consent=s.consent_method, consent_owner=s.consent_owner,
           consent_staff=s.consent_staff, items=len(items), moving_on=moving_on.isoformat(),
           signed_on=("paper" if s.sign_on_paper else "kiosk"))
    return s, written


# --- what prints ---------------------------------------------------------------------------

def slip_data(s: ReleaseSlip) -> dict:
    """What the slip prints (plain data; frozen into the document at the manager's approval).
    The carrier's ID and phone numbers print masked; the applicant's signature is embedded."""
    unit = s.unit if s.unit is not None else db.session.get(Unit, s.unit_id)
    consent = ""
    if s.applicant_role == "tenant" and s.consent_method:
        consent = f"业主 {s.consent_owner or ''} 同意（{CONSENT_METHODS.get(s.consent_method, '')}"
        consent += f"，接听人 {s.consent_staff}）" if s.consent_staff else "）"
    return {
        "unit": unit.label, "applicant": s.applicant_name[:16],
        "applicant_role": APPLICANT_ROLES.get(s.applicant_role, s.applicant_role), "consent": consent[:60],
        "carrier_name": s.carrier_name[:16], "carrier_id": mask_id(s.carrier_id_number),
        "carrier_phone": mask_phone(s.carrier_phone),
        # every line in full: the printed slip flows onto as many pages as it needs
        "items": [{"name": str(i.get("name", "")), "qty": i.get("qty", 1)} for i in (s.items or [])],
        "moving_on": s.moving_on.isoformat(), "vehicle_plate": s.vehicle_plate or "",
        "signature_src": png_data_url(s.signature_path), "sign_on_paper": bool(s.sign_on_paper),
        "supervisor": s.supervisor_name or "",
        "supervisor_at": localtime(s.supervisor_signed_at, "%Y-%m-%d %H:%M") if s.supervisor_signed_at else "",
        "manager": s.manager_name or "",
        "approved_at": localtime(s.approved_at, "%Y-%m-%d %H:%M") if s.approved_at else "",
    }


def document_of(s: ReleaseSlip) -> Document | None:
    if s.document_id is None:
        return None
    return db.session.get(Document, s.document_id)


def _refresh_draft(s: ReleaseSlip) -> None:
    doc = document_of(s)
    if doc is not None and doc.state == DocState.DRAFT:
        doc.data = slip_data(s)  # a new dict: the JSON column sees the change


# --- signing, stamping, refusing [S3] ------------------------------------------------------

def sign(s: ReleaseSlip, actor) -> None:
    """The duty supervisor signs: 待主管签字 → 待经理盖章."""
    if s.state != SlipState.PENDING:
        raise SlipError(f"该放行条当前为“{s.state_label}”，只有待主管签字的可以签字。")
    s.state = SlipState.SIGNED
    s.supervisor_id, s.supervisor_name, s.supervisor_signed_at = actor.id, actor.name, utcnow()
    _refresh_draft(s)
    record("slip.signed", s, actor=actor, serial=s.serial)


def approve(s: ReleaseSlip, actor, today: date | None = None) -> Document:
    """The site manager approves and the seal is applied: the document is approved (frozen)."""
    today = today or site_today()
    if s.state == SlipState.PENDING:
        raise SlipError(MSG_SIGN_FIRST)
    if s.state != SlipState.SIGNED:
        raise SlipError(f"该放行条当前为“{s.state_label}”，只有待经理盖章的可以批准。")
    if s.moving_on < today:
        raise SlipError(MSG_EXPIRED_APPROVE.format(day=s.moving_on.isoformat()))
    s.state = SlipState.APPROVED
    s.manager_id, s.manager_name, s.approved_at = actor.id, actor.name, utcnow()
    docs = _docs()
    doc = document_of(s)
    try:
        doc = docs.approve(doc, actor, slip_data(s))
    except docs.DocumentError as e:
        raise SlipError(str(e)) from e
    record("slip.approved", s, actor=actor, serial=doc.serial)
    return doc


def _close(s: ReleaseSlip, actor, reason: str, state: SlipState, allowed: tuple, verb: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise SlipError(MSG_REASON, 422, "reason")
    if s.released_at is not None:
        raise SlipError(f"该放行条已于 {localtime(s.released_at, '%Y-%m-%d %H:%M')} 放行，不能{verb}。")
    if s.state not in allowed:
        raise SlipError(f"该放行条当前为“{s.state_label}”，不能{verb}。")
    s.state = state
    s.closed_reason, s.closed_by_id, s.closed_at = reason[:200], actor.id, utcnow()
    doc = document_of(s)
    if doc is not None and doc.state != DocState.REVOKED:
        _docs().revoke(doc, actor, f"放行条{verb}：{reason}"[:200])
    record(f"slip.{state}", s, actor=actor, serial=s.serial, text=reason[:200])


def refuse(s: ReleaseSlip, actor, reason: str) -> None:
    """Supervisor or manager refuses a slip not yet approved (驳回)."""
    _close(s, actor, reason, SlipState.REFUSED, (SlipState.PENDING, SlipState.SIGNED), "驳回")


def cancel(s: ReleaseSlip, actor, reason: str) -> None:
    """Withdrawn (取消): before it is used at the gate; the document is voided."""
    _close(s, actor, reason, SlipState.CANCELLED, (SlipState.PENDING, SlipState.SIGNED, SlipState.APPROVED), "取消")


# --- lists ---------------------------------------------------------------------------------

def listing(community_id: int, which: str, today: date | None = None) -> list[ReleaseSlip]:
    today = today or site_today()
    stmt = select(ReleaseSlip).where(ReleaseSlip.community_id == community_id)
    released = ReleaseSlip.released_at.is_not(None)
    if which == "open":
        stmt = stmt.where(ReleaseSlip.state.in_((SlipState.PENDING, SlipState.SIGNED, SlipState.APPROVED)),
                          ReleaseSlip.released_at.is_(None), ReleaseSlip.moving_on >= today)
    elif which in ("pending", "signed"):
        stmt = stmt.where(ReleaseSlip.state == which)
    elif which == "approved":
        stmt = stmt.where(ReleaseSlip.state == SlipState.APPROVED, ReleaseSlip.released_at.is_(None))
    elif which == "today":
        stmt = stmt.where(ReleaseSlip.moving_on == today)
    elif which == "released":
        stmt = stmt.where(released)
    elif which == "closed":
        stmt = stmt.where(ReleaseSlip.state.in_((SlipState.REFUSED, SlipState.CANCELLED)))
    return list(db.session.scalars(stmt.order_by(ReleaseSlip.created_at.desc(), ReleaseSlip.id.desc())
                                   .options(selectinload(ReleaseSlip.document), selectinload(ReleaseSlip.unit))
                                   .limit(LIST_LIMIT)))


def gate_count(user, community_id: int, today: date | None = None) -> tuple[str, int]:
    """门岗查验's tile (core.nav): approved slips of today not yet released (what the gate lets out)."""
    today = today or site_today()
    n = db.session.scalar(select(func.count()).select_from(ReleaseSlip).where(
        ReleaseSlip.community_id == community_id, ReleaseSlip.state == SlipState.APPROVED,
        ReleaseSlip.released_at.is_(None), ReleaseSlip.moving_on == today))
    return "待放行", n or 0


def todo_count(user, community_id: int, today: date | None = None) -> tuple[str, int]:
    """放行条's tile (core.nav): what waits for this person: a supervisor's signature, a manager's
    approval, else (desk, steward, guard) today's approved slips not yet released."""
    from ..core.roles import Role

    for role, state, label in ((Role.SUPERVISOR, SlipState.PENDING, "待签字"), (Role.MANAGER, SlipState.SIGNED, "待盖章")):
        if user.has_role(role):
            n = db.session.scalar(select(func.count()).select_from(ReleaseSlip).where(
                ReleaseSlip.community_id == community_id, ReleaseSlip.state == state))
            return label, n or 0
    return gate_count(user, community_id, today)


# --- the gate ------------------------------------------------------------------------------

@dataclass
class SlipGate:
    status: str  # valid | used | expired | early | not_approved | void
    slip_id: int
    serial: str
    unit: str
    carrier_name: str
    carrier_id: str      # masked
    items: list
    moving_on: str
    vehicle_plate: str
    note: str | None = None
    released_at: object = None
    released_by: str | None = None

    @property
    def label(self) -> str:
        return GATE_LABELS[self.status]

    @property
    def can_release(self) -> bool:
        return self.status == "valid"


def find_slip(community_id: int, term: str) -> ReleaseSlip | None:
    """The slip of this community whose document has this serial (typed) or code (scanned)."""
    if not term:
        return None
    docs = _docs()
    doc = docs.by_serial(community_id, term) or docs.by_code(term)
    if doc is None or doc.community_id != community_id or doc.kind != DocKind.SLIP or doc.object_type != "releaseslip":
        return None
    return get_slip(community_id, doc.object_id)


# The slip document's status (documents.service.status_of) → the gate's answer for a slip.
_GATE_OF_DOC = {"valid": "valid", "used": "used", "expired": "expired", "pending": "early", "draft": "not_approved",
                "revoked": "void", "replaced": "void", "ended": "void"}


def gate_status(s: ReleaseSlip, today: date | None = None) -> tuple[str, str | None]:
    """The gate's answer from the one status function (the slip's document): valid · used ·
    expired · early (未生效: not its day yet) · not_approved (a draft) · void; with the reason."""
    today = today or site_today()
    doc = document_of(s)
    if doc is None:
        return "not_approved", f"该放行条{s.state_label}，未经经理审批盖章，不能放行。"
    st = _docs().status_of(doc, today)
    code = _GATE_OF_DOC.get(st.code, "void")
    if code == "void" and s.state in (SlipState.REFUSED, SlipState.CANCELLED):
        return code, f"该放行条已{'驳回' if s.state == SlipState.REFUSED else '取消'}：{s.closed_reason or ''}"
    if code == "not_approved":
        return code, f"该放行条{s.state_label}，未经经理审批盖章，不能放行。"
    if code == "expired":
        return code, f"放行条仅限搬出当日（{s.moving_on.isoformat()}）有效，已过期，请重新办理。"
    if code == "early":
        return code, f"未生效：放行条仅限搬出当日（{s.moving_on.isoformat()}）有效，今天不能放行。"
    if code in ("used", "valid"):
        return code, None
    return code, f"{st.label}：{st.explained}"


def gate_result(s: ReleaseSlip, today: date | None = None) -> SlipGate:
    status, note = gate_status(s, today)
    d = (document_of(s).data if document_of(s) is not None else None) or slip_data(s)
    return SlipGate(status, s.id, s.serial, d.get("unit") or s.unit.label, s.carrier_name, mask_id(s.carrier_id_number),
                    list(s.items or []), s.moving_on.isoformat(), s.vehicle_plate or "", note=note,
                    released_at=s.released_at, released_by=s.released_by_name)


def check(s: ReleaseSlip, actor, today: date | None = None) -> SlipGate:
    """The guard scanned or typed a slip: the answer, recorded as slip.checked."""
    result = gate_result(s, today)
    record("slip.checked", s, actor=actor, result=result.status, serial=s.serial)
    return result


def release(s: ReleaseSlip, actor, today: date | None = None) -> tuple[SlipGate, bool]:
    """已放行, once: a conditional UPDATE that only an unreleased, approved slip of today
    passes (two guards at once: one UPDATE matches, the other finds it released). Returns the
    gate answer and whether this call released it. Records slip.released, or slip.checked with
    the refusal."""
    today = today or site_today()
    status, _note = gate_status(s, today)
    released = False
    if status == "valid":
        now = utcnow()
        res = db.session.execute(
            update(ReleaseSlip)
            .where(ReleaseSlip.id == s.id, ReleaseSlip.released_at.is_(None),
                   ReleaseSlip.state == SlipState.APPROVED, ReleaseSlip.moving_on == today)
            .values(released_at=now, released_by_id=actor.id, released_by_name=actor.name)
            .execution_options(synchronize_session=False))
        released = res.rowcount == 1
        if released:  # the one winner marks the document used, in the same transaction
            doc = document_of(s)
            if doc is not None:
                _docs().mark_used(doc, actor, at=now)
    db.session.refresh(s)
    result = gate_result(s, today)
    if released:
        record("slip.released", s, actor=actor, serial=s.serial, items=len(s.items or []))
    else:
        record("slip.checked", s, actor=actor, result=result.status, serial=s.serial, attempt="release")
    return result, released


def month_figures(community_id: int, first: date, last: date) -> list[tuple[str, str, int]]:
    """core.hooks.MONTH_FIGURES: release slips applied for and released at the gate in the month
    (the manager's monthly report [A5])."""
    from ..core.timefmt import day_bounds

    lo, hi = day_bounds(first)[0], day_bounds(last)[1]
    applied, released = db.session.execute(select(
        func.count().filter(ReleaseSlip.created_at >= lo, ReleaseSlip.created_at < hi),
        func.count().filter(ReleaseSlip.released_at >= lo, ReleaseSlip.released_at < hi))
        .where(ReleaseSlip.community_id == community_id)).one()
    return [("放行条", "申请", applied), ("放行条", "已放行", released)]
