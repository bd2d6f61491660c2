"""Issued documents: permits, worker passes, extensions, release slips.

One service for every area that issues a stamped paper:

    doc = service.create(DocKind.PERMIT, renovation, data, community_id=…, valid_from=…, valid_until=…)
    service.approve(doc, manager)          # the approving role: sealed, verifiable, frozen
    service.pdf(doc) -> bytes              # the same bytes' text and layout on every reprint
    service.status_of(doc, today) -> DocStatus   # what it is worth: the one answer for every page
    service.status(doc, today) -> str            # its code only
    service.revoke(doc, actor, "…")
    service.reissue(old, actor, {changes}, reason="…")  # a new serial; the old one is 已被取代
    service.mark_used(doc, actor) / service.end(doc, actor, "装修已完工")
    service.for_object(worker, DocKind.PASS)

A document starts as a DRAFT with its serial number (<prefix><year>-<NNNN>, counted per
community, kind and year: XK2026-0007 permit, CRZ2026-0012 pass, YQ2026-0003 extension,
FX2026-0001 slip) and a random code for its public verification URL (/v/<code>; serials are
guessable, codes are not). A draft prints with a large diagonal 草稿 · 未生效 watermark and no
seal. Approval freezes what it prints (`data`, plus the issuing community's name, its seal and
the verification URL at that moment), so a reprint is identical even when the community's
settings change later; the PDF then carries the seal, the serial and the QR code. A revoked
document prints 作废 and no seal. The caller commits.

What a document is worth is status_of()'s answer, and every page asks it (the verification
page, the gate, the lists, the PDF's watermark and seal):

  draft     未生效    not approved yet (prints 草稿 · 未生效, no seal)
  pending   未生效    approved, valid from a later day (prints as issued: the paper shows its dates)
  valid     有效
  used      已使用    a single-use document (a release slip) used: when and by whom
  expired   已过期    valid_until before today (site time)
  replaced  已被取代  reissued after a change: names the serial of the new document
  revoked   已撤销 (a slip: 已作废), with the reason
  ended     已结束    its renovation finished (or was rejected): permits, passes, extensions

An approved document never changes what it prints: a change reissues it (reissue()).

`data` is plain JSON: what the paper prints (dates as ISO strings; date, datetime and Decimal
values are converted). Keys the templates read (missing ones print as a blank or a line):

  permit     unit, owner, applicant, applicant_role, lead_company, lead_name, scope, starts_on,
             ends_on (else valid_from/until),
             approved_on (else the approval date), rules (list of lines; else the standard excerpt)
  pass       name, unit, trade, valid_until (else the document's), photo_path (relative to the
             upload folder; the thumbnail is best), permit_serial
  extension  unit, owner, lead_company, lead_name, permit_serial, requested_by, requester_role,
             reason, starts_on, old_end, new_end, fee, receipt_no, reviewed_by, reviewed_on,
             approved_by, approved_on
  slip       (its template belongs to the release-slip work)
  receipt    unit, receipt_no, method, paid_on, amount, amount_upper, lines [period, item, amount],
             credit, cashier (fees [D4]; serial SK…; revoked when the payment is reversed)
  fee_notice unit, lines, by_item, amount, amount_upper, due_on, how_to_pay, issued_on (fees [D4]:
             催缴通知单, serial CJ…, printed in batches by fees/notices_pdf.html)

Keys starting with "_" are the service's own. The public verification page never reads `data`
except the unit of a permit or an extension (posted on the door anyway) and the amount of a
receipt or a 催缴通知单: no names, no ID or phone numbers, and nothing of a pass.
"""
from __future__ import annotations

import base64
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_request_context, url_for
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..core.normalize import document_serial
from ..core.services import record
from ..core.timefmt import SITE_TZ, site_today, utcnow
from ..extensions import db
from .models import DOC_KIND_LABELS, DocKind, DocState, Document
from .pdf import render_pdf
from .seal import seal_markup

log = logging.getLogger(__name__)

__all__ = [
    "DocStatus", "DocumentError", "PAGE_SIZES", "SERIAL_PREFIXES", "STANDING", "STATUS_LABELS", "approve", "by_code", "by_serial",
    "cn_date", "create", "end", "for_object", "mark_used", "pdf", "print_context", "reissue", "revoke", "status",
    "status_of", "verify_url",
]

