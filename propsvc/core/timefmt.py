"""Times are stored in UTC and shown in the site's zone (China Standard Time)."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Asia/Shanghai")


def localtime(dt: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(SITE_TZ).strftime(fmt)


def when_label(dt: datetime | None, now: datetime | None = None) -> str:
    """A time as a sentence says it: 16:30 today, 明天 09:00, 12月7日 09:00 (site time)."""
    if dt is None:
        return ""
    local, today = site_now(dt), site_today(now)
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"明天 {local:%H:%M}"
    if local.date() == today - timedelta(days=1):
        return f"昨天 {local:%H:%M}"
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def from_local(naive: datetime | None) -> datetime | None:
    """A datetime-local form value (site time, no zone) → aware UTC."""
    if naive is None:
        return None
    return naive.replace(tzinfo=SITE_TZ).astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def site_now(now: datetime | None = None) -> datetime:
    """Now (or `now`) on the site's clock."""
    now = now or utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(SITE_TZ)


def site_today(now: datetime | None = None) -> date:
    """Today's date on the site's clock."""
    return site_now(now).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00, next day 00:00) site time, as aware UTC datetimes."""
    lo = datetime.combine(day, time.min, tzinfo=SITE_TZ).astimezone(timezone.utc)
    return lo, lo + timedelta(days=1)


def parse_iso_day(value: str | None) -> date | None:
    """YYYY-MM-DD from a form, or None when empty, malformed or absurd (outside 2000–2100)."""
    try:
        d = date.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None
    return d if d is None or 2000 <= d.year <= 2100 else None


def day_range(args, *, default_days: int, max_days: int, now: datetime | None = None,
              verb: str = "查询") -> tuple[date, date, list[str]]:
    """A start–end day range from a GET form (`start`, `end`); defaults to the last
    `default_days` days up to today. Bad values are dropped with a message, never an error."""
    errors = []
    start, end = parse_iso_day(args.get("start")), parse_iso_day(args.get("end"))
    if (args.get("start") and start is None) or (args.get("end") and end is None):
        errors.append(f"日期格式不正确，已按默认范围{verb}。")
    end = end or site_today(now)
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        start, end = end, start
        errors.append("开始日期晚于结束日期，已对调。")
    if (end - start).days + 1 > max_days:
        start = end - timedelta(days=max_days - 1)
        errors.append(f"{verb}范围最长{max_days}天，已从{start.isoformat()}起{verb}。")
    return start, end, errors
