"""The working-time calendar behind ticket deadlines (propsvc.tickets.calendar). Pure functions:
no app, no database. Dates are in 2026: 2026-03-02 is a Monday, 2026-10-01..07 is the National
Day holiday (Thursday to Wednesday), 2026-10-10 is a Saturday."""
import time as clock
from bisect import bisect_left
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from propsvc.tickets.calendar import (
    DEFAULT_POLICIES,
    WorkCalendar,
    format_periods,
    parse_periods,
    parse_spec,
)

SH = ZoneInfo("Asia/Shanghai")
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))
MON_FRI = frozenset(range(5))


def at(y, mo, d, h=0, mi=0):
    """An instant in Shanghai local time."""
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def local(t):
    return t.astimezone(SH)


@pytest.fixture
def cal():
    return WorkCalendar()


# ---- defaults and duration specs ---------------------------------------------------------------


def test_default_policies_match_spec():
    assert DEFAULT_POLICIES == {
        "urgent": ("15m", "4h", False),
        "normal": ("2h", "1d", True),
        "low": ("1d", "3d", True),
    }
    for respond, resolve, _ in DEFAULT_POLICIES.values():
        parse_spec(respond)
        parse_spec(resolve)


def test_d1_default_calendar_is_split_day_monday_to_friday_in_shanghai(cal):
    assert cal.periods == ((time(8, 30), time(12, 0)), (time(14, 0), time(18, 0)))
    assert cal.weekdays == frozenset(range(5))
    assert cal.statutory is True
    assert cal.tz == "Asia/Shanghai"
    assert [cal.is_working_day(date(2026, 3, d)) for d in range(2, 9)] == [True] * 5 + [False] * 2


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("15m", (0, 15)),
        ("90m", (0, 90)),
        ("2h", (0, 120)),
        ("4h", (0, 240)),
        ("1d", (1, 0)),
        ("3d", (3, 0)),
        ("1d4h", (1, 240)),
        ("1h30m", (0, 90)),
        ("2d3h5m", (2, 185)),
        (" 2h ", (0, 120)),
        ("0", (0, 0)),
        ("0m", (0, 0)),
        ("0d", (0, 0)),
    ],
)
def test_parse_spec_accepts_short_forms(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    "spec", ["", "  ", "2", "2x", "h", "1.5h", "-1h", "2h1d", "1d1d", "2H", "两小时", "400d", None, 2]
)
def test_parse_spec_rejects_bad_input(spec):
    with pytest.raises(ValueError, match="^时长格式不正确："):
        parse_spec(spec)


def test_add_rejects_bad_spec(cal):
    with pytest.raises(ValueError, match="^时长格式不正确："):
        cal.add(at(2026, 3, 2, 10), "2 hours", True)


# ---- T2: wall-clock policies ----------------------------------------------------------------------


def test_t2_urgent_counts_wall_clock():
    cal = WorkCalendar(weekdays=MON_FRI, holidays=NATIONAL_DAY)
    respond, resolve, working = DEFAULT_POLICIES["urgent"]
    assert working is False
    start = at(2026, 10, 1, 23, 50)  # at night, on a holiday
    assert local(cal.add(start, respond, working)) == at(2026, 10, 2, 0, 5)
    assert local(cal.add(start, resolve, working)) == at(2026, 10, 2, 3, 50)
    assert local(cal.add(at(2026, 3, 2, 11, 30), "1d", False)) == at(2026, 3, 3, 11, 30)


def test_t2_wall_clock_zero_spec_is_start(cal):
    assert cal.add(at(2026, 3, 2, 19), "0m", False) == at(2026, 3, 2, 19)


# ---- T2: working-time policies, hours and minutes ---------------------------------------------------


def test_t2_normal_respond_2h_skips_lunch(cal):
    respond, _, working = DEFAULT_POLICIES["normal"]
    assert working is True
    # 30 minutes before lunch, 90 after 14:00
    assert local(cal.add(at(2026, 3, 2, 11, 30), respond, working)) == at(2026, 3, 2, 15, 30)


