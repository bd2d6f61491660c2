"""Issued documents on the web: the public verification page behind the QR code, and the PDF
for staff.

/v/<code> is open to anyone holding the paper: it shows the kind, serial, issuing community,
status and validity and nothing personal (no names, ID or phone numbers; a pass shows no unit
either). Codes are random (96 bits): a serial cannot be turned into a URL."""
from flask import Blueprint, make_response

from ..core.access import allow, get_or_404, public
from ..core.roles import Role
from ..core.timefmt import site_today
from ..core.web import render_page
from ..extensions import db
from . import service
from .models import DOC_KIND_LABELS, DocKind, Document

bp = Blueprint("documents", __name__)

# Who may print an issued document (the guard checks passes on the gate page, not here).
PRINTERS = (Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER, Role.FINANCE, Role.ADMIN, Role.STEWARD)
# Kinds whose verification page names the unit (a permit is posted on the door anyway).
SHOWS_UNIT = {DocKind.PERMIT, DocKind.EXTENSION}
# Kinds whose verification page states the amount (a receipt: no names, only the sum).
SHOWS_AMOUNT = {DocKind.RECEIPT, DocKind.FEE_NOTICE}
NOT_FOUND = "未找到该证件。请核对二维码或链接是否完整；如有疑问，请向物业管理处核实。"


def verification(doc: Document, today=None) -> dict:
    """What the public page shows of a document: nothing personal."""
    from ..registry.models import Community

    st = service.status_of(doc, today)
    issue = (doc.data or {}).get("_issue") or {}
    community = issue.get("community") or getattr(db.session.get(Community, doc.community_id), "name", "")
    unit = (doc.data or {}).get("unit") if doc.kind in SHOWS_UNIT else None
    return {
        "kind": DOC_KIND_LABELS.get(doc.kind, doc.kind), "serial": doc.serial, "community": community,
        "status": st.code, "status_label": st.label, "detail": st.detail, "replaced_by": st.replaced_by,
        "valid_from": service.cn_date(doc.valid_from), "valid_until": service.cn_date(doc.valid_until),
        "unit": unit if isinstance(unit, str) else None,
        "amount": (doc.data or {}).get("amount") if doc.kind in SHOWS_AMOUNT else None,
        "revoked_on": service.cn_date(doc.revoked_at) if st.code == "revoked" else "",
    }


@bp.get("/v/<code>")
@public
def verify(code: str):
    doc = service.by_code(code)
    if doc is None:
        resp = render_page("documents/verify.html", status=404, v=None, message=NOT_FOUND)
    else:
        resp = render_page("documents/verify.html", v=verification(doc, site_today()))
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.get("/documents/<id:doc_id>.pdf")
@allow(*PRINTERS)
def pdf_view(doc_id: int):
    doc = get_or_404(Document, doc_id)
    resp = make_response(service.pdf(doc))
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="{doc.kind}-{doc.serial}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
