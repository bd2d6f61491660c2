"""Ticket routes: the printable work order (派工单), one A5 PDF page per ticket.

Who may print it: whoever may view the ticket (same roles, same loader). What it shows follows
[T9]: a complaint printed by a non-desk role carries no reporter identity and no complaint
text, only the task; phones are masked on paper for everyone."""
from flask import g, make_response, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core.access import allow
from ..core.models import Event, utcnow
from ..core.timefmt import localtime
from ..documents import DocumentTooLong, render_pdf
from ..extensions import db
from ..photos.services import open_photo
from ..core import hooks, scope
from ..registry.masking import mask_phone
from . import services
from .blueprint import bp
from .models import Ticket
from .views import VIEWERS, load_ticket

MAX_PHOTOS = 4
TIME_FORMAT = "%Y-%m-%d %H:%M"
# The page must stay one A5 page: long texts are cut to a number of printed lines (estimated;
# render_pdf(max_pages=1) is the check, and a tighter layout is tried when it fails).
BOX_UNITS = 36      # full-width characters per line in the description/task boxes
CELL_UNITS = 12     # in a half-width table cell
WIDE_CELL_UNITS = 31  # in a table cell spanning three columns
LAYOUTS = (  # (lines for description + task, photos): each fits with every other field at its longest
    (8, MAX_PHOTOS), (14, 0), (6, 0),
)
MORE = "…（未完，详见系统工单）"
# Photos of events a non-desk viewer does not see (core.scope.ticket_event_hidden, as on the
# ticket page and the photo route) are left off the paper too.


def _width(ch: str) -> float:
    return 1.0 if ord(ch) >= 0x2E80 else 0.65  # CJK full width; Latin, digits, punctuation about half


def clip(text: str | None, max_lines: int, units: float, more: str = MORE) -> tuple[str | None, int]:
    """`text` cut to at most `max_lines` printed lines of `units` full-width characters (an
    estimate), ending with `more` when cut; returns it and the number of lines it takes."""
    if text is None:
        return None, 0
    out: list[str] = []
    lines, width = 0, 0.0  # lines begun; width of the current one
    for para in text.strip().splitlines() or [""]:
        if lines == max_lines:
            break
        if out:
            out.append("\n")
        lines, width = lines + 1, 0.0
        for ch in para:
            w = _width(ch)
            if width + w > units:
                if lines == max_lines:
                    break
                lines, width = lines + 1, 0.0
            out.append(ch)
            width += w
        else:
            continue
        break
    else:
        return "".join(out), lines
    room = units - sum(_width(c) for c in more)
    while out and width > room:
        width -= _width(out.pop())
    return "".join(out).rstrip() + more, lines


def _photos(t: Ticket, confidential: bool) -> list[dict]:
    photos = list(t.photos)
    if not confidential and photos:
        ids = {p.event_id for p in photos if p.event_id}
        rows = db.session.execute(select(Event.id, Event.action, Event.data).where(Event.id.in_(ids))) if ids else []
        hidden = {i for i, action, data in rows if scope.ticket_event_hidden(confidential, action, data)}
        photos = [p for p in photos if p.event_id not in hidden]
    out = []
    for p in photos:
        try:
            out.append({"src": open_photo(p.thumb_path).as_uri()})
        except FileNotFoundError:
            continue
        if len(out) == MAX_PHOTOS:
            break
    return out


def workorder_data(t: Ticket, user) -> dict:
    """What the work order prints, as plain data (the template never sees the ticket). Texts are
    whole here; fit() cuts them to the page."""
    confidential = services.sees_confidential(user, t)
    place = t.place + (f" · {t.location}" if t.unit is not None and t.location else "")
    return {
        "community": {"name": g.community.name},
        "serial": t.serial,
        "url": url_for("tickets.show", ticket_id=t.id, _external=True),  # a phone opens it: absolute
        "created": localtime(t.created_at, TIME_FORMAT),
        "kind": t.kind_label,
        "channel": t.channel_label,
        "urgency": t.urgency_label,
        "category": t.category.name,
        "state": t.state_label,
        "place": place,
        "reporter": ({"name": t.reporter_name, "phone": mask_phone(t.reporter_phone), "affected": t.affected}
                     if confidential else None),
        "description": t.description if confidential else None,
        "task": t.task,
        "department": t.department.name if t.department else None,
        "assignee": t.assignee.name if t.assignee else None,
        "respond_due": localtime(t.respond_due, TIME_FORMAT),
        "resolve_due": localtime(t.resolve_due, TIME_FORMAT),
        "expected": localtime(t.expected_at, TIME_FORMAT) or None,
        "photos": _photos(t, confidential),
        "charges": hooks.joined(hooks.WORKORDER_CHARGES, t.id),  # a paid repair's quote (fees)
        "printed_by": user.name,
        "printed_at": localtime(utcnow(), TIME_FORMAT),
    }


def fit(data: dict, lines: int, photos: int) -> dict:
    """A copy of `data` whose texts take at most `lines` printed lines together (description
    first, but the task keeps at least a third) and at most `photos` photos."""
    wo = dict(data, photos=data["photos"][:photos])
    wo["place"] = clip(data["place"], 2, WIDE_CELL_UNITS)[0]
    wo["category"] = clip(data["category"], 1, CELL_UNITS, "…")[0]
    if data["reporter"]:
        wo["reporter"] = dict(data["reporter"], name=clip(data["reporter"]["name"], 1, CELL_UNITS - 5, "…")[0])
    task_lines = clip(data["task"], lines, BOX_UNITS)[1]
    if data["description"] is None:
        wo["task"] = clip(data["task"], lines, BOX_UNITS)[0]
        return wo
    wo["description"], used = clip(data["description"], max(1, lines - min(task_lines or 1, lines // 3)), BOX_UNITS)
    wo["task"] = clip(data["task"], max(1, lines - used), BOX_UNITS)[0]
    return wo


@bp.get("/<id:ticket_id>/workorder.pdf")
@allow(*VIEWERS)
def workorder(ticket_id: int):
    t = load_ticket(ticket_id)
    data = workorder_data(t, current_user._get_current_object())
    for lines, photos in LAYOUTS:  # one page: shorter texts, then no photos, when it does not fit
        try:
            pdf = render_pdf("tickets/workorder_pdf.html", page_size="A5", max_pages=1, wo=fit(data, lines, photos))
            break
        except DocumentTooLong:
            continue
    else:  # never refuse to print: a second page is better than nothing
        pdf = render_pdf("tickets/workorder_pdf.html", page_size="A5", wo=fit(data, LAYOUTS[-1][0], 0))
    resp = make_response(pdf)
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="workorder-{t.serial}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
