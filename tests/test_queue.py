"""The live dispatch queue: grouping, deadlines, filters, one-tap dispatch [T3], and polls that
cost a 304 with no body (and no cookie) when nothing changed."""
import gzip
import html as htmllib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

from propsvc.core.models import utcnow
from propsvc.extensions import db
from propsvc.tickets.models import Category, Ticket
from test_tickets import client_for, events, intake, site, step, ticket  # noqa: F401

URL = "/tickets/queue"
HX = {"HX-Request": "true"}
POLL = {"HX-Request": "true", "X-Poll": "1"}
SECTION_RE = re.compile(r'<section class="queue-group"><h2>(\S+) <span class="count">(\d+)</span></h2>(.*?)</section>',
                        re.S)
CARD_RE = re.compile(r'<li class="card ticket( overdue)?(?: just)?" id="q\d+"><a href="/tickets/(\d+)"><b>([^<]+)</b>(.*?)</li>',
                     re.S)
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


# --- helpers -----------------------------------------------------------------------------

def groups(html: str) -> dict:
    """{group label: (count in the heading, [card dicts in order])}"""
    out = {}
    for label, count, body in SECTION_RE.findall(html):
        cards = [{"overdue": bool(od), "id": int(tid), "serial": serial, "body": rest}
                 for od, tid, serial, rest in CARD_RE.findall(body)]
        out[label] = (int(count), cards)
    return out


def serials(html: str, label: str) -> list[str]:
    return [c["serial"] for c in groups(html)[label][1]]


def new_ticket(app, site, now=None, category="水电气维修", urgency="normal", kind="repair", unit="unit",
               building_id=None, location=None):
    """A ticket created straight through the service (so `now` may lie in the past)."""
    from propsvc.auth.models import User
    from propsvc.tickets.services import Intake, create_ticket

    with app.app_context():
        actor = db.session.get(User, site["users"]["front_desk"].id)
        t = create_ticket(site["community"].id, Intake(
            kind=kind, channel="phone", category_id=site["cats"][category], urgency=urgency, description="测试",
            unit_id=site[unit].id if unit else None, building_id=building_id, location=location), actor, now=now)
        db.session.commit()
        db.session.refresh(t)
        db.session.expunge(t)
        return t


def advance(app, site, t, to):
    """Walk a ticket through the service to state `to` (dispatched, in_progress, resolved, closed)."""
    from propsvc.auth.models import User
    from propsvc.tickets import services

    with app.app_context():
        t = db.session.get(Ticket, t.id)
        sup = db.session.get(User, site["users"]["supervisor"].id)
        tech = db.session.get(User, site["users"]["technician"].id)
        steward = db.session.get(User, site["users"]["steward"].id)
        path = ["dispatched", "in_progress", "resolved", "closed"]
        for state in path[:path.index(to) + 1]:
            if t.state == state:
                continue
            if state == "dispatched":
                services.dispatch(t, sup, site["eng"])
            elif state == "in_progress":
                services.accept(t, tech)
            elif state == "resolved":
                services.resolve(t, tech, "已修好")
            else:
                services.return_visit(t, steward, 5, "fixed", None)
            db.session.commit()
        assert t.state == to
    return ticket(app, t.id)


def wire_bytes(resp) -> int:
    """Status line and headers as they go on the wire (HTTP/1.1, CRLF line ends)."""
    head = f"HTTP/1.1 {resp.status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in resp.headers.items()) + "\r\n"
    return len(head.encode("latin-1"))


# --- the list ------------------------------------------------------------------------------

def test_open_tickets_grouped_by_state_with_counts_closed_left_out(app, site):
    made = {s: new_ticket(app, site) for s in ("new", "dispatched", "in_progress", "resolved", "closed")}
    extra_new = new_ticket(app, site)
    for state, t in made.items():
        if state != "new":
            made[state] = advance(app, site, t, state)
    html = client_for(app, site["users"]["supervisor"]).get(URL).get_data(as_text=True)
    g = groups(html)
    assert list(g) == ["待派单", "已派单", "处理中", "待回访"]
    assert [g[label][0] for label in g] == [2, 1, 1, 1]
    assert sorted(serials(html, "待派单")) == sorted([made["new"].serial, extra_new.serial])
    assert serials(html, "已派单") == [made["dispatched"].serial]
    assert serials(html, "处理中") == [made["in_progress"].serial]
    assert serials(html, "待回访") == [made["resolved"].serial]
    assert made["closed"].serial not in html
    assert "未关闭 5 张" in html


