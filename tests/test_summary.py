"""The daily summary [D4]: a draft from the day's events, edited, saved or submitted; the
supervisor sees who has and has not submitted, and reads each one."""
import re
from datetime import timedelta

from sqlalchemy import select

from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.patrols.models import DailySummary
from test_analysis import act, resolved_ticket, utc_now
from test_briefing import created_by
from test_mine import own_buildings
from test_tickets import client_for, site  # noqa: F401
from test_today import checklist, local_day, patrol
from conftest import post


def textarea(html):
    m = re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', html, re.S)
    assert m, "no summary textarea"
    return m.group(1)


def summaries_of(app, user):
    with app.app_context():
        return list(db.session.scalars(select(DailySummary).where(DailySummary.user_id == user.id)))


def events_of(app, action):
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def test_d4_summary_draft_built_from_the_days_events(clock, app, site, make):  # noqa: F811
    c = site["community"]
    steward = site["users"]["steward"]
    own_buildings(app, steward, site["building"])
    # Today, as this steward: a complaint taken in, a contact with the owner, a return visit,
    # a patrol with a problem.
    mine = created_by(app, site, steward, utc_now() - timedelta(hours=2), unit_id=site["unit"].id,
                      category="噪音/邻里", description="1101的张某每晚装修噪音扰民")
    with app.app_context():
        from propsvc.tickets.models import Ticket

        t = db.session.get(Ticket, mine)
        t.kind = "complaint"
        db.session.commit()
        serial = t.serial
    act(app, mine, "contact", steward, "phone", "已电话告知处理进度")
    visited = resolved_ticket(app, site, utc_now() - timedelta(days=2), utc_now() - timedelta(days=1))
    act(app, visited, "return_visit", steward, 5, "fixed", "很满意")
    tpl, items = checklist(app, c)
    patrol(app, c, steward, tpl, items, building=site["building"], problems=(0,))
    # Not in the draft: another steward's work today, this steward's work yesterday.
    other = make.user("steward", communities=[c], name="李管家")
    foreign = created_by(app, site, other, utc_now() - timedelta(hours=1), location="北门", category="安全")
    old = created_by(app, site, steward, utc_now() - timedelta(days=1, hours=1), location="南门", category="安全")

    client = client_for(app, steward)
    resp = client.get("/patrols/summary")
    assert resp.status_code == 200
    draft = textarea(resp.get_data(as_text=True))
    assert "工作总结" in draft and steward.name in draft
    assert "一、工单：登记 1 单，跟进处理 0 单" in draft and f"{serial} 3栋2单元1201 噪音/邻里：登记" in draft
    assert "二、回访：1 次" in draft and "满意度 5 分，已解决" in draft
    assert "三、联系业主：1 次" in draft and "电话" in draft
    assert "四、巡查：完成 1 次，发现问题 1 项" in draft and "楼道照明" in draft
    assert "六、明日计划" in draft
    with app.app_context():
        from propsvc.tickets.models import Ticket

        for tid in (foreign, old):
            assert db.session.get(Ticket, tid).serial not in draft
    assert "张某" not in draft and "扰民" not in draft  # [T9] no complaint contents
    assert summaries_of(app, steward) == []  # a GET saves nothing

    # Save a draft: kept, not submitted.
    edited = draft.replace("六、明日计划：\n· ", "六、明日计划：\n· 跟进3栋电梯配件")
    page = client.get("/patrols/summary").get_data(as_text=True)
    key = re.search(r'name="client_key" value="([^"]+)"', page).group(1)
    resp = post(client, "/patrols/summary", {"text": edited, "action": "save", "client_key": key})
    assert resp.status_code == 303
    (s,) = summaries_of(app, steward)
    assert s.submitted_at is None and "跟进3栋电梯配件" in s.text and s.day == local_day()
    assert len(events_of(app, "summary.saved")) == 1
    assert post(client, "/patrols/summary", {"text": edited, "action": "save", "client_key": key}).status_code == 303
    assert len(events_of(app, "summary.saved")) == 1  # the same form sent twice: once
    page = client.get("/patrols/summary").get_data(as_text=True)
    assert "跟进3栋电梯配件" in textarea(page) and "尚未提交" in page

    # Submit with nothing: 422, the message next to the text, nothing changed.
    resp = post(client, "/patrols/summary", {"text": "   ", "action": "submit"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(r'<textarea id="text" name="text"[^>]*aria-invalid="true"', html)
    assert "请填写总结内容后再提交" in html
    assert summaries_of(app, steward)[0].submitted_at is None

    # Submit: handed in, with an Event; a correction keeps the first time.
    assert post(client, "/patrols/summary", {"text": edited, "action": "submit"}).status_code == 303
    (s,) = summaries_of(app, steward)
    first = s.submitted_at
    assert first is not None
    assert post(client, "/patrols/summary", {"text": edited + "\n（更正）", "action": "submit"}).status_code == 303
    (s,) = summaries_of(app, steward)
    assert s.submitted_at == first and s.text.endswith("（更正）") and s.updated_at >= first
    evs = events_of(app, "summary.submitted")
    assert len(evs) == 2 and evs[0].actor_id == steward.id and evs[0].object_id == s.id
    assert not evs[0].data.get("corrected") and evs[1].data["corrected"] is True
    page = client.get("/patrols/summary").get_data(as_text=True)
    assert "提交修改" in page and "已于" in page and "保存草稿" not in page
    # Regenerating the draft on demand.
    assert "四、巡查" in textarea(client.get("/patrols/summary?draft=1").get_data(as_text=True))

    # A day in the future: 422 next to the day field; a past day is fine.
    resp = client.get(f"/patrols/summary?day={local_day(1).isoformat()}")
    assert resp.status_code == 422 and "不能选择未来的日期" in resp.get_data(as_text=True)
    assert re.search(r'<input type="date" id="day" name="day"[^>]*aria-invalid="true"', resp.get_data(as_text=True))
    resp = post(client, f"/patrols/summary?day={local_day(1).isoformat()}", {"text": "x", "action": "submit"})
    assert resp.status_code == 422
    assert client.get("/patrols/summary?day=not-a-day").status_code == 422
    yesterday = client.get(f"/patrols/summary?day={local_day(-1).isoformat()}").get_data(as_text=True)
    assert "一、工单：登记 1 单" in textarea(yesterday)  # the 南门 ticket


def test_d4_supervisor_sees_who_has_not_submitted(app, site, make):  # noqa: F811
    c = site["community"]
    a = make.user("steward", communities=[c], name="甲管家")
    b = make.user("steward", communities=[c], name="乙管家")
    make.user("steward", communities=[c], name="丙管家")
    assert post(client_for(app, a), "/patrols/summary", {"text": "甲的总结：巡查3栋", "action": "submit"}
                ).status_code == 303
    assert post(client_for(app, b), "/patrols/summary", {"text": "乙的草稿", "action": "save"}).status_code == 303

    sup = client_for(app, site["users"]["supervisor"])
    resp = sup.get("/patrols/summaries")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "已提交 1 人" in html and "未提交 <strong>3</strong> 人" in html  # 乙, 丙 and the site's steward
    rows = re.findall(r"<tr class=\"(done|missing)\"><td>(.*?)</td>", html, re.S)
    names = [(cls, re.sub(r"<[^>]+>", "", cell)) for cls, cell in rows]
    assert names[-1] == ("done", "甲管家")  # not submitted first
    assert ("missing", "乙管家") in names and ("missing", "丙管家") in names
    assert "未提交（草稿）" in html
    (sa,) = summaries_of(app, a)
    (sb,) = summaries_of(app, b)
    assert f'href="/patrols/summaries/{sa.id}"' in html and f"/patrols/summaries/{sb.id}" not in html
    # Read-only: the text and when it was submitted; no form.
    page = sup.get(f"/patrols/summaries/{sa.id}").get_data(as_text=True)
    assert "甲的总结：巡查3栋" in page and "已于" in page and "<textarea" not in page and "<form method=\"post\" action=\"/patrols" not in page
    assert sup.get(f"/patrols/summaries/{sb.id}").status_code == 404  # a draft stays the steward's
    # Another day: nobody has submitted.
    html = sup.get(f"/patrols/summaries?day={local_day(-1).isoformat()}").get_data(as_text=True)
    assert "已提交 0 人" in html
    # Another community's supervisor cannot open it; a steward cannot see the list.
    outsider = make.user("supervisor", communities=[make.community()])
    assert client_for(app, outsider).get(f"/patrols/summaries/{sa.id}").status_code == 404
    assert client_for(app, a).get("/patrols/summaries").status_code == 403
    assert client_for(app, site["users"]["manager"]).get(f"/patrols/summaries/{sa.id}").status_code == 200
