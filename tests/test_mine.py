"""我的工单: the steward's list [D2][T5][T6] and the technician's list (assigned, to grab), through
the web interface on a real database."""
import re
from datetime import datetime, time, timedelta

from propsvc.auth.models import User
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.registry.models import Building
from propsvc.tickets.models import Ticket
from sqlalchemy import func, select
from test_analysis import SH, act, new_ticket, resolved_ticket, utc_now
from test_tickets import client_for, site  # noqa: F401


def every_day_a_working_day(app, site):  # noqa: F811
    """These tests are about the lists ("resolved yesterday, visit due today"), not the working
    calendar [D1]: a seven-day week without statutory holidays, so that holds on any day."""
    from propsvc.tickets.models import WorkSchedule

    with app.app_context():
        ws = db.session.get(WorkSchedule, site["community"].id)
        ws.weekdays, ws.statutory = "0123456", False
        db.session.commit()


def own_buildings(app, user, *buildings):
    with app.app_context():
        db.session.get(User, user.id).buildings = [db.session.get(Building, b.id) for b in buildings]
        db.session.commit()


def mine(client):
    resp = client.get("/tickets/mine")
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def section(html, key):
    m = re.search(rf'<section class="mine" id="{key}">(.*?)</section>', html, re.S)
    assert m, f"section {key} missing"
    return m.group(1)


def count(html, key) -> int:
    return int(re.search(r"<h2>[^<]*<span class=\"muted\">(\d+)</span></h2>", section(html, key)).group(1))


def local_today_at(hour, minute=0, days=0):
    d = datetime.now(SH).date() + timedelta(days=days)
    return datetime.combine(d, time(hour, minute), tzinfo=SH)


# --- the steward --------------------------------------------------------------------------

def test_d2_steward_sees_tickets_in_own_buildings_only(clock, app, site, make):  # noqa: F811
    b3 = site["building"]
    b5 = make.building(site["community"], "5")
    u5 = make.unit(b5, 1, "601")
    steward = site["users"]["steward"]
    own_buildings(app, steward, b3)
    at = utc_now() - timedelta(hours=1)
    in_unit = new_ticket(app, site, at)                                       # 3栋2单元1201
    in_area = new_ticket(app, site, at, building=b3, location="大堂", category="环境卫生")
    elsewhere = new_ticket(app, site, at, unit=u5)                            # 5栋
    nowhere = new_ticket(app, site, at, location="北门岗亭", category="安全")   # no building
    closed = new_ticket(app, site, at)
    act(app, closed, "close", site["users"]["supervisor"], "重复登记")

    html = mine(client_for(app, steward))
    assert "分管：3栋 · 未完成 2 单" in html
    assert f'href="/tickets/{in_unit}"' in html and f'href="/tickets/{in_area}"' in html
    for tid in (elsewhere, nowhere, closed):
        assert f'href="/tickets/{tid}"' not in html
    assert "5栋" not in html

    # Another steward owning building 5 sees only that one.
    other = make.user("steward", communities=[site["community"]])
    own_buildings(app, other, b5)
    html = mine(client_for(app, other))
    assert f'href="/tickets/{elsewhere}"' in html and f'href="/tickets/{in_unit}"' not in html


def test_d2_steward_without_buildings_is_told_and_sections_say_empty(clock, app, site):  # noqa: F811
    new_ticket(app, site, utc_now())
    html = mine(client_for(app, site["users"]["steward"]))
    assert "您还没有分管楼栋" in html
    assert "没有超时的工单。" in html and "今天没有要回访的工单。" in html and "今天没有约定答复的咨询。" in html
    assert count(html, "overdue") == count(html, "visits") == count(html, "replies") == count(html, "open") == 0


