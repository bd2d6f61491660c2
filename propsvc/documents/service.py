"""Issued documents: permits, worker passes, extensions, release slips.

One service for every area that issues a stamped paper:

    doc = service.create(DocKind.PERMIT, renovation, data, community_id=…, valid_from=…, valid_until=…)
    service.approve(doc, manager)          # the approving role: sealed, verifiable, frozen
    service.pdf(doc) -> bytes              # the same bytes' text and layout on every reprint
    service.status(doc) -> "draft" | "valid" | "expired" | "revoked"
    service.revoke(doc, actor, "…")
    service.for_object(worker, DocKind.PASS)

A document starts as a DRAFT with its serial number (<prefix><year>-<NNNN>, counted per
community, kind and year: XK2026-0007 permit, CRZ2026-0012 pass, YQ2026-0003 extension,
FX2026-0001 slip) and a random code for its public verification URL (/v/<code>; serials are
guessable, codes are not). A draft prints with a large diagonal 草稿 · 未生效 watermark and no
seal. Approval freezes what it prints (`data`, plus the issuing community's name, its seal and
the verification URL at that moment), so a reprint is identical even when the community's
settings change later; the PDF then carries the seal, the serial and the QR code. A revoked
document prints 作废 and no seal. The caller commits.

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

Keys starting with "_" are the service's own. The public verification page never reads `data`
except the unit of a permit or an extension (posted on the door anyway): no names, no ID or
phone numbers, and nothing of a pass.
"""
from __future__ import annotations

import base64
import io
import logging
import secrets
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
    "DocumentError", "PAGE_SIZES", "SERIAL_PREFIXES", "STATUS_LABELS", "approve", "by_code", "by_serial", "cn_date",
    "create", "for_object", "pdf", "print_context", "revoke", "status", "verify_url",
]

SERIAL_PREFIXES = {DocKind.PERMIT: "XK", DocKind.PASS: "CRZ", DocKind.EXTENSION: "YQ", DocKind.SLIP: "FX"}
PAGE_SIZES = {DocKind.PERMIT: "A4", DocKind.PASS: (85.6, 54), DocKind.EXTENSION: "A5", DocKind.SLIP: "A5"}
STATUS_LABELS = {"draft": "未生效", "valid": "有效", "expired": "已过期", "revoked": "已撤销"}
DRAFT_WATERMARK = {"main": "草稿", "sub": "未生效"}
VOID_WATERMARK = {"main": "作废", "sub": "已撤销"}
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
    kind = _kind(kind)
    object_type, object_id = _object_ref(obj)
    payload = _facts(data)
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
        raise DocumentError(f"{doc.kind_label} {doc.serial} 当前为“{STATUS_LABELS.get(status(doc), doc.state)}”，"
                            "只有草稿可以批准。")
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


def status(doc: Document, today: date | None = None) -> str:
    """"draft", "valid", "expired" (valid_until before today, site time) or "revoked"."""
    if doc.state == DocState.REVOKED:
        return "revoked"
    if doc.state != DocState.VALID:
        return "draft"
    if doc.valid_until is not None and doc.valid_until < (today or site_today()):
        return "expired"
    return "valid"


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


def print_context(doc: Document) -> dict:
    """Everything a document template gets: plain data only."""
    kind = _kind(doc.kind)
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
        "draft": doc.state == DocState.DRAFT, "revoked": doc.state == DocState.REVOKED,
        "valid_from": doc.valid_from.isoformat() if doc.valid_from else "",
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else "",
        "approved_on": approved_on, "community": issue.get("community", ""), "verify_url": url,
        # the signature line under the seal; a document approved before it was frozen keeps the old wording
        "sign_label": issue.get("sign_label") or f"{issue.get('community', '')}管理处（盖章）",
    }
    if kind == DocKind.PASS:
        info["photo_src"] = _photo_src(data.get("photo_path"))
    watermark = DRAFT_WATERMARK if doc.state == DocState.DRAFT else VOID_WATERMARK if info["revoked"] else None
    seal = Markup("")  # the seal's place stays empty: a draft has the layout of its approved print
    if doc.state == DocState.VALID:
        seal = seal_markup(issue.get("stamp_name"), issue.get("stamp_image"), fallback_name=info["community"])
    return {"doc": info, "d": data, "watermark": watermark, "seal": seal,
            "verify": {"url": url, "serial": doc.serial, "hint": "扫码核验真伪"}, "cn_date": cn_date}


def pdf(doc: Document) -> bytes:
    """The document's PDF: templates/documents/<kind>_pdf.html in its page size."""
    if not has_request_context():
        # Outside a request (CLI, a job): the app's template context processors and the QR
        # code's absolute URL (verify_url) need one.
        with current_app.test_request_context():
            return pdf(doc)
    kind = _kind(doc.kind)
    return render_pdf(f"documents/{kind}_pdf.html", page_size=PAGE_SIZES[kind], **print_context(doc))
