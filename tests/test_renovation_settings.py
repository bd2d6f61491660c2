"""Renovation settings per community (装修设置): the deposit and card fee per worker [R5] and the
default renovation period [R1], edited by the site manager, seen by finance, used by new
passes, the finance page, the recorded payment and new applications."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from conftest import client_for, post
from test_passes import events, pay, register, renovation, workers

URL = "/renovations/settings"


@pytest.fixture
def site(app, make):
    c = make.community("新澳花园")
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201", status="renovating")
    owner = make.person(u, name="王建国")
    users = {r: make.user(r, communities=[c]) for r in
             ("front_desk", "steward", "supervisor", "manager", "finance", "guard", "admin")}
    other = make.community("别的小区")
    return {"community": c, "building": b, "unit": u, "owner": owner, "users": users,
            "other_manager": make.user("manager", communities=[other])}


def save(client, deposit="100", card_fee="5", months="3"):
    return post(client, URL, {"deposit": deposit, "card_fee": card_fee, "default_months": months})


def stored(app, community_id):
    from propsvc.extensions import db
    from propsvc.renovation.models import RenovationSettings

    with app.app_context():
        s = db.session.get(RenovationSettings, community_id)
        return None if s is None else (s.deposit, s.card_fee, s.default_months)


def test_r5_new_deposit_is_asked_shown_to_finance_and_recorded(app, site):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert register(desk, rid, n=1).status_code == 303  # before the change: 100 + 5

    mgr = client_for(app, site["users"]["manager"])
    page = mgr.get(URL).get_data(as_text=True)
    assert 'value="100.00"' in page and 'value="5.00"' in page and 'value="3"' in page
    resp = save(mgr, deposit="200")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(URL)
    assert "押金 100 元 → 200 元" in mgr.get(URL).get_data(as_text=True)
    assert stored(app, site["community"].id) == (Decimal("200.00"), Decimal("5.00"), 3)
    [ev] = events(app, "renovation.settings")
    assert ev.actor_id == site["users"]["manager"].id and ev.community_id == site["community"].id
    assert ev.data == {"changes": {"deposit": {"old": "100.00", "new": "200.00"}}}

    # The registration page tells the new amounts; a new worker is asked for them.
    assert "押金 200 元、工本费 5 元/人" in desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert register(desk, rid, n=2).status_code == 303
    w1, w2 = workers(app)
    assert (w1.deposit, w1.card_fee) == (Decimal("100"), Decimal("5"))  # registered before: unchanged
    assert (w2.deposit, w2.card_fee) == (Decimal("200"), Decimal("5"))

    fin = client_for(app, site["users"]["finance"])
    page = fin.get("/renovations/workers").get_data(as_text=True)
    assert "待缴费 205 元" in page and "待缴费 105 元" in page
    assert "押金 200 + 工本费 5" in fin.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert pay(fin, w2.id, receipt="SJ-200").status_code == 303
    [paid] = events(app, "worker.paid")
    assert (paid.data["deposit"], paid.data["card_fee"], paid.data["total"]) == ("200", "5", "205")
    assert workers(app)[1].receipt_no == "SJ-200"


def test_r1_default_period_is_the_communitys(app, site):
    from propsvc.extensions import db
    from propsvc.renovation.models import Renovation
    from propsvc.renovation.services import add_months

    mgr = client_for(app, site["users"]["manager"])
    assert save(mgr, months="6").status_code == 303
    desk = client_for(app, site["users"]["front_desk"])
    assert "按开工日期后 6 个月计算" in desk.get("/renovations/new").get_data(as_text=True)
    start = date.today()
    resp = post(desk, "/renovations/new", {
        "unit_id": str(site["unit"].id), "applicant_role": "owner", "applicant_name": "王建国",
        "lead_company": "美家装饰", "lead_name": "李师傅", "lead_phone": "13912345678",
        "lead_id_number": "110101199003071233", "scope": "厨卫改造", "starts_on": start.isoformat(),
        "client_key": "settings-r1"}, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    with app.app_context():
        r = db.session.scalars(select(Renovation).order_by(Renovation.id.desc())).first()
        assert r.ends_on == add_months(start, 6)
    [ev] = events(app, "renovation.settings")
    assert ev.data == {"changes": {"default_months": {"old": "3", "new": "6"}}}


@pytest.mark.parametrize("field,value,message", [
    ("deposit", "", "请填写押金金额"),
    ("deposit", "abc", "请填写金额，如 100 或 100.50"),
    ("deposit", "NaN", "请填写金额，如 100 或 100.50"),
    ("deposit", "Infinity", "请填写金额，如 100 或 100.50"),
    ("deposit", "-1", "金额须在0至10000元之间"),
    ("deposit", "10000.01", "金额须在0至10000元之间"),
    ("card_fee", "5.005", "金额最多两位小数"),
    ("card_fee", "1e9", "金额须在0至10000元之间"),
    ("default_months", "0", "月数须在1至24之间"),
    ("default_months", "25", "月数须在1至24之间"),
    ("default_months", "三", "请填写整数"),
])
def test_settings_bad_input_is_refused_next_to_the_field(app, site, field, value, message):
    mgr = client_for(app, site["users"]["manager"])
    data = {"deposit": "150", "card_fee": "8", "months": "4"}
    data[{"default_months": "months"}.get(field, field)] = value
    resp = save(mgr, **data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in html
    assert html.count('class="error"') == 1  # one message, next to its field
    assert stored(app, site["community"].id) is None and events(app, "renovation.settings") == []


def test_settings_accepts_edge_values_and_records_only_changes(app, site):
    mgr = client_for(app, site["users"]["manager"])
    assert save(mgr, deposit="0", card_fee="10000.00", months="24").status_code == 303
    assert stored(app, site["community"].id) == (Decimal("0"), Decimal("10000"), 24)
    assert save(mgr, deposit="0.00", card_fee="10000", months="24").status_code == 303  # same values again
    assert "设置没有改动" in mgr.get(URL).get_data(as_text=True)
    assert save(mgr, deposit="99.5 元", card_fee="10000", months="24").status_code == 303
    evs = events(app, "renovation.settings")
    assert [e.data["changes"] for e in evs] == [
        {"deposit": {"old": "100.00", "new": "0.00"}, "card_fee": {"old": "5.00", "new": "10000.00"},
         "default_months": {"old": "3", "new": "24"}},
        {"deposit": {"old": "0.00", "new": "99.50"}},
    ]


def test_settings_who_may_see_and_change(app, site):
    assert save(client_for(app, site["users"]["manager"]), deposit="300").status_code == 303
    admin = client_for(app, site["users"]["admin"])
    assert admin.get(URL).status_code == 200
    assert save(admin, deposit="300", card_fee="6").status_code == 303

    fin = client_for(app, site["users"]["finance"])
    page = fin.get(URL)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "300 元/人" in html and "6 元/人" in html and "<form" not in html.split("<main")[1]
    assert save(fin, deposit="1").status_code == 403
    for role in ("front_desk", "steward", "supervisor", "guard"):
        c = client_for(app, site["users"][role])
        assert c.get(URL).status_code == 403, role
        assert save(c, deposit="1").status_code == 403, role
        assert "押金/工本费设置" not in c.get("/renovations").get_data(as_text=True) or role == "guard"
    assert stored(app, site["community"].id)[:2] == (Decimal("300"), Decimal("6"))

    # The index links to it for those who may see it.
    assert "押金/工本费设置" in client_for(app, site["users"]["manager"]).get("/renovations").get_data(as_text=True)
    assert "押金/工本费设置" in fin.get("/renovations").get_data(as_text=True)

    # Another community keeps its own (default) values.
    other = client_for(app, site["other_manager"])
    assert 'value="100.00"' in other.get(URL).get_data(as_text=True)


def test_r6_extension_fee_nan_is_a_message_not_a_crash(app, site):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    data = {"requester_role": "lead", "requester_name": "赵志强", "reason": "瓷砖到货延迟", "new_end": "2099-01-01",
            "fee": "NaN", "client_key": "nan-fee"}
    resp = post(desk, f"/renovations/{rid}/extensions", {f"extend-{k}": v for k, v in data.items()})
    assert resp.status_code == 422 and "请填写金额，如 100 或 100.50" in resp.get_data(as_text=True)
    assert events(app, "renovation.extension_requested") == []