def test_cards_show_what_dispatch_needs(clock, app, site):
    t = new_ticket(app, site, urgency="urgent")
    advance(app, site, t, "in_progress")
    desk = client_for(app, site["users"]["front_desk"])
    assert intake(desk, site, unit_id=str(site["neighbour"].id)).status_code == 303
    attached = ticket(app)
    from conftest import post

    post(desk, "/tickets/new/attach", {"ticket_id": attached.id, "unit_id": site["unit"].id, "channel": "phone",
                                       "client_key": "att-q"})
    html = desk.get(URL).get_data(as_text=True)
    (card,) = groups(html)["处理中"][1]
    body = card["body"]
    assert "报修·水电气维修" in body and "3栋2单元1201" in body and "紧急" in body
    assert "工程部" in body and site["users"]["technician"].name in body  # department and assignee
    t = ticket(app, t.id)
    from propsvc.core.timefmt import localtime

    assert f"完成 {localtime(t.resolve_due)}" in body  # the deadline that matters now, site time
    assert f'href="/tickets/{t.id}"' in html
    (new_card,) = groups(html)["待派单"][1]
    assert "3栋2单元1101" in new_card["body"] and "受影响 2 户" in new_card["body"]


def test_sorted_by_the_deadline_that_matters_overdue_first_and_marked(clock, app, site):
    now = utcnow()
    normal = new_ticket(app, site, urgency="normal")
    low = new_ticket(app, site, urgency="low")
    urgent = new_ticket(app, site, urgency="urgent")
    late = new_ticket(app, site, urgency="low", now=now - timedelta(days=10))
    html = client_for(app, site["users"]["supervisor"]).get(URL).get_data(as_text=True)
    cards = groups(html)["待派单"][1]
    assert [c["serial"] for c in cards] == [late.serial, urgent.serial, normal.serial, low.serial]
    assert [c["overdue"] for c in cards] == [True, False, False, False]
    assert "已超时" in cards[0]["body"] and "已超时" not in cards[1]["body"]


def test_overdue_in_progress_uses_the_resolve_deadline(clock, app, site):
    late = advance(app, site, new_ticket(app, site, urgency="urgent", now=utcnow() - timedelta(days=2)),
                   "in_progress")
    fresh = advance(app, site, new_ticket(app, site, urgency="urgent"), "in_progress")
    html = client_for(app, site["users"]["manager"]).get(URL).get_data(as_text=True)
    cards = groups(html)["处理中"][1]
    assert [(c["serial"], c["overdue"]) for c in cards] == [(late.serial, True), (fresh.serial, False)]


def test_paused_ticket_shows_its_reason_and_is_not_overdue(clock, app, site):
    t = new_ticket(app, site, now=utcnow() - timedelta(days=10))
    sup = client_for(app, site["users"]["supervisor"])
    assert step(sup, t, "pause", text="业主出差，约下周上门").status_code == 303
    (card,) = groups(sup.get(URL).get_data(as_text=True))["待派单"][1]
    assert "暂停：业主出差，约下周上门" in card["body"] and not card["overdue"]


def test_grab_mode_tickets_show_as_open_for_grabs(app, site):
    with app.app_context():
        db.session.get(Category, site["cats"]["电梯故障"]).assign_mode = "grab"
        db.session.commit()
    grab = new_ticket(app, site, category="电梯故障")
    assigned = advance(app, site, new_ticket(app, site), "dispatched")
    html = client_for(app, site["users"]["supervisor"]).get(URL).get_data(as_text=True)
    cards = {c["serial"]: c["body"] for c in groups(html)["已派单"][1]}
    assert set(cards) == {grab.serial, assigned.serial}
    assert "抢单中" in cards[grab.serial] and "抢单中" not in cards[assigned.serial]