SERIAL_PREFIXES = {DocKind.PERMIT: "XK", DocKind.PASS: "CRZ", DocKind.EXTENSION: "YQ", DocKind.SLIP: "FX",
                   DocKind.HO_AGREEMENT: "QF", DocKind.HO_COVENANT: "GY", DocKind.HO_PLEDGE: "CN",
                   DocKind.HO_SIGNOFF: "QL", DocKind.HO_INSPECTION: "YF", DocKind.RECEIPT: "SK", DocKind.FEE_NOTICE: "CJ"}
PAGE_SIZES = {DocKind.PERMIT: "A4", DocKind.PASS: (85.6, 54), DocKind.EXTENSION: "A5", DocKind.SLIP: "A5",
              DocKind.HO_AGREEMENT: "A4", DocKind.HO_COVENANT: "A4", DocKind.HO_PLEDGE: "A4",
              DocKind.HO_SIGNOFF: "A4", DocKind.HO_INSPECTION: "A4", DocKind.RECEIPT: "A5", DocKind.FEE_NOTICE: "A5"}
# The status codes and their labels (a revoked slip says 已作废: see status_of).
STATUS_LABELS = {"draft": "未生效", "pending": "未生效", "valid": "有效", "used": "已使用", "expired": "已过期",
                 "replaced": "已被取代", "revoked": "已撤销", "ended": "已结束"}
# Codes under which a document is honoured (sealed when printed); the gate lets only "valid" in.
SEALED = frozenset({"valid", "pending"})
# Approved and not revoked, replaced, used or ended (its dates aside): it may still be reissued
# (an extension after the end date) or ended.
STANDING = frozenset({"valid", "pending", "expired"})
DRAFT_WATERMARK = {"main": "草稿", "sub": "未生效"}
SERIAL_ATTEMPTS = 8
CODE_BYTES = 12  # secrets.token_urlsafe(12): 16 characters, 96 random bits
# A photo bigger than this is scaled down for print (a pass card's photo is ~22 × 30 mm).
PHOTO_INLINE_BYTES = 48 * 1024
PHOTO_PRINT_SIDE = 360
# Free texts are cut so each document stays one page (the full text stays in the system).
TEXT_LIMITS = {
    DocKind.PERMIT: {"scope": 240, "unit": 30, "owner": 16, "applicant": 16, "lead_company": 24, "lead_name": 12},
    DocKind.EXTENSION: {"reason": 180, "unit": 30, "owner": 12, "lead_name": 10, "lead_company": 40,
                        "requested_by": 10, "reviewed_by": 16, "approved_by": 16},
    DocKind.PASS: {"name": 13, "unit": 16, "trade": 12},
}
MORE = "…（详见系统记录）"
MAX_RULES, RULE_CHARS = 8, 46  # the permit's rules excerpt: at most 8 lines of one printed line each


class DocumentError(ValueError):
    """A refused step (approve twice, revoke without a reason…); str(e) is the Chinese message."""


# --- helpers -----------------------------------------------------------------------------

def _kind(kind) -> DocKind:
    try:
        return DocKind(kind)
    except ValueError:
        raise DocumentError(f"未知的文件类型：{kind}") from None


def _plain(value):
    """JSON-safe copy of `data`: dates become ISO strings, Decimals strings; database objects refused."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "_sa_instance_state"):
        raise TypeError(f"document data: {type(value).__name__} is a database object; pass plain data")
    return str(value)


def _facts(data: dict | None) -> dict:
    """The caller's printed facts as plain JSON; keys starting with "_" are the service's own."""
    return {k: v for k, v in _plain(dict(data or {})).items() if not k.startswith("_")}


def _object_ref(obj) -> tuple[str, int]:
    if getattr(obj, "id", None) is None:
        db.session.flush()
    if getattr(obj, "id", None) is None:
        raise ValueError("document object has no id")
    return type(obj).__name__.lower(), obj.id


def _community(community_id: int):
    from ..registry.models import Community

    return db.session.get(Community, community_id)


def verify_url(doc: Document) -> str:
    """The public verification URL of a document (absolute: it goes into a QR code).

    PUBLIC_BASE_URL (config, e.g. "https://wuye.example.cn") wins when set; else the URL of
    the current request's host; else SERVER_NAME; else only the path."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    path = current_app.url_map.bind("localhost").build("documents.verify", {"code": doc.code})
    if base:
        return base.rstrip("/") + path
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for("documents.verify", code=doc.code, _external=True)
    return path


def _issue_facts(doc: Document) -> dict:
    """Who issued it and with which seal, as printed: frozen at approval."""
    c = _community(doc.community_id)
    return {"community": c.name if c else "", "stamp_name": c.seal_text if c else "",
            "stamp_image": c.stamp_image if c else None, "sign_label": c.sign_line if c else "",
            "verify_url": verify_url(doc)}


