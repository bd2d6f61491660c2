"""The morning briefing [D1]: yesterday per steward — tickets received, resolved, overdue now;
patrols done and problems found; what needs another department; what could not be solved and
why — with today's priorities, on screen and as an A4 PDF."""
import re
import shutil
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from propsvc.auth.models import Department, User
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.patrols import day as days
from propsvc.patrols.models import BriefingNote
from propsvc.tickets import services
from test_analysis import act, new_ticket, utc_now
from test_mine import own_buildings
from test_tickets import client_for, site  # noqa: F401
from test_today import checklist, local_at, local_day, patrol, plan
from conftest import post


def created_by(app, site, user, at, **kw):
    """A ticket taken in by `user` at `at` (common area of a building, or the site's unit)."""
    with app.app_context():
        actor = db.session.get(User, user.id)
        t = services.create_ticket(site["community"].id, services.Intake(
            kind="repair", channel="walk_in", category_id=site["cats"][kw.pop("category", "水电气维修")],
            urgency=kw.pop("urgency", "low"), description=kw.pop("description", "漏水"), **kw), actor, now=at)
        db.session.commit()
        return t.id


@pytest.fixture
def day_of_work(app, site, make):  # noqa: F811
    """Two stewards: 张 owns 3栋, 李 owns 5栋; yesterday's work of each."""
    c, b3 = site["community"], site["building"]
    b5 = make.building(c, "5")
    zhang = make.user("steward", communities=[c], name="张管家")
    li = make.user("steward", communities=[c], name="李管家")
    own_buildings(app, zhang, b3)
    own_buildings(app, li, b5)
    sup, tech = site["users"]["supervisor"], site["users"]["technician"]
    y = local_day(-1)
    ids = {}
    # Received yesterday: two in 3栋 (one taken in by 李), one in 5栋; one in 3栋 today (not counted).
    ids["r1"] = new_ticket(app, site, local_at(y, 9), urgency="low")
    ids["r2"] = created_by(app, site, li, local_at(y, 10), building_id=b3.id, location="大堂")
    ids["r3"] = new_ticket(app, site, local_at(y, 11), building=b5, location="车库", urgency="low")
    ids["today"] = new_ticket(app, site, utc_now(), urgency="low")
    # Resolved yesterday: created three days ago in 3栋.
    ids["done"] = new_ticket(app, site, local_at(local_day(-3), 9), urgency="low")
    act(app, ids["done"], "dispatch", sup, site["eng"], tech.id, now=local_at(local_day(-3), 9, 5))
    act(app, ids["done"], "accept", tech, now=local_at(local_day(-3), 9, 10))
    act(app, ids["done"], "resolve", tech, "已更换阀门", now=local_at(y, 15))
    # Could not be solved: with engineering, delayed for parts, now overdue.
    ids["late"] = new_ticket(app, site, local_at(local_day(-4), 9), building=b3, location="2单元电梯",
                             category="电梯故障")
    act(app, ids["late"], "dispatch", sup, site["eng"], tech.id, now=local_at(local_day(-4), 9, 5))
    act(app, ids["late"], "accept", tech, now=local_at(local_day(-4), 9, 10))
    act(app, ids["late"], "delay", tech, "等待电梯配件到货", local_at(local_day(-3), 18), True,
        now=local_at(local_day(-4), 10))
    # Patrols yesterday: 张 finished one with a problem; 李 missed a planned one.
    tpl, items = checklist(app, c)
    patrol(app, c, zhang, tpl, items, day=y, building=b3, problems=(0,))
    plan(app, c, li, tpl, building=b5, window=(time(9, 0), time(11, 0)))
    return {"zhang": zhang, "li": li, "ids": ids, "day": y}


def steward_card(html, user):
    m = re.search(rf'<article class="card steward" id="s{user.id}">(.*?)</article>', html, re.S)
    assert m, f"no card for {user.name}"
    return m.group(1)