def test_filters_by_department_building_kind_and_urgency(app, site, make):
    other = make.building(site["community"], "5")
    repair = new_ticket(app, site)  # 水电气维修: 工程部, building 3
    cleaning = new_ticket(app, site, category="环境卫生", unit=None, building_id=other.id, location="大堂")
    complaint = new_ticket(app, site, category="噪音/邻里", kind="complaint", urgency="urgent")
    dispatched_eng = advance(app, site, new_ticket(app, site, category="绿化"), "dispatched")  # sent to 工程部
    sup = client_for(app, site["users"]["supervisor"])
    with app.app_context():
        from propsvc.auth.models import Department

        env = db.session.scalar(select(Department.id).where(Department.code == "environment"))

    def shown(query):
        html = sup.get(f"{URL}?{query}").get_data(as_text=True)
        return {c["serial"] for _label, (_n, cards) in groups(html).items() for c in cards}

    assert shown("") == {repair.serial, cleaning.serial, complaint.serial, dispatched_eng.serial}
    # a new ticket counts for its category's department; a dispatched one for where it was sent
    assert shown(f"department={site['eng']}") == {repair.serial, dispatched_eng.serial}
    assert shown(f"department={env}") == {cleaning.serial}
    assert shown(f"building={other.id}") == {cleaning.serial}
    assert shown("kind=complaint") == {complaint.serial}
    assert shown("urgency=urgent") == {complaint.serial}
    assert shown(f"kind=repair&building={site['building'].id}") == {repair.serial, dispatched_eng.serial}
    assert shown("kind=nonsense&urgency=&department=x") == shown("")  # bad values are ignored
    html = sup.get(f"{URL}?urgency=urgent").get_data(as_text=True)
    assert '<option value="urgent" selected>' in html and "（已筛选）" in html
    # the polling URL carries the filters
    assert 'hx-get="/tickets/queue?urgency=urgent"' in html


def test_filter_form_works_without_js_and_with_htmx(app, site):
    html = client_for(app, site["users"]["front_desk"]).get(URL).get_data(as_text=True)
    form = re.search(r'<form method="get" action="/tickets/queue"[^>]*>', html).group(0)
    assert 'hx-get="/tickets/queue"' in form and 'hx-target="#queue"' in form and 'hx-replace-url="true"' in form
    for name in ("department", "building", "kind", "urgency"):
        assert f'<select name="{name}"' in html
    assert "<button>筛选</button>" in html


