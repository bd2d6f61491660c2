"""Working-time calendar for ticket deadlines (响应/处理时限). Pure: no app, no database.

Rules implemented (see the product spec for the defaults in DEFAULT_POLICIES):

* A duration spec is a short string: "15m", "90m", "2h", "1d", "3d", or a combination in the
  order days, hours, minutes ("1d4h", "1h30m"); "0" (or "0m" …) is a zero duration.
  parse_spec() turns it into (days, minutes).
* Wall-clock policies (working=False) add the literal duration: "1d" is 24 hours.
* Working-time policies (working=True) count only the working periods of working days:
  - minutes and hours are working minutes: 2h from 11:30 is 30 min before lunch plus 90 min
    after 14:00, due 15:30;
  - "Nd" is N working days: the same clock time N working days later (10:00 due "1d" is due at
    10:00 on the next working day). With "1d4h" the days are applied first, then the hours;
  - an instant outside working hours (evening, lunch break, a holiday, or exactly at the end of
    a period) starts counting at the start of the next working period: 19:00 + 2h is 10:30 the
    next working day, 12:30 + 2h is 16:00, 12:00 + 2h is 16:00;
  - a duration that uses up a period exactly ends at that period's end (16:00 + 2h is 18:00 the
    same day, not 08:30 the next day);
  - a zero duration therefore gives next_working_instant(start) (the limit of ever smaller
    durations), while extend(deadline, 0, ...) leaves the deadline unchanged.
* Working days [D1]: Monday to Friday by default. The first rule that speaks decides:
  1. the community's own days: extra_workdays (调休上班 or an extra working day; it also wins
     over a holiday listed for the same date) and holidays (放假);
  2. with statutory=True (the default), China's statutory holidays and make-up working days
     (调休) from the maintained `chinesecalendar` package (import chinese_calendar): a
     statutory holiday is not a working day, a make-up day is one, whatever its weekday;
  3. the weekday: a working day when it is in weekdays.
  A year the package has no data for (it covers STATUTORY_YEARS) skips rule 2: its dates fall
  back to weekdays (Monday to Friday by default, never "every day"); unknown_statutory_years()
  names such years so the admin can be warned. Every working day has the same periods.
* Working time is measured on the community's local wall clock (tz, default Asia/Shanghai,
  which has no daylight saving time).
* Inputs must be timezone-aware datetimes in any zone; every datetime returned is aware and in
  UTC. Naive datetimes raise ValueError.
* Searches are bounded: one computation walks at most MAX_SEARCH_DAYS calendar days (about three
  years) looking for working time, and raises ValueError beyond that, so a calendar without any
  working day cannot hang.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

__all__ = [
    "DEFAULT_PERIODS",
    "DEFAULT_POLICIES",
    "DEFAULT_WEEKDAYS",
    "MAX_SEARCH_DAYS",
    "MAX_SPEC_DAYS",
    "STATUTORY_YEARS",
    "WorkCalendar",
    "format_periods",
    "parse_periods",
    "parse_spec",
    "statutory_days",
    "statutory_known",
    "unknown_statutory_years",
]

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 0), time(18, 0)),
)

# urgency -> (respond spec, resolve spec, counted in working time)
DEFAULT_POLICIES: dict[str, tuple[str, str, bool]] = {
    "urgent": ("15m", "4h", False),
    "normal": ("2h", "1d", True),
    "low": ("1d", "3d", True),
}

DEFAULT_WEEKDAYS: frozenset[int] = frozenset(range(5))  # Monday (0) to Friday (4) [D1]

# Statutory holidays and make-up working days (调休), as the State Council announces them each
# year, from the chinesecalendar package: {date: holiday}, for the years it has data for.
_STATUTORY_OFF: dict[date, object] = chinese_calendar.holidays
_STATUTORY_ON: dict[date, object] = chinese_calendar.workdays
STATUTORY_YEARS = range(min(_STATUTORY_OFF).year, max(_STATUTORY_OFF).year + 1)
_NAMES = {"tomb_sweeping_day": "清明节", "dragon_boat_festival": "端午节", "mid_autumn_festival": "中秋节",
          "anti_fascist_70th_day": "抗战胜利纪念日"}
# The package's (English) holiday value -> its name on the State Council's notice.
STATUTORY_NAMES = {h.value: _NAMES.get(h.name, h.chinese) for h in chinese_calendar.Holiday}

MAX_SEARCH_DAYS = 3 * 366  # calendar days one computation may walk before giving up
MAX_SPEC_DAYS = 366  # longest duration parse_spec accepts, days and minutes together

_ONE_DAY = timedelta(days=1)

_SPEC_RE = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")
_SPEC_EXAMPLE = "（示例：15m、90m、2h、1d、1d4h）"


def _quoted(spec: str, limit: int = 16) -> str:
    """What was typed, as a message quotes it: at most `limit` characters."""
    return spec if len(spec) <= limit else spec[:limit] + "…"


def parse_spec(spec: str) -> tuple[int, int]:
    """"2h" -> (0, 120); "3d" -> (3, 0); "1d4h" -> (1, 240); "0" -> (0, 0).

    Units d, h, m in that order, each at most once, lowercase, whole numbers; surrounding and
    inner spaces are ignored. Raises ValueError("时长格式不正确：…") for anything else,
    including durations longer than MAX_SPEC_DAYS days."""
    if not isinstance(spec, str):
        raise ValueError(f"时长格式不正确：{spec!r}{_SPEC_EXAMPLE}")
    text = "".join(spec.split())
    if text == "0":
        return 0, 0
    m = _SPEC_RE.fullmatch(text)
    if not text or m is None or not any(m.groups()):
        raise ValueError(f"时长格式不正确：“{_quoted(spec)}”{_SPEC_EXAMPLE}")
    days, hours, minutes = (int(g) if g else 0 for g in m.groups())
    total_minutes = hours * 60 + minutes
    if days * 1440 + total_minutes > MAX_SPEC_DAYS * 1440:
        raise ValueError(f"时长格式不正确：“{_quoted(spec)}” 超过 {MAX_SPEC_DAYS} 天")
    return days, total_minutes


_PERIOD_DASH_RE = re.compile(r"\s*[-~～–—]\s*")
_PERIOD_SPLIT_RE = re.compile(r"[,，、;；\s]+")
_PERIOD_RE = re.compile(r"(\d{1,2})[:：](\d{2})-(\d{1,2})[:：](\d{2})")
_PERIODS_EXAMPLE = "（示例：08:30-12:00,14:00-18:00）"


def _fmt(t: time) -> str:
    return t.strftime("%H:%M") if not (t.second or t.microsecond) else t.isoformat()


def format_periods(periods) -> str:
    """The inverse of parse_periods: ((08:30, 12:00), (14:00, 18:00)) -> "08:30-12:00,14:00-18:00".
    """
    return ",".join(f"{_fmt(s)}-{_fmt(e)}" for s, e in periods)


def _check_periods(periods) -> tuple[tuple[time, time], ...]:
    """Sorted, validated periods: naive times, start before end, no overlaps (touching is fine)."""
    out = []
    for p in periods:
        try:
            s, e = p
        except (TypeError, ValueError):
            raise ValueError(f"工作时段格式不正确：{p!r}{_PERIODS_EXAMPLE}") from None
        if not (isinstance(s, time) and isinstance(e, time)) or s.tzinfo or e.tzinfo:
            raise ValueError(f"工作时段格式不正确：{p!r}{_PERIODS_EXAMPLE}")
        if s >= e:
            raise ValueError(f"工作时段的开始时间须早于结束时间：{_fmt(s)}-{_fmt(e)}")
        out.append((s, e))
    out.sort()
    for (s1, e1), (s2, e2) in zip(out, out[1:]):
        if s2 < e1:
            raise ValueError(f"工作时段重叠：{_fmt(s1)}-{_fmt(e1)} 与 {_fmt(s2)}-{_fmt(e2)}")
    return tuple(out)


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """"08:30-12:00,14:00-18:00" -> ((time(8, 30), time(12, 0)), (time(14, 0), time(18, 0))).

    Periods are separated by commas (also "，", "、", ";" or spaces), times are H:MM or HH:MM
    within one day (no period across midnight; "24:00" is not accepted). Returned sorted.
    Raises ValueError with a Chinese message for empty input, a bad format or time, a period
    that does not start before it ends, and overlapping periods."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"工作时段不能为空{_PERIODS_EXAMPLE}")
    periods = []
    for part in _PERIOD_SPLIT_RE.split(_PERIOD_DASH_RE.sub("-", text.strip())):
        m = _PERIOD_RE.fullmatch(part)
        if m is None:
            raise ValueError(f"工作时段格式不正确：“{part}”{_PERIODS_EXAMPLE}")
        h1, m1, h2, m2 = map(int, m.groups())
        for h, mi in ((h1, m1), (h2, m2)):
            if h > 23 or mi > 59:
                raise ValueError(f"时间不正确：{h:02d}:{mi:02d}（“{part}”）")
        periods.append((time(h1, m1), time(h2, m2)))
    return _check_periods(periods)