def test_d2_overdue_tickets_come_first(clock, app, site):  # noqa: F811
    steward = site["users"]["steward"]
    own_buildings(app, steward, site["building"])
    late = new_ticket(app, site, utc_now() - timedelta(days=3), urgency="urgent")  # respond due 15 min later
    fresh = new_ticket(app, site, utc_now(), urgency="low")
    html = mine(client_for(app, steward))
    assert html.index('id="overdue"') < html.index('id="open"')
    assert f'href="/tickets/{late}"' in section(html, "overdue") and "超时" in section(html, "overdue")
    assert f'href="/tickets/{fresh}"' in section(html, "open")
    assert count(html, "overdue") == 1 and count(html, "open") == 1


def test_t5_return_visit_due_shows_on_stewards_list(app, site):  # noqa: F811
    every_day_a_working_day(app, site)
    steward = site["users"]["steward"]
    own_buildings(app, steward, site["building"])
    # Resolved yesterday at 10:00: the return visit is due today at 10:00 (one working day).
    yesterday = local_today_at(10, days=-1)
    due_today = resolved_ticket(app, site, yesterday - timedelta(hours=1), yesterday)
    # Resolved two days ago and still not visited: overdue, and still on the visit list.
    before = local_today_at(10, days=-2)
    overdue_visit = resolved_ticket(app, site, before - timedelta(hours=1), before)
    # Resolved today: its visit is due tomorrow, not today.
    today = local_today_at(9)
    tomorrow = resolved_ticket(app, site, today - timedelta(minutes=30), today)
    # Visited and closed: gone.
    done = resolved_ticket(app, site, yesterday - timedelta(hours=1), yesterday)
    act(app, done, "return_visit", steward, 5, "fixed", None)

    html = mine(client_for(app, steward))
    visits = section(html, "visits")
    assert count(html, "visits") == 2
    assert visits.index(f'href="/tickets/{overdue_visit}"') < visits.index(f'href="/tickets/{due_today}"')
    assert "回访" in visits
    assert f'href="/tickets/{tomorrow}"' not in visits and f'href="/tickets/{tomorrow}"' in section(html, "open")
    assert f'href="/tickets/{done}"' not in html


def test_t6_promised_reply_due_today(clock, app, site):  # noqa: F811
    steward = site["users"]["steward"]
    own_buildings(app, steward, site["building"])
    now = utc_now()
    today = new_ticket(app, site, now - timedelta(hours=1), kind="inquiry", category="费用",
                       description="物业费能否按季度交？", reply_due=local_today_at(23, 50))
    missed = new_ticket(app, site, now - timedelta(days=2), kind="inquiry", category="费用",
                        description="停车位怎么租？", reply_due=local_today_at(17, days=-1))
    later = new_ticket(app, site, now - timedelta(hours=1), kind="inquiry", category="费用",
                       description="电梯什么时候年检？", reply_due=local_today_at(0, 10, days=1))
    answered = new_ticket(app, site, now - timedelta(hours=1), kind="inquiry", category="费用",
                          description="门禁卡补办要多少钱？", reply_due=local_today_at(23, 50))
    act(app, answered, "answer", steward, "工本费5元")

    html = mine(client_for(app, steward))
    replies = section(html, "replies")
    assert count(html, "replies") == 2
    assert replies.index(f'href="/tickets/{missed}"') < replies.index(f'href="/tickets/{today}"')
    assert "答复" in replies
    assert f'href="/tickets/{later}"' not in replies and f'href="/tickets/{answered}"' not in replies


def test_each_ticket_appears_once(clock, app, site):  # noqa: F811
    steward = site["users"]["steward"]
    own_buildings(app, steward, site["building"])
    new_ticket(app, site, utc_now() - timedelta(days=2), kind="inquiry", category="费用",
               description="咨询", reply_due=local_today_at(0, 1), urgency="urgent")  # overdue and reply due
    html = mine(client_for(app, steward))
    assert count(html, "replies") == 1 and count(html, "overdue") == 0
    assert len(re.findall(r'href="/tickets/\d+"', html)) == 1


