"""Patrol plans, what is due each day and coverage [D3]; the patrol records search and CSV.
Services called directly, on a real database; patrols and results are made with the models
(as the phone would leave them), so these tests need nothing of the phone patrol's code."""
import csv
import io
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from propsvc.auth.models import User
from propsvc.extensions import db
from propsvc.patrols import plans
from propsvc.patrols.models import (
    ChecklistItem, ChecklistTemplate, Patrol, PatrolPlan, PatrolResult, PatrolSettings,
)
from propsvc.registry.models import Building

SHANGHAI = timezone(timedelta(hours=8))
MONDAY = date(2026, 11, 23)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A site-time moment as an aware datetime."""
    return datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI)


@pytest.fixture
def psite(app, make):
    """A community with three buildings, an occupied unit and three vacant ones, two stewards
    (one owning building 5), a supervisor, and a building and a vacant-unit checklist."""
    c = make.community()
    b3, b5, b7 = make.building(c, "3"), make.building(c, "5"), make.building(c, "7")
    unit = make.unit(b3, 2, "1201")
    v1 = make.unit(b3, 1, "301", status="vacant")
    v2 = make.unit(b5, 1, "502", status="vacant")
    v3 = make.unit(b7, 1, "101", status="vacant")
    s1 = make.user("steward", communities=[c], name="张管家")
    s2 = make.user("steward", communities=[c], name="李管家")
    sup = make.user("supervisor", communities=[c], name="王主管")
    with app.app_context():
        from propsvc.registry.models import Unit

        db.session.get(Unit, v1.id).steward_id = s1.id             # owned directly
        owner = db.session.get(User, s2.id)
        owner.buildings.append(db.session.get(Building, b5.id))  # owns building 5
        tb = ChecklistTemplate(community_id=c.id, kind="building", name="楼栋单元巡查")
        tv = ChecklistTemplate(community_id=c.id, kind="vacant", name="空置房巡查")
        tb.items = [ChecklistItem(text=t, sort=i) for i, t in enumerate(["楼道卫生", "电梯运行", "楼道灯"])]
        tv.items = [ChecklistItem(text=t, sort=i) for i, t in enumerate(["门窗关闭", "阳台地漏"])]
        db.session.add_all([tb, tv])
        db.session.commit()
        tpl = {"building": tb.id, "vacant": tv.id}
        items = {"building": [i.id for i in tb.items], "vacant": [i.id for i in tv.items]}
    return {"community": c, "b3": b3, "b5": b5, "b7": b7, "unit": unit, "v1": v1, "v2": v2, "v3": v3,
            "s1": s1, "s2": s2, "sup": sup, "tpl": tpl, "items": items}


def make_plan(app, site, steward, *, kind="building", building=None, unit=None, area=None, weekdays="0123456",
              start=time(9, 0), end=time(11, 0), active=True, created=None) -> int:
    """A plan; made long before the test's days unless `created` says when."""
    with app.app_context():
        p = PatrolPlan(community_id=site["community"].id, template_id=site["tpl"][kind], steward_id=steward.id,
                       target_type="unit" if unit else "building" if building else "area",
                       building_id=building.id if building else None, unit_id=unit.id if unit else None,
                       area=area, weekdays=weekdays, window_start=start, window_end=end, active=active,
                       created_at=created or at(MONDAY - timedelta(days=60), 9))
        db.session.add(p)
        db.session.commit()
        return p.id


