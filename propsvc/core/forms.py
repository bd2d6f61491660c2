"""Form pieces every area uses.

- `Form` (and `SubForm` for a FormField's rows): the base of every form. WTForms' own messages
  ("Field cannot be longer than 64 characters", "Not a valid choice") come from the Chinese
  catalogue WTForms ships (locale zh). Flask-WTF's FlaskForm.Meta would hand translation to
  Flask-Babel, which this app does not use, and fall back to English; the Meta below asks
  WTForms' own catalogue instead (tests/test_forms.py proves which message comes out).
- Record ids (`parse_id`, `IdField`, `record_id` for select fields): 1 … ID_MAX in ASCII digits,
  anything else a field error in Chinese, so no query ever sees an id the database cannot hold.
  The URL converter `id` (core.web) uses the same `parse_id`.
- Dates and times (`ChineseDateField`, `ChineseDateTimeField`): blank is "not filled in", a bad
  value or a year outside 2000–2100 is a Chinese field error; `Within` and `After` apply the
  named limits of core.limits.
- Shared pieces: `MultiCheckboxField` (checkboxes instead of a multi-select), `WEEKDAY_LABELS`,
  `IMAGE_EXTS` (photo uploads).
- The one-time form key is not a field: templates render `form_key()` (core.idempotency).
"""
import re
from datetime import datetime, timedelta

from flask_wtf import FlaskForm
from wtforms import (DateField, DateTimeLocalField, DecimalField, Form as _WTForm, HiddenField, IntegerField,
                     SelectMultipleField, TimeField)
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from . import limits
from .timefmt import site_now, site_today

LOCALES = ("zh",)


class _ChineseMeta:
    locales = LOCALES

    def get_translations(self, form):
        # FlaskForm.Meta.get_translations goes through Flask-Babel when WTF_I18N_ENABLED (its
        # default) and returns None without it, i.e. English. WTForms' own lookup reads `locales`.
        return DefaultMeta.get_translations(self, form)


class Form(FlaskForm):
    """The base of every form of the app (CSRF from Flask-WTF, messages in Chinese)."""

    class Meta(_ChineseMeta):
        pass


class SubForm(_WTForm):
    """The base of a form used inside a FormField (no CSRF of its own), messages in Chinese."""

    class Meta(_ChineseMeta):
        pass


def Required(message: str):
    """Required, silent when the value did not parse (its own message is already there)."""

    def check(form, field):
        if field.data in (None, "", []) and not field.process_errors:
            raise StopValidation(message)
    return check


# --- record ids ----------------------------------------------------------------------------

# The id columns are INTEGER (migrations 0001…): 32 bits on PostgreSQL, so an id above 2^31−1
# ("integer out of range") could never name a row and must not reach a query. (2^63−1, the
# BIGINT limit, would still fail there: widen this only together with the columns.)
ID_MAX = 2**31 - 1
_ID_RE = re.compile(r"[1-9][0-9]{0,9}")


def parse_id(value) -> int | None:
    """A record id (from a path, a form or a query string): 1 … ID_MAX written in ASCII digits
    without a sign or leading zeros; None for anything else (full-width or other digits too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= ID_MAX else None
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        return None
    n = int(value)
    return n if n <= ID_MAX else None


def record_id(value) -> int:
    """`coerce` for a select or checkboxes of records: an id, or 0 for the "none" choice
    ("" or "0"); ValueError otherwise (the field reports it)."""
    if value in (None, "", "0", 0):
        return 0
    n = parse_id(value)
    if n is None:
        raise ValueError("请从列表中选择。")
    return n


class IdField(HiddenField):
    """A record's id carried by a form (the chosen unit, person, plan…): an int, or None when
    empty; anything else is the field's error `invalid` (no query ever sees it)."""

    def __init__(self, label=None, validators=None, invalid: str = "请从列表中选择。", **kw):
        super().__init__(label, validators, **kw)
        self.invalid = invalid

    def process_formdata(self, valuelist):
        raw = valuelist[0] if valuelist else None
        self.data = None
        if raw is None or not str(raw).strip():
            return
        n = parse_id(str(raw).strip())
        if n is None:
            raise ValueError(self.invalid)
        self.data = n

    def _value(self):
        return "" if self.data is None else str(self.data)