def test_front_desk_and_supervisor_get_their_lists(clock, app, site):  # noqa: F811
    every_day_a_working_day(app, site)
    yesterday = local_today_at(10, days=-1)
    visit = resolved_ticket(app, site, yesterday - timedelta(hours=1), yesterday, assignee="supervisor")
    reply = new_ticket(app, site, utc_now(), kind="inquiry", category="费用", description="咨询",
                       reply_due=local_today_at(23, 50))
    desk = mine(client_for(app, site["users"]["front_desk"]))
    assert f'href="/tickets/{visit}"' in section(desk, "visits")
    assert f'href="/tickets/{reply}"' in section(desk, "replies")
    sup = mine(client_for(app, site["users"]["supervisor"]))
    assert f'href="/tickets/{visit}"' in section(sup, "assigned")


# --- the technician ----------------------------------------------------------------------------

def _form(html, ticket_id):
    m = re.search(rf'<form method="post" action="(/tickets/{ticket_id}/accept)">(.*?)</form>', html, re.S)
    assert m, "no 接单 form"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', m.group(2)))
    return m.group(1), fields, m.group(2)


def test_technician_sees_assigned_and_grabs_department_tickets(clock, app, site, make):  # noqa: F811
    from propsvc.auth.models import Department

    tech, tech2, sup = site["users"]["technician"], site["users"]["technician2"], site["users"]["supervisor"]
    with app.app_context():
        env = db.session.scalar(select(Department.id).where(Department.code == "environment"))
    at = utc_now() - timedelta(hours=1)
    grab = new_ticket(app, site, at, kind="complaint", category="噪音/邻里", description="1101的张某每晚装修噪音扰民")
    act(app, grab, "dispatch", sup, site["eng"], None, "检查楼板", now=at)
    other_dept = new_ticket(app, site, at, category="环境卫生")
    act(app, other_dept, "dispatch", sup, env, None, now=at)
    theirs = new_ticket(app, site, at)
    act(app, theirs, "dispatch", sup, site["eng"], tech2.id, now=at)
    mine_ = new_ticket(app, site, at, category="电梯故障")
    act(app, mine_, "dispatch", sup, site["eng"], tech.id, now=at)
    undispatched = new_ticket(app, site, at)

    client = client_for(app, tech)
    html = mine(client)
    assert f'href="/tickets/{mine_}"' in section(html, "assigned") and count(html, "assigned") == 1
    _form(section(html, "assigned"), mine_)  # assigned but not yet accepted: 接单 right here
    grab_html = section(html, "grab")
    assert count(html, "grab") == 1 and f'href="/tickets/{grab}"' in grab_html and "接单" in grab_html
    for tid in (other_dept, theirs, undispatched):
        assert f'href="/tickets/{tid}"' not in html
    assert "张某" not in html and "王建国" not in html  # [T9]

    action, fields, _ = _form(html, grab)
    assert set(fields) == {"csrf_token", "client_key"} and fields["client_key"]
    resp = client.post(action, data=fields)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/tickets/{grab}")
    assert client.post(action, data=fields).status_code == 303  # a double tap does nothing more
    with app.app_context():
        t = db.session.get(Ticket, grab)
        assert t.state == "in_progress" and t.assignee_id == tech.id
        assert db.session.scalar(select(func.count()).select_from(Event).where(
            Event.object_id == grab, Event.action == "ticket.accepted")) == 1

    html = mine(client)
    assert count(html, "grab") == 0 and "没有待接的工单。" in html
    assert count(html, "assigned") == 2 and f'href="/tickets/{grab}"' in section(html, "assigned")
    # The colleague no longer sees it to grab.
    assert f'href="/tickets/{grab}"' not in mine(client_for(app, tech2))


def test_technician_without_department_is_told(app, site, make):  # noqa: F811
    loner = make.user("technician", communities=[site["community"]])
    html = mine(client_for(app, loner))
    assert "您还没有所属部门" in html and "没有派给您的工单。" in html


def test_mine_is_small_and_fits_a_phone(clock, app, site):  # noqa: F811
    steward = site["users"]["steward"]
    own_buildings(app, steward, site["building"])
    for _ in range(10):
        new_ticket(app, site, utc_now())
    resp = client_for(app, steward).get("/tickets/mine", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert "<html" not in html  # htmx gets the content block only
    assert len(html.encode()) < 12_000
    assert " style=" not in html
