"""Whatever a user types into a form [issue 14]: record ids parsed once (a URL converter and a
form field, 1 … 2^31−1 as the INTEGER id columns hold), dates and times inside named limits, every message in Chinese, and
one-time keys issued by the server so that no POST writes twice. On both databases."""
import importlib
import pkgutil
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import Form as WTForm
from wtforms.fields import FieldList, FormField, SelectFieldBase
from wtforms.validators import Length

import propsvc
from conftest import csrf_token, form_key, login, post
from propsvc.core import idempotency, limits
from propsvc.core.forms import ID_MAX, Form, SubForm, parse_id
from propsvc.core.timefmt import site_now, site_today
from propsvc.extensions import db
from propsvc.tickets.models import Outage, Ticket
from test_tickets import _dispatched, client_for, intake, site, step, ticket  # noqa: F401 (site: fixture)

TOO_BIG = str(2**63)  # 9223372036854775808, as the issue tried; 2^31 (ID_MAX + 1) too below
ENGLISH = re.compile(r"[A-Za-z]{3,}")
PROPER_NAMES = {"Excel"}  # a product's name inside a Chinese sentence


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def local(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def text_of(resp) -> str:
    return resp.get_data(as_text=True)


# --- 1. ids parsed once ------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("1", 1), (str(ID_MAX), ID_MAX), (str(ID_MAX + 1), None), (str(2**63 - 1), None), (TOO_BIG, None), ("0", None), ("-1", None), ("+1", None), ("007", None),
    ("１２", None), ("²", None), ("1e3", None), (" 1", None), ("", None), (None, None), (12, 12), (0, None),
    (True, None), ("9" * 400, None)])
def test_ids_are_1_to_id_max_in_ascii_digits(value, expected):
    assert parse_id(value) == expected


def test_ids_every_route_with_an_id_uses_the_id_converter(app):
    from werkzeug.routing import IntegerConverter

    from propsvc.core.web import IdConverter

    with_ids = [r for r in app.url_map.iter_rules() if any(a.endswith("_id") for a in r.arguments)]
    assert len(with_ids) > 60
    for rule in with_ids:
        for name, conv in rule._converters.items():
            assert not isinstance(conv, IntegerConverter), rule.rule
            if name.endswith("_id"):
                assert isinstance(conv, IdConverter), rule.rule
    source = "\n".join(p.read_text() for p in Path(propsvc.__file__).parent.rglob("*.py"))
    assert "<int:" not in source


@pytest.fixture
def admin_everything(app, make, site):
    """A signed-in user with every role in the site's community (so access lets every route in)."""
    from propsvc.core.roles import Role

    user = make.user(*[r.value for r in Role], communities=[site["community"]], username="allroles")
    client = app.test_client()
    assert login(client, user.username).status_code == 303
    return client


def test_ids_out_of_range_in_any_path_are_404_never_500(app, site, admin_everything):
    """/tickets/9223372036854775808 and every other route with an id in its path, GET and POST."""
    token = csrf_token(admin_everything)
    seen = 0
    for rule in app.url_map.iter_rules():
        ids = [a for a in rule.arguments if a.endswith("_id")]
        if not ids:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<id:{name}>", TOO_BIG).replace(f"<{name}>", "phone" if name == "attr" else "x")
        for bad in (path, path.replace(TOO_BIG, "0"), path.replace(TOO_BIG, "%EF%BC%91")):  # 2^63, 0, full-width １
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                resp = (admin_everything.get(bad) if method == "GET"
                        else admin_everything.post(bad, data={"csrf_token": token}))
                # (a POST to a path another rule serves by GET only may answer 405: still no route)
                assert resp.status_code in ((404,) if method == "GET" else (404, 405)), (method, bad, resp.status_code)
                seen += 1
        largest = path.replace(TOO_BIG, str(ID_MAX))  # a valid id no row has: the view's 404, never 500
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = (admin_everything.get(largest) if method == "GET" else admin_everything.post(
                largest, data={"csrf_token": token, "client_key": form_key(app)}))
            assert resp.status_code < 500, (method, largest, resp.status_code)
    assert seen > 150
    for ident in (TOO_BIG, 2**63 - 1, ID_MAX + 1, ID_MAX):  # ID_MAX: a valid id, no such ticket
        resp = admin_everything.get(f"/tickets/{ident}")
        assert resp.status_code == 404, ident
        # the same 404 page whether no route or no row: the top bar keeps the community's name
        assert site["community"].name in resp.get_data(as_text=True), ident


