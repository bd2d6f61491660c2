"""Late patrols [D3]: a planned patrol missed today (已漏巡) can still be started; it is a 补巡,
recorded with both the planned window and the actual times, and 今日 counts it in one bucket
only (plans.DayCounts: 待巡查 + 已完成 + 漏巡 = the plans of the day).

Time is frozen at each moment of tests/moments.py (the `clock` fixture); every window is set
relative to that moment, so no test depends on the date or the time of day it runs."""
import re
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from conftest import csrf_token, post
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.patrols import plans
from propsvc.patrols.models import Patrol
from test_today import SH, checklist, plan, section, today_page
from test_tickets import client_for, site  # noqa: F401


def _now_local() -> datetime:
    return datetime.now(SH).replace(second=0, microsecond=0)


def _hm(dt: datetime) -> str:
    return dt.strftime("%H:%M")


def _closed_window() -> tuple[time, time]:
    """A window that closed an hour ago, today (every moment is past 07:00 site time)."""
    now = _now_local()
    return (now - timedelta(hours=3)).time(), (now - timedelta(hours=2)).time()


def _tap_all(client, pid, item_ids):
    token = csrf_token(client)
    for i, item_id in enumerate(item_ids):
        resp = client.post(f"/patrols/{pid}/items/{item_id}", data={
            "result": "ok", "key": f"tap-{pid}-{i}", "csrf_token": token})
        assert resp.status_code == 303, resp.get_data(as_text=True)


def _events(app, pid, action):
    with app.app_context():
        return [e.data for e in db.session.scalars(select(Event).where(
            Event.object_type == "patrol", Event.object_id == pid, Event.action == action))]


def _row(html, title):
    """The <li> of 今日巡查 with this title."""
    m = re.search(rf'<li class="([^"]*)"><span><strong>{re.escape(title)}</strong>(.*?)</li>', section(html, "patrols"),
                  re.S)
    assert m, f"row {title} missing"
    return m.group(1), m.group(2)


def test_d3_missed_plan_started_late_is_a_makeup_with_planned_and_actual_times(clock, app, site, make):  # noqa: F811
    c, b3 = site["community"], site["building"]
    steward = site["users"]["steward"]
    tpl, items = checklist(app, c)
    start, end = _closed_window()
    missed = plan(app, c, steward, tpl, building=b3, window=(start, end))
    client = client_for(app, steward)
    planned = f"计划 {start:%H:%M}–{end:%H:%M}"

    # Missed: 已漏巡, counted as 漏巡 (not 待巡查), with a 补巡 button to its late start.
    html = today_page(client)
    cls, row = _row(html, "楼栋单元 · 3栋")
    assert cls == "missed" and "已漏巡" in row and f'href="/patrols/start?plan_id={missed}"' in row and ">补巡</a>" in row
    assert "待巡查 0 · 已完成 0 · 漏巡 1" in html and "完成 0/1" in html

    page = client.get(f"/patrols/start?plan_id={missed}").get_data(as_text=True)
    assert "计划时间已过（已漏巡）" in page and "开始补巡" in page

    # Started late: a 补巡 under way, the planned window and the actual start on the page.
    started_at = _now_local()
    resp = post(client, "/patrols/start", {"plan_id": str(missed)})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    run = client.get(f"/patrols/{pid}").get_data(as_text=True)
    assert re.search(r'<p class="makeup" id="makeup"><span class="tag makeup">补巡</span> '
                     + re.escape(f"{planned} · 实际 {_hm(started_at)} 开始"), run)
    html = today_page(client)
    cls, row = _row(html, "楼栋单元 · 3栋")
    assert cls == "in_progress makeup" and "补巡中" in row and f"{planned} · 实际 {_hm(started_at)} 开始" in row
    assert f'href="/patrols/{pid}"' in row and ">继续</a>" in row
    # 已漏巡 became 补巡: counted once, as still to do, never as missed as well.
    assert "待巡查 1 · 已完成 0 · 漏巡 0 · 其中补巡 1" in html and "已漏巡" not in section(html, "patrols")
    assert re.search(r'<a class="stat" href="#patrols"><b>1</b>待巡查</a>', html)
    assert "</b>漏巡</a>" not in html

    # The start is recorded as a 补巡, with both times.
    (ev,) = _events(app, pid, "patrol.started")
    assert ev["makeup"] is True and ev["plan_id"] == missed
    assert datetime.fromisoformat(ev["planned_end"]).astimezone(SH).strftime("%H:%M") == f"{end:%H:%M}"
    assert datetime.fromisoformat(ev["planned_start"]).astimezone(SH).strftime("%H:%M") == f"{start:%H:%M}"
    assert datetime.fromisoformat(ev["started_at"]) > datetime.fromisoformat(ev["planned_end"])

    # Done: 已补巡, counted as done, with the actual start and finish.
    clock.shift(timedelta(seconds=50))
    _tap_all(client, pid, items)
    assert post(client, f"/patrols/{pid}/finish", {}).status_code == 303
    with app.app_context():
        p = db.session.get(Patrol, pid)
        actual = f"实际 {p.started_at.astimezone(SH):%H:%M}–{p.finished_at.astimezone(SH):%H:%M}"
    html = today_page(client)
    cls, row = _row(html, "楼栋单元 · 3栋")
    assert cls == "done makeup" and "已补巡" in row and f"{planned} · {actual}" in row
    assert "待巡查 0 · 已完成 1 · 漏巡 0 · 其中补巡 1" in html and "完成 1/1" in html
    (done,) = _events(app, pid, "patrol.finished")
    assert done["makeup"] is True and done["finished_at"] is not None
    assert f"{planned} · {actual}" in client.get(f"/patrols/{pid}").get_data(as_text=True)


