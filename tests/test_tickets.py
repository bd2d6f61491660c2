"""Tickets: rules [T1]–[T7], [T9] through the web interface, on a real database."""
import io
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from conftest import client_for, post
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.tickets.models import Category, Ticket

SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def site(app, make):
    from propsvc.auth.models import Department
    from propsvc.cli import ensure_departments

    c = make.community()
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201")
    neighbour = make.unit(b, 2, "1101", floor=11)
    owner = make.person(u, name="王建国", phone="13812345678")
    with app.app_context():
        ensure_departments()
        eng = db.session.scalar(select(Department).where(Department.code == "engineering"))
        from propsvc.tickets.services import ensure_defaults

        ensure_defaults(c.id)
        db.session.commit()
        eng_id = eng.id
        cats = {cat.name: cat.id for cat in db.session.scalars(select(Category).where(Category.community_id == c.id))}
    users = {}
    for role in ("front_desk", "supervisor", "manager", "steward", "technician", "guard"):
        users[role] = make.user(role, communities=[c])
    tech2 = make.user("technician", communities=[c])
    with app.app_context():
        from propsvc.auth.models import User

        for uid in (users["technician"].id, tech2.id):
            db.session.get(User, uid).department_id = eng_id
        db.session.commit()
    users["technician2"] = tech2
    return {"community": c, "building": b, "unit": u, "neighbour": neighbour, "owner": owner, "eng": eng_id,
            "cats": cats, "users": users}


def intake(client, site, **over):
    data = {"kind": "repair", "channel": "phone", "unit_id": str(site["unit"].id), "building_id": "0",
            "category_id": str(site["cats"]["水电气维修"]), "urgency": "normal",
            "description": "卫生间漏水，楼下天花板滴水", "client_key": over.pop("client_key", None) or f"k{uuid.uuid4().hex}"}
    data.update(over)
    return post(client, "/tickets/new", data, content_type="multipart/form-data")


def ticket(app, ticket_id=None):
    with app.app_context():
        stmt = select(Ticket).order_by(Ticket.id.desc())
        t = db.session.get(Ticket, ticket_id) if ticket_id else db.session.scalars(stmt).first()
        db.session.expunge(t)
        return t


def events(app, t, action=None):
    with app.app_context():
        stmt = select(Event).where(Event.object_type == "ticket", Event.object_id == t.id).order_by(Event.id)
        if action:
            stmt = stmt.where(Event.action == action)
        return list(db.session.scalars(stmt))


def step(client, t, name, **data):
    data = {f"{name}-{k}" if k != "client_key" else k: v for k, v in data.items()}
    return post(client, f"/tickets/{t.id}/{name}", data, content_type="multipart/form-data")


