"""Validation of Chinese ID numbers and phone numbers, shared by forms, import and demo data."""
import re
from datetime import date

from ..core.timefmt import site_today

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def normalize_id_number(value: str | None) -> str:
    return (value or "").strip().upper()


def is_valid_id_number(value: str | None) -> bool:
    """An 18-character resident ID (GB 11643): digits, a real birth date, the check character."""
    v = normalize_id_number(value)
    if not _ID_RE.match(v):
        return False
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > site_today():
        return False
    return id_check_digit(v[:17]) == v[17]


def normalize_phone(value: str | None) -> str:
    """Drop spaces, brackets and +86; a mobile written 138-1234-5678 loses its hyphens,
    a landline keeps the one after its area code."""
    v = re.sub(r"[\s()]", "", (value or "")).removeprefix("+86")
    bare = v.replace("-", "")
    return bare if _MOBILE_RE.match(bare) else v


def is_valid_phone(value: str | None) -> bool:
    """A mainland mobile number (11 digits) or a landline with area code."""
    v = normalize_phone(value)
    return bool(_MOBILE_RE.match(v) or _LANDLINE_RE.match(v))
