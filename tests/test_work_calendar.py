"""The Chinese working calendar [D1]: Monday to Friday 08:30–12:00 and 14:00–18:00, statutory
holidays and make-up working days (调休) from the chinesecalendar package, the community's own
days winning over both, and a warning (never "every day a working day") for a year the package
does not know yet. Deadlines are computed from explicit aware datetimes, not today's date."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from conftest import login, post
from moments import travel
from propsvc.extensions import db
from propsvc.tickets.calendar import STATUTORY_YEARS, WorkCalendar, statutory_days
from test_backup import empty_target  # noqa: F401 - a second, empty database of the same kind
from test_tickets import client_for, intake, site, ticket  # noqa: F401

SH = timezone(timedelta(hours=8))
FAR_YEAR = 2099  # no version of the calendar data will know it
WARNING = f"{FAR_YEAR} 年的法定节假日尚未收录，请在工作日历中手动设置或升级日历数据。"


def at(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def new_ticket(app, site, now, urgency="normal"):  # noqa: F811
    from propsvc.auth.models import User
    from propsvc.tickets.models import Ticket
    from propsvc.tickets.services import Intake, create_ticket

    with app.app_context():
        actor = db.session.get(User, site["users"]["front_desk"].id)
        t = create_ticket(site["community"].id, Intake(kind="repair", channel="phone", category_id=site["cats"]["电梯故障"],
                          urgency=urgency, description="电梯异响", unit_id=site["unit"].id), actor, now=now)
        db.session.commit()
        t = db.session.get(Ticket, t.id)
        return t.respond_due.astimezone(SH), t.resolve_due.astimezone(SH)


def calendar(app, site):  # noqa: F811
    from propsvc.tickets.services import calendar_for

    with app.app_context():
        return calendar_for(site["community"].id)


def add_day(app, site, day, workday, name=""):  # noqa: F811
    from propsvc.tickets.models import Holiday

    with app.app_context():
        db.session.add(Holiday(community_id=site["community"].id, day=day, workday=workday, name=name))
        db.session.commit()


def set_schedule(app, site, **values):  # noqa: F811
    from propsvc.tickets.models import WorkSchedule

    with app.app_context():
        ws = db.session.get(WorkSchedule, site["community"].id)
        for k, v in values.items():
            setattr(ws, k, v)
        db.session.commit()


# --- [D1] Monday to Friday -----------------------------------------------------------------------

def test_d1_normal_ticket_at_friday_1750_falls_due_monday(app, site):  # noqa: F811
    """The issue's case: a normal ticket taken at 17:50 on Friday 4 December 2026. Respond within 2
    working hours: 10 minutes on Friday, 110 on Monday from 08:30. Resolve within 1 working day:
    Monday 17:50. Never Saturday."""
    respond, resolve = new_ticket(app, site, at(2026, 12, 4, 17, 50))
    assert respond == at(2026, 12, 7, 10, 20)
    assert resolve == at(2026, 12, 7, 17, 50)
    low_respond, low_resolve = new_ticket(app, site, at(2026, 12, 4, 17, 50), urgency="low")
    assert (low_respond, low_resolve) == (at(2026, 12, 7, 17, 50), at(2026, 12, 9, 17, 50))
    # Urgent counts wall-clock time, weekend or not.
    urgent = new_ticket(app, site, at(2026, 12, 4, 17, 50), urgency="urgent")
    assert urgent == (at(2026, 12, 4, 18, 5), at(2026, 12, 4, 21, 50))


def test_d1_normal_ticket_at_friday_1750_through_the_desk_form(app, site):  # noqa: F811
    """The same through the intake form, with the clock stopped at Friday 17:50 (moments.py)."""
    with travel("fri-1750", tick=False):
        desk = client_for(app, site["users"]["front_desk"])
        assert intake(desk, site).status_code == 303
        t = ticket(app)
        assert t.created_at.astimezone(SH) == at(2026, 12, 4, 17, 50)
        assert t.resolve_due.astimezone(SH) == at(2026, 12, 7, 17, 50)
        html = desk.get(f"/tickets/{t.id}").get_data(as_text=True)
        assert "12-07" in html or "12月7日" in html


def test_d1_new_community_schedule_is_monday_to_friday_with_statutory_days(app, site):  # noqa: F811
    from propsvc.tickets.models import WorkSchedule

    with app.app_context():
        ws = db.session.get(WorkSchedule, site["community"].id)
        assert (ws.periods, ws.weekdays, ws.statutory) == ("08:30-12:00,14:00-18:00", "01234", True)
    cal = calendar(app, site)
    assert [cal.is_working_day(date(2026, 3, d)) for d in range(2, 9)] == [True] * 5 + [False] * 2


# --- statutory holidays and make-up days (chinesecalendar) ----------------------------------------

def test_d1_spring_festival_2026_holiday_and_make_up_saturdays(app, site):  # noqa: F811
    """State Council notice for 2026: Spring Festival off 15–23 February; Saturdays 14 and 28
    February are make-up working days. The package says so, and deadlines follow it."""
    assert 2026 in STATUTORY_YEARS
    listed = {d: (name, workday) for d, name, workday in statutory_days(date(2026, 2, 1), date(2026, 3, 1))}
    assert listed[date(2026, 2, 14)] == ("春节", True) and listed[date(2026, 2, 28)] == ("春节", True)
    assert all(listed[date(2026, 2, d)] == ("春节", False) for d in range(15, 24))

    cal = calendar(app, site)
    assert date(2026, 2, 14).weekday() == 5 and date(2026, 2, 28).weekday() == 5  # Saturdays
    assert cal.is_working_day(date(2026, 2, 14)) and cal.is_working_day(date(2026, 2, 28))
    assert not any(cal.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert not cal.is_working_day(date(2026, 2, 21))  # an ordinary Saturday inside the holiday
    assert cal.is_working_day(date(2026, 2, 24))

    # Friday 13 Feb 17:00 + 1 working day: the make-up Saturday.
    assert new_ticket(app, site, at(2026, 2, 13, 17, 0))[1] == at(2026, 2, 14, 17, 0)
    # The make-up Saturday 17:30 (the eve of the holiday): after the festival, Tuesday 24 Feb.
    respond, resolve = new_ticket(app, site, at(2026, 2, 14, 17, 30))
    assert respond == at(2026, 2, 24, 10, 0) and resolve == at(2026, 2, 24, 17, 30)
    # Friday 27 Feb + 1 working day: the make-up Saturday 28 Feb.
    assert new_ticket(app, site, at(2026, 2, 27, 10, 0))[1] == at(2026, 2, 28, 10, 0)


def test_d1_national_day_2026_in_the_pure_calendar():
    cal = WorkCalendar()  # the defaults: Monday to Friday, statutory days on
    assert not any(cal.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(date(2026, 9, 20)) and cal.is_working_day(date(2026, 10, 10))  # make-up days
    assert cal.add(at(2026, 9, 30, 17, 0), "1d", True).astimezone(SH) == at(2026, 10, 8, 17, 0)
    off = WorkCalendar(statutory=False)
    assert off.is_working_day(date(2026, 10, 1)) and not off.is_working_day(date(2026, 10, 10))


# --- the community's own days win ------------------------------------------------------------------

def test_d1_community_override_wins(app, site):  # noqa: F811
    # A statutory make-up Saturday the office takes off, and a festival day it works.
    add_day(app, site, date(2026, 2, 14), workday=False, name="本小区不调休")
    add_day(app, site, date(2026, 2, 16), workday=True, name="春节值班")
    cal = calendar(app, site)
    assert not cal.is_working_day(date(2026, 2, 14))
    assert cal.is_working_day(date(2026, 2, 16))
    assert not cal.is_working_day(date(2026, 2, 17))  # the rest of the festival stays off
    assert new_ticket(app, site, at(2026, 2, 13, 17, 0))[1] == at(2026, 2, 16, 17, 0)
    # An extra day off on an ordinary Wednesday.
    add_day(app, site, date(2026, 3, 4), workday=False, name="停电检修")
    assert new_ticket(app, site, at(2026, 3, 3, 10, 0))[1] == at(2026, 3, 5, 10, 0)


def test_d1_community_may_switch_statutory_days_off_and_work_seven_days(app, site):  # noqa: F811
    """A site whose desk works every day and ignores the national holidays says so in 工单设置."""
    sup = client_for(app, site["users"]["supervisor"])
    resp = post(sup, "/tickets/settings/hours", {"hours-periods": "08:30-12:00,14:00-18:00",
                                                  "hours-weekdays": [str(d) for d in range(7)]})
    assert resp.status_code == 303
    cal = calendar(app, site)
    assert cal.statutory is False and cal.is_working_day(date(2026, 2, 17)) and cal.is_working_day(date(2026, 3, 7))
    from propsvc.core.models import Event

    with app.app_context():
        ev = db.session.scalars(select(Event).where(Event.action == "schedule.updated")).one()
        assert ev.data["changes"]["statutory"] == [True, False]
    # And back on.
    resp = post(sup, "/tickets/settings/hours", {"hours-periods": "08:30-12:00,14:00-18:00",
                                                  "hours-weekdays": ["0", "1", "2", "3", "4"], "hours-statutory": "y"})
    assert resp.status_code == 303 and calendar(app, site).statutory is True


# --- a year the package does not know --------------------------------------------------------------

def test_d1_unknown_year_falls_back_to_monday_to_friday(app, site):  # noqa: F811
    assert FAR_YEAR not in STATUTORY_YEARS
    cal = calendar(app, site)
    days = [date(FAR_YEAR, 6, 1) + timedelta(days=i) for i in range(14)]
    assert [cal.is_working_day(d) for d in days] == [d.weekday() < 5 for d in days]
    friday = next(d for d in days if d.weekday() == 4)
    monday = friday + timedelta(days=3)
    _, resolve = new_ticket(app, site, at(friday.year, friday.month, friday.day, 17, 50))
    assert resolve == at(monday.year, monday.month, monday.day, 17, 50)


def test_d1_unknown_year_warns_the_admin(app, site):  # noqa: F811
    from propsvc.tickets.services import calendar_warnings

    cid = site["community"].id
    with app.app_context():
        assert calendar_warnings(cid, today=date(2026, 6, 1)) == []  # known, and the new year is far
        assert [w.year for w in calendar_warnings(cid, today=date(FAR_YEAR, 3, 1))] == [FAR_YEAR]
        # From a month before it starts, next year is warned about too.
        assert [w.year for w in calendar_warnings(cid, today=date(FAR_YEAR - 1, 12, 5))] == [FAR_YEAR - 1, FAR_YEAR]
        (w,) = calendar_warnings(cid, today=date(FAR_YEAR, 3, 1))
        assert w.message == WARNING and w.urgent


def test_d1_unknown_year_warning_on_settings_home_and_briefing(app, site):  # noqa: F811
    with time_machine.travel(at(FAR_YEAR, 3, 2, 9, 0), tick=False):
        for role in ("supervisor", "manager"):
            client = client_for(app, site["users"][role])
            settings = client.get("/tickets/settings").get_data(as_text=True)
            assert WARNING in settings, role
            assert WARNING in client.get("/?all=1").get_data(as_text=True), role
            assert WARNING in client.get("/patrols/briefing").get_data(as_text=True), role
        # Not a matter for the front desk or a steward.
        for role in ("front_desk", "steward"):
            assert WARNING not in client_for(app, site["users"][role]).get("/?all=1").get_data(as_text=True)

        # Days set by hand for that year: the settings page still says how it counts; home is quiet.
        add_day(app, site, date(FAR_YEAR, 10, 1), workday=False, name="国庆节")
        sup = client_for(app, site["users"]["supervisor"])
        settings = sup.get("/tickets/settings").get_data(as_text=True)
        assert "按本小区手动设置的 1 天和周一至周五计算" in settings and WARNING not in settings
        assert "尚未收录" not in sup.get("/?all=1").get_data(as_text=True)

        # A site that does not follow the statutory calendar is not warned.
        set_schedule(app, site, statutory=False)
        assert "尚未收录" not in sup.get("/tickets/settings").get_data(as_text=True)


def test_d1_admin_sees_the_warning_on_home(app, site, make):  # noqa: F811
    admin = make.user("admin", communities=[site["community"]])
    with time_machine.travel(at(FAR_YEAR, 3, 2, 9, 0), tick=False):
        client = app.test_client()
        assert login(client, admin.username).status_code == 303
        html = client.get("/").get_data(as_text=True)
        assert WARNING in html and "/tickets/settings#hours" in html


def test_d1_settings_page_lists_the_coming_statutory_days(app, site):  # noqa: F811
    with time_machine.travel(at(2026, 2, 2, 9, 0), tick=False):
        sup = client_for(app, site["users"]["supervisor"])
        html = sup.get("/tickets/settings").get_data(as_text=True)
    assert 'id="statutory-days"' in html and "2026-02-14" in html and "春节" in html and "调休上班" in html
    (box,) = re.findall(r'<input[^>]*name="hours-statutory"[^>]*>', html)
    assert "checked" in box


# --- the migration ---------------------------------------------------------------------------------

def _my_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from propsvc import ROOT

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    for rev in ScriptDirectory.from_config(cfg).walk_revisions():
        if "0012_work_calendar" in (rev.path or ""):
            return rev.revision, rev.down_revision
    raise AssertionError("the working-calendar migration is missing")


def test_d1_migration_moves_untouched_default_schedules_to_monday_to_friday(app, empty_target):  # noqa: F811
    """Schedules still on the old default (every day) become Monday to Friday; one a supervisor set
    to seven days, or to anything else, is kept; every schedule follows the statutory days."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    revision, before = _my_migration()
    target = empty_target()
    with target.app_context():
        upgrade(revision=before)
        with db.engine.begin() as conn:
            for i, name in enumerate(("默认小区", "七天小区", "六天小区"), start=1):
                conn.execute(text("INSERT INTO community (id, name, code, created_at) VALUES (:i, :n, :c, :t)"),
                             {"i": i, "n": name, "c": f"M{i}", "t": "2026-01-05 08:00:00+00:00"})
            for cid, weekdays in ((1, "0123456"), (2, "0123456"), (3, "012345")):
                conn.execute(text("INSERT INTO work_schedule (community_id, periods, weekdays, tz) "
                                  "VALUES (:c, '08:30-12:00,14:00-18:00', :w, 'Asia/Shanghai')"),
                             {"c": cid, "w": weekdays})
            # Community 2 chose seven days (from six) at some point; community 1 only changed its hours.
            for cid, changes in ((2, '{"changes": {"weekdays": ["012345", "0123456"]}}'),
                                 (1, '{"changes": {"periods": ["08:30-12:00", "08:30-12:00,14:00-18:00"]}}')):
                conn.execute(text("INSERT INTO event (at, community_id, action, object_type, object_id, data) "
                                  "VALUES (:t, :c, 'schedule.updated', 'community', :c, :d)"),
                             {"t": "2026-02-01 08:00:00+00:00", "c": cid, "d": changes})
        upgrade(revision=revision)
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT community_id, weekdays, statutory FROM work_schedule "
                                     "ORDER BY community_id")).all()
        db.engine.dispose()
    assert [(c, w, bool(s)) for c, w, s in rows] == [(1, "01234", True), (2, "0123456", True), (3, "012345", True)]


@pytest.mark.parametrize("year", [2025, 2026])
def test_d1_statutory_data_covers_this_project_s_years(year):
    """The package as installed knows the years the tests and the demo use."""
    assert year in STATUTORY_YEARS