def test_t2_within_one_period(cal):
    assert local(cal.add(at(2026, 3, 2, 9, 0), "90m", True)) == at(2026, 3, 2, 10, 30)


def test_t2_during_lunch_starts_at_afternoon_period(cal):
    assert local(cal.add(at(2026, 3, 2, 12, 30), "2h", True)) == at(2026, 3, 2, 16, 0)


def test_t2_after_hours_starts_next_morning(cal):
    assert local(cal.add(at(2026, 3, 2, 19, 0), "2h", True)) == at(2026, 3, 3, 10, 30)
    assert local(cal.add(at(2026, 3, 3, 2, 0), "2h", True)) == at(2026, 3, 3, 10, 30)
    assert local(cal.add(at(2026, 3, 3, 7, 0), "15m", True)) == at(2026, 3, 3, 8, 45)


def test_t2_start_exactly_at_period_end(cal):
    assert local(cal.add(at(2026, 3, 2, 12, 0), "2h", True)) == at(2026, 3, 2, 16, 0)
    assert local(cal.add(at(2026, 3, 2, 18, 0), "2h", True)) == at(2026, 3, 3, 10, 30)


def test_t2_start_exactly_at_period_start(cal):
    assert local(cal.add(at(2026, 3, 2, 8, 30), "2h", True)) == at(2026, 3, 2, 10, 30)
    assert local(cal.add(at(2026, 3, 2, 14, 0), "4h", True)) == at(2026, 3, 2, 18, 0)


def test_t2_duration_using_up_a_period_ends_at_its_end(cal):
    assert local(cal.add(at(2026, 3, 2, 16, 0), "2h", True)) == at(2026, 3, 2, 18, 0)
    assert local(cal.add(at(2026, 3, 2, 10, 30), "90m", True)) == at(2026, 3, 2, 12, 0)


def test_t2_hours_spanning_several_days(cal):
    # a working day is 7.5 h: 16 h from Monday 08:30 is 7.5 + 7.5 + 1 -> Wednesday 09:30
    assert local(cal.add(at(2026, 3, 2, 8, 30), "16h", True)) == at(2026, 3, 4, 9, 30)
    # 17:00 + 8h: 1 h Monday, 7 h Tuesday (3.5 morning + 3.5 afternoon) -> Tuesday 17:30
    assert local(cal.add(at(2026, 3, 2, 17, 0), "8h", True)) == at(2026, 3, 3, 17, 30)


def test_t2_zero_working_spec_is_next_working_instant(cal):
    assert cal.add(at(2026, 3, 2, 10, 0), "0m", True) == at(2026, 3, 2, 10, 0)
    assert local(cal.add(at(2026, 3, 2, 19, 0), "0", True)) == at(2026, 3, 3, 8, 30)
    assert local(cal.add(at(2026, 3, 2, 12, 0), "0d", True)) == at(2026, 3, 2, 14, 0)


# ---- T2: working days ---------------------------------------------------------------------------------


def test_t2_one_day_is_next_working_day_same_time(cal):
    _, resolve, working = DEFAULT_POLICIES["normal"]
    assert local(cal.add(at(2026, 3, 2, 10, 0), resolve, working)) == at(2026, 3, 3, 10, 0)
    assert local(cal.add(at(2026, 3, 2, 17, 59), "1d", True)) == at(2026, 3, 3, 17, 59)


def test_t2_one_day_after_hours_counts_from_next_period_start(cal):
    # 19:00 counts from Tuesday 08:30, one working day later is Wednesday 08:30
    assert local(cal.add(at(2026, 3, 2, 19, 0), "1d", True)) == at(2026, 3, 4, 8, 30)
    # 12:30 counts from 14:00
    assert local(cal.add(at(2026, 3, 2, 12, 30), "1d", True)) == at(2026, 3, 3, 14, 0)


