"""Worker passes (装修人员出入证) [R3]–[R5] and the gate check. Views call these; these never
commit (the view commits once). Every step records an Event.

* A worker is registered only on an approved renovation, within its period, by the owner or
  the renovation lead [R4]; the pass cannot be valid past the renovation's end.
* Finance records the deposit and card fee (amounts per community, RenovationSettings) with a
  receipt number; the pass (a Document of kind PASS) is issued only after that [R5].
* Returning the pass records the deposit refund and revokes the document (已退证).
* A printed pass never changes: extending it or correcting the worker's name reissues it (a
  new serial; the old one verifies 已被取代 and names the new one).
* The gate check answers with the document's status (documents.service.status_of: 有效 /
  已过期 / 已撤销 / 已被取代 / 已结束 / 未生效) or unknown, with the worker's photo, name and
  unit only — never an ID number or a phone.

The document itself (serial, code, seal, PDF) is the shared documents service's."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select

from ..core.models import utcnow
from ..core.normalize import QueryTooLong, clean_query
from ..core.roles import Role
from ..core.services import record
from ..core.timefmt import site_today
from ..documents.models import DocKind, DocState, Document
from ..extensions import db
from ..photos.services import StoredPhoto
from ..registry.models import OccupantRole, Person, Unit
from .models import Renovation, RenovationSettings, RenovationState, Worker

DEFAULT_DEPOSIT = Decimal("100")
DEFAULT_CARD_FEE = Decimal("5")

APPLICANT_ROLES = {"owner": "业主", "lead": "装修负责人"}

MSG_NOT_APPROVED = "该装修申请尚未批准，不能办理出入证。"
MSG_FINISHED = "该装修已结束，不能再办理出入证。"
MSG_PERIOD_OVER = "装修期已过，不能再办理出入证；如需继续施工请先办理延期。"
MSG_APPLICANT = "办证人必须是该房屋的业主或本次装修的负责人。"
MSG_VALID_PAST_END = "有效期不能超过装修结束日期（{end}）。"
MSG_VALID_BEFORE_TODAY = "有效期不能早于今天。"
MSG_DUPLICATE = "该工人（身份证号相同）已在本次装修登记，出入证未退还，不能重复登记。"
MSG_NOT_PAID = "请先到财务缴纳押金和工本费。"
MSG_FINANCE_ONLY = "只有财务人员可以收取押金和工本费。"
MSG_ALREADY_PAID = "该工人的押金和工本费已收取。"
MSG_RECEIPT_REQUIRED = "请填写收据号。"
MSG_RECEIPT_USED = "收据号 {no} 已用于其他装修（{unit}），请核对。"
MSG_RETURNED = "该出入证已退还。"
MSG_NOT_ISSUED = "该工人尚未发证，无需退证。"
MSG_NAME_REQUIRED = "请填写更正后的姓名。"
MSG_NAME_SAME = "姓名没有变化。"
MSG_NAME_RETURNED = "该工人的出入证已退还，不能再更正姓名。"
NAME_LENGTH = 64


class PassError(ValueError):
    """A refused step; the message (Chinese) is shown to the user, next to `field` if given."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _docs():
    """The shared documents service (imported when used)."""
    from ..documents import service

    return service


class _doc_errors:
    """Turn the documents service's refusals into PassError (same Chinese message)."""

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if typ is not None and issubclass(typ, _docs().DocumentError):
            raise PassError(str(exc)) from exc
        return False


# --- amounts and people ----------------------------------------------------------------

def amounts(community_id: int) -> tuple[Decimal, Decimal]:
    """(deposit, card fee) per person for this community [R5]; the source's 100 and 5 by default."""
    s = db.session.get(RenovationSettings, community_id)
    if s is None:
        return DEFAULT_DEPOSIT, DEFAULT_CARD_FEE
    return (Decimal(s.deposit) if s.deposit is not None else DEFAULT_DEPOSIT,
            Decimal(s.card_fee) if s.card_fee is not None else DEFAULT_CARD_FEE)


def yuan(amount) -> str:
    """Decimal("100.00") → "100"; Decimal("2.50") → "2.5"."""
    if amount is None:
        return ""
    d = Decimal(amount).normalize()
    return f"{d:f}"


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def owner_names(r: Renovation) -> set[str]:
    names = set()
    if r.owner_person_id:
        p = db.session.get(Person, r.owner_person_id)
        if p is not None:
            names.add(p.name)
    unit = db.session.get(Unit, r.unit_id)
    if unit is not None:
        names |= {o.person.name for o in unit.current_occupancies() if o.role == OccupantRole.OWNER}
    if r.applicant_role == "owner" and r.applicant_name:
        names.add(r.applicant_name)
    return names