@pytest.mark.parametrize("url, fields, model", [
    ("/tickets/new", {"kind": "repair", "channel": "phone", "building_id": "0", "urgency": "normal",
                      "description": "漏水"}, Ticket),
    ("/slips/new", {"applicant_role": "owner", "applicant_name": "王建国", "carrier_name": "张三",
                    "carrier_id_number": "110101199003071233", "carrier_phone": "13812345678",
                    "items-0-name": "沙发", "items-0-qty": "1", "sign_on_paper": "y"}, "ReleaseSlip"),
    ("/desk/visitors/new", {"visitor_name": "陈小明", "phone": "13912345678", "purpose": "family",
                            "party_size": "1"}, "Visit"),
    ("/errands/parcels/new", {"courier": "顺丰", "shelf": "A-03", "recipient_name": "王建国"}, "Parcel"),
    ("/renovations/new", {"applicant_role": "owner", "lead_name": "李师傅", "lead_phone": "13812345678",
                          "lead_id_number": "110101199003071233", "scope": "刷墙"}, "Renovation"),
])
def test_ids_a_unit_id_of_2_63_in_a_form_is_a_field_error_and_nothing_is_written(app, site, url, fields, model):
    from propsvc import models as all_models  # noqa: F401
    from propsvc.errands.models import Parcel
    from propsvc.frontdesk.models import Visit
    from propsvc.renovation.models import Renovation
    from propsvc.slips.models import ReleaseSlip

    model = {"ReleaseSlip": ReleaseSlip, "Visit": Visit, "Parcel": Parcel, "Renovation": Renovation}.get(model, model)
    desk = client_for(app, site["users"]["front_desk"])
    if url == "/renovations/new":
        fields = {**fields, "starts_on": site_today().isoformat()}
    if url == "/slips/new":
        fields = {**fields, "moving_on": site_today().isoformat()}
    if url == "/tickets/new":
        fields = {**fields, "category_id": str(site["cats"]["水电气维修"])}
    for bad in (TOO_BIG, str(ID_MAX + 1), "-1", "１", "3-2-1201"):
        resp = post(desk, url, {**fields, "unit_id": bad}, content_type="multipart/form-data")
        assert resp.status_code == 422, (bad, resp.status_code)
        assert "请从列表中选择房屋。" in text_of(resp), bad
    # NUL in any field is refused before the form is read (core.web), in Chinese
    resp = post(desk, url, {**fields, "unit_id": "1\x00"}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "空字符" in text_of(resp)
    assert count(app, model) == 0


def test_ids_attaching_a_caller_to_ticket_2_63_is_refused(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = post(desk, "/tickets/new/attach", {"ticket_id": TOO_BIG, "unit_id": str(site["unit"].id),
                                               "channel": "phone"})
    assert resp.status_code == 400
    resp = post(desk, "/tickets/new/attach", {"ticket_id": "1", "unit_id": TOO_BIG, "channel": "phone"})
    assert resp.status_code in (400, 404)


@pytest.mark.parametrize("url", [
    f"/tickets/queue?building={TOO_BIG}&department={TOO_BIG}", f"/renovations/board?building={TOO_BIG}",
    f"/tickets/analysis?building_id={TOO_BIG}&category_id=²", f"/privacy/audit?user={TOO_BIG}",
    f"/patrols/records?steward_id={TOO_BIG}&building_id=²&page=²", f"/desk/visitors/new?fill={TOO_BIG}",
    f"/tickets/new?unit_id={TOO_BIG}&unit_q=3-2-1201", f"/slips/new?unit_id=²",
])
def test_ids_in_a_query_string_are_ignored_never_500(app, site, admin_everything, url):
    assert admin_everything.get(url).status_code in (200, 422), url


def test_ids_a_plan_id_out_of_range_is_404(app, site, admin_everything):
    assert admin_everything.get(f"/patrols/start?plan_id={TOO_BIG}").status_code == 404


# --- 2. dates with sense -----------------------------------------------------------------------

def _in_progress(app, site):
    t, desk, sup = _dispatched(app, site)
    tech = client_for(app, site["users"]["technician"])
    assert step(tech, t, "accept").status_code == 303
    return t, tech


def test_dates_pause_until_1970_or_0001_or_beyond_the_limit_is_refused(clock, app, site):
    t, tech = _in_progress(app, site)
    now = site_now().replace(tzinfo=None)
    for bad in ("1970-01-01T08:00", "0001-01-01T00:00", "9999-12-31T23:59", local(now - timedelta(hours=1)),
                local(now + timedelta(days=limits.PAUSE_DAYS + 1)), "明天上午"):
        resp = step(tech, t, "pause", text="业主不在家", until=bad)
        assert resp.status_code == 422, bad
        assert re.search(r"预约时间须晚于现在|日期不正确（年份|时间格式不正确", text_of(resp)), bad
    assert ticket(app, t.id).paused_at is None
    resp = step(tech, t, "pause", text="业主不在家", until=local(now + timedelta(days=3)))
    assert resp.status_code == 303
    assert ticket(app, t.id).paused_at is not None


def test_dates_delay_to_9999_or_the_past_is_refused_within_a_year_accepted(clock, app, site):
    t, tech = _in_progress(app, site)
    now = site_now().replace(tzinfo=None)
    for bad in ("9999-12-31T23:59", "0001-01-01T00:00", "1970-01-01T08:00", local(now - timedelta(minutes=5)),
                local(now + timedelta(days=limits.DELAY_DAYS + 2))):
        resp = step(tech, t, "delay", text="等材料", expected_at=bad)
        assert resp.status_code == 422, bad
        assert "新的预计完成时间须晚于现在，且在一年之内。" in text_of(resp) or "年份须在" in text_of(resp), bad
    assert ticket(app, t.id).expected_at is None
    assert step(tech, t, "delay", text="等材料", expected_at=local(now + timedelta(days=300))).status_code == 303


def test_dates_promised_reply_and_intake_reply_due_in_year_0001_are_field_errors(clock, app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = intake(desk, site, kind="inquiry", answer_now="later", reply_due="0001-01-01T00:00")
    assert resp.status_code == 422 and "年份须在2000至2100之间" in text_of(resp)
    resp = intake(desk, site, kind="inquiry", answer_now="later", reply_due="1970-01-01T08:00")
    assert resp.status_code == 422 and "年份须在2000至2100之间" in text_of(resp)
    yesterday = local(site_now().replace(tzinfo=None) - timedelta(days=1))
    resp = intake(desk, site, kind="inquiry", answer_now="later", reply_due=yesterday)
    assert resp.status_code == 422 and "约定答复时间须晚于现在" in text_of(resp)
    assert count(app, Ticket) == 0
    assert intake(desk, site, kind="inquiry", answer_now="now", answer="可以按季度交").status_code == 303
    t = ticket(app)
    for bad in ("0001-01-01T00:00", "9999-12-31T23:59"):
        assert step(desk, t, "promise", reply_due=bad).status_code == 422


def _outage(client, site, starts, ends):
    return post(client, "/tickets/settings/outages", {
        "outage-what": "停水", "outage-building_ids": [str(site["building"].id)], "outage-starts_at": starts,
        "outage-ends_at": ends, "outage-script": "管道抢修，请提前储水。"})


def test_dates_outage_may_start_a_little_in_the_past_and_ends_after_it_starts(clock, app, site):
    sup = client_for(app, site["users"]["supervisor"])
    now = site_now().replace(tzinfo=None)
    later = local(now + timedelta(hours=5))
    cases = [("1970-01-01T08:00", later, "年份须在2000至2100之间"),  # would be shown as live at once
             ("0001-01-01T00:00", later, "年份须在"),
             (local(now - timedelta(hours=limits.OUTAGE_BACK_HOURS + 1)), later, "开始时间最早为24小时前"),
             (local(now + timedelta(days=limits.OUTAGE_AHEAD_DAYS + 1)), "2099-01-01T00:00", "最晚为90天后"),
             (local(now + timedelta(hours=2)), local(now + timedelta(hours=1)), limits.OUTAGE_LENGTH_MESSAGE),
             (local(now), local(now + timedelta(days=limits.OUTAGE_MAX_DAYS + 1)), limits.OUTAGE_LENGTH_MESSAGE),
             (local(now), "9999-12-31T23:59", "年份须在")]
    for starts, ends, message in cases:
        resp = _outage(sup, site, starts, ends)
        assert resp.status_code == 422 and message in text_of(resp), (starts, ends)
    assert count(app, Outage) == 0
    assert _outage(sup, site, local(now - timedelta(hours=2)), later).status_code == 303
    assert count(app, Outage) == 1


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_dates_year_0001_and_9999_are_field_errors_in_every_date_form(clock, app, site, year):
    """The renovation, a slip, a notice, a cover, a holiday: a field error, never 500."""
    day = f"{year}-01-01"
    desk = client_for(app, site["users"]["front_desk"])
    sup = client_for(app, site["users"]["supervisor"])
    base = {"unit_id": str(site["unit"].id), "applicant_role": "owner", "lead_name": "李师傅",
            "lead_phone": "13812345678", "lead_id_number": "110101199003071233", "scope": "刷墙"}
    assert post(desk, "/renovations/new", {**base, "starts_on": day}).status_code == 422
    assert post(desk, "/renovations/new", {**base, "starts_on": site_today().isoformat(),
                                           "ends_on": day}).status_code == 422
    resp = post(sup, "/notices/new", {"kind": "notice", "title": "停水", "body": "停水通知", "valid_from": day,
                                      "valid_until": site_today().isoformat()})
    assert resp.status_code == 422 and "年份须在" in text_of(resp)
    resp = post(sup, "/privacy/covers", {"user_id": "1", "for_user_id": "2", "starts_on": day, "ends_on": day})
    assert resp.status_code == 422
    resp = post(sup, "/tickets/settings/holidays", {"holiday-day": day, "holiday-workday": "0"})
    assert resp.status_code == 422 and "年份须在" in text_of(resp)
    resp = post(desk, "/slips/new", {"unit_id": str(site["unit"].id), "moving_on": day})
    assert resp.status_code == 422 and "年份须在" in text_of(resp)


def test_dates_renovation_start_and_length_are_inside_their_limits(clock, app, site):
    from propsvc.renovation.models import Renovation

    desk = client_for(app, site["users"]["front_desk"])
    today = site_today()
    base = {"unit_id": str(site["unit"].id), "applicant_role": "owner", "lead_name": "李师傅",
            "lead_phone": "13812345678", "lead_id_number": "110101199003071233", "scope": "刷墙"}
    for starts, ends, message in [
            (today - timedelta(days=limits.RENOVATION_BACK_DAYS + 1), None, limits.RENOVATION_STARTS.message),
            (today + timedelta(days=400), None, limits.RENOVATION_STARTS.message),
            (today, today, limits.RENOVATION_LENGTH_MESSAGE),
            (today, today + timedelta(days=800), limits.RENOVATION_LENGTH_MESSAGE)]:
        data = {**base, "starts_on": starts.isoformat(), "ends_on": ends.isoformat() if ends else ""}
        resp = post(desk, "/renovations/new", data, content_type="multipart/form-data")
        assert resp.status_code == 422 and message in text_of(resp), (starts, ends)
    assert count(app, Renovation) == 0


def test_dates_limits_are_named_in_one_place():
    windows = {k: v for k, v in vars(limits).items() if isinstance(v, limits.Window)}
    assert {"TICKET_PAUSE_UNTIL", "TICKET_DELAY_TO", "OUTAGE_STARTS", "RENOVATION_STARTS"} <= set(windows)
    for name, w in windows.items():
        assert w.back >= timedelta(0) and w.ahead > timedelta(0) and not ENGLISH.search(w.message), name


# --- 3. every message in Chinese ---------------------------------------------------------------

def _all_form_classes() -> list[type]:
    for mod in pkgutil.walk_packages(propsvc.__path__, "propsvc."):
        importlib.import_module(mod.name)
    seen, todo = set(), [WTForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted((c for c in seen if c.__module__.startswith("propsvc.")), key=lambda c: c.__qualname__)


def _english(message: str) -> bool:
    """English words outside what the user typed (quoted “…”), acronyms and names aside."""
    message = re.sub(r"“[^”]*”", "", message)
    words = [w for w in ENGLISH.findall(message) if not w.isupper() and w not in PROPER_NAMES]
    return bool(words) or not re.search(r"[\u4e00-\u9fff]", message)


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [m for v in errors.values() for m in _messages(v)]
    if isinstance(errors, (list, tuple)):
        return [m for v in errors for m in _messages(v)]
    return [str(errors)]


def _make(cls, formdata):
    kw = {"buildings": ()} if "buildings" in cls.__init__.__code__.co_varnames else {}
    form = cls(formdata=formdata, meta={"csrf": False}, **kw) if issubclass(cls, FlaskForm) else cls(formdata)
    for field in _fields(form):
        if isinstance(field, SelectFieldBase) and getattr(field, "choices", None) is None:
            field.choices = []  # the view fills these in
    return form


def _fields(form):
    for field in form:
        if isinstance(field, FormField):
            yield from _fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field:
                yield from (_fields(entry.form) if isinstance(entry, FormField) else [entry])
        else:
            yield field


PROVOCATIONS = ["", "x" * 5001, "not-a-choice", TOO_BIG, "-1", "abc", "0001-01-01", "9999-12-31T23:59", "25:61",
                "1e999999", "NaN", "\x00", "😀" * 300, "１２"]


def test_messages_every_form_speaks_chinese_whatever_is_typed(app):
    classes = _all_form_classes()
    assert len(classes) >= 50
    offenders, provoked = [], 0
    with app.test_request_context("/", method="POST"):
        for cls in classes:
            assert issubclass(cls, (Form, SubForm)), f"{cls.__module__}.{cls.__qualname__}: use core.forms.Form"
            names = [f.name for f in _fields(_make(cls, None)) if f.type != "CSRFTokenField"]
            for value in PROVOCATIONS:
                form = _make(cls, MultiDict({n: value for n in names}))
                form.validate()  # any exception here would be a 500
                for m in _messages(form.errors):
                    provoked += 1
                    if _english(m):
                        offenders.append(f"{cls.__module__}.{cls.__qualname__}: {value[:12]!r} → {m}")
    assert offenders == [], "\n".join(sorted(set(offenders)))
    assert provoked > 500


def test_messages_wtforms_own_come_from_its_chinese_catalogue(app):
    """FlaskForm alone would answer in English (its Meta asks Flask-Babel, absent here); the base
    Form asks WTForms' own zh catalogue. "Field cannot be longer than 3 characters" → Chinese."""
    from wtforms import SelectField, StringField

    class Plain(FlaskForm):
        name = StringField(validators=[Length(max=3)])

    class Ours(Form):
        name = StringField(validators=[Length(max=3)])
        pick = SelectField(choices=[("a", "甲")])

    with app.test_request_context("/", method="POST"):
        data = MultiDict({"name": "abcd", "pick": "zz"})
        plain, ours = Plain(data, meta={"csrf": False}), Ours(data, meta={"csrf": False})
        plain.validate(), ours.validate()
        assert plain.name.errors == ["Field cannot be longer than 3 characters."]
        assert ours.name.errors == ["字段长度不能超过 3 个字符。"]
        assert ours.pick.errors == ["不是有效的选择。"]


# --- 4. one-time keys without holes -----------------------------------------------------------

def _visit(site, **over):
    return {"visitor_name": "陈小明", "phone": "13912345678", "unit_id": str(site["unit"].id),
            "purpose": "family", "party_size": "1", **over}


def test_keys_an_empty_missing_or_made_up_key_is_refused_and_writes_nothing(app, site):
    from propsvc.frontdesk.models import Visit

    desk = client_for(app, site["users"]["front_desk"])
    for key in ("", None, "", "made-up-by-the-phone", "abc.def", form_key(app, "x") + "0"):
        data = {**_visit(site), "csrf_token": csrf_token(desk)}
        if key is not None:
            data["client_key"] = key
        resp = desk.post("/desk/visitors/new", data=data)  # as sent, not as the page would
        assert resp.status_code == 400, key
        assert "表单已失效（缺少一次性提交码）" in text_of(resp)
    assert count(app, Visit) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(idempotency.SubmissionKey)) == 0


def test_keys_the_same_key_twice_writes_once_and_goes_where_the_first_went(app, site):
    from propsvc.frontdesk.models import Visit

    desk = client_for(app, site["users"]["front_desk"])
    first = post(desk, "/desk/visitors/new", _visit(site, client_key="twice"))
    again = post(desk, "/desk/visitors/new", _visit(site, client_key="twice"))
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert count(app, Visit) == 1
    assert "未重复登记" in text_of(desk.get(again.headers["Location"]))


def test_keys_every_step_of_a_ticket_acts_once_per_key(app, site):
    t, tech = _in_progress(app, site)
    for _ in range(2):
        assert step(tech, t, "note", text="已到现场", client_key="note-1").status_code == 303
    with app.app_context():
        from propsvc.core.models import Event

        assert len(db.session.scalars(select(Event).where(Event.action == "ticket.note")).all()) == 1


def test_keys_a_refused_form_leaves_its_key_usable(app, site):
    from propsvc.frontdesk.models import Visit

    desk = client_for(app, site["users"]["front_desk"])
    resp = post(desk, "/desk/visitors/new", _visit(site, visitor_name="", client_key="fix-and-resend"))
    assert resp.status_code == 422 and count(app, Visit) == 0
    fresh = re.search(r'name="client_key" value="([^"]+)"', text_of(resp)).group(1)
    assert idempotency.issue_key(app=app) != fresh  # the page again, with a new key
    assert post(desk, "/desk/visitors/new", _visit(site, client_key="fix-and-resend")).status_code == 303
    assert count(app, Visit) == 1


def test_keys_a_view_that_starts_its_transaction_afresh_still_spends_the_key(app, site):
    """Changing one's password rolls back before hashing (no transaction held): the key is
    claimed again at the commit, so the same form sent twice changes it once."""
    from conftest import PASSWORD

    steward = client_for(app, site["users"]["steward"])
    data = {"pw-current_password": PASSWORD, "pw-password": "new-pass-123", "pw-password2": "new-pass-123",
            "client_key": "pw-once"}
    assert post(steward, "/account/password", data).status_code == 303
    with app.app_context():
        assert db.session.get(idempotency.SubmissionKey, form_key(app, "pw-once")) is not None
    again = post(steward, "/account/password", data)
    assert again.status_code == 303 and "当前密码不正确" not in text_of(again)


def test_keys_every_keyed_post_route_refuses_a_post_without_a_key(app, site, admin_everything):
    token = csrf_token(admin_everything)
    samples = {"step": "note", "name": "description", "urgency": "normal", "kind": "person", "attr": "phone"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in idempotency.EXEMPT:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<id:{name}>", "1").replace(f"<{name}>", samples.get(name, "x"))
        resp = admin_everything.post(path, data={"csrf_token": token, "client_key": ""})
        assert resp.status_code == 400, (rule.rule, resp.status_code)
        checked += 1
    assert checked > 60


def test_keys_the_exemptions_are_real_routes_each_with_a_reason(app):
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    assert set(idempotency.EXEMPT) <= posts
    assert all(len(why) > 20 for why in idempotency.EXEMPT.values())


def test_keys_every_post_form_in_the_templates_carries_one(app):
    root = Path(propsvc.__file__).parent.parent / "templates"
    exempt_urls = {e.split(".")[1] for e in idempotency.EXEMPT} | {"url", "kiosk_lock", "(self-login)"}
    missing = []
    for path in sorted(root.rglob("*.html")):
        html = path.read_text()
        for m in re.finditer(r'<form\b[^>]*method="post"[^>]*>', html, re.I):
            body = html[m.end():html.find("</form>", m.end())]
            if "form_key()" in body or 'name="client_key"' in body:
                continue
            action = re.search(r'action="([^"]*)"', m.group(0))
            target = action.group(1) if action else path.stem
            if any(e in target for e in exempt_urls) or path.stem in ("login", "kiosk") or "patrols.tap" in body:
                continue
            missing.append(f"{path.relative_to(root)}: {target}")
    assert missing == []


def test_keys_a_rendered_form_carries_a_signed_key(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    keys = [re.search(r'name="client_key" value="([^"]+)"', text_of(desk.get("/desk/visitors/new"))).group(1)
            for _ in range(2)]
    assert keys[0] != keys[1] and all(len(k) <= idempotency.MAX_LENGTH for k in keys)
    with app.test_request_context():
        assert all(idempotency.is_valid(k) for k in keys)


def test_keys_a_refusal_from_a_view_that_committed_gives_its_key_back(tmp_path):
    """A view that commits on its way to a refusal (a page helper keeping what it drew for the
    day) must not spend the form's key: the corrected resend with the same key is acted on, not
    answered as a repeat with nothing saved. A success still spends it."""
    from flask import request
    from flask_migrate import upgrade

    from propsvc import create_app
    from propsvc.core.access import public
    from propsvc.core.models import Event

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'keys.db'}",
                      "SECRET_KEY": "test-secret", "UPLOAD_FOLDER": str(tmp_path / "uploads"), "PDF_CACHE_DIR": ""})

    @app.post("/_test/commit-then-answer")
    @public
    def commit_then_answer():
        db.session.add(Event(action="test.drawn", object_type="test"))  # kept whatever the answer
        db.session.commit()
        if request.form.get("amount") != "5":
            return "金额须为正数", 422
        db.session.add(Event(action="test.saved", object_type="test"))
        db.session.commit()
        return "ok", 200

    with app.app_context():
        upgrade()
    client = app.test_client()
    key = form_key(app, "commit-then-refuse")

    def send(amount):
        return client.post("/_test/commit-then-answer", data={"amount": amount, "client_key": key,
                                                             "csrf_token": csrf_token(client)})

    def actions():
        with app.app_context():
            return [e.action for e in db.session.scalars(select(Event).where(Event.object_type == "test"))]

    assert send("-5").status_code == 422
    with app.app_context():
        assert db.session.get(idempotency.SubmissionKey, key) is None  # given back
    assert send("5").status_code == 200  # the corrected resend, same key: acted on
    assert actions() == ["test.drawn", "test.drawn", "test.saved"]
    assert send("5").status_code == 303  # a success spent it: a repeat does nothing
    assert actions() == ["test.drawn", "test.drawn", "test.saved"]
    with app.app_context():
        db.engine.dispose()
