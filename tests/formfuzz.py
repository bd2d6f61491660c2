"""Property-based fuzzing of every form (hypothesis): strategies derived from each form class's
fields, posted through the Flask test client the way a browser would (valid CSRF token, the
form's one-time key as its page issues it), judged by what the server answers and writes.

A submission starts from a valid baseline (tests/form_targets.py) and replaces one, a few or
all of its fields with values people and machines really send: text with NUL, emoji, CJK
Extension-B characters, 10,000 characters; integers 0, -1, 2^31, 2^63; dates in year 1 and
9999; choices valid and invalid; another community's records; empty and missing fields.

Profiles (tests/conftest.py): "ci" (make test, few examples per form) and "long" (make fuzz);
HYPOTHESIS_PROFILE or PROPSVC_FUZZ=long picks one."""
import io
import os
import re
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from wtforms import (BooleanField, DateField, DateTimeField, DecimalField, FieldList, FileField, FormField,
                     HiddenField, IntegerField, MultipleFileField, RadioField, SelectField, SelectMultipleField,
                     TimeField)

from fullsite import jpeg_bytes

CI_EXAMPLES = 4       # random ones per form x route target and database, besides the explicit ones
LONG_EXAMPLES = 500

settings.register_profile("ci", max_examples=CI_EXAMPLES, derandomize=True, deadline=None, database=None,
                          phases=[Phase.explicit, Phase.generate], print_blob=False,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=LONG_EXAMPLES, derandomize=False, deadline=None, database=None,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def profile_name() -> str:
    if os.environ.get("HYPOTHESIS_PROFILE"):
        return os.environ["HYPOTHESIS_PROFILE"]
    return "long" if os.environ.get("PROPSVC_FUZZ") == "long" else "ci"


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()   # the field is not sent at all


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes

    def __repr__(self):
        return f"Upload({self.filename!r}, {len(self.data)} bytes)"

    def file(self):
        return io.BytesIO(self.data), self.filename


BIG = ["2147483648", "9223372036854775807", "9223372036854775808", "18446744073709551616", "1" + "0" * 40]
TEXT = ["", " ", "\x00", "a\x00b", "😀👨‍👩‍👧‍👦🏳️‍🌈", "𠀀𠀁𪚥𰻞", "王\u202e\u200b芳", "测" * 10_000, "x" * 10_000,
        "<script>alert(1)</script>", "' OR 1=1 --", "\r\n\t", "NaN", "３-２-１２０１", "Ａ" * 65]
INTEGERS = ["", "0", "-1", "1.5", "1e3", "abc", "\x00", " 7 ", "０７", "-9223372036854775809", *BIG]
DATES = ["", "0001-01-01", "9999-12-31", "1970-01-01", "2024-02-30", "2026-13-01", "99999-01-01", "x",
         "２０２６-０５-０１", "2026/05/01", "0000-00-00"]
DATETIMES = ["", "0001-01-01T00:00", "9999-12-31T23:59", "1970-01-01T00:00", "2026-05-01T24:00", "2026-05-01",
             "2026-05-01 10:00", "x", "0001-01-01T00:00:00"]
TIMES = ["", "00:00", "23:59", "24:00", "9:00", "25:61", "23:59:59", "x"]
DECIMALS = ["", "0", "-1", "NaN", "sNaN", "Infinity", "-0", "1e400", "0.001", "9" * 30, "1,000", "１００", "12元"]
BOOLEANS = ["y", "", "on", "false", "\x00"]
FILES = [Upload("", b""), Upload("a.jpg", b""), Upload("a.jpg", b"not an image"), Upload("a.exe", b"MZ\x90\x00"),
         Upload("../../../etc/passwd.jpg", b"\xff\xd8\xff"), Upload("测试𠀀.jpg", b"GIF89a")]


def texts():
    return st.sampled_from(TEXT) | st.text(max_size=40)


@dataclass
class FieldSpec:
    name: str          # as posted (with the form's prefix)
    kind: str
    edges: st.SearchStrategy


@dataclass
class Submission:
    """What one example posts: field name -> str | list[str] | Upload | list[Upload] | MISSING."""
    data: dict
    changed: tuple = ()

    def payload(self) -> dict:
        out = {}
        for k, v in self.data.items():
            if v is MISSING:
                continue
            if isinstance(v, Upload):
                out[k] = v.file()
            elif isinstance(v, list) and v and isinstance(v[0], Upload):
                out[k] = [u.file() for u in v]
            else:
                out[k] = v
        return out


def unbound_fields(form_cls) -> list[tuple[str, object]]:
    """The form class's declared fields, in their order (csrf_token is added per instance)."""
    found = []
    for name in dir(form_cls):
        if name.startswith("_"):
            continue
        unbound = getattr(form_cls, name, None)
        if getattr(unbound, "_formfield", False) and hasattr(unbound, "field_class"):
            found.append((unbound.creation_counter, name, unbound))
    return [(name, unbound) for _c, name, unbound in sorted(found, key=lambda t: t[0])]


def _choices(unbound) -> list[str]:
    choices = unbound.kwargs.get("choices") or []
    if isinstance(choices, dict):
        choices = list(choices.keys())
    return [str(c[0] if isinstance(c, (tuple, list)) else c) for c in choices]


def field_specs(form_cls, prefix: str, ids: list[str]) -> list[FieldSpec]:
    """A strategy of edge values for each field. `ids`: record ids of this and another community,
    offered to every integer and id field."""
    pre = f"{prefix}-" if prefix else ""
    specs = []
    for name, unbound in unbound_fields(form_cls):
        if name == "client_key":
            continue  # the one-time key is always the page's own (see formfuzz.key_of)
        cls, posted = unbound.field_class, pre + name
        ints = st.sampled_from(INTEGERS + ids)
        if issubclass(cls, FieldList):
            inner = unbound.args[0] if unbound.args else None
            sub_cls = inner.args[0] if inner is not None and issubclass(inner.field_class, FormField) else None
            for sub_name, sub in unbound_fields(sub_cls) if sub_cls else []:
                for index in (0, 1):
                    sub_posted = f"{posted}-{index}-{sub_name}"
                    sub_edges = ints if issubclass(sub.field_class, IntegerField) else texts()
                    specs.append(FieldSpec(sub_posted, "list-entry", st.just(MISSING) | sub_edges))
            far = st.sampled_from(["7", "8", "99", "2147483648", "9223372036854775808", "-1", "x"])
            specs.append(FieldSpec(f"{posted}-*", "list-index", far))
            continue
        if issubclass(cls, MultipleFileField):
            kind, edges = "files", st.sampled_from([[f] for f in FILES] + [[Upload("a.jpg", jpeg_bytes())] * 7])
        elif issubclass(cls, FileField):
            kind, edges = "file", st.sampled_from(FILES)
        elif issubclass(cls, BooleanField):
            kind, edges = "bool", st.sampled_from(BOOLEANS)
        elif issubclass(cls, TimeField):
            kind, edges = "time", st.sampled_from(TIMES)
        elif issubclass(cls, DateField):
            kind = "date"
            edges = st.sampled_from(DATES) | st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}")
        elif issubclass(cls, DateTimeField):
            kind = "datetime"
            edges = st.sampled_from(DATETIMES) | st.datetimes().map(
                lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}")
        elif issubclass(cls, DecimalField):
            kind, edges = "decimal", st.sampled_from(DECIMALS) | st.decimals(allow_nan=True).map(str)
        elif issubclass(cls, IntegerField):
            kind, edges = "integer", ints | st.integers().map(str)
        elif issubclass(cls, SelectMultipleField):
            valid = _choices(unbound)
            kind = "multi"
            edges = st.sampled_from([[], ["nope"], ["-1"], ["9223372036854775808"], ["\x00"], ids[-1:] or ["0"]]
                                    + ([[valid[0], valid[0]], valid] if valid else []))
        elif issubclass(cls, (SelectField, RadioField)):
            kind = "choice"
            edges = st.sampled_from(["", "nope", "\x00", "-1", *BIG[1:3], *ids, *_choices(unbound)])
        elif issubclass(cls, HiddenField) and (name.endswith("_id") or name == "based_on"):
            kind, edges = "id", ints
        else:
            kind, edges = "text", texts()
        specs.append(FieldSpec(posted, kind, st.just(MISSING) | edges))
    if not specs:  # a button's form (only the CSRF token): send it something it does not expect
        specs.append(FieldSpec(pre + "unexpected", "text", texts()))
    return specs


