"""CSV files that Excel (as used in Chinese offices) opens correctly and safely."""
import csv
import io
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP: CSV injection


def cell(value) -> str:
    """Text as a spreadsheet should show it: a leading =, +, - or @ would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def excel_csv(header: list[str], rows: Iterable[list]) -> str:
    """UTF-8 with a byte-order mark first (so Excel reads the Chinese), CRLF line ends."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow([cell(v) for v in row])
    return buf.getvalue()