def test_d3_today_counts_agree_with_the_list_one_bucket_per_patrol(clock, app, site, make):  # noqa: F811
    """待巡查 = to do + under way (补巡中 included); 已完成 = done (已补巡 included); 漏巡 = closed and
    never started. The tiles, the line under 今日巡查 and the rows say the same."""
    c = site["community"]
    steward = site["users"]["steward"]
    tpl, items = checklist(app, c)
    now = _now_local()
    closed = _closed_window()
    open_now = (time(0, 0), time(23, 59))  # every moment is before 23:59:01
    buildings = [make.building(c, str(n)) for n in range(4, 10)]
    ids = {}
    for name, b, window in [("todo", buildings[0], open_now), ("running", buildings[1], open_now),
                            ("done", buildings[2], open_now), ("missed", buildings[3], closed),
                            ("makeup_running", buildings[4], closed), ("makeup_done", buildings[5], closed)]:
        ids[name] = plan(app, c, steward, tpl, building=b, window=window)
    utc = now.astimezone(timezone.utc)
    with app.app_context():
        def run(name, b, started, finished=None):
            db.session.add(Patrol(community_id=c.id, template_id=tpl, plan_id=ids[name], steward_id=steward.id,
                                  kind="building", target_type="building", building_id=b.id, day=now.date(),
                                  started_at=started, finished_at=finished))
        run("running", buildings[1], utc - timedelta(minutes=30))
        run("done", buildings[2], utc - timedelta(minutes=40), utc - timedelta(minutes=10))
        run("makeup_running", buildings[4], utc - timedelta(minutes=20))
        run("makeup_done", buildings[5], utc - timedelta(minutes=50), utc - timedelta(minutes=5))
        db.session.commit()
        counts = plans.day_counts(plans.due_on(c.id, now.date(), steward_id=steward.id))
    assert (counts.total, counts.open, counts.done, counts.missed, counts.made_up) == (6, 3, 2, 1, 2)
    assert counts.open + counts.done + counts.missed == counts.total

    html = today_page(client_for(app, steward))
    patrols = section(html, "patrols")
    classes = re.findall(r'<li class="([^"]*)"><span><strong>', patrols)
    assert len(classes) == 6
    states = [cls.split()[0] for cls in classes]
    assert states.count("todo") + states.count("in_progress") == 3          # 待巡查
    assert states.count("done") == 2 and states.count("missed") == 1        # 已完成, 漏巡
    assert sum("makeup" in cls for cls in classes) == 2                     # 其中补巡
    assert "待巡查 3 · 已完成 2 · 漏巡 1 · 其中补巡 2" in patrols and "完成 2/6" in html
    assert re.search(r'<a class="stat" href="#patrols"><b>3</b>待巡查</a>', html)
    assert re.search(r'<a class="stat alert" href="#patrols"><b>1</b>漏巡</a>', html)
    assert patrols.count("补巡中") == 1 and patrols.count("已补巡") == 1 and patrols.count("已漏巡") == 1
