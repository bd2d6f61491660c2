"""Navigation by role [issue 16, item 4], through the test client on a real database:

* the role → places table (core.nav): at most five bar places per role, each one the role may
  open (checked against tests/access_matrix.py, written independently of the views), and every
  other place the role may open under 更多, none twice and none it may not open;
* the page's nav: the bar, 更多 and the current place marked aria-current (a place's own page,
  and a page that belongs to it);
* landing: a guard signs in to the gate (a steward to 今日), /?all=1 still shows 首页;
* 首页's tiles carry live counts from the areas' services, scoped as the pages are (a steward's
  buildings), and the counts follow the data as it changes."""
import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from access_matrix import ROLES, ROUTES
from conftest import client_for, login
from propsvc.core import nav
from propsvc.extensions import db

NAV_RE = re.compile(r'<nav class="nav" aria-label="主导航">(.*?)</nav>', re.S)
LINK_RE = re.compile(r'<a href="([^"]+)"(?: aria-current="(page|true)")?>([^<]+)</a>')
TILE_RE = re.compile(r'<a class="tile" href="([^"]+)">([^<]+)(?:<span class="tally( zero)?">([^<]+) <b>([^<]+)</b></span>)?</a>')


def may_open(role: str, endpoint: str) -> bool:
    """What tests/access_matrix.py says (not the views' own declarations)."""
    row = ROUTES[endpoint]
    return row.roles == "public" or role in row.roles


def parse_nav(html: str) -> dict:
    block = NAV_RE.search(html).group(1)
    bar_html, _, more_html = block.partition('<details class="more-menu">')
    summary = re.search(r"<summary[^>]*>(.*?)</summary>", more_html, re.S)
    return {
        "bar": [(href, label, cur) for href, cur, label in LINK_RE.findall(bar_html)],
        "more": [(href, label, cur) for href, cur, label in LINK_RE.findall(more_html)],
        "summary": re.sub(r"<[^>]+>", "", summary.group(1)) if summary else None,
    }


def tiles(html: str) -> dict[str, tuple[str, str] | None]:
    """place label -> (count label, value) of 首页's tiles."""
    return {label: ((what, value) if what else None) for _href, label, _zero, what, value in TILE_RE.findall(html)}


# --- the table ------------------------------------------------------------------------------

def test_each_roles_bar_has_at_most_five_places_it_may_open_and_short_names(app):
    for role in ROLES:
        bar = nav.BAR[role]
        assert 1 <= len(bar) <= nav.MAX_BAR, role
        assert len(set(bar)) == len(bar), role
        for endpoint in bar:
            assert endpoint in app.view_functions, endpoint
            assert may_open(role, endpoint), f"{role} may not open its bar place {endpoint}"
            assert len(nav.BY_ENDPOINT[endpoint].bar_label) <= 3, endpoint  # five and 更多 fit 360 px
    for p in nav.PLACES:
        assert p.endpoint in app.view_functions and "GET" in app.url_map._rules_by_endpoint[p.endpoint][0].methods
    assert nav.LANDING == ((("steward"), "patrols.today"), (("guard"), "renovation.gate"))


@pytest.fixture
def staff(app, make):
    c = make.community("导航花园")
    b1, b2 = make.building(c, "1"), make.building(c, "2")
    users = {r: make.user(r, communities=[c]) for r in ROLES}
    users["steward2"] = make.user("steward", communities=[c])
    with app.app_context():
        from propsvc.auth.models import User
        from propsvc.registry.models import Building

        for key, b in (("steward", b1), ("steward2", b2)):
            u = db.session.get(User, users[key].id)
            u.buildings.append(db.session.get(Building, b.id))
        db.session.commit()
    return {"community": c, "b1": b1, "b2": b2, "users": users,
            "u1": make.unit(b1, 1, "101"), "u2": make.unit(b2, 1, "101")}


@pytest.mark.parametrize("role", ROLES)
def test_the_page_shows_the_bar_then_every_other_place_under_more(app, staff, role):
    client = client_for(app, staff["users"][role])
    resp = client.get("/?all=1")
    assert resp.status_code == 200
    shown = parse_nav(resp.get_data(as_text=True))
    with app.test_request_context():
        from flask import url_for

        href = {p.endpoint: url_for(p.endpoint) for p in nav.PLACES}
    lands = role in ("steward", "guard")  # 首页 only sends them on: not offered
    bar = [e for e in nav.BAR[role] if not (lands and e == "core.home")]
    assert [h for h, _l, _c in shown["bar"]] == [href[e] for e in bar]
    assert [lab for _h, lab, _c in shown["bar"]] == [nav.BY_ENDPOINT[e].bar_label for e in bar]
    expected_more = [p for p in nav.PLACES if p.endpoint not in bar and may_open(role, p.endpoint)
                     and not (lands and p.endpoint == "core.home")]
    assert [h for h, _l, _c in shown["more"]] == [href[p.endpoint] for p in expected_more]
    assert (shown["summary"] == "更多") == bool(expected_more)
    # 首页 (?all=1) is the current place where it is offered.
    current = [(h, c) for h, _l, c in shown["bar"] + shown["more"] if c]
    assert current == ([] if lands else [(href["core.home"], "page")])


