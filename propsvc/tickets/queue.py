"""The live dispatch queue (派单队列): open tickets of the community grouped by state, most
urgent deadline first, with one-tap dispatch [T3] for new ones.

A dispatch sent from the list by htmx is answered with that ticket's row alone (row_response),
swapped in place: the list keeps its scroll and focus, and the row says what was done.

The list polls every 5 s. A poll is answered from a cheap fingerprint of the open tickets
(`fingerprint` of the shown rows + `viewer_etag`) before anything is rendered: unchanged →
`304 Not Modified` with no body. The fingerprint covers every row the list shows (id, state,
last change, overdue now) and the filters, so a new ticket, any step on a shown ticket (all
steps set updated_at), a ticket leaving the list and a deadline passing all change it.
Renaming a category, a department or a person does not: that shows with the next ticket
change (or within a minute, for a fragment rendered anew).
"""
import hashlib
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone

from flask import current_app, g, make_response, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import lazyload, selectinload

from ..auth.models import Department, User
from ..core import idempotency
from ..core.access import allow
from ..core.forms import parse_id
from ..core.models import utcnow
from ..core.roles import Role
from ..core.web import is_htmx, render_page
from ..extensions import db
from ..registry.models import Unit
from . import services
from .blueprint import bp
from .models import (KIND_LABELS, OPEN_STATES, STATE_LABELS, URGENCY_LABELS, AssignMode, Category, State,
                     Ticket)

QUEUE_ROLES = (Role.SUPERVISOR, Role.MANAGER, Role.FRONT_DESK)
# Bump when the fragment's markup changes, so browsers drop what they revalidate.
MARKUP_VERSION = "q2"
FRAGMENT_CACHE = "private, no-cache"  # the browser keeps it, but must ask before reusing it
# Who may be named as the person in a one-tap dispatch (as the ticket page's dispatch form).
ASSIGNABLE = (Role.TECHNICIAN, Role.STEWARD, Role.SUPERVISOR)


# --- filters ---------------------------------------------------------------------------

def _filters() -> dict:
    """The filters of the query string; an unknown or malformed value is ignored."""
    args, out = request.args, {}
    for name in ("department", "building"):
        if parse_id(args.get(name, "")):
            out[name] = parse_id(args[name])
    if args.get("kind") in KIND_LABELS:
        out["kind"] = args["kind"]
    if args.get("urgency") in URGENCY_LABELS:
        out["urgency"] = args["urgency"]
    return out


def _where(community_id: int, f: dict) -> list:
    conds = [Ticket.community_id == community_id, Ticket.state.in_(OPEN_STATES)]
    if "department" in f:
        # A new ticket has no department yet: it belongs to its category's default department.
        by_category = select(Category.id).where(Category.department_id == f["department"])
        conds.append((Ticket.department_id == f["department"])
                     | (Ticket.department_id.is_(None) & Ticket.category_id.in_(by_category)))
    if "building" in f:
        conds.append(Ticket.building_id == f["building"])
    if "kind" in f:
        conds.append(Ticket.kind == f["kind"])
    if "urgency" in f:
        conds.append(Ticket.urgency == f["urgency"])
    return conds


# --- the fingerprint -------------------------------------------------------------------