def applicant_problem(r: Renovation, name: str | None, role: str | None) -> str | None:
    """[R4] None when the applicant is an owner of the unit or the renovation lead; else why not.
    The application flow's rule (renovation.services) when it is there."""
    try:
        from .services import applicant_error
    except ImportError:
        applicant_error = None
    if applicant_error is not None:
        return applicant_error(r, name, role)
    if role == "owner" and any(_same(name, n) for n in owner_names(r)):
        return None
    if role == "lead" and _same(name, r.lead_name):
        return None
    return MSG_APPLICANT


def applicant_ok(r: Renovation, name: str | None, role: str | None) -> bool:
    return applicant_problem(r, name, role) is None


def _check_open(r: Renovation, today: date) -> None:
    if r.state == RenovationState.FINISHED:
        raise PassError(MSG_FINISHED)
    if r.state != RenovationState.APPROVED:
        raise PassError(MSG_NOT_APPROVED)
    if today > r.ends_on:
        raise PassError(MSG_PERIOD_OVER)


def check_validity(r: Renovation, valid_until: date | None, today: date | None = None) -> date:
    """The pass's last day: by default the renovation's end, never after it [R4]."""
    today = today or site_today()
    if valid_until is None:
        return r.ends_on
    if valid_until > r.ends_on:
        raise PassError(MSG_VALID_PAST_END.format(end=r.ends_on.isoformat()), "valid_until")
    if valid_until < today:
        raise PassError(MSG_VALID_BEFORE_TODAY, "valid_until")
    return valid_until


# --- registering -----------------------------------------------------------------------

@dataclass
class Registration:
    applicant_name: str
    applicant_role: str  # owner | lead
    name: str
    id_number: str
    phone: str | None
    trade: str | None
    valid_until: date | None


def check_registration(r: Renovation, reg: Registration, today: date | None = None) -> date:
    """Every rule of registering, before anything is stored (the photo included); returns the
    validity. PassError with the first problem."""
    today = today or site_today()
    _check_open(r, today)
    problem = applicant_problem(r, reg.applicant_name, reg.applicant_role)
    if problem:
        raise PassError(problem, "applicant_name")
    valid_until = check_validity(r, reg.valid_until, today)
    dup = db.session.scalar(select(Worker.id).where(
        Worker.renovation_id == r.id, Worker.id_number == reg.id_number, Worker.returned_at.is_(None)).limit(1))
    if dup is not None:
        raise PassError(MSG_DUPLICATE, "id_number")
    return valid_until


def register_worker(r: Renovation, reg: Registration, photo: StoredPhoto | None, actor,
                    today: date | None = None) -> Worker:
    """[R3][R4] Register a worker on an approved renovation; the pass waits for the fees [R5]."""
    valid_until = check_registration(r, reg, today)
    deposit, card_fee = amounts(r.community_id)
    w = Worker(renovation_id=r.id, name=reg.name.strip(), id_number=reg.id_number, phone=reg.phone or None,
               trade=(reg.trade or "").strip() or None, valid_until=valid_until, deposit=deposit, card_fee=card_fee,
               photo_path=photo.path if photo else None, thumb_path=photo.thumb_path if photo else None)
    db.session.add(w)
    db.session.flush()
    record("worker.registered", w, community_id=r.community_id, actor=actor, renovation_id=r.id,
           applicant=reg.applicant_name.strip(), applicant_role=reg.applicant_role,
           valid_until=valid_until.isoformat(), deposit=yuan(deposit), card_fee=yuan(card_fee))
    return w


# --- fees and the pass -----------------------------------------------------------------

def pass_of(w: Worker) -> Document | None:
    return _docs().for_object(w, DocKind.PASS)


def _is_finance(actor) -> bool:
    return actor is not None and actor.has_role(Role.FINANCE)


def _receipt_clash(r: Renovation, receipt_no: str) -> Worker | None:
    """A worker of another renovation of this community paid or refunded with this receipt
    number (one receipt may cover several workers of the same renovation)."""
    return db.session.scalar(
        select(Worker).join(Renovation, Worker.renovation_id == Renovation.id)
        .where(Renovation.community_id == r.community_id, Renovation.id != r.id,
               or_(func.upper(Worker.receipt_no) == receipt_no.upper(),
                   func.upper(Worker.refund_receipt_no) == receipt_no.upper()))
        .limit(1))