def test_current_place_is_marked_on_its_page_and_on_the_pages_that_belong_to_it(app, staff):
    sup = client_for(app, staff["users"]["supervisor"])
    html = sup.get("/patrols/admin").get_data(as_text=True)
    n = parse_nav(html)
    assert n["summary"] == "更多：巡查设置"  # under 更多: its label names the place
    assert [(lab, c) for _h, lab, c in n["more"] if c] == [("巡查设置", "page")]
    assert not any(c for _h, _l, c in n["bar"])
    n = parse_nav(sup.get("/patrols/plans").get_data(as_text=True))  # one of 巡查设置's pages
    assert n["summary"] == "更多：巡查设置" and [(lab, c) for _h, lab, c in n["more"] if c] == [("巡查设置", "true")]
    n = parse_nav(sup.get("/tickets/queue").get_data(as_text=True))
    assert [(lab, c) for _h, lab, c in n["bar"] if c] == [("派单", "page")] and n["summary"] == "更多"
    # A page of no place (my account) marks none.
    n = parse_nav(sup.get("/account").get_data(as_text=True))
    assert not any(c for _h, _l, c in n["bar"] + n["more"]) and n["summary"] == "更多"


def test_guard_lands_on_the_gate_and_all_shows_home(app, staff, client):
    resp = login(client, staff["users"]["guard"].username)
    assert resp.status_code == 303
    home = client.get(resp.headers["Location"])
    assert home.status_code == 302 and home.headers["Location"].endswith("/renovations/gate")
    assert client.get("/renovations/gate").status_code == 200
    page = client.get("/?all=1")
    assert page.status_code == 200 and "门岗查验" in tiles(page.get_data(as_text=True))
    # Everyone else without a landing stays on 首页.
    for role in ("supervisor", "front_desk", "manager", "technician", "finance", "admin"):
        assert client_for(app, staff["users"][role]).get("/").status_code == 200, role


# --- live counts ------------------------------------------------------------------------------

def _ticket(app, staff, unit, actor_role="front_desk"):
    from propsvc.auth.models import User
    from propsvc.tickets import services as ts
    from propsvc.tickets.models import Category

    with app.app_context():
        cat = db.session.scalars(select(Category).where(Category.community_id == staff["community"].id)
                                 .order_by(Category.id)).first()
        t = ts.create_ticket(staff["community"].id, ts.Intake(
            kind="repair", channel="phone", category_id=cat.id, urgency="normal", description="楼道灯不亮",
            unit_id=unit.id), db.session.get(User, staff["users"][actor_role].id))
        db.session.commit()
        return t.id


def _plan_and_patrol(app, staff, steward_key, building, finished: bool):
    """A plan of every day for the steward (made long ago), and, if `finished`, its patrol done today."""
    from propsvc.core.timefmt import SITE_TZ, site_today
    from propsvc.patrols.models import ChecklistItem, ChecklistTemplate, Patrol, PatrolPlan

    with app.app_context():
        cid, steward = staff["community"].id, staff["users"][steward_key]
        tpl = db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.community_id == cid)).first()
        if tpl is None:
            tpl = ChecklistTemplate(community_id=cid, kind="building", name="楼栋单元巡查",
                                    items=[ChecklistItem(text="楼道卫生", sort=0)])
            db.session.add(tpl)
            db.session.flush()
        today = site_today()
        plan = PatrolPlan(community_id=cid, template_id=tpl.id, steward_id=steward.id, target_type="building",
                          building_id=building.id, weekdays="0123456", window_start=time(0, 0),
                          window_end=time(23, 59), active=True,
                          created_at=datetime.combine(today - timedelta(days=60), time(9), tzinfo=SITE_TZ))
        db.session.add(plan)
        db.session.flush()
        if finished:
            start = datetime.combine(today, time(0, 0), tzinfo=SITE_TZ)
            db.session.add(Patrol(community_id=cid, template_id=tpl.id, plan_id=plan.id, steward_id=steward.id,
                                  kind="building", target_type="building", building_id=building.id, day=today,
                                  started_at=start, finished_at=start))
        db.session.commit()