# --- serials -----------------------------------------------------------------------------

def _serial_prefix(kind: DocKind, year: int) -> str:
    return f"{SERIAL_PREFIXES[kind]}{year}-"


def _next_serial(community_id: int, kind: DocKind, year: int) -> str:
    prefix = _serial_prefix(kind, year)
    last = db.session.scalar(
        select(Document.serial)
        .where(Document.community_id == community_id, Document.kind == str(kind), Document.serial.like(prefix + "%"))
        .order_by(func.length(Document.serial).desc(), Document.serial.desc()).limit(1))
    tail = last[len(prefix):] if last else ""
    n = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}{n:04d}"


# --- the API -----------------------------------------------------------------------------

def create(kind: DocKind, obj, data: dict, *, community_id: int, valid_from: date | None = None,
           valid_until: date | None = None) -> Document:
    """A DRAFT document of `obj` with the next serial number of its community, kind and year.

    Race-safe: the row is inserted in a savepoint; when another transaction took the same
    serial meanwhile (unique community + serial), the savepoint is rolled back and the next
    number is tried. Records "document.created"."""
    object_type, object_id = _object_ref(obj)
    return _insert(_kind(kind), object_type, object_id, _facts(data), community_id=community_id,
                   valid_from=valid_from, valid_until=valid_until)


def _insert(kind: DocKind, object_type: str, object_id: int, payload: dict, *, community_id: int,
            valid_from: date | None, valid_until: date | None) -> Document:
    year = site_today().year
    for attempt in range(SERIAL_ATTEMPTS):
        serial = _next_serial(community_id, kind, year)
        doc = Document(community_id=community_id, kind=str(kind), serial=serial,
                       code=secrets.token_urlsafe(CODE_BYTES), state=str(DocState.DRAFT), object_type=object_type,
                       object_id=object_id, valid_from=valid_from, valid_until=valid_until, data=payload)
        try:
            with db.session.begin_nested():
                db.session.add(doc)
        except IntegrityError:
            taken = db.session.scalar(select(Document.id).where(Document.community_id == community_id,
                                                                Document.serial == serial))
            if taken is None and attempt:  # not the serial (nor, twice running, the random code)
                raise
            log.info("document serial %s taken meanwhile (attempt %d); retrying", serial, attempt + 1)
            continue
        record("document.created", doc, kind=str(kind), serial=serial, object_type=object_type,
               object_id=object_id)
        return doc
    raise DocumentError("编号生成冲突，请稍后重试。")


def approve(doc: Document, actor, data: dict | None = None) -> Document:
    """DRAFT → VALID by the approving role. `data`, when given, is merged over the draft's
    (its keys win). What prints is frozen from now on. Records "document.approved"."""
    if doc.state != DocState.DRAFT:
        raise DocumentError(f"{doc.kind_label} {doc.serial} 当前为“{status_of(doc).label}”，只有草稿可以批准。")
    merged = dict(doc.data or {})
    merged.update(_facts(data))
    doc.approved_at = utcnow()
    doc.approved_by_id = getattr(actor, "id", None)
    doc.state = str(DocState.VALID)
    merged["_issue"] = _issue_facts(doc)
    doc.data = merged  # a new dict: the JSON column sees the change
    record("document.approved", doc, actor=actor, kind=doc.kind, serial=doc.serial)
    return doc


def revoke(doc: Document, actor, reason: str) -> Document:
    """VALID → REVOKED (a draft may be voided the same way). Records "document.revoked"."""
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError("请填写撤销原因。")
    if doc.state == DocState.REVOKED:
        raise DocumentError(f"{doc.kind_label} {doc.serial} 已撤销。")
    before = doc.state
    doc.state = str(DocState.REVOKED)
    doc.revoked_at = utcnow()
    doc.revoke_reason = reason[:200]
    record("document.revoked", doc, actor=actor, kind=doc.kind, serial=doc.serial, reason=doc.revoke_reason,
           state_before=before)
    return doc