@st.composite
def submissions(draw, baseline: dict, specs: list[FieldSpec]):
    """The baseline with one, a few or all of its fields replaced by edge values."""
    data = dict(baseline)
    how_many = draw(st.sampled_from([1, 1, 1, 2, 2, 3, len(specs)]))
    chosen = draw(st.lists(st.sampled_from(specs), min_size=1, max_size=max(1, how_many), unique_by=lambda s: s.name))
    for spec in chosen:
        value = draw(spec.edges)
        if spec.kind == "list-index":
            name = spec.name.replace("-*", f"-{value}-name")
            data[name] = draw(texts())
        else:
            data[spec.name] = value
    return Submission(data, tuple(s.name for s in chosen))


SHARPEST = {"date": "0001-01-01", "datetime": "0001-01-01T00:00", "time": "24:00", "id": "9223372036854775808",
            "integer": "9223372036854775808", "decimal": "NaN", "choice": "9223372036854775808"}
LONG_TEXT = "\x00😀𠀀" + "测" * 9_997


def explicit_examples(baseline: dict, specs: list[FieldSpec]) -> list[Submission]:
    """Examples run in every profile, whatever the random draw: each typed field alone at its
    sharpest edge (year 1, 2^63, NaN …), and every text field at once with NUL, emoji, an
    Extension-B character and 10,000 characters."""
    out = [Submission({**baseline, s.name: SHARPEST[s.kind]}, (s.name,)) for s in specs if s.kind in SHARPEST]
    texts_ = [s.name for s in specs if s.kind == "text"]
    if texts_:
        out.append(Submission({**baseline, **{n: LONG_TEXT for n in texts_}}, tuple(texts_)))
    return out