def _clean_receipt(value: str | None) -> str:
    no = re.sub(r"\s+", "", value or "")
    if not no:
        raise PassError(MSG_RECEIPT_REQUIRED)
    return no[:32]


def record_payment(w: Worker, receipt_no: str | None, actor, paid_at: datetime | None = None) -> Worker:
    """[R5] Finance records the deposit and card fee with the receipt number; the receipt is
    marked 已办. Does not issue the pass (issue_pass does, after this)."""
    if not _is_finance(actor):
        raise PassError(MSG_FINANCE_ONLY)
    r = w.renovation
    if w.paid_at is not None:
        raise PassError(MSG_ALREADY_PAID)
    if w.returned_at is not None:
        raise PassError(MSG_RETURNED)
    _check_open(r, site_today())
    no = _clean_receipt(receipt_no)
    clash = _receipt_clash(r, no)
    if clash is not None:
        raise PassError(MSG_RECEIPT_USED.format(no=no, unit=db.session.get(Unit, clash.renovation.unit_id).label))
    w.receipt_no, w.paid_at = no, paid_at or utcnow()
    record("worker.paid", w, community_id=r.community_id, actor=actor, receipt_no=no, receipt="已办",
           deposit=yuan(w.deposit), card_fee=yuan(w.card_fee), total=yuan(Decimal(w.deposit) + Decimal(w.card_fee)))
    return w


def pass_data(w: Worker) -> dict:
    """What the pass card prints (frozen in the document at approval)."""
    r = w.renovation
    from ..registry.models import Community

    permit = _docs().for_object(r, DocKind.PERMIT)
    return {"name": w.name, "unit": db.session.get(Unit, r.unit_id).label, "trade": w.trade or "",
            "valid_until": w.valid_until.isoformat(), "photo_path": w.thumb_path or w.photo_path or "",
            "community": db.session.get(Community, r.community_id).name,
            "permit_serial": permit.serial if permit is not None else ""}


def issue_pass(w: Worker, actor) -> Document:
    """[R5] The pass, only after the fees are paid: a PASS document, created and approved."""
    if w.paid_at is None or not w.receipt_no:
        raise PassError(MSG_NOT_PAID)
    if w.returned_at is not None:
        raise PassError(MSG_RETURNED)
    r = w.renovation
    _check_open(r, site_today())
    docs = _docs()
    doc = docs.for_object(w, DocKind.PASS)
    if doc is not None and docs.status(doc) != "draft":
        return doc  # already issued
    data = pass_data(w)
    with _doc_errors():
        if doc is None:
            doc = docs.create(DocKind.PASS, w, data, community_id=r.community_id, valid_from=site_today(),
                              valid_until=w.valid_until)
        doc = docs.approve(doc, actor, data)
    record("pass.issued", w, community_id=r.community_id, actor=actor, serial=doc.serial,
           valid_until=w.valid_until.isoformat())
    return doc


def passes_to_extend(r: Renovation) -> list[Worker]:
    """Paid, not returned workers whose pass ends before the renovation now does (after an
    extension [R6] moved its end)."""
    return [w for w in r.workers
            if w.paid_at is not None and w.returned_at is None and w.valid_until < r.ends_on]


def extend_passes(r: Renovation, actor) -> list[Document]:
    """[R6] After an extension the passes may be extended: each pass is reissued (延期换证: a new
    serial valid until the renovation's new end; the old one verifies 已被取代). No new fee."""
    _check_open(r, site_today())
    docs, issued = _docs(), []
    for w in passes_to_extend(r):
        old = pass_of(w)
        previous, w.valid_until = w.valid_until, r.ends_on
        data = pass_data(w)
        with _doc_errors():
            if old is not None and docs.status(old) in docs.STANDING:
                doc = docs.reissue(old, actor, data, valid_from=site_today(), valid_until=w.valid_until,
                                   reason="延期换证")
            else:
                doc = docs.create(DocKind.PASS, w, data, community_id=r.community_id, valid_from=site_today(),
                                  valid_until=w.valid_until)
                doc = docs.approve(doc, actor, data)
        record("pass.extended", w, community_id=r.community_id, actor=actor, serial=doc.serial,
               valid_until=w.valid_until.isoformat(), previous=previous.isoformat(),
               replaces=old.serial if old is not None else None)
        issued.append(doc)
    return issued