@dataclass(frozen=True)
class DocStatus:
    """What a document is worth on a day: the one answer the verification page, the gate, the
    lists and the print ask for.

    code     draft | pending | valid | used | expired | replaced | revoked | ended
    label    未生效 | 未生效 | 有效 | 已使用 | 已过期 | 已被取代 | 已撤销 (a slip: 已作废) | 已结束
    detail   one Chinese sentence after the label for the public page (nothing personal; no
             free-text reason): the page shows "<label>：<detail>"
    explained  the same with the revocation's reason, for staff pages and the gate
    since    the day or moment it took this state (valid_from, valid_until, used_at, …) or None
    by       who used it (a used slip: the guard's name) or None
    replaced_by  the serial of the document that replaced it, or None
    reason   why it was revoked or ended, or None"""

    code: str
    label: str
    detail: str
    since: date | datetime | None = None
    by: str | None = None
    replaced_by: str | None = None
    reason: str | None = None

    @property
    def explained(self) -> str:
        """detail with the revocation's reason, for staff and the gate (the public page never
        shows a reason: it is free text)."""
        if self.code == "revoked" and self.reason:
            return f"{self.detail.rstrip('。')}（原因：{self.reason}）。"
        return self.detail

    @property
    def valid(self) -> bool:
        """Honoured today (the gate lets it through)."""
        return self.code == "valid"

    @property
    def sealed(self) -> bool:
        """Prints with its seal and no watermark: valid, or approved and valid from a later day."""
        return self.code in SEALED

    @property
    def watermark(self) -> dict | None:
        """The print's diagonal watermark ({"main", "sub"}), None when it prints sealed."""
        if self.code == "draft":
            return dict(DRAFT_WATERMARK)
        if self.code == "revoked":
            return {"main": "作废", "sub": self.label}
        if self.code == "replaced":
            return {"main": "已被取代", "sub": f"新证 {self.replaced_by}" if self.replaced_by else None}
        if self.code == "ended":
            return {"main": "已结束", "sub": self.reason if self.reason and len(self.reason) <= 8 else None}
        if self.code in ("used", "expired"):
            return {"main": self.label, "sub": None}
        return None


def _when(value) -> str:
    """A stored UTC moment as site time, 2026-12-08 10:15."""
    if value is None:
        return ""
    return value.astimezone(SITE_TZ).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M")


def status_of(doc: Document, today: date | None = None) -> DocStatus:
    """The document's state today (site time) from what is stored: the one status function.

    In this order: revoked (作废, with the reason) · draft · replaced (names the new serial) ·
    used (when, by whom) · ended (its renovation) · expired · pending (valid from a later day) ·
    valid."""
    today = today or site_today()
    if doc.state == DocState.REVOKED:
        label = "已作废" if doc.kind == DocKind.SLIP else "已撤销"
        on = f"（{cn_date(doc.revoked_at)}）" if doc.revoked_at else ""
        return DocStatus("revoked", label, f"本证件已被签发单位{label[1:]}{on}，不能再使用。",
                         since=doc.revoked_at, reason=doc.revoke_reason)
    if doc.state != DocState.VALID:
        return DocStatus("draft", "未生效", "本证件尚未批准生效，不能作为有效凭证。")
    if doc.replaced_by_id is not None:
        new = db.session.get(Document, doc.replaced_by_id)
        serial = new.serial if new is not None else None
        return DocStatus("replaced", "已被取代", f"本证件已由 {serial or '新证件'} 取代，请以新证件为准。",
                         since=doc.replaced_at, replaced_by=serial)
    if doc.used_at is not None:
        by = doc.used_by_name or ""
        return DocStatus("used", "已使用", f"已于 {_when(doc.used_at)}{f' 由 {by}' if by else ''} 放行，"
                         "不能再次使用。", since=doc.used_at, by=doc.used_by_name)
    if doc.ended_at is not None:
        reason = doc.end_reason or "装修已结束"
        return DocStatus("ended", "已结束", f"{reason}（{cn_date(doc.ended_at)}），本证件不再有效。",
                         since=doc.ended_at, reason=doc.end_reason)
    if doc.valid_until is not None and doc.valid_until < today:
        return DocStatus("expired", "已过期", f"本证件有效期至 {cn_date(doc.valid_until)}，已超过有效期，不能再使用。",
                         since=doc.valid_until)
    if doc.valid_from is not None and doc.valid_from > today:
        return DocStatus("pending", "未生效", f"本证件自 {cn_date(doc.valid_from)} 起生效，今天还不能使用。",
                         since=doc.valid_from)
    community = ((doc.data or {}).get("_issue") or {}).get("community") or ""
    return DocStatus("valid", "有效", f"本证件由{community or '物业服务中心'}签发，当前有效。")


def status(doc: Document, today: date | None = None) -> str:
    """status_of(doc, today).code: draft · pending · valid · used · expired · replaced · revoked · ended."""
    return status_of(doc, today).code


