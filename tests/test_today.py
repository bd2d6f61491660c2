"""今日: the steward's first screen [D2][D3] — patrol progress against the quota, planned patrols,
overdue and assigned tickets, return visits, rechecks of rectifications, vacant units due — and
the home page sending a steward there. Patrols and plans are made straight with the models."""
import gzip
import re
from datetime import datetime, time, timedelta, timezone

import pytest
from propsvc.core.web import STATIC_ROOT
from propsvc.extensions import db
from propsvc.patrols.models import ChecklistItem, ChecklistTemplate, Patrol, PatrolPlan, PatrolResult
from test_analysis import SH, new_ticket, resolved_ticket, utc_now
from test_auth import _kiosk_client
from test_mine import own_buildings
from test_tickets import client_for, site  # noqa: F401
from conftest import PIN, post


# --- helpers shared by the patrol-day tests -------------------------------------------------

def local_day(days=0):
    return datetime.now(SH).date() + timedelta(days=days)


def local_at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=SH).astimezone(timezone.utc)


def checklist(app, community, kind="building", items=("楼道照明", "消防设施", "墙面卫生")):
    """A checklist template with items; returns (template_id, [item_id…])."""
    with app.app_context():
        t = ChecklistTemplate(community_id=community.id, kind=kind, name=f"{kind}巡查")
        db.session.add(t)
        db.session.flush()
        ids = []
        for i, text in enumerate(items):
            it = ChecklistItem(template_id=t.id, text=text, sort=i)
            db.session.add(it)
            db.session.flush()
            ids.append(it.id)
        db.session.commit()
        return t.id, ids


def plan(app, community, steward, template_id, *, building=None, unit=None, window=(time(0, 0), time(23, 59))):
    with app.app_context():
        p = PatrolPlan(community_id=community.id, template_id=template_id, steward_id=steward.id,
                       target_type="unit" if unit else "building", building_id=building.id if building else None,
                       unit_id=unit.id if unit else None, window_start=window[0], window_end=window[1],
                       created_at=utc_now() - timedelta(days=30))  # in force on the days the tests look at
        db.session.add(p)
        db.session.commit()
        return p.id


def patrol(app, community, steward, template_id, item_ids, *, day=None, building=None, unit=None, plan_id=None,
           finished=True, kind="building", problems=(), ticket_ids=()):
    """A patrol of `day` by `steward`: every item tapped 正常 except the indexes in `problems`
    (有问题, with a note); ticket_ids pairs the problems with rectification tickets."""
    day = day or local_day()
    start = local_at(day, 9)
    with app.app_context():
        from propsvc.patrols.models import ChecklistItem as Item

        p = Patrol(community_id=community.id, template_id=template_id, plan_id=plan_id, steward_id=steward.id,
                   kind=kind, target_type="unit" if unit else "building",
                   building_id=building.id if building else None, unit_id=unit.id if unit else None, day=day,
                   started_at=start, finished_at=start + timedelta(minutes=20) if finished else None)
        db.session.add(p)
        db.session.flush()
        tickets = dict(zip(problems, ticket_ids))
        for i, item_id in enumerate(item_ids):
            text = db.session.get(Item, item_id).text
            bad = i in problems
            db.session.add(PatrolResult(patrol_id=p.id, item_id=item_id, item_text=text,
                                        result="problem" if bad else "ok", note=f"{text}有问题" if bad else None,
                                        tapped_at=start + timedelta(minutes=i), tap_key=f"k{p.id}-{i}",
                                        ticket_id=tickets.get(i)))
        db.session.commit()
        return p.id


def section(html, key):
    m = re.search(rf'<section id="{key}">(.*?)</section>', html, re.S)
    assert m, f"section {key} missing"
    return m.group(1)


def count_of(html, label):
    m = re.search(rf'<(?:a|span) class="stat[^"]*"[^>]*><b>([^<]+)</b>{label}</', html)
    assert m, f"count {label} missing"
    return m.group(1)


def today_page(client, **kw):
    resp = client.get("/patrols/today", **kw)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


# --- the tests ------------------------------------------------------------------------------