def test_t2_low_respond_one_day_resolve_three_days(cal):
    respond, resolve, working = DEFAULT_POLICIES["low"]
    start = at(2026, 3, 2, 15, 20)
    assert local(cal.add(start, respond, working)) == at(2026, 3, 3, 15, 20)
    assert local(cal.add(start, resolve, working)) == at(2026, 3, 5, 15, 20)


def test_t2_days_then_hours(cal):
    assert local(cal.add(at(2026, 3, 2, 10, 0), "1d4h", True)) == at(2026, 3, 3, 16, 0)


def test_t2_weekends_skipped_on_a_weekday_calendar():
    cal = WorkCalendar(weekdays=MON_FRI)
    friday = at(2026, 3, 6, 17, 0)
    assert local(cal.add(friday, "2h", True)) == at(2026, 3, 9, 9, 30)
    assert local(cal.add(friday, "1d", True)) == at(2026, 3, 9, 17, 0)
    assert local(cal.add(at(2026, 3, 7, 10, 0), "2h", True)) == at(2026, 3, 9, 10, 30)  # Saturday


def test_t2_holidays_are_skipped():
    cal = WorkCalendar(weekdays=range(7), holidays=NATIONAL_DAY, statutory=False)  # every day but the holiday week
    assert local(cal.add(at(2026, 9, 30, 17, 0), "2h", True)) == at(2026, 10, 8, 9, 30)
    assert local(cal.add(at(2026, 9, 30, 17, 0), "1d", True)) == at(2026, 10, 8, 17, 0)
    assert local(cal.add(at(2026, 10, 3, 10, 0), "2h", True)) == at(2026, 10, 8, 10, 30)


def test_t2_long_weekend_and_holiday_across_several_days():
    cal = WorkCalendar(weekdays=MON_FRI, holidays=NATIONAL_DAY, statutory=False)
    # Wed 09-30, then Thu 10-08, Fri 10-09, (weekend), Mon 10-12
    assert local(cal.add(at(2026, 9, 30, 17, 0), "3d", True)) == at(2026, 10, 12, 17, 0)
    assert local(cal.add(at(2026, 9, 30, 17, 0), "8h", True)) == at(2026, 10, 8, 17, 30)


def test_t2_make_up_day_overrides_weekend():
    plain = WorkCalendar(weekdays=MON_FRI, holidays=NATIONAL_DAY, statutory=False)
    tiaoxiu = WorkCalendar(weekdays=MON_FRI, holidays=NATIONAL_DAY, extra_workdays={date(2026, 10, 10)},
                           statutory=False)
    friday = at(2026, 10, 9, 17, 0)
    assert local(plain.add(friday, "2h", True)) == at(2026, 10, 12, 9, 30)
    assert local(tiaoxiu.add(friday, "2h", True)) == at(2026, 10, 10, 9, 30)
    assert local(tiaoxiu.add(friday, "1d", True)) == at(2026, 10, 10, 17, 0)


def test_is_working_day_rules():
    cal = WorkCalendar(
        weekdays=MON_FRI,
        holidays=NATIONAL_DAY | {date(2026, 10, 10)},
        extra_workdays={date(2026, 10, 10), date(2026, 10, 11)},
    )
    assert cal.is_working_day(date(2026, 9, 30))  # Wednesday
    assert not cal.is_working_day(date(2026, 10, 1))  # holiday on a Thursday
    assert not cal.is_working_day(date(2026, 10, 3))  # holiday on a Saturday
    assert not cal.is_working_day(date(2026, 10, 17))  # ordinary Saturday
    assert cal.is_working_day(date(2026, 10, 11))  # make-up Sunday
    assert cal.is_working_day(date(2026, 10, 10))  # make-up day wins over a holiday entry
    # an aware datetime is judged by its local date: 2026-09-30 20:00 UTC is 10-01 04:00 here
    assert not cal.is_working_day(datetime(2026, 9, 30, 20, 0, tzinfo=timezone.utc))


# ---- time zones ----------------------------------------------------------------------------------------