def test_t1_t2_intake_records_channel_kind_category_and_urgency_deadlines(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = intake(desk, site, channel="wechat", urgency="urgent")
    assert resp.status_code == 303
    t = ticket(app)
    assert (t.channel, t.kind, t.urgency, t.state) == ("wechat", "repair", "urgent", "new")
    assert t.reporter_name == "王建国" and t.reporter_phone == "13812345678"  # filled from the owner
    assert t.respond_due - t.created_at == timedelta(minutes=15)  # urgent: wall clock
    assert t.resolve_due - t.created_at == timedelta(hours=4)
    assert re.fullmatch(r"\d{6}-\d{4,}", t.serial)
    page = desk.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "微信" in page and "紧急" in page and t.serial in page


def test_t2_normal_urgency_counts_working_hours(clock, app, site):
    from propsvc.tickets.models import Ticket as T
    from propsvc.tickets.services import Intake, create_ticket

    with app.app_context():
        from propsvc.auth.models import User

        actor = db.session.get(User, site["users"]["front_desk"].id)
        at = datetime(2026, 11, 27, 11, 30, tzinfo=SHANGHAI)  # 30 min before lunch
        t = create_ticket(site["community"].id, Intake(kind="repair", channel="phone",
                          category_id=site["cats"]["电梯故障"], urgency="normal", description="电梯异响",
                          unit_id=site["unit"].id), actor, now=at)
        db.session.commit()
        t = db.session.get(T, t.id)
        assert t.respond_due.astimezone(SHANGHAI) == datetime(2026, 11, 27, 15, 30, tzinfo=SHANGHAI)
        # one working day after a Friday is Monday [D1]
        assert t.resolve_due.astimezone(SHANGHAI) == datetime(2026, 11, 30, 11, 30, tzinfo=SHANGHAI)


def test_intake_double_tap_or_resubmission_creates_one_ticket(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    first = intake(desk, site, client_key="same-key-1")
    again = intake(desk, site, client_key="same-key-1")
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_intake_bad_input_gets_messages_next_to_fields(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = intake(desk, site, description="长" * 10000, reporter_phone="12345", category_id="0")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "描述最多2000字" in html and "电话号码格式不正确" in html and "请选择类别" in html
    resp = intake(desk, site, unit_id="999999")
    assert resp.status_code == 422 and "房屋不存在" in resp.get_data(as_text=True)
    resp = intake(desk, site, unit_id="", location="")
    assert resp.status_code == 422 and "请选择房屋，或填写公共区域位置" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_intake_refuses_a_file_that_is_not_an_image(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = intake(desk, site, photos=(io.BytesIO(b"not an image at all"), "leak.jpg"))
    assert resp.status_code == 422 and "图片" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def _jpeg(color="red", size=(2400, 1800)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    buf.seek(0)
    return buf


def test_photos_are_stored_shrunk_and_served_only_to_staff_who_may_see_the_ticket(app, site, make):
    desk = client_for(app, site["users"]["front_desk"])
    resp = intake(desk, site, photos=[(_jpeg(), "a.jpg"), (_jpeg("blue"), "b.jpg")])
    assert resp.status_code == 303
    t = ticket(app)
    with app.app_context():
        from propsvc.tickets.models import Photo

        photos = list(db.session.scalars(select(Photo).where(Photo.ticket_id == t.id)))
    assert len(photos) == 2 and all(max(p.width, p.height) <= 1600 for p in photos)
    img = desk.get(f"/tickets/photos/{photos[0].id}/thumb")
    assert img.status_code == 200 and img.mimetype == "image/jpeg"
    assert client_for(app, site["users"]["guard"]).get(f"/tickets/photos/{photos[0].id}").status_code == 403
    other = make.community()
    outsider = make.user("supervisor", communities=[other])
    assert client_for(app, outsider).get(f"/tickets/photos/{photos[0].id}").status_code == 404


def _dispatched(app, site, **intake_over):
    desk = client_for(app, site["users"]["front_desk"])
    assert intake(desk, site, **intake_over).status_code == 303
    t = ticket(app)
    sup = client_for(app, site["users"]["supervisor"])
    resp = step(sup, t, "dispatch", department_id=site["eng"], assignee_id="0", task="检查卫生间防水")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return ticket(app, t.id), desk, sup


def test_t3_dispatch_names_department_and_is_recorded(app, site):
    t, _desk, _sup = _dispatched(app, site)
    assert t.state == "dispatched" and t.department_id == site["eng"]
    (ev,) = events(app, t, "ticket.dispatched")
    assert ev.actor_id == site["users"]["supervisor"].id and ev.data["department"] == "工程部"


def test_accept_is_race_safe_exactly_one_of_two_wins(app, site):
    t, _desk, _sup = _dispatched(app, site)
    techs = [client_for(app, site["users"]["technician"]), client_for(app, site["users"]["technician2"])]
    results = [None, None]
    barrier = threading.Barrier(2)

    def go(i):
        barrier.wait()
        results[i] = step(techs[i], t, "accept", client_key=f"race-{i}")

    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [303, 409], codes
    loser = next(r for r in results if r.status_code == 409).get_data(as_text=True)
    winner_id = ticket(app, t.id).assignee_id
    winner = next(u for u in (site["users"]["technician"], site["users"]["technician2"]) if u.id == winner_id)
    assert f"已被{winner.name}接单" in loser
    assert len(events(app, t, "ticket.accepted")) == 1


def test_t4_delay_records_reason_new_time_and_that_the_owner_was_told(clock, app, site):
    t, _desk, _sup = _dispatched(app, site)
    tech = client_for(app, site["users"]["technician"])
    assert step(tech, t, "accept").status_code == 303
    later = (datetime.now(SHANGHAI) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    resp = step(tech, t, "delay", text="等待防水材料到货", expected_at=later, owner_told="y")
    assert resp.status_code == 303
    (ev,) = events(app, t, "ticket.delayed")
    assert ev.data["owner_told"] is True and ev.data["text"] == "等待防水材料到货"
    assert ticket(app, t.id).expected_at is not None
    page = tech.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "已告知业主" in page and "业主可见" in page


def test_notes_say_whether_the_owner_sees_them(app, site):
    t, desk, _sup = _dispatched(app, site)
    step(desk, t, "note", text="内部：楼下业主情绪激动")
    step(desk, t, "note", text="已通知业主明早上门", public="y")
    notes = events(app, t, "ticket.note")
    assert [n.data["public"] for n in notes] == [False, True]
    page = desk.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "内部" in page and "业主可见" in page
    fragment = desk.get(f"/tickets/{t.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_t5_return_visit_records_satisfaction_and_not_fixed_reopens(app, site):
    t, desk, _sup = _dispatched(app, site)
    tech = client_for(app, site["users"]["technician"])
    step(tech, t, "accept")
    assert step(tech, t, "resolve", text="更换了止水阀", photos=(_jpeg(), "done.jpg")).status_code == 303
    t = ticket(app, t.id)
    assert t.state == "resolved" and t.visit_due is not None
    steward = client_for(app, site["users"]["steward"])
    assert step(steward, t, "confirm", text="业主确认").status_code == 303
    resp = step(steward, t, "visit", satisfaction="2", outcome="not_fixed", text="仍有渗水")
    assert resp.status_code == 303
    t = ticket(app, t.id)
    assert t.state == "dispatched" and t.reopen_count == 1 and t.satisfaction is None
    (visit,) = events(app, t, "ticket.visited")
    assert visit.data["satisfaction"] == 2 and visit.data["outcome"] == "not_fixed"
    step(tech, t, "accept")
    step(tech, t, "resolve", text="重新做了防水")
    assert step(steward, t, "visit", satisfaction="5", outcome="fixed").status_code == 303
    t = ticket(app, t.id)
    assert t.state == "closed" and t.satisfaction == 5


def test_illegal_steps_are_refused_with_a_message(app, site):
    t, desk, sup = _dispatched(app, site)
    steward = client_for(app, site["users"]["steward"])
    resp = step(steward, t, "visit", satisfaction="5", outcome="fixed")
    assert resp.status_code == 409 and "尚未完成，不能回访" in resp.get_data(as_text=True)
    step(sup, t, "close", text="重复工单")
    tech = client_for(app, site["users"]["technician"])
    resp = step(tech, t, "accept")
    assert resp.status_code == 409 and "已关闭" in resp.get_data(as_text=True)


def test_t6_inquiry_gets_a_promised_reply_time_then_an_answer(clock, app, site):
    desk = client_for(app, site["users"]["front_desk"])
    promise = (datetime.now(SHANGHAI) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert intake(desk, site, kind="inquiry", category_id=str(site["cats"]["费用"]),
                  description="物业费能否按季度交？", answer_now="later", reply_due=promise).status_code == 303
    t = ticket(app)
    assert t.reply_due is not None and t.reply_due.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") == promise
    assert step(desk, t, "answer", text="可以按季度交，请到前台办理").status_code == 303
    assert ticket(app, t.id).replied_at is not None


def test_t7_work_memo_goes_to_supervisor_who_passes_it_to_manager(app, site):
    t, _desk, sup = _dispatched(app, site)
    steward = client_for(app, site["users"]["steward"])
    assert step(steward, t, "escalate", text="需更换公共立管，超出管家权限", photos=(_jpeg(), "pipe.jpg")).status_code == 303
    assert ticket(app, t.id).escalation == 1
    resp = step(steward, t, "escalate", text="再次上报")
    assert resp.status_code == 409 and "等待主管确认" in resp.get_data(as_text=True)
    assert step(sup, t, "escalate", text="情况属实，请经理审批维修基金").status_code == 303
    assert ticket(app, t.id).escalation == 2
    memos = events(app, t, "ticket.escalated")
    assert [m.data["to"] for m in memos] == ["supervisor", "manager"]


def test_t9_technician_sees_location_and_task_not_complainant_or_complaint(app, site):
    t, _desk, sup = _dispatched(app, site, kind="complaint", category_id=str(site["cats"]["噪音/邻里"]),
                                description="1101的张某每晚装修噪音扰民")
    tech = client_for(app, site["users"]["technician"])
    html = tech.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "3栋2单元1201" in html and "检查卫生间防水" in html
    assert "张某" not in html and "王建国" not in html and "138****5678" not in html
    desk_html = client_for(app, site["users"]["steward"]).get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "张某" in desk_html and "王建国" in desk_html


def test_technician_of_another_department_cannot_open_the_ticket(app, site, make):
    t, _desk, _sup = _dispatched(app, site)
    stranger = make.user("technician", communities=[site["community"]])  # no department
    assert client_for(app, stranger).get(f"/tickets/{t.id}").status_code == 404


def test_pause_stops_the_clock_and_shows(app, site):
    t, desk, _sup = _dispatched(app, site)
    before = ticket(app, t.id).resolve_due
    assert step(desk, t, "pause", text="业主不在家，约周六上门").status_code == 303
    page = desk.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert "暂停：业主不在家" in page
    assert step(desk, t, "resume").status_code == 303
    assert ticket(app, t.id).resolve_due >= before


def test_attach_caller_instead_of_a_duplicate(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    intake(desk, site)
    t = ticket(app)
    lookup = desk.get(f"/tickets/new?part=lookup&unit_id={site['neighbour'].id}", headers={"HX-Request": "true"})
    html = lookup.get_data(as_text=True)
    assert t.serial in html and "关联来电" in html  # same building's open ticket is shown
    resp = post(desk, "/tickets/new/attach", {"ticket_id": t.id, "unit_id": site["neighbour"].id,
                                               "reporter_name": "李四", "channel": "phone", "client_key": "att-1"})
    assert resp.status_code == 303
    again = post(desk, "/tickets/new/attach", {"ticket_id": t.id, "unit_id": site["neighbour"].id,
                                                "reporter_name": "李四", "channel": "phone", "client_key": "att-1"})
    assert again.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert len(db.session.get(Ticket, t.id).callers) == 1
    assert "受影响 2 户" in desk.get(f"/tickets/{t.id}").get_data(as_text=True)


def test_telling_the_owner_contact_is_recorded_and_texts_are_offered(app, site):
    t, desk, _sup = _dispatched(app, site)
    assert step(desk, t, "contact", method="sms", text="已短信告知派单情况").status_code == 303
    (ev,) = events(app, t, "ticket.contacted")
    assert ev.data["method"] == "sms"
    page = desk.get(f"/tickets/{t.id}").get_data(as_text=True)
    assert f"单号{t.serial}）已安排工程部处理" in page


def test_same_form_sent_twice_at_once_creates_one_ticket(app, site):
    """Two simultaneous submissions of one form (a flaky network resending): on PostgreSQL both
    may pass the look-up; the unique key and the savepoint fallback still give one ticket."""
    clients = [client_for(app, site["users"]["front_desk"]) for _ in range(2)]
    results = [None, None]
    barrier = threading.Barrier(2)

    def go(i):
        barrier.wait()
        results[i] = intake(clients[i], site, client_key="resent-at-once")

    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [r.status_code for r in results] == [303, 303]
    assert results[0].headers["Location"] == results[1].headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