def correct_name(w: Worker, name: str | None, actor) -> Document | None:
    """The front desk corrects a worker's name. A pass in force prints the name, so it is
    reissued with the corrected one (a new serial; the old card verifies 已被取代). Returns the
    new pass, or None when there was none to reissue. Records "worker.renamed"."""
    new = re.sub(r"\s+", " ", (name or "").strip())
    if not new:
        raise PassError(MSG_NAME_REQUIRED, "name")
    if len(new) > NAME_LENGTH:
        raise PassError(f"姓名最多{NAME_LENGTH}个字。", "name")
    if w.returned_at is not None:
        raise PassError(MSG_NAME_RETURNED, "name")
    if new == w.name:
        raise PassError(MSG_NAME_SAME, "name")
    r = w.renovation
    before, w.name = w.name, new
    docs, doc = _docs(), None
    old = pass_of(w)
    if old is not None and docs.status_of(old).sealed:
        with _doc_errors():
            doc = docs.reissue(old, actor, {"name": new}, reason=f"更正姓名：{before} → {new}"[:200])
    record("worker.renamed", w, community_id=r.community_id, actor=actor, before=before, after=new,
           serial=doc.serial if doc is not None else None, replaces=old.serial if doc is not None else None)
    return doc


def pay_and_issue(w: Worker, receipt_no: str | None, actor) -> Document:
    record_payment(w, receipt_no, actor)
    return issue_pass(w, actor)


def return_pass(w: Worker, refund_receipt_no: str | None, actor) -> Worker:
    """The pass comes back: finance records the deposit refund and the document is revoked (已退证)."""
    if not _is_finance(actor):
        raise PassError(MSG_FINANCE_ONLY)
    if w.returned_at is not None:
        raise PassError(MSG_RETURNED)
    if w.paid_at is None:
        raise PassError(MSG_NOT_ISSUED)
    no = _clean_receipt(refund_receipt_no)
    r = w.renovation
    w.returned_at, w.refund_receipt_no = utcnow(), no
    doc = pass_of(w)
    if doc is not None and doc.state != DocState.REVOKED:
        with _doc_errors():
            _docs().revoke(doc, actor, "已退证")
    record("worker.returned", w, community_id=r.community_id, actor=actor, refund_receipt_no=no,
           refund=yuan(w.deposit), serial=doc.serial if doc is not None else None)
    return w


# --- states ----------------------------------------------------------------------------

STATE_LABELS = {"unpaid": "待缴费", "paid": "已缴费", "issued": "已发证", "expired": "已过期",
                "returned": "已退证", "revoked": "已撤销", "ended": "已结束", "replaced": "已被取代"}
STATE_TAGS = {"unpaid": "st-todo", "paid": "st-in_progress", "issued": "st-done", "expired": "st-missed",
              "returned": "closed", "revoked": "st-missed", "ended": "closed", "replaced": "st-missed"}
# The pass document's status (documents.service.status_of) → the worker's state.
_STATE_OF_DOC = {"valid": "issued", "pending": "issued", "expired": "expired", "revoked": "revoked",
                 "ended": "ended", "replaced": "replaced"}


def worker_state(w: Worker, doc: Document | None = None, today: date | None = None) -> str:
    """unpaid (待缴费) · paid (fees in, pass not issued) · issued (已发证) · expired (已过期) ·
    returned (已退证) · revoked (已撤销: the document was revoked for another reason) · ended
    (已结束: the renovation is over) · replaced (已被取代), from the pass's status_of."""
    if w.returned_at is not None:
        return "returned"
    if w.paid_at is None:
        return "unpaid"
    if doc is None:
        return "paid"
    return _STATE_OF_DOC.get(_docs().status(doc, today), "paid")


@dataclass
class WorkerRow:
    worker: Worker
    doc: Document | None
    state: str
    today: date | None = None

    @property
    def doc_status(self):
        """The pass's documents.service.DocStatus (None before it is issued)."""
        return _docs().status_of(self.doc, self.today) if self.doc is not None else None

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def tag(self) -> str:
        """The CSS class of the state's tag."""
        return STATE_TAGS[self.state]

    @property
    def total(self) -> Decimal:
        return Decimal(self.worker.deposit) + Decimal(self.worker.card_fee)