# --- numbers -------------------------------------------------------------------------------

class _ChineseParseError:
    """Replaces the field's parse error with `parse_error` (a class default, or per field)."""

    parse_error = "格式不正确。"

    def __init__(self, *a, parse_error: str | None = None, **kw):
        super().__init__(*a, **kw)
        if parse_error:
            self.parse_error = parse_error

    def process_formdata(self, valuelist):
        if valuelist and not "".join(str(v) for v in valuelist).strip():
            self.data = None  # blank: "not filled in" (the required check speaks), not a bad value
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.parse_error) from None


class ChineseIntegerField(_ChineseParseError, IntegerField):
    parse_error = "请填写整数。"


class ChineseDecimalField(_ChineseParseError, DecimalField):
    parse_error = "请填写金额，如 20 或 20.50。"


class ChineseTimeField(_ChineseParseError, TimeField):
    parse_error = "时间格式不正确。"


# --- dates and times -----------------------------------------------------------------------

class _SaneYear(_ChineseParseError):
    """A date or time whose year lies in limits.EARLIEST_YEAR…LATEST_YEAR: 0001 or 9999 is a
    typing slip, refused here before any zone arithmetic (year 1 in UTC+8 overflows)."""

    out_of_range = f"日期不正确（年份须在{limits.EARLIEST_YEAR}至{limits.LATEST_YEAR}之间）。"

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not limits.EARLIEST_YEAR <= self.data.year <= limits.LATEST_YEAR:
            self.data = None
            raise ValueError(self.out_of_range)


class ChineseDateField(_SaneYear, DateField):
    parse_error = "日期格式不正确，请按“年-月-日”填写。"


class ChineseDateTimeField(_SaneYear, DateTimeLocalField):
    """A datetime-local input: naive, on the site's clock (timefmt.from_local makes it UTC)."""

    parse_error = "时间格式不正确。"

    def __init__(self, label=None, validators=None, format="%Y-%m-%dT%H:%M", **kw):
        super().__init__(label, validators, format=format, **kw)


def _now_like(value):
    """Now in the value's terms: today for a date, the site's wall clock for a naive datetime."""
    if isinstance(value, datetime):
        return site_now().replace(tzinfo=None, second=0, microsecond=0)
    return site_today()


class Within:
    """The value lies inside a limits.Window around the moment of posting."""

    def __init__(self, window: limits.Window):
        self.window = window

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        now = _now_like(value)  # a date takes the whole days of the window (date ± timedelta)
        if not now - self.window.back <= value <= now + self.window.ahead:
            raise ValidationError(self.window.message)


class After:
    """The value comes after the field `other` (strictly, or on the same day with
    `same_day=True`), and at most `within` after it."""

    def __init__(self, other: str, within: timedelta, message: str, same_day: bool = False):
        self.other, self.within, self.message, self.same_day = other, within, message, same_day

    def __call__(self, form, field):
        start = form[self.other].data
        if field.data is None or start is None:
            return
        ok = (field.data >= start) if self.same_day else (field.data > start)
        if not ok or field.data - start > self.within:
            raise ValidationError(self.message)


# --- pieces several areas' forms share ----------------------------------------------------

IMAGE_EXTS = ["jpg", "jpeg", "png", "webp", "heic", "heif"]  # photo uploads (photos.services checks the bytes)
WEEKDAY_LABELS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes (weekdays, buildings) instead of a multi-select list. A value not
    offered is refused in Chinese (WTForms' zh catalogue has this message only as "fuzzy", so
    it would come out in English)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        offered = {self.coerce(value) for value, *_ in self.iter_choices()}
        if any(self.coerce(v) not in offered for v in self.data or []):
            raise ValidationError("所选项不在可选范围内，请刷新页面后重新选择。")


class BuildingsField(MultiCheckboxField):
    """The buildings a notice or an event is for (none ticked: the whole community)."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError("所选楼栋不属于本小区。") from None
