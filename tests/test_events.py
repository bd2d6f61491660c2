"""Community events [F2]: plan (states, each an Event), publish (a notice through the
PUBLISH_NOTICE point, the poster with its QR), sign up (capacity, waiting list, one sign-up per
home, masked phones, the sign-up sheet), check in on the day (unit search, walk-ins, the live
count), look back (one-page PDF), and the bad input of issue 21: an event in the past, capacity
below those signed up, a sign-up after the event has begun, a second sign-up for one home —
each refused with a Chinese message by the field, 4xx, nothing written.

Time is frozen at a chosen moment (tests/moments.py), so nothing depends on today's date."""
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from conftest import login, post
from moments import travel
from propsvc.core.hooks import NOTICE_BOARD, joined
from propsvc.core.models import Event
from propsvc.core.timefmt import site_now, utcnow
from propsvc.events import services
from propsvc.events.models import CommunityEvent, EventSignup
from propsvc.extensions import db

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
PHONES = ["13812340001", "13812340002", "13812340003", "13812340004"]


@pytest.fixture(autouse=True)
def frozen():
    with travel("fri-1750", tick=True) as t:
        yield t


@pytest.fixture
def site(app, make):
    c = make.community("东湖花园")
    b3 = make.building(c, "3")
    units = [make.unit(b3, 1, f"{n}01") for n in (1, 2, 3, 4)]
    for u, phone in zip(units, PHONES):
        make.person(u, name=f"住户{u.number}", phone=phone)
    users = {r: make.user(r, communities=[c]) for r in ("front_desk", "steward", "supervisor", "technician")}
    return {"community": c, "units": units, "users": users, "b3": b3}


def as_user(app, site, role):
    client = app.test_client()
    assert login(client, site["users"][role].username).status_code == 303
    return client


def local(dt) -> str:
    return site_now(dt).strftime("%Y-%m-%dT%H:%M")


def event_form(**kw):
    start = utcnow() + timedelta(hours=2)
    data = {"title": "元宵节猜灯谜", "kind": "festival", "starts_at": local(start),
            "ends_at": local(start + timedelta(hours=2)), "place": "中心广场", "capacity": "5", "age_group": "all",
            "description": "欢迎全家参加。", "resources": "灯谜纸条 | 王管家 | 2030-01-01\n音响 | 李工",
            "budget": "奖品 | 300\n布置 | 120.5"}
    data.update(kw)
    return data


def make_event(app, site, *, capacity=5, publish=True, hours=2) -> int:
    with app.app_context():
        now = utcnow()
        ev = services.plan(site["community"].id, None, services.EventIn(
            title="元宵节猜灯谜", kind="festival", starts_at=now + timedelta(hours=hours),
            ends_at=now + timedelta(hours=hours + 2), place="中心广场", capacity=capacity, budget="奖品 | 300"))
        if publish:
            services.publish(ev, None)
        db.session.commit()
        return ev.id


def signup_form(unit, phone, people=2, name=None):
    return {"unit_id": str(unit.id), "unit_q": "", "name": name or f"住户{unit.number}", "people": str(people),
            "phone": phone}


def rows(app, model=EventSignup) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def actions(app, event_id) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Event.action).where(
            Event.object_type == "communityevent", Event.object_id == event_id).order_by(Event.id)))


def error_by(html: str, field: str) -> str:
    """The message in the field's box (the macro puts errors right after the input)."""
    m = re.search(rf'<div class="field has-error">(?:(?!<div class="field).)*?(?:name|id)="{field}".*?<p class="error">([^<]+)</p>',
                  html, re.S)
    return m.group(1) if m else ""


# --- plan and publish -------------------------------------------------------------------------------