def test_home_tiles_count_what_waits_and_follow_the_data(clock, app, staff):
    """派单队列 待派单, 今日 今日巡查 done/planned, 我的工单 待办 (a steward's own buildings only), 访客
    在场, 代办 待领取, 门岗查验 / 放行条 待放行 and 待签字, 公告 今日公告 — each changes with the data."""
    from propsvc.auth.models import User
    from propsvc.core.timefmt import site_today
    from propsvc.errands import services as errands
    from propsvc.frontdesk import services as frontdesk
    from propsvc.slips.models import ReleaseSlip, SlipState
    from propsvc.tickets import services as ts

    users = staff["users"]
    sup, s1, s2 = (client_for(app, users[k]) for k in ("supervisor", "steward", "steward2"))

    def sup_tiles():
        return tiles(sup.get("/").get_data(as_text=True))

    t = sup_tiles()
    assert t["派单队列"] == ("待派单", "0") and t["访客"] == ("在场", "0") and t["代办"] == ("待领取", "0")
    assert t["门岗查验"] == ("待放行", "0") and t["放行条"] == ("待签字", "0") and t["公告"] == ("今日公告", "0")
    assert t["今日"] is None  # no plans and no steward's quota for a supervisor: nothing to count
    assert t["新建工单"] is None  # a form counts nothing

    # Tickets: two new ones wait for dispatch; one dispatched leaves one.
    first = _ticket(app, staff, staff["u1"])
    _ticket(app, staff, staff["u2"])
    assert sup_tiles()["派单队列"] == ("待派单", "2")
    with app.app_context():
        from propsvc.auth.models import Department

        dept = db.session.scalars(select(Department).order_by(Department.id)).first()
        ts.dispatch(db.session.get(ts.Ticket, first), db.session.get(User, users["supervisor"].id), dept.id)
        db.session.commit()
    assert sup_tiles()["派单队列"] == ("待派单", "1")
    # 我的工单 for a steward: the tickets of the steward's own building only, as the page lists them.
    assert tiles(s1.get("/?all=1").get_data(as_text=True))["我的工单"] == ("待办", "1")
    _ticket(app, staff, staff["u1"])
    assert tiles(s1.get("/?all=1").get_data(as_text=True))["我的工单"] == ("待办", "2")
    assert tiles(s2.get("/?all=1").get_data(as_text=True))["我的工单"] == ("待办", "1")

    # 今日巡查: the steward's own plans; the supervisor's 今日 counts every steward's.
    _plan_and_patrol(app, staff, "steward", staff["b1"], finished=True)
    _plan_and_patrol(app, staff, "steward", staff["b1"], finished=False)
    _plan_and_patrol(app, staff, "steward2", staff["b2"], finished=False)
    assert tiles(s1.get("/?all=1").get_data(as_text=True))["今日"] == ("今日巡查", "1/2")
    assert tiles(s2.get("/?all=1").get_data(as_text=True))["今日"] == ("今日巡查", "0/1")
    assert sup_tiles()["今日"] == ("今日巡查", "1/3")

    with app.app_context():
        cid, desk = staff["community"].id, db.session.get(User, users["front_desk"].id)
        visit = frontdesk.register(cid, frontdesk.VisitIn(visitor_name="访客甲", phone="13800001111",
                                                          unit_id=staff["u1"].id, purpose="family"), desk)
        errands.receive_parcel(cid, errands.ParcelIn(unit_id=staff["u1"].id, courier="顺丰", shelf="A-1",
                                                     recipient_name="王先生"), desk)
        errands.receive_parcel(cid, errands.ParcelIn(unit_id=staff["u2"].id, courier="京东", shelf="A-2",
                                                     recipient_name="李女士"), desk)
        today = site_today()
        base = dict(community_id=cid, unit_id=staff["u1"].id, applicant_role="owner", applicant_name="王先生",
                    carrier_name="搬家师傅", carrier_id_number="110101199003071233", carrier_phone="13800002222",
                    items=[{"name": "冰箱", "qty": 1}])
        db.session.add_all([ReleaseSlip(**base, moving_on=today, state=SlipState.APPROVED),
                            ReleaseSlip(**base, moving_on=today + timedelta(days=1), state=SlipState.APPROVED),
                            ReleaseSlip(**base, moving_on=today, state=SlipState.PENDING)])
        db.session.commit()
        visit_id = visit.id
    t = sup_tiles()
    assert t["访客"] == ("在场", "1") and t["代办"] == ("待领取", "2")
    assert t["门岗查验"] == ("待放行", "1")  # today's approved slip; tomorrow's is not for the gate yet
    assert t["放行条"] == ("待签字", "1")   # a supervisor signs the pending one
    desk_tiles = client_for(app, users["front_desk"]).get("/").get_data(as_text=True)
    assert re.search(r'访客登记</span><span class="desk-hint">[^<]+</span><span class="tally">在场 <b>1</b>', desk_tiles)
    assert re.search(r'快递代收</span><span class="desk-hint">[^<]+</span><span class="tally">待领取 <b>2</b>', desk_tiles)
    with app.app_context():
        frontdesk.sign_out(staff["community"].id, visit_id, db.session.get(User, users["front_desk"].id))
        db.session.commit()
    assert sup_tiles()["访客"] == ("在场", "0")
