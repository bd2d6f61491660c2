"""[T9] [D2] Masking everywhere, the one reveal (POST with a reason, audited with the session),
the audit page, cover (代班) for stewards, and technicians' access to ticket photos."""
import csv
import io
import re
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from conftest import login, post
from propsvc.core.models import Event
from propsvc.core.timefmt import SITE_TZ
from propsvc.extensions import db
from propsvc.privacy.models import Cover, RevealLog
from propsvc.demo import DEMO_PASSWORD
from test_crawl_masking import demo  # noqa: F401  (the demo site fixture)
from test_tickets import _jpeg, client_for, intake, step, ticket
from test_tickets import site as ticket_site  # noqa: F401

DAY1 = date(2026, 3, 9)  # a Monday


def at_site(day: date, hour: int = 10):
    """Freeze the clock at `hour` o'clock site time on `day`."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SITE_TZ), tick=False)


def demo_client(app, username):
    c = app.test_client()
    assert login(c, username, DEMO_PASSWORD).status_code in (302, 303)
    return c


def first(model, *where):
    with_ = select(model).where(*where).order_by(model.id).limit(1)
    obj = db.session.scalar(with_)
    assert obj is not None, model
    return obj


def _masked_phone(v):
    return f"{v[:3]}****{v[-4:]}"


def _masked_id(v):
    return f"{v[:6]}********{v[-4:]}"


# --- masking on every page kind ---------------------------------------------------------

def test_t9_every_page_kind_masks_phones_and_id_numbers_for_every_role(app, demo):
    from propsvc.errands.models import MailItem, Parcel
    from propsvc.frontdesk.models import Visit
    from propsvc.registry.models import Occupancy, Person
    from propsvc.renovation.models import Renovation, Worker
    from propsvc.slips.models import ReleaseSlip
    from propsvc.tickets.models import Ticket

    with app.app_context():
        person = first(Person, Person.phone.is_not(None), Person.id_number.is_not(None))
        unit_id = db.session.scalar(select(Occupancy.unit_id).where(Occupancy.person_id == person.id))
        visit = first(Visit, Visit.id_number.is_not(None))
        reno = first(Renovation, Renovation.lead_id_number.is_not(None))
        worker = first(Worker)
        slip = first(ReleaseSlip)
        parcel = first(Parcel, Parcel.recipient_phone.is_not(None))
        mail = first(MailItem, MailItem.recipient_phone.is_not(None))
        tk = first(Ticket, Ticket.reporter_phone.is_not(None), Ticket.kind != "complaint")
        visit_day = visit.arrived_at.astimezone(SITE_TZ).date()
        pages = [  # (url, full value, masked value)
            (f"/units/{unit_id}", person.phone, _masked_phone(person.phone)),
            (f"/units/{unit_id}", person.id_number, _masked_id(person.id_number)),
            (f"/units?q={person.phone[-4:]}", person.phone, None),
            (f"/desk/visitors?day={visit_day}", visit.phone, _masked_phone(visit.phone)),
            (f"/desk/visitors?day={visit_day}", visit.id_number, _masked_id(visit.id_number)),
            (f"/desk/visitors.csv?day={visit_day}", visit.phone, _masked_phone(visit.phone)),
            (f"/desk/visitors.csv?day={visit_day}", visit.id_number, _masked_id(visit.id_number)),
            (f"/renovations/{reno.id}", reno.lead_phone, _masked_phone(reno.lead_phone)),
            (f"/renovations/{reno.id}", reno.lead_id_number, _masked_id(reno.lead_id_number)),
            (f"/renovations/{worker.renovation_id}", worker.id_number, _masked_id(worker.id_number)),
            (f"/slips/{slip.id}", slip.carrier_id_number, _masked_id(slip.carrier_id_number)),
            (f"/slips/{slip.id}", slip.carrier_phone, _masked_phone(slip.carrier_phone)),
            (f"/errands/parcels/{parcel.id}", parcel.recipient_phone, _masked_phone(parcel.recipient_phone)),
            ("/errands/parcels", parcel.recipient_phone, None),
            (f"/errands/mail/{mail.id}", mail.recipient_phone, _masked_phone(mail.recipient_phone)),
            (f"/tickets/{tk.id}", tk.reporter_phone, _masked_phone(tk.reporter_phone)),
        ]
    for username in ("front_desk", "supervisor", "manager", "admin", "steward"):
        client = demo_client(app, username)
        for url, full, masked in pages:
            for htmx in (False, True):
                resp = client.get(url, headers={"HX-Request": "true"} if htmx else {})
                if resp.status_code == 403:
                    continue  # a page this role does not use
                body = resp.get_data(as_text=True)
                assert resp.status_code == 200, (username, url, resp.status_code)
                assert full not in body, (username, url, htmx)
                if masked and not htmx and username in ("front_desk", "supervisor"):
                    assert masked in body, (username, url)


# --- the reveal -------------------------------------------------------------------------

@pytest.fixture
def desk_site(app, make):
    c = make.community()
    b3, b5 = make.building(c, "3"), make.building(c, "5")
    u3, u5 = make.unit(b3, 2, "1201"), make.unit(b5, 1, "0801", floor=8)
    p3 = make.person(u3, name="王建国", phone="13812348000", id_number="440106199001011238")
    p5 = make.person(u5, name="李秀英", phone="13912345555", id_number="110101199003071233")
    stewards = {}
    for name, b in (("甲管家", b3), ("乙管家", b5)):
        s = make.user("steward", communities=[c], name=name)
        with app.app_context():
            from propsvc.auth.models import User
            from propsvc.registry.models import Building
            db.session.get(User, s.id).buildings = [db.session.get(Building, b.id)]
            db.session.commit()
        stewards[name] = s
    return {"community": c, "u3": u3, "u5": u5, "p3": p3, "p5": p5, "stewards": stewards,
            "desk": make.user("front_desk", communities=[c]), "sup": make.user("supervisor", communities=[c]),
            "guard": make.user("guard", communities=[c]), "tech": make.user("technician", communities=[c])}


def signed_in(app, user):
    c = app.test_client()
    assert login(c, user.username).status_code == 303
    return c


def reveal(client, person, field, reason="联系业主确认上门时间", htmx=True):
    data = {"reason": reason, "next": "/units"} if reason is not None else {"next": "/units"}
    return post(client, f"/privacy/reveal/person/{person.id}/{field}", data,
                headers={"HX-Request": "true"} if htmx else {})


def logs(app):
    with app.app_context():
        return list(db.session.scalars(select(RevealLog).order_by(RevealLog.id)))


def test_t9_reveal_needs_a_reason(app, desk_site):
    client = signed_in(app, desk_site["desk"])
    for reason in (None, "", "   "):
        resp = reveal(client, desk_site["p3"], "phone", reason)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 422 and "请填写查看原因" in body
        assert "13812348000" not in body and "138****8000" in body
    assert logs(app) == []


def test_t9_reveal_is_audited_with_who_field_reason_and_session(app, desk_site):
    client = signed_in(app, desk_site["desk"])
    with client.session_transaction() as s:
        sid = s["sid"]  # the server-side session row of this sign-in
    assert isinstance(sid, int)
    resp = reveal(client, desk_site["p3"], "id_number", "核对业主身份办理出入证")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "440106199001011238" in body and 'data-remask="30"' in body
    assert "<template>" in body and "440106********1238" in body  # what comes back after 30 s
    (log,) = logs(app)
    assert (log.user_id, log.record_type, log.record_id, log.field) == (desk_site["desk"].id, "person", desk_site["p3"].id, "id_number")
    assert (log.reason, log.session_id, log.unit_id, log.subject) == ("核对业主身份办理出入证", sid, desk_site["u3"].id, "王建国")
    with app.app_context():
        ev = db.session.scalars(select(Event).where(Event.action == "personal_data.revealed")).one()
        assert ev.data["session_id"] == sid and ev.data["field"] == "id_number"
    # The page itself still shows it masked: the value lives only in that one response.
    page = client.get(f"/units/{desk_site['u3'].id}").get_data(as_text=True)
    assert "440106199001011238" not in page and "440106********1238" in page


def test_t9_reveal_without_js_is_a_small_page_that_leaves_by_itself(app, desk_site):
    client = signed_in(app, desk_site["desk"])
    resp = reveal(client, desk_site["p3"], "phone", htmx=False)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "13812348000" in body
    assert 'http-equiv="refresh" content="30;url=/units"' in body
    assert resp.headers["Cache-Control"].startswith("no-store") or "no-store" in resp.headers["Cache-Control"]


def test_t9_reveal_needs_csrf(app, desk_site):
    client = signed_in(app, desk_site["desk"])
    resp = client.post(f"/privacy/reveal/person/{desk_site['p3'].id}/phone", data={"reason": "x"})
    assert resp.status_code == 400 and "13812348000" not in resp.get_data(as_text=True)
    assert logs(app) == []


def test_t9_a_role_that_may_not_is_refused(app, desk_site):
    for user in (desk_site["guard"], desk_site["tech"]):
        resp = reveal(signed_in(app, user), desk_site["p3"], "phone")
        body = resp.get_data(as_text=True)
        assert resp.status_code == 403 and "不能查看" in body and "13812348000" not in body
    # A steward may see phones (in his buildings) but never ID numbers.
    resp = reveal(signed_in(app, desk_site["stewards"]["甲管家"]), desk_site["p3"], "id_number")
    assert resp.status_code == 403 and "440106199001011238" not in resp.get_data(as_text=True)
    assert logs(app) == []


def test_t9_reveal_of_an_unknown_field_or_record_is_404(app, desk_site):
    client = signed_in(app, desk_site["desk"])
    assert post(client, f"/privacy/reveal/person/{desk_site['p3'].id}/name", {"reason": "x"}).status_code == 404
    assert post(client, "/privacy/reveal/person/999999/phone", {"reason": "x"}).status_code == 404
    assert post(client, f"/privacy/reveal/nothing/{desk_site['p3'].id}/phone", {"reason": "x"}).status_code == 404


# --- [D2] assignment and cover (代班) ----------------------------------------------------

def test_t9_steward_reveals_only_in_own_buildings(app, desk_site):
    client = signed_in(app, desk_site["stewards"]["甲管家"])
    assert reveal(client, desk_site["p3"], "phone").status_code == 200
    resp = reveal(client, desk_site["p5"], "phone")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 403 and "不是您分管的楼栋" in body and "13912345555" not in body
    # The other building's unit page: masked, and no 显示 offered.
    page = client.get(f"/units/{desk_site['u5'].id}").get_data(as_text=True)
    assert "139****5555" in page and "/privacy/reveal/person" not in page
    assert len(logs(app)) == 1


def test_t9_cover_allows_the_other_buildings_for_its_dates_only(app, desk_site):
    jia, yi = desk_site["stewards"]["甲管家"], desk_site["stewards"]["乙管家"]
    with at_site(DAY1):  # each frozen day signs in afresh (the idle time-out follows the clock)
        sup = signed_in(app, desk_site["sup"])
        resp = post(sup, "/privacy/covers", {"user_id": jia.id, "for_user_id": yi.id, "starts_on": "2026-03-10",
                                             "ends_on": "2026-03-12", "note": "乙休假"})
        assert resp.status_code == 303
        # a double submit grants it once
        assert post(sup, "/privacy/covers", {"user_id": jia.id, "for_user_id": yi.id, "starts_on": "2026-03-10",
                                             "ends_on": "2026-03-12"}).status_code == 303
        assert "代班中" not in sup.get("/privacy/covers").get_data(as_text=True)  # not begun yet
    with app.app_context():
        (cover,) = db.session.scalars(select(Cover)).all()
        assert db.session.scalars(select(Event).where(Event.action == "cover.granted")).one().actor_id == desk_site["sup"].id
    # Site dates: 23:30 in Shanghai is still that day (15:30 UTC); 00:30 is the next day.
    for day, hour, ok in ((date(2026, 3, 9), 23, False), (date(2026, 3, 10), 0, True), (date(2026, 3, 12), 23, True),
                          (date(2026, 3, 13), 0, False)):
        with at_site(day, hour):
            client = signed_in(app, jia)
            assert reveal(client, desk_site["p5"], "phone").status_code == (200 if ok else 403), day
    # Ending the cover early takes it away at once.
    with at_site(date(2026, 3, 11)):
        client, sup = signed_in(app, jia), signed_in(app, desk_site["sup"])
        assert reveal(client, desk_site["p5"], "phone").status_code == 200
        assert "代班中" in sup.get("/privacy/covers").get_data(as_text=True)
        assert post(sup, f"/privacy/covers/{cover.id}/end").status_code == 303
        resp = reveal(client, desk_site["p5"], "phone")
        assert resp.status_code == 403 and "代班" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Event).where(Event.action == "cover.ended")).one() is not None


def test_t9_cover_form_refuses_bad_input_with_chinese_messages(app, desk_site):
    jia, yi = desk_site["stewards"]["甲管家"], desk_site["stewards"]["乙管家"]
    with at_site(DAY1):
        sup = signed_in(app, desk_site["sup"])
        cases = [({"user_id": jia.id, "for_user_id": jia.id, "starts_on": "2026-03-10", "ends_on": "2026-03-11"}, "不能是同一人"),
                 ({"user_id": jia.id, "for_user_id": yi.id, "starts_on": "2026-03-12", "ends_on": "2026-03-10"}, "不能早于开始日期"),
                 ({"user_id": jia.id, "for_user_id": yi.id, "starts_on": "", "ends_on": "2026-03-10"}, "请填写开始日期")]
        for data, message in cases:
            resp = post(sup, "/privacy/covers", data)
            assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Cover)).all() == []
    # Stewards cannot grant themselves cover.
    assert post(signed_in(app, jia), "/privacy/covers", {"user_id": jia.id, "for_user_id": yi.id,
                                                          "starts_on": "2026-03-10", "ends_on": "2026-03-11"}).status_code == 403


def test_t9_steward_lists_show_own_buildings_first(app, desk_site, make):
    yi = desk_site["stewards"]["乙管家"]  # owns building 5; building 3 sorts first for everyone else
    make.person(desk_site["u5"], name="王小明", phone="13700001111", role="tenant")
    html = signed_in(app, yi).get("/units?q=王").get_data(as_text=True)
    assert html.index("5栋") < html.index("3栋")
    html = signed_in(app, desk_site["desk"]).get("/units?q=王").get_data(as_text=True)
    assert html.index("3栋") < html.index("5栋")
    # Patrol targets: his building first in the choice of buildings.
    start = signed_in(app, yi).get("/patrols/start").get_data(as_text=True)
    options = re.findall(r'<option value="\d+"[^>]*>(\d+)栋', start)
    assert options and options[0] == "5"


# --- the audit page ---------------------------------------------------------------------

def test_t9_audit_page_filters_by_staff_unit_and_dates_and_downloads_csv(app, desk_site):
    with at_site(date(2026, 3, 2)):
        desk = signed_in(app, desk_site["desk"])
        assert reveal(desk, desk_site["p5"], "id_number", "办理放行条核对身份").status_code == 200
    with at_site(date(2026, 3, 9)):
        desk, jia = signed_in(app, desk_site["desk"]), signed_in(app, desk_site["stewards"]["甲管家"])
        assert reveal(jia, desk_site["p3"], "phone", "约业主验房").status_code == 200
        assert reveal(desk, desk_site["p3"], "phone", "通知取快递").status_code == 200
        sup = signed_in(app, desk_site["sup"])
        page = sup.get("/privacy/audit?start=2026-03-01&end=2026-03-09").get_data(as_text=True)
        assert all(r in page for r in ("办理放行条核对身份", "约业主验房", "通知取快递"))
        assert "13812348000" not in page and "440106199001011238" not in page and "110101199003071233" not in page
        by_staff = sup.get(f"/privacy/audit?start=2026-03-01&end=2026-03-09&user={desk_site['stewards']['甲管家'].id}").get_data(as_text=True)
        assert "约业主验房" in by_staff and "通知取快递" not in by_staff
        by_unit = sup.get("/privacy/audit?start=2026-03-01&end=2026-03-09&unit=5-1-0801").get_data(as_text=True)
        assert "办理放行条核对身份" in by_unit and "约业主验房" not in by_unit
        by_date = sup.get("/privacy/audit?start=2026-03-09&end=2026-03-09").get_data(as_text=True)
        assert "办理放行条核对身份" not in by_date and "通知取快递" in by_date
        frag = sup.get("/privacy/audit?start=2026-03-09&end=2026-03-09", headers={"HX-Request": "true"})
        assert frag.get_data(as_text=True).lstrip().startswith('<section id="results"')
        resp = sup.get("/privacy/audit.csv?start=2026-03-01&end=2026-03-09")
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        text = resp.get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows[0][:6] == ["时间", "员工", "记录类别", "姓名", "房屋", "字段"] and len(rows) == 4
        assert {r[6] for r in rows[1:]} == {"办理放行条核对身份", "约业主验房", "通知取快递"}
        assert "13812348000" not in text and "440106199001011238" not in text
        # Only supervisors and managers see the audit.
        assert desk.get("/privacy/audit").status_code == 403
        assert jia.get("/privacy/audit.csv").status_code == 403


# --- technicians and ticket photos --------------------------------------------------------

def test_t9_technician_sees_only_photos_of_his_work_and_never_a_complaints_own(app, ticket_site, make):
    from propsvc.tickets.models import Photo

    site = ticket_site
    desk = client_for(app, site["users"]["front_desk"])
    sup = client_for(app, site["users"]["supervisor"])
    tech = client_for(app, site["users"]["technician"])
    loner = make.user("technician", communities=[site["community"]])  # no department, nothing dispatched
    loner_client = client_for(app, loner)

    def photos_of(t):
        with app.app_context():
            return [p.id for p in db.session.scalars(select(Photo).where(Photo.ticket_id == t.id))]

    # A complaint with its photo, dispatched to his department: the text and the photo stay hidden.
    assert intake(desk, site, kind="complaint", description="邻居装修噪音扰民", photos=[(_jpeg(), "c.jpg")],
                  client_key="complaint-1").status_code == 303
    complaint = ticket(app)
    assert step(sup, complaint, "dispatch", department_id=site["eng"], assignee_id="0", task="检查噪音来源").status_code == 303
    (cphoto,) = photos_of(complaint)
    page = tech.get(f"/tickets/{complaint.id}").get_data(as_text=True)
    assert "邻居装修噪音扰民" not in page and f"/tickets/photos/{cphoto}" not in page
    assert tech.get(f"/tickets/photos/{cphoto}").status_code == 404
    assert tech.get(f"/tickets/photos/{cphoto}/thumb").status_code == 404
    assert sup.get(f"/tickets/photos/{cphoto}").status_code == 200  # the roles that need it

    # A repair dispatched to his department: he sees its photos; a technician elsewhere does not.
    assert intake(desk, site, photos=[(_jpeg("blue"), "r.jpg")], client_key="repair-1").status_code == 303
    repair = ticket(app)
    assert step(sup, repair, "dispatch", department_id=site["eng"], assignee_id="0", task="修漏水").status_code == 303
    (rphoto,) = photos_of(repair)
    assert tech.get(f"/tickets/photos/{rphoto}").status_code == 200
    assert loner_client.get(f"/tickets/photos/{rphoto}").status_code == 404
    assert loner_client.get(f"/tickets/photos/{cphoto}").status_code == 404