def reissue(old: Document, actor, data_changes: dict | None = None, *, valid_from: date | None = None,
            valid_until: date | None = None, reason: str) -> Document:
    """A change to what an approved document prints: a new document of the same kind and object
    with the next serial, what the old one printed with `data_changes` over it, its validity
    (the old one's unless given), approved by `actor`; the old one is marked replaced by it (it
    verifies 已被取代 and names the new serial). Records "document.replaced" on the old one and
    "document.reissued" on the new one. Only an approved document still in force (not revoked,
    replaced, used or ended) is reissued."""
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError("请填写换发原因。")
    st = status_of(old)
    if st.code not in STANDING:
        raise DocumentError(f"{old.kind_label} {old.serial} 当前为“{st.label}”，不能换发。")
    payload = {k: v for k, v in dict(old.data or {}).items() if not k.startswith("_")}
    payload.update(_facts(data_changes))
    new = _insert(_kind(old.kind), old.object_type, old.object_id, payload, community_id=old.community_id,
                  valid_from=valid_from or old.valid_from, valid_until=valid_until or old.valid_until)
    approve(new, actor)
    old.replaced_by_id, old.replaced_at = new.id, utcnow()
    changed = sorted(k for k in _facts(data_changes) if (old.data or {}).get(k) != payload.get(k))
    record("document.replaced", old, actor=actor, kind=old.kind, serial=old.serial, replaced_by=new.serial,
           reason=reason[:200])
    record("document.reissued", new, actor=actor, kind=new.kind, serial=new.serial, replaces=old.serial,
           reason=reason[:200], changed=changed,
           valid_until=new.valid_until.isoformat() if new.valid_until else None)
    return new


def mark_used(doc: Document, actor, at: datetime | None = None) -> Document:
    """A single-use document (a release slip) used: when and by whom. Records "document.used".
    The caller makes it once (slips.release wins a conditional UPDATE first)."""
    if doc.used_at is not None:
        raise DocumentError(f"{doc.kind_label} {doc.serial} 已于 {_when(doc.used_at)} 使用。")
    doc.used_at, doc.used_by_name = at or utcnow(), getattr(actor, "name", None)
    record("document.used", doc, actor=actor, kind=doc.kind, serial=doc.serial)
    return doc


def end(doc: Document, actor, reason: str) -> bool:
    """Its object is over (a renovation finished or rejected): an approved document still in
    force ends. Records "document.ended"; False when there was nothing to end."""
    if status_of(doc).code not in STANDING:
        return False
    doc.ended_at, doc.end_reason = utcnow(), (reason or "").strip()[:200] or None
    record("document.ended", doc, actor=actor, kind=doc.kind, serial=doc.serial, reason=doc.end_reason)
    return True


def for_object(obj, kind) -> Document | None:
    """The newest document of `kind` for `obj` (whatever its state), or None."""
    if getattr(obj, "id", None) is None:
        return None
    return db.session.scalar(
        select(Document).where(Document.object_type == type(obj).__name__.lower(), Document.object_id == obj.id,
                               Document.kind == str(_kind(kind))).order_by(Document.id.desc()).limit(1))


def by_code(code: str | None) -> Document | None:
    """The document with this public code (from a scanned QR), or None."""
    code = (code or "").strip()
    if not code or len(code) > 32:
        return None
    return db.session.scalar(select(Document).where(Document.code == code))


def by_serial(community_id: int, serial: str | None) -> Document | None:
    """The document with this serial in a community (typed at the gate), or None. Case, width,
    spaces and dashes do not matter (core.normalize.document_serial): ｃｒｚ２０２６－０００１,
    crz20260001 and CRZ2026-1 find CRZ2026-0001."""
    wanted = document_serial(serial)
    if not wanted:
        return None
    return db.session.scalar(select(Document).where(Document.community_id == community_id,
                                                    Document.serial == wanted))


# --- printing ----------------------------------------------------------------------------

def cn_date(value) -> str:
    """2026-11-27 (ISO string or date) → 2026年11月27日; other text unchanged, None → ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(SITE_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10]) if len(value) >= 10 else value
        except ValueError:
            return value
    if isinstance(value, date):
        return f"{value.year}年{value.month:02d}月{value.day:02d}日"
    return str(value)


def _clip(value, limit: int, max_lines: int = 6):
    """A long free text cut to `limit` characters and `max_lines` lines, marked as cut."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    lines = text.splitlines()
    cut = len(lines) > max_lines
    if cut:
        text = "\n".join(lines[:max_lines]).rstrip()
    more = MORE if limit >= 60 else "…"
    if len(text) > limit:
        return text[:limit - len(more)].rstrip() + more
    return text + more if cut else text