def fingerprint(community_id: int, f: dict, now=None) -> str:
    """A digest of what the list shows now, from one narrow query (no rendering): each shown
    ticket's id, state, last change and whether it is overdue at `now`.

    Hashing the rows rather than taking count + max(updated_at) also catches two writers
    committing out of order (the later commit carrying the earlier timestamp)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Ticket.id, Ticket.state, Ticket.updated_at, Ticket.respond_due, Ticket.resolve_due,
               Ticket.expected_at, Ticket.visit_due, Ticket.paused_at)
        .where(*_where(community_id, f)).order_by(Ticket.id))
    h = hashlib.blake2b(repr((MARKUP_VERSION, community_id, sorted(f.items()))).encode(), digest_size=12)
    for r in rows:
        h.update(f"|{r.id},{r.state},{r.updated_at.isoformat()},{services.is_overdue(r, now):d}".encode())
    return h.hexdigest()


def viewer_etag(data: str) -> str:
    """The weak ETag of the fragment for this viewer: the data, the viewer's roles (what is
    offered), and the session's CSRF secret (in the forms), so a copy kept by the browser never
    serves another sign-in (a shared front-desk PC)."""
    if "csrf_token" not in session:  # a first page after sign-in: the token its forms will carry
        generate_csrf()
    viewer = (data, current_user.id, sorted(current_user.roles), session["csrf_token"])
    return f'W/"{hashlib.blake2b(repr(viewer).encode(), digest_size=12).hexdigest()}"'


def _not_modified(etag: str):
    resp = current_app.response_class(status=304)
    del resp.headers["Content-Type"]
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = FRAGMENT_CACHE
    resp.vary.add("HX-Request")
    return resp


def _matches(etag: str) -> bool:
    inm = request.if_none_match
    return bool(inm) and (inm.star_tag or inm.contains_weak(etag.removeprefix("W/").strip('"')))


# --- the list --------------------------------------------------------------------------

def _sorted_groups(tickets: list[Ticket], now) -> list:
    """[(state, label, [(ticket, overdue)])] in queue order: overdue first, then by the
    deadline that matters (services.due_at), then oldest first."""
    far = datetime.max.replace(tzinfo=timezone.utc)  # no deadline sorts last (not now.replace(year=…): 29 Feb)
    groups = {s: [] for s in OPEN_STATES}
    for t in tickets:
        groups[t.state].append((t, services.is_overdue(t, now)))
    for items in groups.values():
        items.sort(key=lambda pair: (not pair[1], services.due_at(pair[0]) or far, pair[0].id))
    return [(s, STATE_LABELS[s], groups[s]) for s in OPEN_STATES]


def _staff_by_department(community_id: int) -> dict[int, list[User]]:
    """Active people of this community who may be named in a dispatch, by department."""
    out: dict[int, list[User]] = {}
    users = db.session.scalars(select(User).where(
        User.active.is_(True), User.department_id.is_not(None), User.communities.any(id=community_id))
        .order_by(User.name, User.id))
    for u in users:
        if u.has_role(*ASSIGNABLE):
            out.setdefault(u.department_id, []).append(u)
    return out


# --- rendering, shared between viewers ---------------------------------------------------
# Right after a change every poller gets a 200. The fragment is the same for everyone with the
# same data, filters and right to dispatch, but for three strings per viewer: the CSRF token,
# the ETag and the forms' one-time keys. So each worker renders it once with markers in their
# place and fills them in per response: a few string operations instead of ~10 ms of queries
# and template for each of the pollers. The key holds the fingerprint, so a change to any shown
# ticket is a new entry; the age limit bounds how long a renamed person or category can wait.
# Markers are Markup with a raw "<": no escaped text from the data can ever look like one.
_MARK_CSRF, _MARK_ETAG, _MARK_KEY = Markup("<@csrf@>"), Markup("<@etag@>"), Markup("<@key@>")
_CACHE_SIZE, _CACHE_SECONDS = 32, 60
_rendered: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _cached(key) -> str | None:
    with _lock:
        hit = _rendered.get(key)
        if hit is None or time.monotonic() - hit[0] > _CACHE_SECONDS:
            return None
        _rendered.move_to_end(key)
        return hit[1]


def _store(key, html: str) -> None:
    with _lock:
        _rendered[key] = (time.monotonic(), html)
        _rendered.move_to_end(key)
        while len(_rendered) > _CACHE_SIZE:
            _rendered.popitem(last=False)


def _new_key() -> str:
    return idempotency.issue_key()  # a one-time key per dispatch form (core.idempotency)


def _personalise(html: str, token: str, etag: str) -> str:
    parts = html.replace(_MARK_CSRF, token).replace(_MARK_ETAG, str(escape(etag))).split(_MARK_KEY)
    out = [parts[0]]
    for part in parts[1:]:
        out += [_new_key(), part]
    return "".join(out)


def _list_context(cid: int, f: dict, now, can_dispatch: bool) -> dict:
    tickets = list(db.session.scalars(select(Ticket).where(*_where(cid, f)).options(
        selectinload(Ticket.unit).selectinload(Unit.building), selectinload(Ticket.building),
        selectinload(Ticket.category).selectinload(Category.department), selectinload(Ticket.department),
        selectinload(Ticket.assignee).options(lazyload(User.role_rows), lazyload(User.communities)),
        selectinload(Ticket.callers))))
    groups = _sorted_groups(tickets, now)
    return {"groups": groups, "total": len(tickets), "filters": f, "here": url_for("tickets.queue", **f),
            "can_dispatch": can_dispatch, "GRAB": AssignMode.GRAB, "NEW": State.NEW, "due_at": services.due_at,
            "staff": _staff_by_department(cid) if can_dispatch and groups[0][2] else {}}


def row_response(t: Ticket, message: str, status: int = 200, error: bool = False, here: str | None = None):
    """One ticket's row of the queue (block `row`, the markup the list itself uses), for a
    dispatch sent from the queue by htmx: swapped in place of the row, so the list keeps its
    scroll and focus; `message` says what happened and what comes next (or what went wrong)."""
    now = utcnow()
    can_dispatch = current_user.has_role(*services.DISPATCH_ROLES)
    staff = _staff_by_department(t.community_id) if can_dispatch and t.state == State.NEW else {}
    html = render_block("tickets/queue.html", "row", t=t, od=services.is_overdue(t, now), due_at=services.due_at,
                        can_dispatch=can_dispatch, NEW=State.NEW, GRAB=AssignMode.GRAB, staff=staff,
                        csrf=generate_csrf(), key=_new_key, here=here or url_for("tickets.queue"),
                        row_message=message, row_error=error)
    resp = make_response(html, status)
    resp.vary.add("HX-Request")
    return resp


@bp.get("/queue")
@allow(*QUEUE_ROLES)
def queue():
    f = _filters()
    cid = g.community.id
    now = utcnow()
    data = fingerprint(cid, f, now)
    etag = viewer_etag(data)
    can_dispatch = current_user.has_role(*services.DISPATCH_ROLES)
    if not is_htmx():  # the page (no-store, like every document)
        return render_page(
            "tickets/queue.html", csrf=generate_csrf(), etag=etag, key=_new_key,
            departments=list(db.session.scalars(select(Department).order_by(Department.id))),
            buildings=g.community.buildings, kinds=KIND_LABELS, urgencies=URGENCY_LABELS,
            **_list_context(cid, f, now, can_dispatch))
    if _matches(etag):
        return _not_modified(etag)
    shared = (cid, data, can_dispatch)
    html = _cached(shared)
    if html is None:
        html = render_block("tickets/queue.html", "queue", csrf=_MARK_CSRF, etag=_MARK_ETAG, key=lambda: _MARK_KEY,
                            **_list_context(cid, f, now, can_dispatch))
        _store(shared, html)
    resp = make_response(_personalise(html, generate_csrf(), etag))
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = FRAGMENT_CACHE
    resp.vary.add("HX-Request")
    return resp
