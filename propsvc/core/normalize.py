"""What a person typed, made comparable: one place for search boxes and typed serials.

A Chinese IME gives full-width digits and letters (３-２-１２０１, ＣＲＺ２０２６), full-width or
ideographic spaces, long dashes; a copied text may carry zero-width characters or a NUL. All of
that is read here, once:

* clean_query(): NFKC (full-width → half-width), the dash family → "-", control and format
  characters (NUL, zero-width spaces, BOM, bidi marks) removed, runs of white space → one
  space, trimmed, at most MAX_QUERY_LENGTH characters (QueryTooLong beyond). Empty after
  cleaning means "nothing was asked".
* compact_code(): a code compared without case, width, spaces or dashes (CRZ2026-0001,
  ｃｒｚ２０２６ ０００１ and crz20260001 are one code): tracking numbers, card numbers.
* document_serial(): a typed document serial (permits, passes, extensions, slips:
  <PREFIX><year>-<NNNN>) in its stored form, or "" when it cannot be one.

The unit-code grammar on top of clean_query (3栋二单元, 3#2-1201, 3/2/1201 …) is
propsvc.registry.query.
"""
import re
import unicodedata

__all__ = ["MAX_QUERY_LENGTH", "MAX_RAW_LENGTH", "MAX_SERIAL_LENGTH", "QueryTooLong", "clean_query",
           "compact_code", "document_serial", "half_width"]

MAX_QUERY_LENGTH = 40  # characters of a search after cleaning (a unit code, a name, a phone)
MAX_RAW_LENGTH = 4 * MAX_QUERY_LENGTH  # what is looked at of the raw input at all
MAX_SERIAL_LENGTH = 32  # Document.serial's column

# Hyphens and dashes an IME or a word processor gives for "-" (NFKC keeps most of them).
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u30fc\uff70]")
# Unicode categories dropped: Cc control (NUL, \x7f, C1), Cf format (zero-width space and
# joiners, BOM, bidi marks, soft hyphen), Cs lone surrogates, Co private use, Cn unassigned.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_SERIAL = re.compile(r"([A-Z]{1,8})(\d{4})(\d{1,8})")


class QueryTooLong(ValueError):
    def __init__(self, limit: int = MAX_QUERY_LENGTH):
        super().__init__(f"查询内容太长，请不超过 {limit} 个字。")


def _nfkc(value) -> str:
    if not isinstance(value, str):
        return ""
    return unicodedata.normalize("NFKC", value)


def half_width(value) -> str:
    """NFKC (full-width letters, digits, punctuation and spaces → half-width) and the IME's
    dashes → "-"; nothing else changed (for codes that keep their own rules, e.g. tracking
    numbers)."""
    return _DASHES.sub("-", _nfkc(value))


def clean_query(value, limit: int = MAX_QUERY_LENGTH) -> str:
    """What a search box holds, cleaned (see the module docstring). Raises QueryTooLong."""
    if not isinstance(value, str) or not value:
        return ""
    if len(value) > max(MAX_RAW_LENGTH, 4 * limit):
        raise QueryTooLong(limit)
    text = half_width(value)
    # White space first (tab, newline and the ideographic space count as a space), then the rest.
    text = " ".join(text.split())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED)
    text = " ".join(text.split())
    if len(text) > limit:
        raise QueryTooLong(limit)
    return text


def compact_code(value, limit: int = MAX_RAW_LENGTH) -> str:
    """Upper-case letters and digits only, half-width: for codes compared without case, width,
    spaces or dashes. Other punctuation is dropped too ("CRZ2026/0001", "CRZ 2026.0001")."""
    text = _nfkc(value[:limit] if isinstance(value, str) else "")
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum()).upper()


def document_serial(value) -> str:
    """A typed serial in the stored form <PREFIX><year>-<NNNN>: ｃｒｚ２０２６－０００１,
    crz2026 0001, CRZ20260001 and CRZ2026-1 are all CRZ2026-0001. "" when it cannot be a serial."""
    m = _SERIAL.fullmatch(compact_code(value))
    if m is None:
        return ""
    prefix, year, number = m.groups()
    serial = f"{prefix}{year}-{int(number):04d}"
    return serial if len(serial) <= MAX_SERIAL_LENGTH else ""