def test_inputs_in_any_zone_outputs_in_utc(cal):
    start_utc = datetime(2026, 3, 2, 3, 30, tzinfo=timezone.utc)  # 11:30 in Shanghai
    due = cal.add(start_utc, "2h", True)
    assert due.tzinfo is timezone.utc
    assert due == datetime(2026, 3, 2, 7, 30, tzinfo=timezone.utc)  # 15:30 in Shanghai
    assert cal.add(start_utc, "15m", False).tzinfo is timezone.utc
    assert cal.next_working_instant(start_utc).tzinfo is timezone.utc
    assert cal.extend(start_utc, 0, True).tzinfo is timezone.utc
    assert cal.extend(start_utc, 60, False).tzinfo is timezone.utc


def test_community_time_zone_is_used():
    urumqi = WorkCalendar(tz="Asia/Urumqi")  # UTC+6: 19:00 in Shanghai is 17:00 there
    assert urumqi.add(at(2026, 3, 2, 19, 0), "1h", True) == at(2026, 3, 2, 20, 0)  # 18:00 there
    assert urumqi.next_working_instant(at(2026, 3, 2, 19, 0)) == at(2026, 3, 2, 19, 0)


def test_naive_datetimes_are_rejected(cal):
    with pytest.raises(ValueError):
        cal.add(datetime(2026, 3, 2, 10, 0), "2h", True)
    with pytest.raises(ValueError):
        cal.working_seconds_between(datetime(2026, 3, 2, 10), at(2026, 3, 2, 11))
    with pytest.raises(ValueError):
        cal.next_working_instant(datetime(2026, 3, 2, 10, 0))


def test_unknown_time_zone_is_rejected():
    with pytest.raises(ValueError, match="时区"):
        WorkCalendar(tz="Asia/Nowhere")


# ---- next working instant, elapsed working time, pauses -----------------------------------------------


def test_next_working_instant():
    cal = WorkCalendar(weekdays=MON_FRI, holidays=NATIONAL_DAY)
    assert cal.next_working_instant(at(2026, 9, 30, 9, 0)) == at(2026, 9, 30, 9, 0)
    assert cal.next_working_instant(at(2026, 9, 30, 8, 30)) == at(2026, 9, 30, 8, 30)
    assert cal.next_working_instant(at(2026, 9, 30, 12, 0)) == at(2026, 9, 30, 14, 0)
    assert cal.next_working_instant(at(2026, 9, 30, 18, 0)) == at(2026, 10, 8, 8, 30)


def test_working_seconds_between():
    cal = WorkCalendar(weekdays=MON_FRI, holidays=NATIONAL_DAY)
    assert cal.working_seconds_between(at(2026, 9, 30, 9, 0), at(2026, 9, 30, 10, 0)) == 3600
    assert cal.working_seconds_between(at(2026, 9, 30, 11, 0), at(2026, 9, 30, 15, 0)) == 2 * 3600
    assert cal.working_seconds_between(at(2026, 9, 30, 12, 0), at(2026, 9, 30, 14, 0)) == 0
    # Wed 17:00 to Thu 10-08 09:00 over the holiday week: 1 h + 30 min
    assert cal.working_seconds_between(at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 0)) == 5400
    # a whole working day is 7.5 h
    assert cal.working_seconds_between(at(2026, 9, 30, 0, 0), at(2026, 10, 1, 0, 0)) == 27000
    # reversed or equal instants: nothing elapsed
    assert cal.working_seconds_between(at(2026, 9, 30, 15, 0), at(2026, 9, 30, 9, 0)) == 0
    assert cal.working_seconds_between(at(2026, 9, 30, 9, 0), at(2026, 9, 30, 9, 0)) == 0
    # mixed zones
    assert cal.working_seconds_between(
        datetime(2026, 9, 30, 1, 0, tzinfo=timezone.utc), at(2026, 9, 30, 10, 0)
    ) == 3600


