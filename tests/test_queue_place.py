"""The queue keeps your place, and every message is a sentence [issue 16]: a dispatch sent from
the queue by htmx is answered with that ticket's row alone (block `row` of tickets/queue.html,
the markup the list itself renders), saying what was done and what comes next; without
JavaScript it comes back to the same row (#q<id>). After every step of the ticket flow the
message says what happened and what comes next, never a bare label (派单。跟进。)."""
import re
from datetime import datetime, timezone

from propsvc.core.timefmt import SITE_TZ, when_label
from propsvc.tickets.services import EVENT_LABELS
from test_queue import HIDDEN_RE, URL, _dispatch_form, groups, new_ticket
from test_tickets import client_for, intake, site, step, ticket  # noqa: F401

HX = {"HX-Request": "true"}
TIME = r"(?:明天 |\d{1,2}月\d{1,2}日 )?(\d{2}:\d{2})"


def _hm(dt) -> str:
    return dt.astimezone(SITE_TZ).strftime("%H:%M")


def _row_of(html: str, ticket_id: int) -> str:
    m = re.search(rf'<li class="card ticket[^"]*" id="q{ticket_id}">.*?</li>', html, re.S)
    assert m, f"row q{ticket_id} missing"
    return m.group(0)


def test_dispatch_from_the_queue_answers_with_its_row_alone_from_the_same_block(app, site):  # noqa: F811
    t = new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    action, fields, _ = _dispatch_form(sup.get(f"{URL}?urgency=normal").get_data(as_text=True), t.id)
    resp = sup.post(action, data=fields, headers=HX)
    assert resp.status_code == 200 and "HX-Request" in resp.headers.get("Vary", "")
    row = resp.get_data(as_text=True).strip()
    # One <li>, nothing of the page around it: no document, no list, no second dispatch form.
    assert row.startswith(f'<li class="card ticket just" id="q{t.id}">') and row.endswith("</li>")
    assert row.count("<li") == 1 and "<html" not in row and 'id="queue"' not in row and "<form" not in row
    t = ticket(app, t.id)
    assert t.state == "dispatched"
    m = re.search(rf'<p class="qmsg" id="qm{t.id}" role="status" tabindex="-1">已派给 工程部（部门内抢单），{TIME} 前须有人接单。</p>',
                  row)
    assert m and m.group(1) == _hm(t.respond_due)
    # The row is the list's own markup: the list renders the same <li>, without the message.
    listed = _row_of(sup.get(f"{URL}?urgency=normal").get_data(as_text=True), t.id)
    assert row.replace(" just", "", 1).replace(m.group(0), "") == listed
    assert t.id in [c["id"] for c in groups(sup.get(URL).get_data(as_text=True))["已派单"][1]]


