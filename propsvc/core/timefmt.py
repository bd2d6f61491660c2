"""Times are stored in UTC and shown in the site's zone (China Standard Time)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Asia/Shanghai")


def localtime(dt: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    if dt is None:
        return ""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(SITE_TZ).strftime(fmt)


def from_local(naive: datetime | None) -> datetime | None:
    """A datetime-local form value (site time, no zone) → aware UTC."""
    if naive is None:
        return None
    return naive.replace(tzinfo=SITE_TZ).astimezone(timezone.utc)