@lru_cache(maxsize=64)
def _scaled_photo(path: str, mtime_ns: int, size: int) -> str:
    """A print-sized JPEG of a big photo as a data: URL (same input, same bytes)."""
    from PIL import Image

    with Image.open(path) as im:
        im.draft("RGB", (PHOTO_PRINT_SIDE, PHOTO_PRINT_SIDE))
        im = im.convert("RGB")
        im.thumbnail((PHOTO_PRINT_SIDE, PHOTO_PRINT_SIDE))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _photo_src(rel_path: str | None) -> str | None:
    """A stored photo for print: its file URL (small ones) or a scaled copy; None if missing."""
    if not rel_path:
        return None
    from ..photos.services import open_photo

    try:
        path: Path = open_photo(rel_path)
        st = path.stat()
    except (FileNotFoundError, ValueError, OSError):
        return None
    if st.st_size <= PHOTO_INLINE_BYTES:
        return path.as_uri()
    try:
        return _scaled_photo(str(path), st.st_mtime_ns, st.st_size)
    except Exception as e:  # an unreadable photo leaves the frame empty, the card still prints
        log.warning("photo %s not printable: %s", rel_path, e)
        return None


def print_context(doc: Document, today: date | None = None) -> dict:
    """Everything a document template gets: plain data only. The watermark and the seal follow
    status_of(): only a document in force prints sealed and clean; any other prints its state
    large and diagonal (草稿 · 未生效, 作废, 已过期, 已被取代 + the new serial, 已使用, 已结束)."""
    kind = _kind(doc.kind)
    st = status_of(doc, today)
    stored = dict(doc.data or {})
    issue = stored.get("_issue") if doc.state != DocState.DRAFT else None
    if not issue:  # a draft (or a row approved before the facts were frozen): as of now
        issue = _issue_facts(doc)
    url = issue.get("verify_url") or verify_url(doc)
    if url.startswith("/"):  # frozen without a host (approved outside a request): add it now
        url = verify_url(doc)
    data = {k: v for k, v in stored.items() if not k.startswith("_")}
    for key, limit in TEXT_LIMITS.get(kind, {}).items():
        data[key] = _clip(data.get(key), limit)
    if kind == DocKind.PERMIT and isinstance(data.get("rules"), list):
        data["rules"] = [_clip(str(line), RULE_CHARS, 1) for line in data["rules"][:MAX_RULES]]
    approved_on = doc.approved_at.astimezone(SITE_TZ).date().isoformat() if doc.approved_at else ""
    info = {
        "kind": str(kind), "title": DOC_KIND_LABELS[kind], "serial": doc.serial, "state": doc.state,
        "status": st.code, "status_label": st.label,
        "draft": doc.state == DocState.DRAFT, "revoked": doc.state == DocState.REVOKED,
        "valid_from": doc.valid_from.isoformat() if doc.valid_from else "",
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else "",
        "approved_on": approved_on, "community": issue.get("community", ""), "verify_url": url,
        # the signature line under the seal; a document approved before it was frozen keeps the old wording
        "sign_label": issue.get("sign_label") or f"{issue.get('community', '')}管理处（盖章）",
    }
    if kind == DocKind.PASS:
        info["photo_src"] = _photo_src(data.get("photo_path"))
    watermark = st.watermark
    seal = Markup("")  # the seal's place stays empty: a draft has the layout of its approved print
    if st.sealed:
        seal = seal_markup(issue.get("stamp_name"), issue.get("stamp_image"), fallback_name=info["community"])
    return {"doc": info, "d": data, "watermark": watermark, "seal": seal,
            "verify": {"url": url, "serial": doc.serial, "hint": "扫码核验真伪"}, "cn_date": cn_date}


def pdf(doc: Document, today: date | None = None) -> bytes:
    """The document's PDF: templates/documents/<kind>_pdf.html in its page size, watermarked
    by its state on `today` (site time by default)."""
    if not has_request_context():
        # Outside a request (CLI, a job): the app's template context processors and the QR
        # code's absolute URL (verify_url) need one.
        with current_app.test_request_context():
            return pdf(doc, today)
    kind = _kind(doc.kind)
    return render_pdf(f"documents/{kind}_pdf.html", page_size=PAGE_SIZES[kind], **print_context(doc, today))