def test_f2_event_plan_publish_close_each_state_an_event(app, site):
    sup = as_user(app, site, "supervisor")
    resp = post(sup, "/events/new", event_form())
    assert resp.status_code == 303, resp.get_data(as_text=True)
    ev_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        ev = db.session.get(CommunityEvent, ev_id)
        assert ev.state == "planning" and ev.capacity == 5
        assert ev.resources[0] == {"item": "灯谜纸条", "owner": "王管家", "due": "2030-01-01", "done": False}
        assert [b["amount"] for b in ev.budget] == ["300.00", "120.50"]
    assert post(sup, f"/events/{ev_id}/resources/0").status_code == 303
    assert post(sup, f"/events/{ev_id}/publish").status_code == 303
    with app.test_request_context():
        from propsvc.notices.models import Notice

        ev = db.session.get(CommunityEvent, ev_id)
        n = db.session.get(Notice, ev.notice_id)
        assert ev.state == "published" and ev.resources[0]["done"] is True
        assert n.kind == "event" and n.title == "元宵节猜灯谜" and n.valid_until == site_now(ev.starts_at).date()
        # the kiosk's board and a steward's 今日 read it through NOTICE_BOARD
        assert "元宵节猜灯谜" in [x["title"] for x in joined(NOTICE_BOARD, site["community"].id)]
    assert post(sup, f"/events/{ev_id}/publish").status_code == 409  # twice: a step out of order
    assert post(sup, f"/events/{ev_id}/start").status_code == 303
    assert post(sup, f"/events/{ev_id}/close").status_code == 303
    assert actions(app, ev_id) == ["event.planned", "event.resource_ticked", "event.published", "event.notice_posted",
                                   "event.started", "event.closed"]
    # who may: the front desk signs up but does not plan
    assert as_user(app, site, "front_desk").get("/events/new").status_code == 403


def test_f2_event_in_the_past_refused_by_the_field(app, site):
    sup = as_user(app, site, "supervisor")
    before = rows(app, CommunityEvent)
    past = utcnow() - timedelta(hours=1)
    resp = post(sup, "/events/new", event_form(starts_at=local(past), ends_at=local(past + timedelta(hours=2))))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert error_by(html, "starts_at") == "开始时间已过，请选择以后的时间。"
    assert 'value="元宵节猜灯谜"' in html and "灯谜纸条 | 王管家" in html  # nothing the clerk typed is lost
    assert rows(app, CommunityEvent) == before


def test_f2_event_capacity_below_signed_up_refused(app, site):
    ev_id = make_event(app, site, capacity=6)
    desk = as_user(app, site, "front_desk")
    for u, phone in zip(site["units"][:2], PHONES):
        assert post(desk, f"/events/{ev_id}/signup", signup_form(u, phone, people=2)).status_code == 303
    sup = as_user(app, site, "supervisor")
    with app.app_context():
        ev = db.session.get(CommunityEvent, ev_id)
        form = event_form(starts_at=local(ev.starts_at), ends_at=local(ev.ends_at), capacity="3")
    resp = post(sup, f"/events/{ev_id}/edit", form)
    assert resp.status_code == 422
    assert error_by(resp.get_data(as_text=True), "capacity") == "已有4人报名，人数上限不能少于4。"
    with app.app_context():
        assert db.session.get(CommunityEvent, ev_id).capacity == 6
    assert "event.revised" not in actions(app, ev_id)


def test_f2_event_revised_after_publishing_reposts_its_notice(app, site):
    ev_id = make_event(app, site)
    sup = as_user(app, site, "supervisor")
    with app.app_context():
        ev = db.session.get(CommunityEvent, ev_id)
        old_notice = ev.notice_id
        form = event_form(starts_at=local(ev.starts_at), ends_at=local(ev.ends_at), place="会所多功能厅", capacity="5")
    assert post(sup, f"/events/{ev_id}/edit", form).status_code == 303
    with app.app_context():
        from propsvc.notices.models import Notice

        ev = db.session.get(CommunityEvent, ev_id)
        assert ev.place == "会所多功能厅" and ev.notice_id != old_notice
        assert db.session.get(Notice, old_notice).withdrawn_at is not None
        assert "会所多功能厅" in db.session.get(Notice, ev.notice_id).body
    assert actions(app, ev_id)[-3:] == ["event.revised", "event.notice_withdrawn", "event.notice_posted"]