def test_d1_briefing_reports_yesterday_per_steward(app, site, day_of_work):  # noqa: F811
    zhang, li, ids, y = day_of_work["zhang"], day_of_work["li"], day_of_work["ids"], day_of_work["day"]
    with app.test_request_context():
        b = days.briefing(site["community"].id, y)
    assert b.day == y and b.meeting_day == y + timedelta(days=1)
    people = {s.name: s for team in b.teams for s in team.stewards}
    assert set(people) == {"张管家", "李管家", site["users"]["steward"].name}
    z, L = people["张管家"], people["李管家"]
    assert (z.received, z.resolved, z.patrols_done, len(z.problems)) == (2, 1, 1, 1)   # r1, r2 in 3栋
    assert (L.received, L.resolved, L.patrols_done, len(L.problems)) == (2, 0, 0, 0)   # r3 in 5栋, r2 taken in
    assert z.buildings == ["3栋"] and L.buildings == ["5栋"]
    assert z.problems[0].item == "楼道照明" and z.problems[0].place == "3栋"
    assert L.patrols_planned == 1 and L.patrols_missed == 1
    late = next(line for line in z.unsolved if line.id == ids["late"])
    assert late.reason == "延期：等待电梯配件到货" and z.overdue == len(z.unsolved)
    assert ids["late"] in {line.id for line in z.other_dept}                      # with 工程部
    assert "工程部" in next(line for line in z.other_dept if line.id == ids["late"]).department
    assert ids["late"] not in {line.id for line in L.unsolved + L.other_dept}
    assert ids["done"] not in {line.id for line in z.other_dept}  # resolved: waits for the steward's visit
    assert b.totals["received"] == 3 and b.totals["resolved"] == 1  # r2 is in both rows, counted once
    assert b.totals["patrols_done"] == 1 and b.totals["problems"] == 1

    sup = client_for(app, site["users"]["supervisor"])
    resp = sup.get("/patrols/briefing")  # default: yesterday, reported this morning
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert days.day_label(y) in html and days.day_label(y + timedelta(days=1)) in html
    card = steward_card(html, zhang)
    assert "接单 <b>2</b>" in card and "完成 <b>1</b>" in card and "巡查 <b>1</b>" in card
    assert "3栋 楼道照明" in card and "需其他部门协助" in card and "未能解决及原因" in card
    assert "等待电梯配件到货" in card
    card = steward_card(html, li)
    assert "接单 <b>2</b>" in card and "错过 <b class=\"bad\">1</b>" in card
    # Another day: nothing of yesterday's.
    before = sup.get(f"/patrols/briefing?day={(y - timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert "接单 <b>2</b>" not in steward_card(before, zhang)
    # A day in the future or not a date: the message next to the field, yesterday shown.
    bad = sup.get(f"/patrols/briefing?day={local_day(2).isoformat()}").get_data(as_text=True)
    assert "不能选择未来的日期" in bad and days.day_label(y) in bad
    assert "日期格式不正确" in sup.get("/patrols/briefing?day=2024-13-40").get_data(as_text=True)
    assert " style=" not in html


pdf_tools = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@pdf_tools
def test_d1_briefing_pdf_has_chinese_text_and_embedded_font(app, site, day_of_work):  # noqa: F811
    from test_workorder import _run, fonts_of, text_of

    y = day_of_work["day"]
    sup = client_for(app, site["users"]["supervisor"])
    assert post(sup, f"/patrols/briefing/note?day={y.isoformat()}", {"priorities": "3栋电梯年检，提前通知业主"}
                ).status_code == 303
    resp = sup.get(f"/patrols/briefing.pdf?day={y.isoformat()}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "briefing-" in resp.headers["Content-Disposition"]
    pdf = resp.get_data()
    assert pdf.startswith(b"%PDF")
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+", _run("pdfinfo", pdf))  # A4
    text = text_of(pdf)
    for expected in ("早会简报", days.day_label(y), "张管家", "李管家", "楼道照明", "等待电梯配件到货",
                     "3栋电梯年检，提前通知业主", "未能解决及原因", "需其他部门协助", "工程部"):
        assert expected in text, expected
    fonts = fonts_of(pdf)
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts
    # The document font alone: no list bullet or other glyph pulls in the fallback CJK face
    # (subsetting that OpenType CFF font cost every print ~6 ms and ~10 KB).
    assert len(fonts) == 1 and "DocCJK" in fonts[0][0], fonts
    assert len(pdf) < 120_000, len(pdf)


def test_d1_priorities_note_saved_with_event(app, site, day_of_work):  # noqa: F811
    y = day_of_work["day"]
    meeting = y + timedelta(days=1)
    sup_user = site["users"]["supervisor"]
    sup = client_for(app, sup_user)
    url = f"/patrols/briefing/note?day={y.isoformat()}"
    resp = post(sup, url, {"priorities": "  一、3栋电梯年检\n二、催缴5栋物业费  "})
    assert resp.status_code == 303 and "/patrols/briefing?day=" in resp.headers["Location"]
    resp = post(sup, url, {"priorities": "一、3栋电梯年检\n二、催缴5栋物业费\n三、空置房巡查"})
    assert resp.status_code == 303
    with app.app_context():
        notes = list(db.session.scalars(select(BriefingNote)))
        assert len(notes) == 1  # one note per community and day, edited
        n = notes[0]
        assert n.day == meeting and n.community_id == site["community"].id and n.updated_by_id == sup_user.id
        assert n.priorities.endswith("三、空置房巡查")
        evs = list(db.session.scalars(select(Event).where(Event.action == "briefing.noted").order_by(Event.id)))
        assert len(evs) == 2 and evs[-1].actor_id == sup_user.id and evs[-1].object_id == n.id
        assert evs[-1].data["day"] == meeting.isoformat() and evs[-1].community_id == site["community"].id
    html = sup.get(f"/patrols/briefing?day={y.isoformat()}").get_data(as_text=True)
    assert "三、空置房巡查" in html and sup_user.name in html
    # The manager reads it (and may write); the steward may not write.
    mgr = client_for(app, site["users"]["manager"]).get("/patrols/briefing").get_data(as_text=True)
    assert "三、空置房巡查" in mgr
    assert post(client_for(app, site["users"]["steward"]), url, {"priorities": "x"}).status_code == 403
    # Too long: 422, the message next to the field, nothing saved.
    resp = post(sup, url, {"priorities": "长" * (days.PRIORITIES_MAX + 1)})
    assert resp.status_code == 422
    assert re.search(r'<textarea id="priorities"[^>]*aria-invalid="true"', resp.get_data(as_text=True))
    assert "今日重点最多" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(BriefingNote.priorities)).endswith("三、空置房巡查")
        assert len(list(db.session.scalars(select(Event).where(Event.action == "briefing.noted")))) == 2
    # A day in the future: refused.
    assert post(sup, "/patrols/briefing/note?day=2999-01-01", {"priorities": "x"}).status_code == 422


def test_briefing_groups_stewards_by_department(app, site, make):  # noqa: F811
    with app.app_context():
        service = db.session.scalar(select(Department).where(Department.code == "service"))
        u = db.session.get(User, site["users"]["steward"].id)
        u.department_id = service.id
        db.session.commit()
    make.user("steward", communities=[site["community"]], name="无部门管家")
    html = client_for(app, site["users"]["manager"]).get("/patrols/briefing").get_data(as_text=True)
    teams = re.findall(r'<section class="team"><h2>([^<]+)</h2>', html)
    assert teams == sorted(["客服部", "客服管家"])