# --- judging an answer ----------------------------------------------------------------------

ERROR_MARK = re.compile(r'class="[^"]*\b(error|has-error)\b|role="alert"')


def refused(resp) -> bool:
    """The server said no: a 4xx, or the form again with its messages."""
    if resp.status_code >= 400:
        return True
    if resp.status_code < 300:
        return bool(ERROR_MARK.search(resp.get_data(as_text=True)))
    return False


def row_counts(db) -> dict[str, int]:
    """Every table's row count, in one query."""
    from sqlalchemy import text

    tables = [t.name for t in db.metadata.sorted_tables]
    sql = " union all ".join(f"select '{t}', count(*) from \"{t}\"" for t in tables)
    with db.engine.connect() as conn:
        return dict(conn.execute(text(sql)).all())


class ErrorLog:
    """Catches the app's 'unhandled error' log records (core.web's 500 handler) with their
    traceback, so a 500 is reported with where it came from."""

    def __init__(self):
        self.records = []

    def install(self, app):
        import logging

        log = self

        class Handler(logging.Handler):
            def emit(self, record):
                if record.exc_info:
                    log.records.append(record.exc_info)

        self.handler = Handler(level=logging.ERROR)
        app.logger.addHandler(self.handler)

    def remove(self, app):
        app.logger.removeHandler(self.handler)

    def take(self) -> str:
        """Where the last error was raised: exception and the innermost propsvc frames."""
        if not self.records:
            return "no traceback logged"
        typ, exc, tb = self.records[-1]
        self.records.clear()
        frames = [f for f in traceback.extract_tb(tb) if "/propsvc/" in f.filename]
        where = " <- ".join(f"{f.filename.split('/propsvc/')[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-3:]))
        return f"{typ.__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''} at {where}"


@dataclass
class Finding:
    target: str
    kind: str          # "5xx" | "partial write" | "other community"
    detail: str
    fields: tuple
    sample: dict = field(default_factory=dict)

    def line(self) -> str:
        shown = {k: _short(v) for k, v in self.sample.items() if k in self.fields}
        return f"{self.target}: {self.kind}: {self.detail} -- fields {shown}"


def _short(v):
    if isinstance(v, str) and len(v) > 24:
        return f"{v[:12]!r}…({len(v)} chars)"
    return v


def now_local(hours=0, days=0) -> str:
    from propsvc.core.timefmt import SITE_TZ

    return (datetime.now(SITE_TZ) + timedelta(hours=hours, days=days)).strftime("%Y-%m-%dT%H:%M")


def today_plus(days=0) -> str:
    from propsvc.core.timefmt import site_today

    return (site_today() + timedelta(days=days)).isoformat()


KEY_INPUT = re.compile(r"<input\b[^>]*>", re.S)


def key_of(html: str, name: str, suffix: str | None = None) -> str | None:
    """The value of the hidden input `name` on the page (the form's one-time key); with several
    (a ticket page has one "key" per step), the one ending in `suffix`."""
    values = []
    for tag in KEY_INPUT.findall(html):
        if f'name="{name}"' in tag:
            m = re.search(r'value="([^"]*)"', tag)
            if m and m.group(1):
                values.append(m.group(1))
    if suffix:
        values = [v for v in values if v.endswith(suffix)] or values
    return values[0] if values else None


def fresh_key() -> str:
    return uuid.uuid4().hex