def statutory_known(year: int) -> bool:
    """Whether the package has the statutory holidays and make-up days of `year`."""
    return year in STATUTORY_YEARS


def unknown_statutory_years(first: date, last: date) -> list[int]:
    """The years from first to last (dates, inclusive) whose statutory days are not known."""
    return [y for y in range(first.year, last.year + 1) if not statutory_known(y)]


def statutory_days(first: date, last: date) -> list[tuple[date, str, bool]]:
    """Statutory days from first to last (inclusive), in order: (date, name, is_make_up_workday).
    Holidays on a weekend are listed too (they are part of the announced period)."""
    out = []
    for table, workday in ((_STATUTORY_OFF, False), (_STATUTORY_ON, True)):
        for d, holiday in table.items():
            if first <= d <= last:
                out.append((d, STATUTORY_NAMES.get(holiday, str(holiday)), workday))
    return sorted(out)


def _utc(t: datetime) -> datetime:
    return t.astimezone(timezone.utc)


def _require_aware(t: datetime, what: str = "时间") -> None:
    if not isinstance(t, datetime) or t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{what}必须是带时区的 datetime：{t!r}")


@dataclass(frozen=True)
class WorkCalendar:
    """A community's working-time calendar. Immutable and hashable; see the module docstring
    for the rules. Periods are validated and sorted on construction; sets may be passed as any
    iterable and are stored as frozensets."""

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    weekdays: frozenset[int] = DEFAULT_WEEKDAYS  # Monday=0
    holidays: frozenset[date] = frozenset()  # the community's own days off (放假)
    extra_workdays: frozenset[date] = frozenset()  # the community's own working days (调休上班)
    tz: str = "Asia/Shanghai"
    statutory: bool = True  # follow China's statutory holidays and make-up days (chinesecalendar)

    def __post_init__(self):
        object.__setattr__(self, "periods", _check_periods(self.periods))
        weekdays = frozenset(self.weekdays)
        if any(not isinstance(w, int) or not 0 <= w <= 6 for w in weekdays):
            raise ValueError(f"工作日须为 0（周一）到 6（周日）：{sorted(weekdays, key=str)}")
        object.__setattr__(self, "weekdays", weekdays)
        for name in ("holidays", "extra_workdays"):
            days = frozenset(getattr(self, name))
            if any(isinstance(d, datetime) or not isinstance(d, date) for d in days):
                raise ValueError(f"{name} 须为日期（date）的集合")
            object.__setattr__(self, name, days)
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"时区不正确：{self.tz!r}") from None

    # ---- days ------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def is_working_day(self, d: date) -> bool:
        """The community's own days, then the statutory calendar (in the years it knows), then
        the weekday (module docstring). An aware datetime is first converted to the local date."""
        if isinstance(d, datetime):
            d = d.astimezone(self.zone).date() if d.tzinfo else d.date()
        if d in self.extra_workdays:
            return True
        if d in self.holidays:
            return False
        if self.statutory:
            if d in _STATUTORY_ON:
                return True
            if d in _STATUTORY_OFF:
                return False
        return d.weekday() in self.weekdays

    # ---- public operations -------------------------------------------------------------------

    def add(self, start: datetime, spec: str, working: bool) -> datetime:
        """The deadline `spec` after `start` (UTC-aware). working=False: literal wall-clock
        duration. working=True: working minutes/hours and working days as described above."""
        _require_aware(start, "开始时间")
        days, minutes = parse_spec(spec)
        if not working:
            return _utc(start) + timedelta(days=days, minutes=minutes)
        self._require_working_time()
        t = self._first_instant(self._local(start))
        if days:
            t = self._add_days(t, days)
        if minutes:
            t = self._add_working(t, timedelta(minutes=minutes))
        return self._to_utc(t)

    def next_working_instant(self, t: datetime) -> datetime:
        """t itself (in UTC) when it falls inside a working period, else the start of the next
        working period. A period's end instant is not inside it (12:00 -> 14:00)."""
        _require_aware(t)
        self._require_working_time()
        return self._to_utc(self._first_instant(self._local(t)))

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Working seconds (whole, rounded down) in [a, b); 0 when b is not after a. Cost grows
        with the number of calendar days between a and b."""
        _require_aware(a)
        _require_aware(b)
        la, lb = self._local(a), self._local(b)
        if lb <= la or not self.periods:
            return 0
        total = timedelta()
        d, last = la.date(), lb.date()
        while d <= last:
            if self.is_working_day(d):
                for ps, pe in self.periods:
                    s = max(datetime.combine(d, ps), la)
                    e = min(datetime.combine(d, pe), lb)
                    if e > s:
                        total += e - s
            d += _ONE_DAY
        return int(total.total_seconds())

    def extend(self, deadline: datetime, seconds: int, working: bool) -> datetime:
        """Move `deadline` later by `seconds` (UTC-aware result), e.g. by the working time a
        ticket was paused: extend(d, cal.working_seconds_between(paused, resumed), True).
        working=False adds wall-clock seconds. working=True adds working seconds, counting from
        the next working instant when the deadline lies outside working hours (a deadline at
        18:00 extended by 30 minutes becomes 09:00 on the next working day). 0 seconds returns
        the deadline unchanged. Negative seconds raise ValueError."""
        _require_aware(deadline, "时限")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"延长的秒数须为非负数：{seconds!r}")
        if seconds == 0:
            return _utc(deadline)
        if not working:
            return _utc(deadline) + timedelta(seconds=seconds)
        if seconds > MAX_SEARCH_DAYS * 86400:
            raise ValueError(f"延长的时间过长：{seconds} 秒")
        self._require_working_time()
        return self._to_utc(self._add_working(self._local(deadline), timedelta(seconds=seconds)))

    # ---- internals: local naive wall-clock datetimes -------------------------------------------

    def _local(self, t: datetime) -> datetime:
        return t.astimezone(self.zone).replace(tzinfo=None)

    def _to_utc(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.zone).astimezone(timezone.utc)

    def _require_working_time(self) -> None:
        if not self.periods:
            raise ValueError("工作日历没有设置工作时段")
        if not self.weekdays and not self.extra_workdays and not self.statutory:
            raise ValueError("工作日历没有任何工作日")

    def _no_working_time(self, start: date) -> ValueError:
        return ValueError(
            f"自 {start.isoformat()} 起 {MAX_SEARCH_DAYS} 天内找不到足够的工作时间，"
            "请检查工作日、节假日和调休设置"
        )

    def _intervals_from(self, t: datetime):
        """Working intervals (start, end) in order, clipped to begin at t, skipping any that
        end at or before t. Raises ValueError after MAX_SEARCH_DAYS calendar days."""
        d = first = t.date()
        limit = first + timedelta(days=MAX_SEARCH_DAYS)
        while d <= limit:
            if self.is_working_day(d):
                for ps, pe in self.periods:
                    e = datetime.combine(d, pe)
                    if e > t:
                        yield max(datetime.combine(d, ps), t), e
            d += _ONE_DAY
        raise self._no_working_time(first)

    def _first_instant(self, t: datetime) -> datetime:
        for s, _ in self._intervals_from(t):
            return s
        raise AssertionError("unreachable")  # _intervals_from raises when it runs out

    def _add_working(self, t: datetime, delta: timedelta) -> datetime:
        for s, e in self._intervals_from(t):
            available = e - s
            if delta <= available:
                return s + delta
            delta -= available
        raise AssertionError("unreachable")

    def _add_days(self, t: datetime, n: int) -> datetime:
        """The same clock time on the n-th working day after t's date."""
        d = first = t.date()
        limit = first + timedelta(days=MAX_SEARCH_DAYS)
        while n:
            d += _ONE_DAY
            if d > limit:
                raise self._no_working_time(first)
            if self.is_working_day(d):
                n -= 1
        return datetime.combine(d, t.time())