def make_patrol(app, site, steward, *, day, kind="building", building=None, unit=None, area=None, plan=None,
                finished=True, results=(), started=None) -> int:
    """A patrol as the phone leaves it. `finished`: True (10:00 that day), False, or a datetime.
    `results`: (result, note) per item of the kind's checklist, in order."""
    with app.app_context():
        started = started or at(day, 9, 30)
        finished_at = at(day, 10, 0) if finished is True else (finished or None)
        p = Patrol(community_id=site["community"].id, template_id=site["tpl"][kind], plan_id=plan,
                   steward_id=steward.id, kind=kind,
                   target_type="unit" if unit else "building" if building else "area",
                   building_id=building.id if building else None, unit_id=unit.id if unit else None, area=area,
                   day=day, started_at=started, finished_at=finished_at)
        db.session.add(p)
        db.session.flush()
        items = [db.session.get(ChecklistItem, i) for i in site["items"][kind]]
        for i, (result, note) in enumerate(results):
            db.session.add(PatrolResult(patrol_id=p.id, item_id=items[i].id, item_text=items[i].text, result=result,
                                        note=note, tapped_at=started + timedelta(minutes=i + 1),
                                        tap_key=f"k{p.id}-{i}"))
        db.session.commit()
        return p.id


def due(app, site, day, now, steward=None):
    with app.app_context():
        return [(d.plan.id, d.state, d.late, d.patrol.id if d.patrol else None)
                for d in plans.due_on(site["community"].id, day, steward_id=steward.id if steward else None, now=now)]


# --- plans due on a day ---------------------------------------------------------------------

def test_plan_on_given_weekdays_only(clock, app, psite):
    mwf = make_plan(app, psite, psite["s1"], building=psite["b3"], weekdays="024")  # Mon, Wed, Fri
    daily = make_plan(app, psite, psite["s2"], building=psite["b5"])
    make_plan(app, psite, psite["s2"], building=psite["b7"], active=False)        # deactivated: never due
    now = at(MONDAY, 8)
    assert {p for p, *_ in due(app, psite, MONDAY, now)} == {mwf, daily}
    tuesday = MONDAY + timedelta(days=1)
    assert [p for p, *_ in due(app, psite, tuesday, at(tuesday, 8))] == [daily]
    sunday = MONDAY + timedelta(days=6)
    assert [p for p, *_ in due(app, psite, sunday, at(sunday, 8))] == [daily]
    # one steward's plans only
    assert [p for p, *_ in due(app, psite, MONDAY, now, steward=psite["s1"])] == [mwf]
    with app.app_context():
        assert plans.weekdays_label("024") == "周一、周三、周五" and plans.weekdays_label("0123456") == "每天"


def test_d3_missed_plan_shows_as_missed(app, psite):
    s1 = psite["s1"]
    plan = make_plan(app, psite, s1, building=psite["b3"])  # 09:00–11:00 every day
    assert due(app, psite, MONDAY, at(MONDAY, 10)) == [(plan, "todo", False, None)]
    assert due(app, psite, MONDAY, at(MONDAY, 11, 1)) == [(plan, "missed", False, None)]
    # a past day with no patrol: missed, whatever the hour
    assert due(app, psite, MONDAY, at(MONDAY + timedelta(days=1), 8))[0][1] == "missed"
    # a future day is still to do
    assert due(app, psite, MONDAY + timedelta(days=1), at(MONDAY, 12))[0][1] == "todo"
    # started and not finished: in progress on the day, missed once the day is past
    pid = make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"], plan=plan, finished=False)
    assert due(app, psite, MONDAY, at(MONDAY, 10, 30)) == [(plan, "in_progress", False, pid)]
    assert due(app, psite, MONDAY, at(MONDAY, 11, 30))[0][1] == "in_progress"
    assert due(app, psite, MONDAY, at(MONDAY + timedelta(days=1), 8)) == [(plan, "missed", False, pid)]
    # a patrol without the plan, or on another day, does not do the plan
    make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"])
    make_patrol(app, psite, s1, day=MONDAY - timedelta(days=1), building=psite["b3"], plan=plan)
    assert due(app, psite, MONDAY, at(MONDAY, 12))[0][1] == "in_progress"


