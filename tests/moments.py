"""Chosen moments for the tests whose meaning depends on the date or the time of day.

Each moment is an instant on the site's clock (Beijing time) and the zone the *machine* is
pretended to be in while it runs (time-machine sets TZ too), so that a test which passes at
every moment depends neither on today's date nor on the server's own zone [issue 12].

- the `clock` fixture (function scope, parametrised over MOMENTS): a test that asks for it runs once per
  moment with time frozen there (`clock.shift(...)`/`clock.move_to(...)` move it).
- PROPSVC_TEST_AT=<moment> (see conftest): the whole session runs from that moment on, time
  ticking, to find tests that only pass on some days (`make test-moments` runs every moment).
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import time_machine

SH = ZoneInfo("Asia/Shanghai")

# name: (Beijing wall-clock time, the machine's zone)
MOMENTS: dict[str, tuple[datetime, str]] = {
    # End of the working week, 10 minutes before the [D1] day ends.
    "fri-1750": (datetime(2026, 12, 4, 17, 50), "UTC"),
    # The last working day before the 2026 Spring Festival holiday (15-23 Feb): a make-up
    # Saturday (调休), late afternoon.
    "spring-festival-eve-workday": (datetime(2026, 2, 14, 17, 30), "America/New_York"),
    # A minute before the year (and month, and serial year prefix) changes.
    "dec31-2359": (datetime(2026, 12, 31, 23, 59), "Europe/London"),
    # 29 February of a leap year.
    "leap-day": (datetime(2028, 2, 29, 10, 0), "Asia/Shanghai"),
    # A Monday one minute before the morning period starts.
    "mon-0829": (datetime(2026, 12, 7, 8, 29), "America/Los_Angeles"),
    # Beijing is already on Saturday 5 Dec while UTC is still on Friday 4 Dec.
    "bj-ahead-of-utc": (datetime(2026, 12, 5, 7, 30), "UTC"),
}


def instant(name: str) -> datetime:
    """The moment as an aware datetime in the machine's pretended zone (same instant)."""
    wall, machine_zone = MOMENTS[name]
    return wall.replace(tzinfo=SH).astimezone(ZoneInfo(machine_zone))


def travel(name: str, *, tick: bool) -> time_machine.travel:
    return time_machine.travel(instant(name), tick=tick)


def utc(name: str) -> datetime:
    return instant(name).astimezone(timezone.utc)