def test_f2_event_second_signup_for_a_unit_refused(app, site):
    ev_id = make_event(app, site)
    desk = as_user(app, site, "front_desk")
    u = site["units"][0]
    assert post(desk, f"/events/{ev_id}/signup", signup_form(u, PHONES[0])).status_code == 303
    steward = as_user(app, site, "steward")  # the steward, on another family member's behalf
    resp = post(steward, f"/events/{ev_id}/signup", signup_form(u, PHONES[1], name="王小明"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "3栋1单元101已报名" in html and "同一户不能重复报名" in html
    assert 'value="王小明"' in html
    assert rows(app) == 1


def test_f2_event_signup_after_the_event_began_refused(app, site, frozen):
    ev_id = make_event(app, site, hours=24)
    frozen.shift(timedelta(days=1, minutes=5))  # the event has begun
    desk = as_user(app, site, "front_desk")
    resp = post(desk, f"/events/{ev_id}/signup", signup_form(site["units"][0], PHONES[0]))
    assert resp.status_code == 409
    assert "活动已开始或已结束，不能再报名" in resp.get_data(as_text=True)
    assert rows(app) == 0


def test_f2_event_check_in_opens_twelve_hours_before(app, site, frozen):
    ev_id = make_event(app, site, hours=13)
    steward = as_user(app, site, "steward")
    resp = post(steward, f"/events/{ev_id}/start")
    assert resp.status_code == 409 and "活动开始前12小时内才能开始签到。" in resp.get_data(as_text=True)
    frozen.shift(timedelta(hours=1, minutes=1))
    steward = as_user(app, site, "steward")
    assert post(steward, f"/events/{ev_id}/start").status_code == 303
    assert actions(app, ev_id)[-1] == "event.started"


def test_f2_event_waiting_list_moves_up_when_one_cancels(app, site):
    ev_id = make_event(app, site, capacity=4)
    desk = as_user(app, site, "front_desk")
    for u, phone in zip(site["units"][:3], PHONES):
        assert post(desk, f"/events/{ev_id}/signup", signup_form(u, phone, people=2)).status_code == 303
    with app.app_context():
        states = [s.state for s in db.session.get(CommunityEvent, ev_id).signups]
        first_id = db.session.get(CommunityEvent, ev_id).signups[0].id
    assert states == ["confirmed", "confirmed", "waiting"]
    assert post(desk, f"/events/signups/{first_id}/cancel").status_code == 303
    with app.app_context():
        ev = db.session.get(CommunityEvent, ev_id)
        assert [s.state for s in ev.signups] == ["cancelled", "confirmed", "confirmed"]
        assert services.counts(ev)["confirmed"] == 4
    assert actions(app, ev_id)[-2:] == ["event.signup_cancelled", "event.moved_up"]


def test_f2_event_phone_masked_on_pages_and_sheet(app, site):
    ev_id = make_event(app, site)
    desk = as_user(app, site, "front_desk")
    assert post(desk, f"/events/{ev_id}/signup", signup_form(site["units"][0], PHONES[0])).status_code == 303
    for url in (f"/events/{ev_id}", f"/events/{ev_id}/checkin"):
        html = desk.get(url).get_data(as_text=True)
        assert PHONES[0] not in html and "138****0001" in html
    public = app.test_client().get(desk.get(f"/events/{ev_id}").get_data(as_text=True).split(
        'href="/events/p/', 1)[1].split('"', 1)[0].join(["/events/p/", ""]))
    text = public.get_data(as_text=True)
    assert public.status_code == 200 and "住户101" not in text and "0001" not in text and "尚余 3 人" in text


def test_f2_event_cancel_withdraws_notice_and_lists_whom_to_tell(app, site):
    ev_id = make_event(app, site)
    desk = as_user(app, site, "front_desk")
    assert post(desk, f"/events/{ev_id}/signup", signup_form(site["units"][0], PHONES[0])).status_code == 303
    sup = as_user(app, site, "supervisor")
    resp = post(sup, f"/events/{ev_id}/cancel", {"reason": ""})
    assert resp.status_code == 422 and "请填写取消原因。" in resp.get_data(as_text=True)
    assert post(sup, f"/events/{ev_id}/cancel", {"reason": "天气原因"}).status_code == 303
    with app.app_context():
        from propsvc.notices.models import Notice

        ev = db.session.get(CommunityEvent, ev_id)
        assert ev.state == "cancelled" and db.session.get(Notice, ev.notice_id).withdrawn_at is not None
        told = db.session.scalar(select(Event).where(Event.action == "event.cancelled", Event.object_id == ev_id)).data
        assert told["told"] == [{"signup_id": ev.signups[0].id, "unit": "3栋1单元101", "name": "住户101",
                                 "phone": "138****0001", "state": "confirmed"}]
        sid = ev.signups[0].id
    assert post(desk, f"/events/signups/{sid}/told").status_code == 303
    assert "event.told" in actions(app, ev_id)


def test_f2_event_check_in_by_unit_search_walk_in_and_live_count(app, site):
    ev_id = make_event(app, site, capacity=5)
    desk = as_user(app, site, "front_desk")
    for u, phone in zip(site["units"][:2], PHONES):
        assert post(desk, f"/events/{ev_id}/signup", signup_form(u, phone, people=2)).status_code == 303
    steward = as_user(app, site, "steward")
    assert post(steward, f"/events/{ev_id}/start").status_code == 303
    # the registry's normaliser: full-width digits and 栋/单元 read as the unit
    html = steward.get(f"/events/{ev_id}/checkin", query_string={"q": "３栋1单元201"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "住户201" in html and "住户101" not in html and "已到 0 / 5 人" in html
    with app.app_context():
        sid = db.session.scalar(select(EventSignup.id).where(EventSignup.name == "住户201"))
    resp = post(steward, f"/events/signups/{sid}/checkin", {"q": "3-1-201"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "已到 2 / 5 人" in resp.get_data(as_text=True)
    # a walk-in over the places left is refused by the people field; within them, added and checked in
    resp = post(steward, f"/events/{ev_id}/walkin", {"unit_q": "", "unit_id": "", "name": "李客人", "people": "4",
                                                     "phone": ""})
    assert resp.status_code == 422 and error_by(resp.get_data(as_text=True), "people") == "现场已有2人，名额5人，已满。"
    assert post(steward, f"/events/{ev_id}/walkin", {"unit_q": "", "unit_id": "", "name": "李客人", "people": "3",
                                                     "phone": ""}).status_code == 303
    assert "已到 5 / 5 人" in steward.get(f"/events/{ev_id}/checkin").get_data(as_text=True)
    assert actions(app, ev_id)[-2:] == ["event.checked_in", "event.walked_in"]


@needs_poppler
def test_f2_event_pdfs_poster_sheet_and_one_page_look_back(app, site, tmp_path):
    ev_id = make_event(app, site)
    desk = as_user(app, site, "front_desk")
    assert post(desk, f"/events/{ev_id}/signup", signup_form(site["units"][0], PHONES[0])).status_code == 303
    sup = as_user(app, site, "supervisor")

    def text(url):
        resp = sup.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf", url
        path = tmp_path / "x.pdf"
        path.write_bytes(resp.data)
        pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout, \
            int(re.search(r"Pages:\s+(\d+)", pages).group(1))

    poster, n = text(f"/events/{ev_id}/poster.pdf")
    assert "元宵节猜灯谜" in poster and "中心广场" in poster and "扫码查看" in poster and n == 1
    with app.app_context():  # a long introduction is cut on the poster (the page has it whole): still one page
        db.session.get(CommunityEvent, ev_id).description = "\n".join(["活动介绍很长很长。" * 20] * 10)
        db.session.commit()
    poster, n = text(f"/events/{ev_id}/poster.pdf")
    assert n == 1 and "详见活动页面" in poster.replace("\n", "").replace(" ", "")
    sheet, _ = text(f"/events/{ev_id}/signups.pdf")
    assert "3栋1单元101" in sheet and "138****0001" in sheet and PHONES[0] not in sheet
    assert post(sup, f"/events/{ev_id}/start").status_code == 303
    assert post(sup, f"/events/{ev_id}/close").status_code == 303
    resp = post(sup, f"/events/{ev_id}/lookback", {"summary": "共2人参加，气氛热烈。", "satisfaction": "5, 4",
                                                  "costs": "奖品 | 280"})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    report, n = text(f"/events/{ev_id}/report.pdf")
    assert n == 1 and "共2人参加" in report and "4.5" in report and "300.00" in report and "280.00" in report


def test_f2_event_look_back_bad_score_refused(app, site):
    ev_id = make_event(app, site)
    sup = as_user(app, site, "supervisor")
    assert post(sup, f"/events/{ev_id}/start").status_code == 303
    assert post(sup, f"/events/{ev_id}/close").status_code == 303
    resp = post(sup, f"/events/{ev_id}/lookback", {"summary": "好", "satisfaction": "5, 9", "costs": ""})
    assert resp.status_code == 422
    assert error_by(resp.get_data(as_text=True), "satisfaction") == "评分为1至5分，用逗号或空格隔开，如：5, 4, 5。"