def test_today_shows_overdue_tickets_and_patrol_progress(clock, app, site, make):  # noqa: F811
    c, b3 = site["community"], site["building"]
    b5 = make.building(c, "5")
    vacant = make.unit(b5, 1, "301", status="vacant")
    steward = site["users"]["steward"]
    own_buildings(app, steward, b3, b5)
    late = new_ticket(app, site, utc_now() - timedelta(days=3), urgency="urgent")
    fresh = new_ticket(app, site, utc_now(), urgency="low")

    tpl, items = checklist(app, c)
    # A rectification found on this steward's patrol, handled by engineering: to recheck.
    rect = resolved_ticket(app, site, utc_now() - timedelta(hours=3), utc_now() - timedelta(hours=1),
                           kind="patrol", building=b3, location="2单元楼道", description="楼道灯不亮")
    patrol(app, c, steward, tpl, items, building=b3, problems=(0,), ticket_ids=(rect,))  # finished: 1 building
    todo = plan(app, c, steward, tpl, building=b5)
    running = plan(app, c, steward, tpl, building=b3)
    running_patrol = patrol(app, c, steward, tpl, items[:1], building=b3, plan_id=running, finished=False)
    missed = plan(app, c, steward, tpl, unit=vacant, window=(time(0, 0), time(0, 0)))

    client = client_for(app, steward)
    html = today_page(client)
    assert "今日" in html
    # Counts first: building quota 1 of 2, one overdue, one to recheck, one vacant unit due.
    assert count_of(html, "巡查楼栋") == "1/2"
    assert html.index('class="stats"') < html.index('id="coverage"') < html.index('id="overdue"')
    assert count_of(html, "超时工单") == "1" and count_of(html, "待复检") == "1"
    assert f'href="/tickets/{late}"' in section(html, "overdue") and "超时" in section(html, "overdue")
    assert f'href="/tickets/{fresh}"' not in html  # not due: counted under 我的工单 only
    assert "另有 1 单未完成" in html
    assert "<progress" in section(html, "coverage") and "3栋" in section(html, "coverage")
    # The rectification appears once, as a recheck (not also as a return visit).
    assert f'href="/tickets/{rect}"' in section(html, "rechecks")
    assert len(re.findall(rf'href="/tickets/{rect}"', html)) == 1
    # Planned patrols with their state and link.
    patrols = section(html, "patrols")
    assert "楼栋单元 · 5栋" in patrols and "待巡查" in patrols
    assert "已漏巡" in patrols and "5栋1单元301" in patrols
    assert "进行中" in patrols
    if "patrols.start" in app.view_functions:
        assert f"/patrols/start?plan_id={todo}" in patrols
    if "patrols.run" in app.view_functions:
        assert f"/patrols/{running_patrol}" in patrols
    # [D3] a plan missed today can still be started, as a 补巡 (tests/test_patrol_makeup.py)
    assert f"/patrols/start?plan_id={missed}" in patrols and "补巡</a>" in patrols
    # Vacant units due, from coverage: never checked.
    assert "5栋1单元301" in section(html, "vacant") and "从未巡查" in section(html, "vacant")
    assert "/patrols/summary" in html and "未填写" in html
    assert " style=" not in html

    # One glance on a weak network: the page with its stylesheet ≤ 14 KB gzipped.
    css = (STATIC_ROOT / "css" / "app.css").read_bytes()
    full = len(gzip.compress(html.encode())) + len(gzip.compress(css))
    assert full <= 14 * 1024, full
    part = client.get("/patrols/today", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and 'class="stats"' in part


def test_today_for_a_supervisor_shows_the_teams_progress(app, site, make):  # noqa: F811
    c = site["community"]
    steward = site["users"]["steward"]
    other = make.user("steward", communities=[c], name="李管家")
    tpl, items = checklist(app, c)
    patrol(app, c, steward, tpl, items, building=site["building"])
    html = today_page(client_for(app, site["users"]["supervisor"]))
    cov = section(html, "coverage")
    assert steward.name in cov and "李管家" in cov and "1/2栋" in cov and "0/2栋" in cov
    assert other.name in cov


def test_steward_home_redirects_to_today(app, site, make):  # noqa: F811
    client = client_for(app, site["users"]["steward"])
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/patrols/today")
    assert client.get("/?all=1").status_code == 200  # the full home page stays reachable
    assert "/?all=1" in today_page(client)
    for role in ("supervisor", "front_desk", "technician"):
        assert client_for(app, site["users"][role]).get("/").status_code == 200
    # On a shared kiosk, a steward who also works the desk gets the desk's home page.
    both = make.user("steward", "front_desk", communities=[site["community"]])
    kiosk = _kiosk_client(app, make, site["community"])
    assert post(kiosk, "/kiosk", {"username": both.username, "pin": PIN}).status_code in (302, 303)
    assert kiosk.get("/").status_code == 200


ROUTES = [
    ("get", "/patrols/today"), ("get", "/patrols/summary"), ("post", "/patrols/summary"),
    ("get", "/patrols/summaries"), ("get", "/patrols/briefing"), ("get", "/patrols/briefing.pdf"),
    ("post", "/patrols/briefing/note"),
]
ALLOWED = {
    "/patrols/today": {"steward", "supervisor"},
    "/patrols/summary": {"steward"},
    "/patrols/summaries": {"supervisor", "manager"},
    "/patrols/briefing": {"supervisor", "manager"},
    "/patrols/briefing.pdf": {"supervisor", "manager"},
    "/patrols/briefing/note": {"supervisor", "manager"},
}


@pytest.mark.parametrize("method,url", ROUTES)
def test_access_guard_and_other_roles_get_403(app, site, method, url):  # noqa: F811
    for role in ("guard", "technician", "front_desk", "steward", "supervisor", "manager"):
        if role in ALLOWED[url]:
            continue
        client = client_for(app, site["users"][role])
        resp = client.get(url) if method == "get" else post(client, url, {"text": "x", "priorities": "x"})
        assert resp.status_code == 403, (role, url, resp.status_code)
    anonymous = app.test_client().get(url) if method == "get" else app.test_client().post(url)
    assert anonymous.status_code in (302, 400, 401)


def test_today_data_stays_in_the_community(clock, app, site, make):  # noqa: F811
    other = make.community()
    b = make.building(other, "9")
    outsider = make.user("steward", communities=[other])
    own_buildings(app, outsider, b)
    late = new_ticket(app, site, utc_now() - timedelta(days=3), urgency="urgent")
    html = today_page(client_for(app, outsider))
    assert f'href="/tickets/{late}"' not in html and count_of(html, "超时工单") == "0"
    assert site["users"]["steward"].name not in html