def test_full_page_and_htmx_fragment(app, site):
    new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    page = sup.get(URL)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.startswith("<!doctype html>")
    assert re.search(r'<script src="/static/\w+/js/queue\.js" defer></script>', html.split("</head>")[0])
    assert page.headers["Cache-Control"] == "no-store" and "ETag" not in page.headers
    assert "HX-Request" in page.headers["Vary"]
    div = re.search(r'<div id="queue"[^>]*>', html).group(0)
    assert 'hx-trigger="every 5s"' in div and 'hx-get="/tickets/queue"' in div and 'hx-swap="outerHTML"' in div
    assert "&#34;X-Poll&#34;: &#34;1&#34;" in div or '"X-Poll": "1"' in div
    frag = sup.get(URL, headers=HX)
    body = frag.get_data(as_text=True)
    assert frag.status_code == 200 and body.lstrip().startswith('<div id="queue"') and "<html" not in body
    assert "<form method=\"get\"" not in body  # the filters stay put while the list is swapped
    assert frag.headers["ETag"].startswith('W/"')
    assert frag.headers["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in frag.headers["Vary"]
    # the page tells the script which version it shows
    etag = htmllib.unescape(re.search(r'data-etag="([^"]+)"', html).group(1))
    assert etag == frag.headers["ETag"]


def test_unchanged_poll_is_a_304_with_no_body_and_no_cookie(app, site):
    new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    first = sup.get(URL, headers=POLL)
    etag = first.headers["ETag"]
    again = sup.get(URL, headers={**POLL, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert "HX-Request" in again.headers["Vary"]
    assert "Set-Cookie" not in again.headers
    assert "Content-Security-Policy" not in again.headers and "Content-Type" not in again.headers
    assert wire_bytes(again) <= 300 - 60  # leaves room for the server's Date, Server, Connection
    # a full page is never answered 304, whatever the browser sends
    assert sup.get(URL, headers={"If-None-Match": etag}).status_code == 200


def test_poll_does_not_refresh_the_idle_timer(app, site):
    from propsvc.auth.models import UserSession

    sup = client_for(app, site["users"]["supervisor"])
    sup.get(URL)
    with sup.session_transaction() as s:
        sid = s["sid"]

    def last_seen():
        with app.app_context():
            return db.session.get(UserSession, sid).last_seen_at

    with app.app_context():  # last activity two minutes ago (the server keeps it in the session's row)
        db.session.get(UserSession, sid).last_seen_at = utcnow() - timedelta(minutes=2)
        db.session.commit()
    before = last_seen()
    poll = sup.get(URL, headers=POLL)
    assert poll.status_code == 200 and "Set-Cookie" not in poll.headers
    assert last_seen() == before
    sup.get(URL, headers=HX)  # a real request is activity
    assert last_seen() > before + timedelta(minutes=1)


def test_poll_after_a_change_or_a_passing_deadline_gets_a_new_etag(clock, app, site):
    t = new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    etags = [sup.get(URL, headers=POLL).headers["ETag"]]

    def poll():
        resp = sup.get(URL, headers={**POLL, "If-None-Match": etags[-1]})
        assert resp.status_code == 200 and resp.get_data() and resp.headers["ETag"] not in etags
        etags.append(resp.headers["ETag"])
        return resp.get_data(as_text=True)

    other = new_ticket(app, site)  # a new ticket
    assert other.serial in poll()
    assert step(sup, t, "dispatch", department_id=site["eng"], assignee_id="0").status_code == 303  # a step
    assert t.serial in "".join(serials(poll(), "已派单"))
    with app.app_context():  # a deadline passing: nothing in the row changes but the clock
        db.session.execute(update(Ticket).where(Ticket.id == other.id)
                           .values(respond_due=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert groups(poll())["待派单"][1][0]["overdue"]
    advance(app, site, ticket(app, t.id), "closed")  # a ticket leaving the list
    assert t.serial not in poll()
    assert sup.get(URL, headers={**POLL, "If-None-Match": etags[-1]}).status_code == 304


def test_etag_depends_on_viewer_and_filters(app, site, make):
    new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    sup2 = client_for(app, make.user("supervisor", communities=[site["community"]]))
    e1 = sup.get(URL, headers=POLL).headers["ETag"]
    assert sup.get(f"{URL}?urgency=low", headers=POLL).headers["ETag"] != e1
    # another person (or the same PC after a staff switch) never reuses this copy
    assert sup2.get(URL, headers={**POLL, "If-None-Match": e1}).status_code == 200


def test_a_fragment_rendered_once_is_filled_in_for_each_viewer(app, site, make):
    """Pollers share one rendering per change; each still gets its own token, keys and ETag."""
    t = new_ticket(app, site)
    odd = new_ticket(app, site, unit=None, building_id=site["building"].id, location="<@key@> @@csrf@@")
    a = client_for(app, site["users"]["supervisor"])
    b = client_for(app, make.user("supervisor", communities=[site["community"]]))
    frags = [c.get(URL, headers=POLL) for c in (a, b, a)]
    forms = [_dispatch_form(f.get_data(as_text=True), t.id)[1] for f in frags]
    assert forms[0]["csrf_token"] != forms[1]["csrf_token"]
    assert len({f["client_key"] for f in forms}) == 3  # a fresh one-time key in every response
    assert "<@" not in "".join(f.get_data(as_text=True) for f in frags)
    for f in frags:
        etag = htmllib.unescape(re.search(r'data-etag="([^"]+)"', f.get_data(as_text=True)).group(1))
        assert etag == f.headers["ETag"]
    assert frags[0].headers["ETag"] != frags[1].headers["ETag"]
    assert all("3栋&lt;@key@&gt; @@csrf@@" in f.get_data(as_text=True) for f in frags), odd  # text stays text
    action, fields, _ = _dispatch_form(frags[1].get_data(as_text=True), t.id)
    assert b.post(action, data=fields).status_code == 303  # B's token is valid for B
    assert ticket(app, t.id).state == "dispatched"


# --- one-tap dispatch ----------------------------------------------------------------------

def _dispatch_form(html: str, ticket_id: int) -> tuple[str, dict, str]:
    card = next(c for c in groups(html)["待派单"][1] if c["id"] == ticket_id)
    form = re.search(r'<form method="post" action="([^"]+)" class="qd"[^>]*>(.*?)</form>', card["body"], re.S)
    fields = {k: htmllib.unescape(v) for k, v in HIDDEN_RE.findall(form.group(2))}
    button = re.search(r'<button class="primary">([^<]+)</button>', form.group(2)).group(1)
    return form.group(1), fields, button


def test_t3_one_tap_dispatch_to_the_category_department_returns_to_the_queue(app, site):
    t = new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    html = sup.get(f"{URL}?urgency=normal").get_data(as_text=True)
    action, fields, button = _dispatch_form(html, t.id)
    assert button == "派给工程部" and action == f"/tickets/{t.id}/dispatch"
    assert fields["dispatch-department_id"] == str(site["eng"]) and fields["next"] == f"{URL}?urgency=normal"
    assert fields["csrf_token"] and fields["client_key"]
    resp = sup.post(action, data=fields)  # without JavaScript: back to the same row of the queue
    assert resp.status_code == 303 and resp.headers["Location"] == f"{URL}?urgency=normal#q{t.id}"
    t = ticket(app, t.id)
    assert t.state == "dispatched" and t.department_id == site["eng"] and t.assignee_id is None
    (ev,) = events(app, t, "ticket.dispatched")
    assert ev.actor_id == site["users"]["supervisor"].id
    back = sup.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已派给 工程部（部门内抢单）" in back and serials(back, "已派单") == [t.serial]
    # the same tap again (a double tap, a resend): nothing more, back to the queue
    again = sup.post(action, data=fields)
    assert again.status_code == 303 and again.headers["Location"] == f"{URL}?urgency=normal"
    assert len(events(app, t, "ticket.dispatched")) == 1


def test_one_tap_dispatch_can_name_a_person(app, site):
    t = new_ticket(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    html = desk.get(URL).get_data(as_text=True)
    card = next(c for c in groups(html)["待派单"][1] if c["id"] == t.id)
    tech = site["users"]["technician"]
    assert f'<option value="{tech.id}">{tech.name}</option>' in card["body"]
    assert site["users"]["guard"].name not in card["body"]  # only people who handle work
    action, fields, _ = _dispatch_form(html, t.id)
    assert desk.post(action, data={**fields, "dispatch-assignee_id": str(tech.id)}).status_code == 303
    t = ticket(app, t.id)
    assert (t.state, t.assignee_id) == ("dispatched", tech.id)


@pytest.mark.parametrize("bad", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                 "tickets/queue", "/tickets/queue\r\nX: y"])
def test_dispatch_next_must_be_a_local_path(app, site, bad):
    t = new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    action, fields, _ = _dispatch_form(sup.get(URL).get_data(as_text=True), t.id)
    resp = sup.post(action, data={**fields, "next": bad})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/tickets/{t.id}"


def test_ticket_page_dispatch_still_returns_to_the_ticket(app, site):
    t = new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    resp = step(sup, t, "dispatch", department_id=site["eng"], assignee_id="0")
    assert resp.status_code == 303 and resp.headers["Location"] == f"/tickets/{t.id}"


# --- access, queries, weight ---------------------------------------------------------------

@pytest.mark.parametrize("role,code", [("supervisor", 200), ("manager", 200), ("front_desk", 200),
                                       ("steward", 403), ("technician", 403), ("guard", 403)])
def test_who_sees_the_queue(app, site, role, code):
    c = client_for(app, site["users"][role])
    assert c.get(URL).status_code == code
    assert c.get(URL, headers=POLL).status_code == code


def test_other_communities_tickets_are_not_shown(app, site, make):
    mine = new_ticket(app, site)
    other_c = make.community()
    other_b = make.building(other_c, "1")
    with app.app_context():
        from propsvc.tickets.services import ensure_defaults

        ensure_defaults(other_c.id)
        db.session.commit()
        cat = db.session.scalar(select(Category.id).where(Category.community_id == other_c.id))
    other_site = {**site, "community": other_c, "cats": {"水电气维修": cat}}
    theirs = new_ticket(app, other_site, unit=None, building_id=other_b.id, location="门口")
    html = client_for(app, site["users"]["supervisor"]).get(URL).get_data(as_text=True)
    assert mine.serial in html and theirs.serial not in html


def _count_queries(app, client, url, headers=None) -> int:
    n = 0

    def count(*_a):
        nonlocal n
        n += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url, headers=headers or {}).status_code in (200, 304)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return n


def test_no_n_plus_one_queries(app, site, make):
    sup = client_for(app, site["users"]["supervisor"])
    for _ in range(2):
        advance(app, site, new_ticket(app, site), "in_progress")
        new_ticket(app, site)
    few = _count_queries(app, sup, URL)
    other = make.building(site["community"], "7")
    for i in range(4):
        t = new_ticket(app, site, unit="neighbour" if i % 2 else None, building_id=other.id, location=f"{i}号门")
        advance(app, site, t, ["dispatched", "in_progress", "resolved", "dispatched"][i])
        new_ticket(app, site, category="环境卫生")
    assert _count_queries(app, sup, URL) == few
    etag = sup.get(URL, headers=POLL).headers["ETag"]
    # an unchanged poll: the user, the community, one query for the fingerprint
    assert _count_queries(app, sup, URL, {**POLL, "If-None-Match": etag}) <= 5


def test_fifty_open_tickets_fit_in_14_kb_gzipped_with_the_css(clock, app, site):
    urgencies = ["urgent", "normal", "low"]
    cats = ["水电气维修", "电梯故障", "环境卫生", "安全", "噪音/邻里"]
    for i in range(50):
        t = new_ticket(app, site, urgency=urgencies[i % 3], category=cats[i % 5],
                       now=utcnow() - timedelta(hours=i % 7 * 5))
        if i % 4:
            advance(app, site, t, ["dispatched", "in_progress", "resolved"][i % 4 - 1])
    html = client_for(app, site["users"]["supervisor"]).get(URL).get_data()
    css = (Path(__file__).resolve().parents[1] / "static" / "css" / "app.css").read_bytes()
    size = len(gzip.compress(html, 6)) + len(gzip.compress(css, 6))
    assert size <= 14 * 1024, size


# --- in a real browser ---------------------------------------------------------------------

from browser.conftest import CHROMIUM, VIEWPORT, live_server  # noqa: E402,F401


@pytest.mark.browser
def test_browser_live_updates_filters_and_one_tap_dispatch(app, site, live_server):  # noqa: F811
    """Chromium at 360×640: polls send If-None-Match and leave the list alone on a 304; a new
    ticket shows within 10 s without a reload; filters swap the list and the address; one tap
    dispatches and comes back to the queue. Runs in its own thread with its own Playwright,
    as the browser tests' session-wide one may be running in this thread."""
    import os
    import threading

    if not Path(CHROMIUM).is_file():
        reason = f"{CHROMIUM} not found"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    failures = []

    def scenario():
        try:
            _browser_scenario(app, site, live_server)
        except BaseException as e:  # noqa: BLE001 (re-raised in the test's thread)
            failures.append(e)

    th = threading.Thread(target=scenario, name="queue-browser")
    th.start()
    th.join(timeout=120)
    assert not th.is_alive(), "browser scenario timed out"
    if failures:
        raise failures[0]


def _browser_scenario(app, site, base):
    from playwright.sync_api import expect, sync_playwright

    from conftest import PASSWORD

    first = new_ticket(app, site, urgency="normal")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
            context.set_default_timeout(10_000)
            page = context.new_page()
            js_errors, polls = [], []
            page.on("pageerror", lambda exc: js_errors.append(str(exc)))
            page.on("console", lambda msg: js_errors.append(msg.text) if msg.type == "error" else None)
            page.on("response", lambda r: polls.append((r.status, r.request.headers.get("if-none-match")))
                    if r.request.headers.get("x-poll") == "1" else None)
            page.goto(f"{base}/login")
            page.get_by_label("用户名").fill(site["users"]["supervisor"].username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}{URL}")
            expect(page.get_by_text(first.serial)).to_be_visible()
            page.evaluate("document.getElementById('queue').dataset.mark = 'kept'")

            # an unchanged poll: 304 on the wire, the list is left alone
            page.wait_for_timeout(5600)
            assert polls and polls[0][0] == 304 and polls[0][1], polls
            assert page.evaluate("document.getElementById('queue').dataset.mark") == "kept"

            # a ticket registered elsewhere shows within 10 s, without a reload
            second = new_ticket(app, site, urgency="urgent")
            expect(page.get_by_text(second.serial)).to_be_visible(timeout=10_000)
            assert page.evaluate("document.getElementById('queue').dataset.mark") is None  # swapped in
            expect(page.locator("section", has_text="待派单").locator(".count")).to_have_text("2")

            # filters: htmx swaps the list and puts the filter in the address bar
            page.get_by_label("紧急程度").select_option("urgent")
            page.wait_for_url(re.compile(r"urgency=urgent"))
            expect(page.get_by_text(first.serial)).to_have_count(0)
            expect(page.locator("#queue")).to_have_attribute("hx-get", f"{URL}?urgency=urgent")

            # one tap dispatches to the category's department: the row says so in place (no reload),
            # and the next poll files it under 已派单
            page.evaluate("window.notReloaded = true")
            page.locator("li", has_text=second.serial).get_by_role("button", name="派给工程部").click()
            expect(page.locator(f"#q{second.id} .qmsg")).to_contain_text("已派给 工程部（部门内抢单）")
            assert page.evaluate("window.notReloaded === true") and "urgency=urgent" in page.url
            expect(page.locator("section", has_text="已派单").get_by_text(second.serial)).to_be_visible(timeout=10_000)
            assert ticket(app, second.id).state == "dispatched"
            assert not js_errors, js_errors
        finally:
            browser.close()