def test_pause_extends_by_working_time(cal):
    _, resolve, working = DEFAULT_POLICIES["normal"]
    received = at(2026, 3, 2, 9, 0)
    due = cal.add(received, resolve, working)
    assert local(due) == at(2026, 3, 3, 9, 0)
    # paused 11:00 to 15:00 (waiting for the owner): 1 h before lunch + 1 h after
    paused = cal.working_seconds_between(at(2026, 3, 2, 11, 0), at(2026, 3, 2, 15, 0))
    assert paused == 7200
    assert local(cal.extend(due, paused, working)) == at(2026, 3, 3, 11, 0)


def test_pause_extension_crosses_lunch_and_night(cal):
    assert local(cal.extend(at(2026, 3, 2, 11, 0), 2 * 3600, True)) == at(2026, 3, 2, 15, 0)
    assert local(cal.extend(at(2026, 3, 2, 17, 30), 3600, True)) == at(2026, 3, 3, 9, 0)


def test_extend_deadline_outside_working_hours_counts_from_next_period(cal):
    assert local(cal.extend(at(2026, 3, 2, 18, 0), 1800, True)) == at(2026, 3, 3, 9, 0)


def test_extend_by_zero_leaves_deadline_unchanged(cal):
    assert cal.extend(at(2026, 3, 2, 18, 0), 0, True) == at(2026, 3, 2, 18, 0)
    assert cal.extend(at(2026, 3, 2, 18, 0), 0, False) == at(2026, 3, 2, 18, 0)


def test_extend_wall_clock(cal):
    assert local(cal.extend(at(2026, 3, 2, 23, 0), 3 * 3600, False)) == at(2026, 3, 3, 2, 0)


def test_extend_rejects_negative_seconds(cal):
    with pytest.raises(ValueError):
        cal.extend(at(2026, 3, 2, 10, 0), -60, True)


# ---- calendars without working time ------------------------------------------------------------------


@pytest.mark.parametrize(
    "cal",
    [
        WorkCalendar(weekdays=frozenset(), statutory=False),
        WorkCalendar(periods=()),
        WorkCalendar(weekdays=frozenset(), extra_workdays={date(2020, 1, 1)}, statutory=False),  # only in the past
        # only Mondays, and every Monday for four years is a holiday (no statutory make-up days)
        WorkCalendar(
            weekdays={0},
            holidays={date(2026, 3, 2) + timedelta(weeks=w) for w in range(4 * 53)},
            statutory=False,
        ),
    ],
    ids=["no-weekdays", "no-periods", "past-make-up-day-only", "all-holidays"],
)
def test_no_working_day_calendar_raises(cal):
    started = clock.perf_counter()
    for spec in ("2h", "1d", "0m"):
        with pytest.raises(ValueError):
            cal.add(at(2026, 3, 2, 10, 0), spec, True)
    with pytest.raises(ValueError):
        cal.next_working_instant(at(2026, 3, 2, 10, 0))
    with pytest.raises(ValueError):
        cal.extend(at(2026, 3, 2, 10, 0), 60, True)
    assert clock.perf_counter() - started < 1.0
    # wall-clock time and elapsed working time still work
    assert cal.add(at(2026, 3, 2, 10, 0), "15m", False) == at(2026, 3, 2, 10, 15)
    assert cal.working_seconds_between(at(2026, 3, 2), at(2026, 3, 9)) == 0


# ---- periods -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "08:30-12:00,14:00-18:00",
        "14:00-18:00,08:30-12:00",
        "8:30-12:00，14:00-18:00",
        " 08:30 - 12:00 ; 14:00~18:00 ",
        "08:30-12:00 14:00-18:00",
    ],
)
def test_parse_periods(text):
    assert parse_periods(text) == ((time(8, 30), time(12, 0)), (time(14, 0), time(18, 0)))


