"""Ticket settings per community (工单设置): categories [T2], deadline policies, working hours and
holidays, outages shown at intake. Through the web interface, on a real database."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from conftest import post
from test_tickets import client_for, intake, site, step, ticket  # noqa: F401
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.tickets.models import Category, Holiday, Outage, SlaPolicy, Ticket, WorkSchedule

SHANGHAI = timezone(timedelta(hours=8))
HX = {"HX-Request": "true"}


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def category(app, category_id) -> Category:
    with app.app_context():
        c = db.session.get(Category, category_id)
        db.session.expunge(c)
        return c


def policy(app, community_id, urgency) -> SlaPolicy:
    with app.app_context():
        p = db.session.scalar(select(SlaPolicy).where(SlaPolicy.community_id == community_id,
                                                      SlaPolicy.urgency == urgency))
        db.session.expunge(p)
        return p


def local(dt: datetime) -> str:
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def test_page_shows_every_section_to_supervisors_and_refuses_others(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    resp = sup.get("/tickets/settings")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for text in ("工单类别", "水电气维修", "处理时限", "工作时间与节假日", "08:30-12:00,14:00-18:00", "停水停电通知"):
        assert text in html, text
    assert client_for(app, site["users"]["manager"]).get("/tickets/settings").status_code == 200
    for role in ("steward", "front_desk", "technician", "guard"):
        c = client_for(app, site["users"][role])
        assert c.get("/tickets/settings").status_code == 403, role
        assert post(c, f"/tickets/settings/categories/{site['cats']['绿化']}",
                    {f"cat{site['cats']['绿化']}-name": "x"}).status_code == 403, role
    assert 'href="/tickets/settings"' in sup.get("/").get_data(as_text=True)


def test_page_load_creates_the_defaults_for_a_new_community(app, make):
    c = make.community()
    admin = make.user("admin", communities=[c])
    assert client_for(app, admin).get("/tickets/settings").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Category).where(Category.community_id == c.id)) == 9
        assert db.session.get(WorkSchedule, c.id) is not None


# --- (a) categories ----------------------------------------------------------------------

def test_category_rename_department_mode_and_active_are_saved_and_recorded(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    cid = site["cats"]["绿化"]
    resp = post(sup, f"/tickets/settings/categories/{cid}", {
        f"cat{cid}-name": "绿化养护", f"cat{cid}-department_id": str(site["eng"]), f"cat{cid}-assign_mode": "grab"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/tickets/settings#categories")
    c = category(app, cid)
    assert (c.name, c.department_id, c.assign_mode, c.active) == ("绿化养护", site["eng"], "grab", False)
    (ev,) = events(app, "category.updated")
    assert ev.object_id == cid and ev.actor_id == site["users"]["supervisor"].id
    assert ev.data["changes"]["name"] == ["绿化", "绿化养护"] and ev.data["changes"]["active"] == [True, False]
    # an inactive category is no longer offered at intake
    desk = client_for(app, site["users"]["front_desk"])
    assert "绿化养护" not in desk.get("/tickets/new").get_data(as_text=True)


def test_category_form_over_htmx_returns_only_its_section(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    cid = site["cats"]["停车"]
    resp = post(sup, f"/tickets/settings/categories/{cid}", {
        f"cat{cid}-name": "停车管理", f"cat{cid}-department_id": "0", f"cat{cid}-assign_mode": "supervisor",
        f"cat{cid}-active": "y"}, headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.lstrip().startswith('<section id="categories"') and "<html" not in html
    assert "已保存类别“停车管理”" in html
    assert category(app, cid).name == "停车管理"


def test_category_add_and_bad_input(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    resp = post(sup, "/tickets/settings/categories", {"newcat-name": "  公共设施 ", "newcat-department_id": "0",
                                                       "newcat-assign_mode": "supervisor", "newcat-active": "y"})
    assert resp.status_code == 303
    (ev,) = events(app, "category.created")
    with app.app_context():
        c = db.session.get(Category, ev.object_id)
        assert (c.name, c.community_id, c.active) == ("公共设施", site["community"].id, True)
    assert "公共设施" in client_for(app, site["users"]["front_desk"]).get("/tickets/new").get_data(as_text=True)
    # a name already used, an empty name, grab without a department: 422, the message by the field
    for data, message in (({"newcat-name": "安全"}, "本小区已有同名类别"),
                          ({"newcat-name": " "}, "请填写类别名称"),
                          ({"newcat-name": "快递", "newcat-assign_mode": "grab", "newcat-department_id": "0"},
                           "部门抢单需要指定默认部门")):
        resp = post(sup, "/tickets/settings/categories", {"newcat-department_id": "0",
                                                           "newcat-assign_mode": "supervisor", **data})
        assert resp.status_code == 422, data
        assert message in resp.get_data(as_text=True)
    cid = site["cats"]["安全"]
    resp = post(sup, f"/tickets/settings/categories/{cid}", {f"cat{cid}-name": "绿化", f"cat{cid}-department_id": "0",
                                                            f"cat{cid}-assign_mode": "supervisor"}, headers=HX)
    assert resp.status_code == 422 and "本小区已有同名类别" in resp.get_data(as_text=True)
    assert category(app, cid).name == "安全"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Category).where(
            Category.community_id == site["community"].id)) == 10
    assert len(events(app, "category.created")) == 1 and events(app, "category.updated") == []


def test_another_communitys_category_is_not_found(app, site, make):
    other = make.community()
    sup2 = make.user("supervisor", communities=[other])
    cid = site["cats"]["绿化"]
    resp = post(client_for(app, sup2), f"/tickets/settings/categories/{cid}", {f"cat{cid}-name": "偷改"})
    assert resp.status_code == 404
    assert category(app, cid).name == "绿化"


def test_grab_category_auto_dispatches_new_tickets_to_its_department(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    cid = site["cats"]["电梯故障"]
    assert post(sup, f"/tickets/settings/categories/{cid}", {
        f"cat{cid}-name": "电梯故障", f"cat{cid}-department_id": str(site["eng"]), f"cat{cid}-assign_mode": "grab",
        f"cat{cid}-active": "y"}).status_code == 303
    desk = client_for(app, site["users"]["front_desk"])
    assert intake(desk, site, category_id=str(cid), description="电梯停在8楼不动").status_code == 303
    t = ticket(app)
    assert t.state == "dispatched" and t.department_id == site["eng"] and t.assignee_id is None
    with app.app_context():
        ev = db.session.scalar(select(Event).where(Event.object_type == "ticket", Event.object_id == t.id,
                                                   Event.action == "ticket.dispatched"))
        assert ev.data["auto"] is True
    tech = client_for(app, site["users"]["technician"])  # anyone of the department may take it
    assert step(tech, t, "accept").status_code == 303


# --- (b) deadline policies ---------------------------------------------------------------

def test_changed_policy_changes_new_tickets_deadlines(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    resp = post(sup, "/tickets/settings/sla/urgent", {"sla_urgent-respond": "30m", "sla_urgent-resolve": "6h",
                                                       "sla_urgent-clock": "wall"})
    assert resp.status_code == 303
    p = policy(app, site["community"].id, "urgent")
    assert (p.respond, p.resolve, p.working_time) == ("30m", "6h", False)
    (ev,) = events(app, "sla.updated")
    assert ev.data["urgency"] == "urgent" and ev.data["changes"]["respond"] == ["15m", "30m"]
    desk = client_for(app, site["users"]["front_desk"])
    assert intake(desk, site, urgency="urgent").status_code == 303
    t = ticket(app)
    assert t.respond_due - t.created_at == timedelta(minutes=30)
    assert t.resolve_due - t.created_at == timedelta(hours=6)


def test_switching_a_policy_to_working_time(clock, app, site):
    sup = client_for(app, site["users"]["supervisor"])
    assert post(sup, "/tickets/settings/sla/low", {"sla_low-respond": "4h", "sla_low-resolve": "2d",
                                                    "sla_low-clock": "working"}).status_code == 303
    from propsvc.auth.models import User
    from propsvc.tickets.services import Intake, create_ticket

    with app.app_context():
        actor = db.session.get(User, site["users"]["front_desk"].id)
        at = datetime(2026, 11, 27, 16, 0, tzinfo=SHANGHAI)
        t = create_ticket(site["community"].id, Intake(kind="repair", channel="phone", category_id=site["cats"]["绿化"],
                          urgency="low", description="草坪枯黄", unit_id=site["unit"].id), actor, now=at)
        db.session.commit()
        t = db.session.get(Ticket, t.id)
        # Friday 16:00 + 4 working hours: 2 h today, then Monday 08:30 + 2 h [D1: Monday to Friday]
        assert t.respond_due.astimezone(SHANGHAI) == datetime(2026, 11, 30, 10, 30, tzinfo=SHANGHAI)
        assert t.resolve_due.astimezone(SHANGHAI) == datetime(2026, 12, 1, 16, 0, tzinfo=SHANGHAI)


def test_bad_spec_is_refused_with_the_chinese_message_and_nothing_saved(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    for data, message in (
        ({"sla_normal-respond": "2 hours", "sla_normal-resolve": "1d"}, "时长格式不正确"),
        ({"sla_normal-respond": "2h", "sla_normal-resolve": "1x"}, "时长格式不正确：“1x”（示例：15m、90m、2h、1d、1d4h）"),
        ({"sla_normal-respond": "0", "sla_normal-resolve": "1d"}, "时限不能为0"),
        ({"sla_normal-respond": "400d", "sla_normal-resolve": "1d"}, "超过 366 天"),
        ({"sla_normal-respond": "1d", "sla_normal-resolve": "2h"}, "完成时限不能短于响应时限"),
        # 10,000 characters pasted: the message quotes the start, not the whole paste
        ({"sla_normal-respond": "x" * 10_000, "sla_normal-resolve": "1d"}, "时长格式不正确：“" + "x" * 16 + "…”"),
    ):
        resp = post(sup, "/tickets/settings/sla/normal", {"sla_normal-clock": "working", **data})
        html = resp.get_data(as_text=True)
        assert resp.status_code == 422, data
        assert message in html, (data, message)
        assert "x" * 17 + "”" not in html  # the field keeps what was typed; the message quotes 16
        assert 'class="field has-error"' in html
    resp = post(sup, "/tickets/settings/sla/normal", {"sla_normal-respond": "2小时", "sla_normal-resolve": "1d",
                                                       "sla_normal-clock": "working"}, headers=HX)
    assert resp.status_code == 422 and resp.get_data(as_text=True).lstrip().startswith('<section id="sla"')
    p = policy(app, site["community"].id, "normal")
    assert (p.respond, p.resolve, p.working_time) == ("2h", "1d", True)
    assert events(app, "sla.updated") == []
    assert post(sup, "/tickets/settings/sla/critical", {}).status_code == 404


# --- (c) working hours and holidays -------------------------------------------------------

def test_working_hours_are_saved_normalised_and_recorded(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    resp = post(sup, "/tickets/settings/hours", {"hours-periods": "9:00～12:00， 13:30-17:30",
                                                  "hours-weekdays": ["0", "1", "2", "3", "4", "5"]})
    assert resp.status_code == 303
    with app.app_context():
        ws = db.session.get(WorkSchedule, site["community"].id)
        assert (ws.periods, ws.weekdays) == ("09:00-12:00,13:30-17:30", "012345")
    (ev,) = events(app, "schedule.updated")
    assert ev.object_type == "community" and ev.data["changes"]["weekdays"] == ["01234", "012345"]
    html = sup.get("/tickets/settings").get_data(as_text=True)
    assert 'value="09:00-12:00,13:30-17:30"' in html


def test_bad_periods_or_no_weekday_are_refused(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    for data, message in (
        ({"hours-periods": "8:30-12", "hours-weekdays": ["0"]}, "工作时段格式不正确：“8:30-12”"),
        ({"hours-periods": "14:00-12:00", "hours-weekdays": ["0"]}, "工作时段的开始时间须早于结束时间"),
        ({"hours-periods": "08:00-12:00,11:00-13:00", "hours-weekdays": ["0"]}, "工作时段重叠"),
        ({"hours-periods": "", "hours-weekdays": ["0"]}, "工作时段不能为空"),
        ({"hours-periods": "08:30-12:00"}, "请至少选择一个工作日"),
    ):
        resp = post(sup, "/tickets/settings/hours", data)
        assert resp.status_code == 422, data
        assert message in resp.get_data(as_text=True), message
    with app.app_context():
        ws = db.session.get(WorkSchedule, site["community"].id)
        assert (ws.periods, ws.weekdays) == ("08:30-12:00,14:00-18:00", "01234")
    assert events(app, "schedule.updated") == []


def test_holidays_and_make_up_workdays_are_added_removed_and_count(clock, app, site):
    sup = client_for(app, site["users"]["supervisor"])
    day = date.today() + timedelta(days=40)
    resp = post(sup, "/tickets/settings/holidays", {"holiday-day": day.isoformat(), "holiday-name": "国庆节",
                                                     "holiday-workday": "0"})
    assert resp.status_code == 303
    resp = post(sup, "/tickets/settings/holidays", {"holiday-day": (day + timedelta(days=1)).isoformat(),
                                                     "holiday-name": "国庆调休", "holiday-workday": "1"}, headers=HX)
    assert resp.status_code == 200 and "国庆调休" in resp.get_data(as_text=True)
    with app.app_context():
        rows = list(db.session.scalars(select(Holiday).order_by(Holiday.day)))
        assert [(h.name, h.workday) for h in rows] == [("国庆节", False), ("国庆调休", True)]
        from propsvc.tickets.services import calendar_for

        cal = calendar_for(site["community"].id)
        assert not cal.is_working_day(day) and cal.is_working_day(day + timedelta(days=1))
        first = rows[0].id
    assert len(events(app, "holiday.created")) == 2
    # the same date twice, a bad date, no date: 422
    for data, message in (({"holiday-day": day.isoformat()}, "已设置为“国庆节”"),
                          ({"holiday-day": "2026-02-30"}, "日期格式不正确"),
                          ({"holiday-day": ""}, "请选择日期")):
        resp = post(sup, "/tickets/settings/holidays", {"holiday-workday": "0", **data})
        assert resp.status_code == 422 and message in resp.get_data(as_text=True), data
    resp = post(sup, "/tickets/settings/holidays", {"holiday-workday": "0"})
    assert resp.status_code == 422 and "请选择日期" in resp.get_data(as_text=True)
    assert post(sup, f"/tickets/settings/holidays/{first}/delete").status_code == 303
    with app.app_context():
        assert [h.name for h in db.session.scalars(select(Holiday))] == ["国庆调休"]
    (ev,) = events(app, "holiday.deleted")
    assert ev.object_id == first and ev.data["name"] == "国庆节"


# --- (d) outages ---------------------------------------------------------------------------

def _outage(client, site, **over):
    now = datetime.now(SHANGHAI)
    data = {"outage-what": "停水", "outage-building_ids": [str(site["building"].id)],
            "outage-starts_at": local(now - timedelta(hours=1)), "outage-ends_at": local(now + timedelta(hours=5)),
            "outage-script": "因市政管道抢修，3栋今天停水至17:00，请提前储水。"}
    data.update(over)
    return post(client, "/tickets/settings/outages", data)


def test_new_outage_shows_in_the_intake_lookup_and_can_be_ended_early(app, site):
    sup = client_for(app, site["users"]["supervisor"])
    resp = _outage(sup, site)
    assert resp.status_code == 303
    (ev,) = events(app, "outage.created")
    assert ev.data["what"] == "停水" and ev.data["buildings"] == ["3"]
    page = sup.get("/tickets/settings").get_data(as_text=True)
    assert "进行中" in page and "因市政管道抢修" in page
    desk = client_for(app, site["users"]["front_desk"])
    lookup = desk.get(f"/tickets/new?part=lookup&unit_id={site['unit'].id}", headers=HX).get_data(as_text=True)
    assert "因市政管道抢修，3栋今天停水至17:00，请提前储水。" in lookup and "停水通知" in lookup
    resp = post(sup, f"/tickets/settings/outages/{ev.object_id}/end", headers=HX)
    assert resp.status_code == 200 and "已提前结束停水通知" in resp.get_data(as_text=True)
    (end,) = events(app, "outage.ended")
    assert end.data["cancelled"] is False
    lookup = desk.get(f"/tickets/new?part=lookup&unit_id={site['unit'].id}", headers=HX).get_data(as_text=True)
    assert "因市政管道抢修" not in lookup


def test_t1_a_call_linked_to_an_outage_is_checked_like_the_intake_form(app, site):
    """关联此通知 posts the intake form's caller fields: a bad channel or phone is a field error
    on the intake page (422, nothing linked), a good one links the call once."""
    sup = client_for(app, site["users"]["supervisor"])
    assert _outage(sup, site).status_code == 303
    (ev,) = events(app, "outage.created")
    desk = client_for(app, site["users"]["front_desk"])
    url = f"/tickets/outages/{ev.object_id}/call"
    base = {"unit_id": str(site["unit"].id), "reporter_name": "邻居", "channel": "phone"}
    for bad, message in (({"channel": "9223372036854775808"}, "不是有效的选择。"), ({"reporter_phone": "12345"}, "电话号码格式不正确"),
                         ({"unit_id": str(2**63)}, "请从列表中选择房屋。")):
        resp = post(desk, url, {**base, **bad})
        assert resp.status_code == 422, bad
        page = resp.get_data(as_text=True)
        assert "提交工单" in page and message in page, bad  # the intake page, the message by its field
    assert events(app, "outage.call_linked") == []
    resp = post(desk, url, {**base, "reporter_phone": "13800138000", "client_key": "call-1"})
    assert resp.status_code == 303
    assert post(desk, url, {**base, "reporter_phone": "13800138000", "client_key": "call-1"}).status_code == 303
    (linked,) = events(app, "outage.call_linked")
    assert linked.data["channel"] == "phone"


def test_outage_for_all_buildings_and_an_announced_one_can_be_called_off(clock, app, site, make):
    other_building = make.building(site["community"], "5")
    sup = client_for(app, site["users"]["supervisor"])
    now = datetime.now(SHANGHAI)
    resp = _outage(sup, site, **{"outage-what": "停电", "outage-building_ids": [], "outage-all_buildings": "y",
                                 "outage-starts_at": local(now + timedelta(hours=3)),
                                 "outage-ends_at": local(now + timedelta(hours=6)),
                                 "outage-script": "供电局检修线路，今晚全小区停电三小时。"})
    assert resp.status_code == 303
    with app.app_context():
        o = db.session.scalar(select(Outage))
        assert sorted(b.number for b in o.buildings) == ["3", "5"]
        oid = o.id
    assert "即将开始" in sup.get("/tickets/settings").get_data(as_text=True)
    desk = client_for(app, site["users"]["front_desk"])
    lookup = desk.get(f"/tickets/new?part=lookup&building_id={other_building.id}&location=x", headers=HX)
    assert "供电局检修线路" in lookup.get_data(as_text=True)
    assert post(sup, f"/tickets/settings/outages/{oid}/end").status_code == 303
    (end,) = events(app, "outage.ended")
    assert end.data["cancelled"] is True
    assert "供电局检修线路" not in sup.get("/tickets/settings").get_data(as_text=True)


def test_bad_outage_input_is_refused(clock, app, site):
    sup = client_for(app, site["users"]["supervisor"])
    now = datetime.now(SHANGHAI)
    for over, message in (
        ({"outage-building_ids": []}, "请选择停水/停电的楼栋"),
        ({"outage-script": ""}, "请填写告知来电人的话术"),
        ({"outage-ends_at": local(now - timedelta(hours=2))}, "恢复时间应晚于开始时间"),
        ({"outage-starts_at": local(now - timedelta(hours=5)), "outage-ends_at": local(now - timedelta(hours=1))},
         "预计恢复时间已过"),
        ({"outage-starts_at": "tomorrow"}, "时间格式不正确"),
        ({"outage-ends_at": ""}, "请填写预计恢复时间"),
    ):
        resp = _outage(sup, site, **over)
        assert resp.status_code == 422, over
        assert message in resp.get_data(as_text=True), message
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Outage)) == 0
    assert events(app, "outage.created") == []
