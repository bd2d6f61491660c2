"""Visitors [F1]: registering a visitor with the unit visited and the purpose, who is on site
now, one race-safe sign-out, one visit per double tap, validation next to the field, masking
by role, and a day's list by the site's day boundaries."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from conftest import client_for, csrf_token, form_key, post
from propsvc.registry.validation import id_check_digit

VISITOR_PHONE = "13987654321"


def ident(n: int = 1) -> str:
    first17 = f"44010619850612{n:03d}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def site(app, make):
    c = make.community("新澳花园")
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201")
    owner = make.person(u, name="王建国")
    users = {r: make.user(r, communities=[c], name={"front_desk": "前台小李", "guard": "门岗老张"}.get(r))
             for r in ("front_desk", "guard", "supervisor", "manager", "steward", "technician", "finance")}
    return {"community": c, "building": b, "unit": u, "owner": owner, "users": users}


def visit_data(site, **over):
    data = {"visitor_name": "陈小明", "phone": VISITOR_PHONE, "unit_id": str(site["unit"].id),
            "purpose": "family", "purpose_note": "", "plate": "", "party_size": "2", "id_number": "",
            "client_key": over.pop("client_key", f"k-{len(over)}-{id(over)}")}
    data.update(over)
    return data


def visits(app):
    from propsvc.extensions import db
    from propsvc.frontdesk.models import Visit

    with app.app_context():
        rows = list(db.session.scalars(select(Visit).order_by(Visit.id)))
        for r in rows:
            db.session.expunge(r)
        return rows


def events(app, action=None):
    from propsvc.core.models import Event
    from propsvc.extensions import db

    with app.app_context():
        stmt = select(Event).where(Event.object_type == "visit").order_by(Event.id)
        if action:
            stmt = stmt.where(Event.action == action)
        rows = list(db.session.scalars(stmt))
        return [(e.action, e.object_id, e.actor_id, e.data) for e in rows]


def make_visit(app, site, *, at=None, name="陈小明", phone=VISITOR_PHONE, id_number=None, left=None, plate=None):
    """A visit straight through the service (for times the test chooses)."""
    from propsvc.extensions import db
    from propsvc.frontdesk import services

    with app.app_context():
        v = services.register(site["community"].id, services.VisitIn(
            visitor_name=name, phone=phone, unit_id=site["unit"].id, purpose="delivery",
            id_number=id_number, plate=plate), None, now=at)
        db.session.flush()
        if left is not None:
            services.sign_out(site["community"].id, v.id, None, now=left)
        db.session.commit()
        return v.id


# --- registering ---------------------------------------------------------------------------

def test_f1_visitor_registered_with_unit_and_purpose(app, site):
    desk = site["users"]["front_desk"]
    client = client_for(app, desk)
    form = client.get("/desk/visitors/new").get_data(as_text=True)
    assert 'name="client_key"' in form and "探亲访友" in form and "中介看房" in form
    resp = post(client, "/desk/visitors/new", visit_data(site, purpose="repair", purpose_note="修空调",
                                                             plate="粤a·12345", id_number=ident()))
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/desk/visitors")
    [v] = visits(app)
    assert (v.visitor_name, v.phone, v.unit_id, v.purpose, v.purpose_note, v.plate, v.party_size, v.id_number) == (
        "陈小明", VISITOR_PHONE, site["unit"].id, "repair", "修空调", "粤A12345", 2, ident())
    assert v.left_at is None and v.registered_by_id == desk.id and v.community_id == site["community"].id
    [(action, oid, actor, data)] = events(app)
    assert (action, oid, actor) == ("visit.registered", v.id, desk.id)
    assert data["unit"] == "3栋2单元1201" and data["purpose"] == "repair"
    assert VISITOR_PHONE not in str(data) and ident() not in str(data)  # the log holds no numbers
    page = client.get("/desk/visitors").get_data(as_text=True)
    assert "已登记访客 陈小明（2人），到访 3栋2单元1201" in page
    assert "维修·修空调" in page and "粤A12345" in page


def test_f1_guard_registers_at_the_gate(app, site):
    client = client_for(app, site["users"]["guard"])
    assert post(client, "/desk/visitors/new", visit_data(site)).status_code == 303
    [v] = visits(app)
    assert v.registered_by_id == site["users"]["guard"].id


@pytest.mark.parametrize("role", ["steward", "technician", "finance"])
def test_f1_other_roles_may_not_use_visitors(app, site, role):
    client = client_for(app, site["users"][role])
    assert client.get("/desk/visitors").status_code == 403
    assert client.get("/desk/visitors/new").status_code == 403
    assert post(client, "/desk/visitors/new", visit_data(site)).status_code == 403
    assert visits(app) == []


def test_f1_unit_search_as_you_type(app, site):
    client = client_for(app, site["users"]["guard"])
    html = client.get("/desk/visitors/new?part=lookup&unit_q=3-2-1201",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html and "已选" in html and "3栋2单元1201" in html
    assert f'name="unit_id" value="{site["unit"].id}"' in html
    # Without JavaScript the 查找 button sends the whole form by GET: a full page, fields kept.
    html = client.get("/desk/visitors/new?unit_q=王建国&visitor_name=陈小明").get_data(as_text=True)
    assert "<html" in html and "3栋2单元1201" in html and 'value="陈小明"' in html


def test_f1_double_submit_creates_one_visit(app, site):
    client = client_for(app, site["users"]["front_desk"])
    data = visit_data(site, client_key="same-key-1")
    first = post(client, "/desk/visitors/new", data)
    second = post(client, "/desk/visitors/new", data)
    assert first.status_code == 303 and second.status_code == 303
    assert len(visits(app)) == 1 and len(events(app, "visit.registered")) == 1
    page = client.get("/desk/visitors").get_data(as_text=True)
    assert "未重复登记" in page


def test_f1_bad_phone_message_next_to_field(app, site):
    client = client_for(app, site["users"]["guard"])
    resp = post(client, "/desk/visitors/new", visit_data(site, phone="1381234"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    field = html[html.index('name="phone"') - 600: html.index('name="phone"') + 600]
    assert "has-error" in field and "电话号码格式不正确" in field
    assert 'value="陈小明"' in html  # the rest of the form is kept
    assert visits(app) == []


def test_f1_landline_and_spaced_mobile_accepted(app, site):
    client = client_for(app, site["users"]["front_desk"])
    assert post(client, "/desk/visitors/new", visit_data(site, phone="020-87654321")).status_code == 303
    assert post(client, "/desk/visitors/new", visit_data(site, phone="139 8765 4321", client_key="k2")).status_code == 303
    assert [v.phone for v in visits(app)] == ["020-87654321", VISITOR_PHONE]


def test_f1_bad_id_number_and_plate_refused(app, site):
    client = client_for(app, site["users"]["front_desk"])
    bad_id = ident()[:-1] + ("0" if ident()[-1] != "0" else "1")
    resp = post(client, "/desk/visitors/new", visit_data(site, id_number=bad_id, plate="ABC"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "身份证号码不正确" in html and "车牌号格式不正确" in html
    for plate in ("粤AD12345", "粤B12345", "京A1234学"):
        resp = post(client, "/desk/visitors/new", visit_data(site, plate=plate, client_key=plate))
        assert resp.status_code == 303, plate
    assert [v.plate for v in visits(app)] == ["粤AD12345", "粤B12345", "京A1234学"]


def test_f1_other_purpose_needs_a_note(app, site):
    client = client_for(app, site["users"]["guard"])
    resp = post(client, "/desk/visitors/new", visit_data(site, purpose="other"))
    assert resp.status_code == 422 and "请填写说明" in resp.get_data(as_text=True)
    resp = post(client, "/desk/visitors/new", visit_data(site, party_size="0"))
    assert resp.status_code == 422 and "人数须在1至50之间" in resp.get_data(as_text=True)
    assert visits(app) == []


def test_f1_unit_must_be_chosen(app, site):
    client = client_for(app, site["users"]["guard"])
    resp = post(client, "/desk/visitors/new", visit_data(site, unit_id=""))
    assert resp.status_code == 422 and "请先查找并选择到访房屋" in resp.get_data(as_text=True)


def test_f1_other_community_unit_refused(app, make, site):
    other = make.community("别的小区")
    ou = make.unit(make.building(other, "3"), 2, "1201")
    client = client_for(app, site["users"]["front_desk"])
    resp = post(client, "/desk/visitors/new", visit_data(site, unit_id=str(ou.id)))
    assert resp.status_code == 422
    assert "请选择本小区的房屋" in resp.get_data(as_text=True)
    assert visits(app) == []
    # Nor can another community's unit be found by the search.
    html = client.get(f"/desk/visitors/new?part=lookup&unit_id={ou.id}", headers={"HX-Request": "true"})
    assert f'value="{ou.id}"' not in html.get_data(as_text=True)


def test_f1_inline_check_shows_the_error(app, site):
    client = client_for(app, site["users"]["guard"])
    resp = post(client, "/desk/visitors/new/check/phone", {"phone": "12345"}, headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "电话号码格式不正确" in html and "hx-get" in html  # still looks up
    resp = post(client, "/desk/visitors/new/check/plate", {"plate": "粤a 12345"})
    assert "格式不正确" not in resp.get_data(as_text=True) and 'value="粤A12345"' in resp.get_data(as_text=True)
    assert post(client, "/desk/visitors/new/check/client_key", {}).status_code == 404


def test_f1_returning_visitor_offered_name_and_plate(clock, app, site, make):
    make_visit(app, site, name="陈老访", plate="粤B54321", at=datetime.now(timezone.utc) - timedelta(days=3),
               left=datetime.now(timezone.utc) - timedelta(days=3) + timedelta(hours=1))
    other = make.community("别的小区")
    ou = make.unit(make.building(other, "5"), 1, "101")
    make_visit(app, {"community": other, "unit": ou}, name="外小区", phone="13500001111")
    client = client_for(app, site["users"]["guard"])
    html = client.get(f"/desk/visitors/new?part=returning&phone={VISITOR_PHONE}",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "陈老访" in html and "粤B54321" in html and 'name="fill"' in html
    html = client.get("/desk/visitors/new?part=returning&phone=13500001111",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "外小区" not in html  # another community's visitors are not offered
    [v] = [v for v in visits(app) if v.community_id == site["community"].id]
    html = client.get(f"/desk/visitors/new?phone={VISITOR_PHONE}&fill={v.id}&visitor_name=&plate=").get_data(as_text=True)
    assert 'value="陈老访"' in html and 'value="粤B54321"' in html


def test_f1_service_refuses_bad_numbers(app, site):
    """The rules hold for any caller, not only the form."""
    from propsvc.frontdesk import services

    base = dict(visitor_name="陈小明", phone=VISITOR_PHONE, unit_id=site["unit"].id, purpose="family")
    with app.app_context():
        for over, field in (({"phone": "12345"}, "phone"), ({"id_number": "123"}, "id_number"),
                            ({"plate": "粤12"}, "plate"), ({"visitor_name": " "}, "visitor_name"),
                            ({"purpose": "party"}, "purpose"), ({"party_size": 0}, "party_size")):
            with pytest.raises(services.VisitError) as e:
                services.register(site["community"].id, services.VisitIn(**{**base, **over}), None)
            assert e.value.field == field
    assert services.normalize_plate("粤a·d1234 5") == "粤AD12345"
    assert visits(app) == []


# --- on site now and sign-out --------------------------------------------------------------

def test_f1_on_site_now_lists_only_not_signed_out(clock, app, site):
    now = datetime.now(timezone.utc)
    make_visit(app, site, name="在访甲", at=now - timedelta(hours=1, minutes=35))
    make_visit(app, site, name="已走乙", at=now - timedelta(hours=2), left=now - timedelta(hours=1))
    make_visit(app, site, name="昨日丙", at=now - timedelta(days=1, hours=1))  # never signed out: still here
    client = client_for(app, site["users"]["guard"])
    html = client.get("/desk/visitors?part=onsite", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html and 'id="onsite"' in html and 'id="daylist" class="card day" hx-swap-oob="true"' in html
    html = html[:html.index('id="daylist"')]
    assert "在访甲" in html and "昨日丙" in html and "已走乙" not in html
    assert "1小时35分" in html and "2 组" in html
    # The list polls itself marked as a poll (not kiosk activity); the sign-out buttons are not.
    poll = html[html.index("data-poll"):]
    assert 'hx-trigger="every 60s"' in poll and "X-Poll" in poll
    assert "X-Poll" not in html[:html.index("data-poll")]
    assert html.index("昨日丙") < html.index("在访甲")  # the longest on site first


def test_f1_visitor_still_on_site_from_an_earlier_day_is_flagged_overnight(clock, app, site):
    now = datetime.now(timezone.utc)
    make_visit(app, site, name="昨日丙", at=now - timedelta(days=1, hours=1))
    make_visit(app, site, name="在访甲", at=now - timedelta(minutes=10))
    make_visit(app, site, name="前日走", at=now - timedelta(days=2), left=now - timedelta(days=2) + timedelta(hours=1))
    html = client_for(app, site["users"]["front_desk"]).get("/desk/visitors").get_data(as_text=True)
    onsite = html[html.index('id="onsite"'):html.index('id="daylist"')]
    assert "过夜 1 组" in onsite
    yesterday = onsite[onsite.index("昨日丙"):onsite.index("在访甲")]
    assert "过夜未签离" in yesterday and "过夜未签离" not in onsite[onsite.index("在访甲"):]
    with app.app_context():
        from propsvc.extensions import db
        from propsvc.frontdesk import services
        from propsvc.frontdesk.models import Visit

        flags = {v.visitor_name: services.stayed_overnight(v) for v in db.session.scalars(select(Visit))}
    assert flags == {"昨日丙": True, "在访甲": False, "前日走": False}  # one who left is never flagged


def test_f1_sign_out_once(clock, app, site):
    vid = make_visit(app, site, at=datetime.now(timezone.utc) - timedelta(minutes=20))
    guard, desk = site["users"]["guard"], site["users"]["front_desk"]
    first = post(client_for(app, guard), f"/desk/visitors/{vid}/out")
    assert first.status_code == 303
    [v] = visits(app)
    left_at = v.left_at
    assert left_at is not None and v.signed_out_by_id == guard.id
    client = client_for(app, desk)
    second = post(client, f"/desk/visitors/{vid}/out")
    assert second.status_code == 303
    [v] = visits(app)
    assert v.left_at == left_at and v.signed_out_by_id == guard.id  # unchanged
    page = client.get("/desk/visitors").get_data(as_text=True)
    assert "由门岗老张签离，未重复签离" in page
    [(action, oid, actor, data)] = events(app, "visit.signed_out")
    assert (oid, actor, data["minutes"]) == (vid, guard.id, 20)
    # With htmx the on-site block comes back, without the visitor, with the same message.
    html = post(client, f"/desk/visitors/{vid}/out", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="onsite"' in html and "<html" not in html and "未重复签离" in html
    # ... and the day's list out of band, where the visit now shows as gone.
    day = html[html.index('id="daylist"'):]
    assert 'hx-swap-oob="true"' in day and "已离开 1" in day and "签离 门岗老张（停留 20分钟）" in day


def test_f1_sign_out_from_a_past_day_goes_back_to_it(app, site):
    vid = make_visit(app, site, at=datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc))
    resp = post(client_for(app, site["users"]["front_desk"]), f"/desk/visitors/{vid}/out", {"day": "2026-03-10"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/desk/visitors?day=2026-03-10")


def test_f1_sign_out_race_has_one_winner(clock, app, site):
    """Two taps that both loaded the visit before either wrote: only one sets the time."""
    from propsvc.extensions import db
    from propsvc.frontdesk import services

    vid = make_visit(app, site)
    with app.app_context():
        a = services.sign_out(site["community"].id, vid, None, now=datetime.now(timezone.utc))
        b = services.sign_out(site["community"].id, vid, None, now=datetime.now(timezone.utc) + timedelta(minutes=1))
        db.session.commit()
        assert a.done_now and not b.done_now and b.visit.left_at == a.visit.left_at
    assert len(events(app, "visit.signed_out")) == 1


def _at_once(*calls):
    """Run the calls in threads released together; return their answers in order."""
    import threading

    barrier, answers = threading.Barrier(len(calls)), [None] * len(calls)

    def go(i):
        barrier.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return answers


def test_f1_two_staff_sign_out_at_once(app, site):
    vid = make_visit(app, site)
    guard, desk = client_for(app, site["users"]["guard"]), client_for(app, site["users"]["front_desk"])
    answers = _at_once(lambda: post(guard, f"/desk/visitors/{vid}/out"), lambda: post(desk, f"/desk/visitors/{vid}/out"))
    assert [a.status_code for a in answers] == [303, 303]
    [v] = visits(app)
    assert v.left_at is not None and v.signed_out_by_id in (site["users"]["guard"].id, site["users"]["front_desk"].id)
    [(_, _, actor, _)] = events(app, "visit.signed_out")
    assert actor == v.signed_out_by_id


def test_f1_same_form_sent_twice_at_once_registers_once(app, site):
    guard = client_for(app, site["users"]["guard"])
    data = visit_data(site, client_key=form_key(app, "raced-key"), csrf_token=csrf_token(guard))
    twin = app.test_client()  # the same phone's retry: the same session, its own connection
    twin.set_cookie("session", guard.get_cookie("session").value)
    answers = _at_once(lambda: guard.post("/desk/visitors/new", data=data),
                       lambda: twin.post("/desk/visitors/new", data=data))
    assert [a.status_code for a in answers] == [303, 303]
    assert len(visits(app)) == 1 and len(events(app, "visit.registered")) == 1


def test_f1_sign_out_other_community_is_404(app, make, site):
    other = make.community("别的小区")
    ou = make.unit(make.building(other, "3"), 2, "1201")
    vid = make_visit(app, {"community": other, "unit": ou})
    client = client_for(app, site["users"]["front_desk"])
    assert post(client, f"/desk/visitors/{vid}/out").status_code == 404
    assert visits(app)[0].left_at is None


# --- masking by role -----------------------------------------------------------------------

def test_f1_guard_sees_masked_phone_and_id(app, site):
    make_visit(app, site, id_number=ident(7))
    html = client_for(app, site["users"]["guard"]).get("/desk/visitors").get_data(as_text=True)
    assert "139****4321" in html and VISITOR_PHONE not in html
    assert ident(7) not in html and ident(7)[:6] + "********" + ident(7)[-4:] in html


@pytest.mark.parametrize("role", ["front_desk", "supervisor", "manager"])
def test_t9_desk_and_supervisors_see_the_phone_masked_with_a_reveal(app, site, role):
    make_visit(app, site, id_number=ident(7))
    html = client_for(app, site["users"][role]).get("/desk/visitors").get_data(as_text=True)
    assert VISITOR_PHONE not in html and VISITOR_PHONE[:3] + "****" + VISITOR_PHONE[-4:] in html
    assert "/privacy/reveal/visitor/" in html  # 显示, with a reason, audited


def test_f1_csv_export_of_the_day(app, site):
    make_visit(app, site, name="=HYPERLINK(1)", plate="粤A12345", id_number=ident(3))
    resp = client_for(app, site["users"]["front_desk"]).get("/desk/visitors.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    body = resp.get_data(as_text=True)
    assert body.startswith("\ufeff到访时间") and "'=HYPERLINK(1)" in body and "粤A12345" in body
    assert VISITOR_PHONE not in body and VISITOR_PHONE[:3] + "****" + VISITOR_PHONE[-4:] in body  # [T9]
    assert "3栋2单元1201" in body and "在访" in body
    assert ident(3) not in body and ident(3)[:6] + "********" + ident(3)[-4:] in body  # IDs stay masked
    assert client_for(app, site["users"]["guard"]).get("/desk/visitors.csv").status_code == 403


# --- the day's list ------------------------------------------------------------------------

def test_f1_day_list_by_site_day_boundaries(app, site):
    # 2026-03-10 in China (UTC+8) runs from 03-09 16:00 UTC to 03-10 16:00 UTC.
    utc = timezone.utc
    make_visit(app, site, name="早八点前", at=datetime(2026, 3, 9, 16, 30, tzinfo=utc))    # 03-10 00:30
    make_visit(app, site, name="深夜到访", at=datetime(2026, 3, 10, 15, 50, tzinfo=utc),   # 03-10 23:50
               left=datetime(2026, 3, 10, 16, 20, tzinfo=utc))
    make_visit(app, site, name="前一天的", at=datetime(2026, 3, 9, 15, 59, tzinfo=utc))    # 03-09 23:59
    make_visit(app, site, name="第二天的", at=datetime(2026, 3, 10, 16, 0, tzinfo=utc))    # 03-11 00:00
    client = client_for(app, site["users"]["supervisor"])
    html = client.get("/desk/visitors?day=2026-03-10").get_data(as_text=True)
    day = html[html.index("来访记录"):]
    assert "早八点前" in day and "深夜到访" in day
    assert "前一天的" not in day and "第二天的" not in day
    assert "共 <strong>2</strong> 组" in day and "00:30 起" in day and "23:50–00:20" in day
    assert "送货 2" in day
    csv = client.get("/desk/visitors.csv?day=2026-03-10").get_data(as_text=True)
    assert "早八点前" in csv and "前一天的" not in csv
    # A bad date falls back to today with a message, never an error.
    resp = client.get("/desk/visitors?day=2026-13-40")
    assert resp.status_code == 200 and "日期格式不正确" in resp.get_data(as_text=True)


def test_f1_day_list_defaults_to_today_in_site_time(app, site):
    make_visit(app, site, name="今天来的")
    html = client_for(app, site["users"]["guard"]).get("/desk/visitors").get_data(as_text=True)
    assert "今日来访记录" in html and "今天来的" in html and "共 <strong>1</strong> 组" in html


def test_f1_pages_need_no_inline_script_or_style(app, site):
    make_visit(app, site)
    client = client_for(app, site["users"]["guard"])
    for url in ("/desk/visitors", "/desk/visitors/new"):
        html = client.get(url).get_data(as_text=True)
        assert "style=" not in html and "<style" not in html
        assert all("src=" in tag for tag in html.split("<script")[1:])


def test_f1_demo_visits(clock, app, site):
    from propsvc.extensions import db
    from propsvc.demo.frontdesk import seed_demo_visitors

    with app.app_context():
        msg = seed_demo_visitors(site["community"].id)
        db.session.commit()
    rows = visits(app)
    assert "访客" in msg and len(rows) >= 8
    assert any(v.left_at is None for v in rows) and any(v.left_at is not None for v in rows)
    assert len(events(app, "visit.registered")) == len(rows)
    with app.app_context():
        from propsvc.frontdesk import services

        assert [v.visitor_name for v in rows if services.stayed_overnight(v)] == ["王秀兰"]