def rows_for(workers: list[Worker], today: date | None = None) -> list[WorkerRow]:
    """Each worker with the newest pass document (one query) and the state."""
    ids = [w.id for w in workers]
    newest: dict[int, Document] = {}
    if ids:
        for doc in db.session.scalars(select(Document).where(
                Document.kind == str(DocKind.PASS), Document.object_type == "worker", Document.object_id.in_(ids))
                .order_by(Document.id)):
            newest[doc.object_id] = doc  # the last one wins, as for_object()
    return [WorkerRow(w, newest.get(w.id), worker_state(w, newest.get(w.id), today), today) for w in workers]


def worker_rows(r: Renovation, today: date | None = None) -> list[WorkerRow]:
    return rows_for(list(r.workers), today)


def unpaid_count(user, community_id: int) -> tuple[str, int]:
    """装修缴费's tile (core.nav): registered workers of approved renovations whose fees are not
    in yet (the page's 待缴费 list)."""
    n = db.session.scalar(select(func.count()).select_from(Worker).join(Renovation, Worker.renovation_id == Renovation.id)
                          .where(Renovation.community_id == community_id, Renovation.state == RenovationState.APPROVED,
                                 Worker.returned_at.is_(None), Worker.paid_at.is_(None)))
    return "待缴费", n or 0


# --- the gate --------------------------------------------------------------------------

_CODE_IN_URL = re.compile(r"/v/([^/?#\s]+)")

@dataclass
class GateResult:
    status: str  # a documents.service.status_of code (valid, expired, revoked, replaced, ended, …) or unknown
    query: str
    serial: str | None = None
    name: str | None = None
    unit: str | None = None
    valid_until: str | None = None
    worker_id: int | None = None
    has_photo: bool = False
    note: str | None = None
    status_label: str | None = None

    @property
    def label(self) -> str:
        return self.status_label or "无此证件"

    @property
    def valid(self) -> bool:
        return self.status == "valid"


GATE_QUERY_LENGTH = 200  # a scanned verification URL is the longest thing the gate box gets


def parse_query(q: str | None) -> str:
    """A scanned URL (…/v/<code>), a code or a typed serial → the code or serial, trimmed;
    through the one normaliser (full-width, IME dashes, NUL and control characters dropped).
    "" when nothing is left. The serial's own rules (case, dashes) are documents.by_serial's."""
    try:
        q = clean_query((q or "")[:GATE_QUERY_LENGTH], limit=GATE_QUERY_LENGTH)
    except QueryTooLong:
        return ""
    m = _CODE_IN_URL.search(q)
    if m:
        return m.group(1)
    return re.sub(r"\s+", "", q)


def find_pass(community_id: int, term: str) -> Document | None:
    """The pass of this community with this serial (typed) or code (scanned), or None."""
    if not term:
        return None
    docs = _docs()
    doc = docs.by_serial(community_id, term) or docs.by_code(term)
    if doc is None or doc.community_id != community_id or doc.kind != DocKind.PASS:
        return None
    return doc


def check_pass(community_id: int, q: str | None, actor=None, today: date | None = None) -> GateResult:
    """The guard's check: the pass's status (status_of; only "valid" lets the worker in) or
    unknown, with name and unit only and the reason for a refusal. Records pass.checked (a pass
    of another community is unknown here)."""
    term = parse_query(q)
    doc = find_pass(community_id, term)
    w = db.session.get(Worker, doc.object_id) if doc is not None and doc.object_type == "worker" else None
    if w is not None and w.renovation.community_id != community_id:
        w = None
    if doc is None or w is None:
        result = GateResult("unknown", term)
    elif doc.state == DocState.DRAFT:  # never handed out: not a pass yet
        result = GateResult("unknown", term, note="证件未生效")
    else:
        st = _docs().status_of(doc, today)
        note = None if st.valid else st.explained
        if st.code == "revoked" and w.returned_at is not None:
            note = f"已退证：{note}"
        data = doc.data or {}
        result = GateResult(st.code, term, serial=doc.serial, name=data.get("name") or w.name,
                            unit=data.get("unit") or db.session.get(Unit, w.renovation.unit_id).label,
                            valid_until=(doc.valid_until or w.valid_until).isoformat(), worker_id=w.id,
                            has_photo=bool(w.thumb_path or w.photo_path), note=note, status_label=st.label)
    record("pass.checked", doc, community_id=community_id, actor=actor, result=result.status,
           serial=result.serial, query=term[:64] if doc is None else None)
    return result