def test_parse_periods_round_trips():
    text = "07:00-11:30,13:30-17:00,18:00-20:00"
    assert format_periods(parse_periods(text)) == text
    assert parse_periods("08:00-12:00,12:00-17:00") == (
        (time(8, 0), time(12, 0)),
        (time(12, 0), time(17, 0)),
    )  # touching periods are fine


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "工作时段不能为空"),
        ("   ", "工作时段不能为空"),
        ("08:30-12:00,11:00-13:00", "工作时段重叠"),
        ("08:00-18:00,12:00-13:00", "工作时段重叠"),
        ("12:00-08:30", "开始时间须早于结束时间"),
        ("08:30-08:30", "开始时间须早于结束时间"),
        ("25:00-26:00", "时间不正确"),
        ("08:60-09:00", "时间不正确"),
        ("18:00-24:00", "时间不正确"),
        ("上午", "工作时段格式不正确"),
        ("08:30", "工作时段格式不正确"),
        ("0830-1200", "工作时段格式不正确"),
    ],
)
def test_parse_periods_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_periods(text)


def test_calendar_validates_and_sorts_periods():
    cal = WorkCalendar(periods=((time(14), time(18)), (time(8, 30), time(12))))
    assert cal.periods == ((time(8, 30), time(12)), (time(14), time(18)))
    with pytest.raises(ValueError, match="工作时段重叠"):
        WorkCalendar(periods=((time(8), time(12)), (time(11), time(13))))
    with pytest.raises(ValueError, match="开始时间须早于结束时间"):
        WorkCalendar(periods=((time(12), time(8)),))
    with pytest.raises(ValueError):
        WorkCalendar(weekdays={7})


def test_calendar_is_hashable_and_accepts_plain_sets():
    a = WorkCalendar(weekdays={0, 1, 2, 3, 4}, holidays={date(2026, 10, 1)})
    b = WorkCalendar(weekdays=MON_FRI, holidays=frozenset({date(2026, 10, 1)}))
    assert a == b and hash(a) == hash(b)
    assert isinstance(a.weekdays, frozenset) and isinstance(a.holidays, frozenset)


# ---- cross-check against a minute-by-minute count, and speed ----------------------------------------


def test_matches_minute_by_minute_count():
    """add() in minutes and working_seconds_between() agree with counting working minutes one
    by one, for starts all over two weeks around the National Day holiday (weekday calendar
    with a make-up Saturday and three periods, one of them touching another)."""
    cal = WorkCalendar(
        periods=parse_periods("07:00-11:30,11:30-12:15,13:45-17:10"),
        weekdays=MON_FRI,
        holidays=NATIONAL_DAY,
        extra_workdays={date(2026, 10, 10)},
    )
    base = at(2026, 9, 26)
    minutes = 24 * 60 * 25
    working = []  # indices of working minutes [i, i+1) from base
    for i in range(minutes):
        t = (base + timedelta(minutes=i)).replace(tzinfo=None)
        if cal.is_working_day(t.date()) and any(s <= t.time() < e for s, e in cal.periods):
            working.append(i)

    def instant(i):
        return base + timedelta(minutes=i)

    for i in range(0, 24 * 60 * 14, 23):
        first = bisect_left(working, i)
        for n in (0, 1, 44, 45, 120, 271, 600, 1000):
            expected = working[first] if n == 0 else working[first + n - 1] + 1
            assert cal.add(instant(i), f"{n}m", True) == instant(expected), (instant(i), n)
        j = i + 1500 + i % 4000
        count = bisect_left(working, j) - first
        assert cal.working_seconds_between(instant(i), instant(j)) == count * 60
        assert cal.extend(instant(i), count * 60, True) <= instant(j)


def test_deadline_is_fast():
    cal = WorkCalendar(weekdays=MON_FRI, holidays=NATIONAL_DAY)
    start = at(2026, 9, 30, 19, 0)
    rounds = 2000
    started = clock.perf_counter()
    for _ in range(rounds):
        cal.add(start, "3d", True)
        cal.add(start, "2h", True)
    per_deadline = (clock.perf_counter() - started) / (2 * rounds)
    assert per_deadline < 0.001