def test_finished_patrol_makes_the_plan_done_and_late_when_after_the_window(clock, app, psite):
    s1 = psite["s1"]
    on_time = make_plan(app, psite, s1, building=psite["b3"])
    late = make_plan(app, psite, s1, building=psite["b5"], start=time(8, 0), end=time(9, 0))
    p1 = make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"], plan=on_time)
    p2 = make_patrol(app, psite, s1, day=MONDAY, building=psite["b5"], plan=late, started=at(MONDAY, 8, 30),
                     finished=at(MONDAY, 9, 20))  # started in the window, finished after it (not a 补巡)
    make_patrol(app, psite, s1, day=MONDAY, building=psite["b5"], plan=late, finished=False)  # a second try
    rows = due(app, psite, MONDAY, at(MONDAY + timedelta(days=2), 8))
    assert rows == [(late, "done", True, p2), (on_time, "done", False, p1)]  # by window start
    with app.app_context():
        d = plans.due_on(psite["community"].id, MONDAY, now=at(MONDAY, 12))[0]
        assert (d.state_label, d.window_label, d.target_label, d.steward.name) == ("已完成", "08:00–09:00", "5栋", "张管家")


def test_due_on_keeps_to_its_community(clock, app, psite, make):
    make_plan(app, psite, psite["s1"], building=psite["b3"])
    other = make.community()
    with app.app_context():
        assert plans.due_on(other.id, MONDAY, now=at(MONDAY, 8)) == []


# --- coverage [D3] ---------------------------------------------------------------------------

def cover(app, site, day, now=None):
    with app.app_context():
        cov = plans.coverage(site["community"].id, day, now=now)
        return {
            "quota": cov.buildings_per_day, "every": cov.vacant_every_days,
            "stewards": {s.steward.name: (s.done, s.quota, s.met, [b.label for b in s.buildings],
                                          [(v.unit.code, v.days_since, v.overdue) for v in s.vacant_due])
                         for s in cov.stewards},
            "unassigned": [(v.unit.code, v.days_since, v.overdue, v.label) for v in cov.unassigned_vacant],
        }


def test_d3_coverage_counts_distinct_buildings_against_quota(app, psite):
    s1, s2 = psite["s1"], psite["s2"]
    make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"])
    make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"], kind="building")       # same building again
    make_patrol(app, psite, s1, day=MONDAY, unit=psite["v2"], kind="vacant")            # a unit in building 5
    make_patrol(app, psite, s1, day=MONDAY, building=psite["b7"], finished=False)       # not finished
    make_patrol(app, psite, s1, day=MONDAY - timedelta(days=1), building=psite["b7"])   # another day
    make_patrol(app, psite, s2, day=MONDAY, area="中心花园")                            # no building
    c = cover(app, psite, MONDAY)
    assert c["quota"] == 2
    assert c["stewards"]["张管家"][:4] == (2, 2, True, ["3栋", "5栋"])
    assert c["stewards"]["李管家"][:3] == (0, 2, False)
    with app.app_context():
        db.session.add(PatrolSettings(community_id=psite["community"].id, buildings_per_day=3, vacant_every_days=7))
        db.session.commit()
    c = cover(app, psite, MONDAY)
    assert c["stewards"]["张管家"][:3] == (2, 3, False)
    with app.app_context():
        mine = plans.coverage(psite["community"].id, MONDAY).for_steward(s1.id)
        assert (mine.missing, mine.percent) == (1, 67)