def test_dispatch_to_a_person_says_who_and_by_when(app, site):  # noqa: F811
    t = new_ticket(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    tech = site["users"]["technician"]
    action, fields, _ = _dispatch_form(desk.get(URL).get_data(as_text=True), t.id)
    row = desk.post(action, data={**fields, "dispatch-assignee_id": str(tech.id)}, headers=HX).get_data(as_text=True)
    t = ticket(app, t.id)
    m = re.search(rf"已派给 工程部 {tech.name}，{TIME} 前到场。", row)  # a repair: someone on site
    assert m and m.group(1) == _hm(t.respond_due)
    assert f"· 工程部 · {tech.name}" in row


def test_a_refused_dispatch_from_the_queue_says_why_in_its_row(app, site):  # noqa: F811
    t = new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    action, fields, _ = _dispatch_form(sup.get(URL).get_data(as_text=True), t.id)
    step(sup, t, "close", text="重复登记")  # closed meanwhile (another screen)
    resp = sup.post(action, data=fields, headers=HX)
    assert resp.status_code == 409
    row = resp.get_data(as_text=True)
    assert f'id="q{t.id}"' in row and 'role="alert"' in row and "未派单：工单已关闭，不能派单。" in row
    # a bad form: 422, the row with the field's message
    t2 = new_ticket(app, site)
    action, fields, _ = _dispatch_form(sup.get(URL).get_data(as_text=True), t2.id)
    resp = sup.post(action, data={**fields, "dispatch-department_id": "x"}, headers=HX)
    assert resp.status_code == 422 and 'role="alert"' in resp.get_data(as_text=True)
    assert ticket(app, t2.id).state == "new"


def test_dispatch_from_the_queue_without_javascript_comes_back_to_its_row(app, site):  # noqa: F811
    t = new_ticket(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    action, fields, _ = _dispatch_form(sup.get(f"{URL}?kind=repair").get_data(as_text=True), t.id)
    resp = sup.post(action, data=fields)
    assert resp.status_code == 303 and resp.headers["Location"] == f"{URL}?kind=repair#q{t.id}"
    back = sup.get(resp.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<p class="flash ok">已派给 工程部（部门内抢单），{TIME} 前须有人接单。</p>', back)


def _flash(client, resp) -> str:
    assert resp.status_code == 303, resp.get_data(as_text=True)
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    m = re.search(r'<p class="flash ok">([^<]+)</p>', html)
    assert m, "no message"
    return m.group(1)


BARE = {label + "。" for label in EVENT_LABELS.values()}


def _sentence(msg: str) -> str:
    """A sentence: what happened, then what comes next; never a bare label."""
    assert msg not in BARE and msg.endswith("。") and ("，" in msg or "；" in msg), msg
    return msg


def test_every_step_message_says_what_happened_and_what_comes_next(app, site):  # noqa: F811
    desk = client_for(app, site["users"]["front_desk"])
    msg = _sentence(_flash(desk, intake(desk, site)))
    t = ticket(app)
    assert re.fullmatch(rf"已登记工单 {t.serial}，等待派单，{TIME} 前到场。", msg)

    sup = client_for(app, site["users"]["supervisor"])
    tech = site["users"]["technician"]
    msg = _sentence(_flash(sup, step(sup, t, "dispatch", department_id=site["eng"], assignee_id=str(tech.id))))
    assert re.fullmatch(rf"已派给 工程部 {tech.name}，{TIME} 前到场。", msg)

    techc = client_for(app, tech)
    msg = _sentence(_flash(techc, step(techc, t, "accept")))
    t = ticket(app, t.id)
    m = re.fullmatch(rf"已接单，请在 {TIME} 前处理完成。", msg)
    assert m and m.group(1) == _hm(t.resolve_due)

    msg = _sentence(_flash(techc, step(techc, t, "note", text="已到场，正在查找漏点", public="y")))
    assert msg.startswith("进展已记录，业主可以看到；工程部 ") and "处理中" in msg
    msg = _sentence(_flash(techc, step(techc, t, "note", text="需要更换管件")))
    assert msg.startswith("内部记录已保存，业主看不到；")

    msg = _sentence(_flash(techc, step(techc, t, "resolve", text="已更换角阀")))
    t = ticket(app, t.id)
    m = re.fullmatch(rf"已标记完成；请 {TIME} 前回访住户。", msg)
    assert m and m.group(1) == _hm(t.visit_due)

    steward = client_for(app, site["users"]["steward"])
    msg = _sentence(_flash(steward, step(steward, t, "visit", satisfaction="5", outcome="fixed", text="满意")))
    assert msg == "回访已记录（满意度 5 分，已解决），工单已关闭。"
    assert ticket(app, t.id).state == "closed"


def test_when_label_says_today_tomorrow_or_the_date():
    now = datetime(2026, 12, 4, 9, 50, tzinfo=SITE_TZ)
    assert when_label(datetime(2026, 12, 4, 8, 30, tzinfo=timezone.utc), now) == "16:30"
    assert when_label(datetime(2026, 12, 5, 9, 0, tzinfo=SITE_TZ), now) == "明天 09:00"
    assert when_label(datetime(2026, 12, 3, 18, 0, tzinfo=SITE_TZ), now) == "昨天 18:00"
    assert when_label(datetime(2027, 1, 4, 9, 0, tzinfo=SITE_TZ), now) == "1月4日 09:00"
    assert when_label(None, now) == ""


def test_hidden_fields_of_the_queue_form_are_unchanged(app, site):  # noqa: F811
    """The one-tap form still posts department, person, next, CSRF and its one-time key."""
    t = new_ticket(app, site)
    html = client_for(app, site["users"]["supervisor"]).get(URL).get_data(as_text=True)
    names = {k for k, _ in HIDDEN_RE.findall(_row_of(html, t.id))}
    assert names == {"csrf_token", "client_key", "next", "dispatch-department_id"}