def test_d3_vacant_unit_overdue_after_7_days(app, psite):
    s1 = psite["s1"]
    v1, v2, v3 = psite["v1"], psite["v2"], psite["v3"]
    make_patrol(app, psite, s1, day=MONDAY - timedelta(days=7), unit=v1, kind="vacant")   # due today
    make_patrol(app, psite, s1, day=MONDAY - timedelta(days=6), unit=v2, kind="vacant")   # not yet due
    make_patrol(app, psite, s1, day=MONDAY - timedelta(days=1), unit=v3, kind="building")  # wrong kind
    make_patrol(app, psite, s1, day=MONDAY - timedelta(days=1), unit=v3, kind="vacant", finished=False)  # unfinished
    make_patrol(app, psite, s1, day=MONDAY + timedelta(days=1), unit=v2, kind="vacant")   # after the day asked
    c = cover(app, psite, MONDAY)
    assert c["every"] == 7
    assert c["stewards"]["张管家"][4] == [("3-1-301", 7, False)]      # Unit.steward_id
    assert c["stewards"]["李管家"][4] == []                            # 5-1-502 checked 6 days ago
    assert c["unassigned"] == [("7-1-101", None, True, "从未巡查")]   # no steward owns building 7
    tomorrow = MONDAY + timedelta(days=1)
    c = cover(app, psite, tomorrow)
    assert c["stewards"]["张管家"][4] == [("3-1-301", 8, True)]
    assert c["stewards"]["李管家"][4] == []                             # checked on that very day
    c = cover(app, psite, MONDAY + timedelta(days=3))
    assert c["stewards"]["李管家"][4] == []
    with app.app_context():
        cov = plans.coverage(psite["community"].id, tomorrow)
        (v,) = cov.for_steward(s1.id).vacant_due
        assert (v.label, v.overdue_days, v.last_day) == ("8天未巡，逾期1天", 1, MONDAY - timedelta(days=7))
        assert cov.vacant_due_count == 2
    # a unit no longer vacant is not due; a different interval
    with app.app_context():
        from propsvc.registry.models import Unit

        db.session.get(Unit, v3.id).status = "renovating"
        db.session.add(PatrolSettings(community_id=psite["community"].id, buildings_per_day=2, vacant_every_days=10))
        db.session.commit()
    c = cover(app, psite, tomorrow)
    assert c["unassigned"] == [] and c["stewards"]["张管家"][4] == [] and c["every"] == 10


def test_coverage_lists_only_the_communitys_active_stewards(app, psite, make):
    make.user("steward", communities=[make.community()], name="外小区管家")
    make.user("front_desk", communities=[psite["community"]], name="前台")
    gone = make.user("steward", communities=[psite["community"]], name="离职管家")
    with app.app_context():
        db.session.get(User, gone.id).active = False
        db.session.commit()
    assert set(cover(app, psite, MONDAY)["stewards"]) == {"张管家", "李管家"}


# --- records ------------------------------------------------------------------------------------

def filters(app, site, own=None, **args):
    with app.app_context():
        return plans.parse_record_filters(args, site["community"].id, own_steward_id=own, now=at(MONDAY, 12))


def found(app, site, f):
    with app.app_context():
        page = plans.search_records(site["community"].id, f)
        return [r.patrol.id for r in page.items]


def test_record_filters_default_and_bad_values(app, psite):
    f = filters(app, psite)
    assert (f.start, f.end, f.errors) == (MONDAY - timedelta(days=6), MONDAY, [])
    f = filters(app, psite, start="2026-11-30", end="2026-11-01", steward_id="99999", building_id="x",
                result="maybe", page="-3")
    assert (f.start, f.end, f.steward_id, f.building_id, f.result, f.page) == (
        date(2026, 11, 1), date(2026, 11, 30), None, None, "", 1)
    assert len(f.errors) == 4
    f = filters(app, psite, own=psite["s1"].id, steward_id=str(psite["s2"].id))
    assert f.steward_id == psite["s1"].id


def test_records_search_by_building_steward_and_result(app, psite):
    s1, s2 = psite["s1"], psite["s2"]
    ok = make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"], results=[("ok", None)] * 3)
    bad = make_patrol(app, psite, s2, day=MONDAY, unit=psite["v1"], kind="vacant",
                      results=[("ok", None), ("problem", "地漏堵塞")])
    open_ = make_patrol(app, psite, s1, day=MONDAY - timedelta(days=1), building=psite["b5"], finished=False,
                        results=[("problem", "灯不亮")])
    old = make_patrol(app, psite, s1, day=MONDAY - timedelta(days=30), building=psite["b3"])
    assert found(app, psite, filters(app, psite)) == [bad, ok, open_]  # newest first
    assert set(found(app, psite, filters(app, psite, building_id=str(psite["b3"].id)))) == {ok, bad}  # unit in 3栋
    assert found(app, psite, filters(app, psite, steward_id=str(s2.id))) == [bad]
    assert set(found(app, psite, filters(app, psite, result="problem"))) == {bad, open_}
    assert found(app, psite, filters(app, psite, result="ok")) == [ok]
    assert found(app, psite, filters(app, psite, result="unfinished")) == [open_]
    assert old in found(app, psite, filters(app, psite, start="2026-10-01"))
    with app.app_context():
        page = plans.search_records(psite["community"].id, filters(app, psite))
        rows = {r.patrol.id: (r.items, r.problems, r.finished) for r in page.items}
    assert rows[bad] == (2, 1, True) and rows[open_] == (1, 1, False) and rows[ok] == (3, 0, True)


def test_records_are_paginated_50_a_page(app, psite):
    with app.app_context():
        for i in range(53):
            db.session.add(Patrol(community_id=psite["community"].id, template_id=psite["tpl"]["building"],
                                  steward_id=psite["s1"].id, kind="building", target_type="building",
                                  building_id=psite["b3"].id, day=MONDAY, started_at=at(MONDAY, 8) + timedelta(minutes=i)))
        db.session.commit()
    with app.app_context():
        p1 = plans.search_records(psite["community"].id, filters(app, psite))
        p2 = plans.search_records(psite["community"].id, filters(app, psite, page="2"))
        p9 = plans.search_records(psite["community"].id, filters(app, psite, page="9"))
        assert (len(p1.items), p1.total, p1.pages, p1.has_next, p1.has_prev) == (50, 53, 2, True, False)
        assert (len(p2.items), p2.number, p2.first_index, p2.last_index, p2.has_next) == (3, 2, 51, 53, False)
        assert p9.number == 2  # clamped to the last page
        assert not {r.patrol.id for r in p1.items} & {r.patrol.id for r in p2.items}


def test_records_csv_one_line_per_item_result_safe_cells(app, psite):
    from propsvc.tickets import services as ts

    s1 = psite["s1"]
    pid = make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"],
                      results=[("ok", None), ("problem", "=HYPERLINK(\"http://x\")"), ("na", "@SUM(1)")])
    make_patrol(app, psite, s1, day=MONDAY - timedelta(days=40), building=psite["b3"], results=[("ok", None)])
    with app.app_context():
        actor = db.session.get(User, psite["sup"].id)
        t = ts.create_ticket(psite["community"].id, ts.Intake(
            kind="repair", channel="phone", category_id=ts.categories(psite["community"].id)[0].id,
            urgency="normal", description="电梯异响", building_id=psite["b3"].id), actor)
        r = db.session.scalar(select(PatrolResult).where(PatrolResult.patrol_id == pid, PatrolResult.result == "problem"))
        r.ticket_id = t.id
        db.session.commit()
        serial = t.serial
        body = plans.records_csv(psite["community"].id, filters(app, psite))
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == plans.CSV_HEADER
    assert len(rows) == 4
    assert rows[1] == ["2026-11-23", "张管家", "楼栋单元", "3栋", "楼道卫生", "正常", "", "2026-11-23 09:31:00", ""]
    assert rows[2][4:] == ["电梯运行", "有问题", "'=HYPERLINK(\"http://x\")", "2026-11-23 09:32:00", serial]
    assert rows[3][5:7] == ["不适用", "'@SUM(1)"]
    for cell in ("+1", "-1", "@x", "=x"):
        assert plans.csv_cell(cell) == "'" + cell
    assert plans.csv_cell("3-2-1201") == "3-2-1201"


def test_d3_plan_made_after_its_window_is_not_missed_that_day(clock, app, psite):
    from propsvc.patrols import plans

    made = at(MONDAY, 15)  # after the 09:00–11:00 window
    make_plan(app, psite, psite["s1"], building=psite["b3"], created=made)
    with app.app_context():
        assert plans.due_on(psite["community"].id, MONDAY, now=at(MONDAY, 16)) == []
        assert plans.due_on(psite["community"].id, MONDAY - timedelta(days=1), now=at(MONDAY, 16)) == []
        (due,) = plans.due_on(psite["community"].id, MONDAY + timedelta(days=1), now=at(MONDAY, 16))
        assert due.state == "todo"
