"""Notices (公告) [F2]: publishing with its checks (supervisor and manager only), the lists by
site day, building targeting on a steward's 今日, early withdrawal, the kiosk home and lock
screen, and the A4 PDF for the notice boards."""
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from conftest import PIN, login, post
from propsvc.core.models import Event
from propsvc.core.timefmt import site_today
from propsvc.extensions import db
from propsvc.notices import services
from propsvc.notices.models import Notice

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
STAMP = "东湖物业服务中心"


@pytest.fixture
def site(app, make):
    c = make.community("东湖花园")
    other = make.community("西山小区")
    with app.app_context():
        from propsvc.registry.models import Community

        db.session.get(Community, c.id).stamp_name = STAMP
        db.session.commit()
    b3, b4, b5 = make.building(c, "3"), make.building(c, "4"), make.building(c, "5")
    users = {r: make.user(r, communities=[c]) for r in
             ("front_desk", "steward", "supervisor", "manager", "technician", "guard")}
    with app.app_context():  # the steward owns buildings 3 and 4 [D2]
        from propsvc.auth.models import user_building

        db.session.execute(insert(user_building), [{"user_id": users["steward"].id, "building_id": b.id}
                                                   for b in (b3, b4)])
        db.session.commit()
    return {"community": c, "other": other, "b3": b3, "b4": b4, "b5": b5, "users": users}


def as_user(app, site, role):
    client = app.test_client()
    assert login(client, site["users"][role].username).status_code == 303
    return client


def make_notice(app, community_id, title="停水通知", start=0, end=2, buildings=(), kind="notice",
                body="尊敬的各位业主：\n\n因管道检修，停水一天。") -> int:
    today = site_today()
    with app.app_context():
        n = services.publish(community_id, None, title=title, body=body, kind=kind,
                             building_ids=[b.id for b in buildings], valid_from=today + timedelta(days=start),
                             valid_until=today + timedelta(days=end), today=today - timedelta(days=30))
        db.session.commit()
        return n.id


def events(app, action):
    with app.app_context():
        return [(e.object_id, e.actor_id, dict(e.data)) for e in
                db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id))]


def count_notices(app):
    with app.app_context():
        return len(db.session.scalars(select(Notice.id)).all())


def form(**kw):
    today = site_today()
    data = {"kind": "notice", "title": "关于3栋、4栋临时停水的通知",
            "body": "尊敬的各位业主：\n\n因市政管道检修，11月28日9:00至17:00停水，请提前储水。\n\n给您带来不便，敬请谅解。",
            "valid_from": today.isoformat(), "valid_until": (today + timedelta(days=1)).isoformat()}
    data.update(kw)
    return data


# --- publishing ------------------------------------------------------------------------------

def test_f2_supervisor_publishes_a_notice_for_two_buildings_recorded_as_event(app, site):
    client = as_user(app, site, "supervisor")
    assert client.get("/notices/new").status_code == 200
    resp = post(client, "/notices/new", form(building_ids=[site["b3"].id, site["b4"].id], client_key="k1"))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    nid = int(re.search(r"/notices/(\d+)$", resp.headers["Location"]).group(1))
    page = client.get(f"/notices/{nid}").get_data(as_text=True)
    assert "关于3栋、4栋临时停水的通知" in page and "3栋、4栋" in page and "展示中" in page
    [(obj, actor, data)] = events(app, "notice.published")
    assert obj == nid and actor == site["users"]["supervisor"].id
    assert data["buildings"] == ["3", "4"] and data["kind"] == "notice"


def test_f2_manager_publishes_for_whole_community(app, site):
    client = as_user(app, site, "manager")
    resp = post(client, "/notices/new", form(kind="event", title="社区消防演练"))
    assert resp.status_code == 303
    with app.app_context():
        n = db.session.scalars(select(Notice)).one()
        assert n.buildings == [] and n.scope_label == "全体住户" and n.kind_label == "社区活动"


@pytest.mark.parametrize("data, field_message", [
    ({"title": ""}, "请填写标题。"),
    ({"body": "  "}, "请填写公告内容。"),
    ({"title": "长" * 61}, "标题最多60字。"),
    ({"valid_from": ""}, "请填写开始展示日期。"),
    ({"valid_until": "2026-13-45"}, "日期格式不正确"),
    ({"kind": "ad"}, "请选择公告类型。"),
])
def test_f2_publish_refuses_bad_input_with_message_next_to_field(app, site, data, field_message):
    client = as_user(app, site, "supervisor")
    resp = post(client, "/notices/new", form(**data))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert re.search(r'class="field has-error".*?<p class="error">[^<]*' + re.escape(field_message), html, re.S)
    assert count_notices(app) == 0 and events(app, "notice.published") == []


def test_f2_end_before_start_is_refused_next_to_end_date(clock, app, site):
    client = as_user(app, site, "supervisor")
    today = site_today()
    resp = post(client, "/notices/new", form(valid_from=(today + timedelta(days=3)).isoformat(),
                                             valid_until=(today + timedelta(days=1)).isoformat()))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    field = html[html.index('for="valid_until"') - 200:]
    assert "结束日期不能早于开始日期。" in field[:800]
    assert count_notices(app) == 0


def test_f2_end_in_the_past_and_foreign_building_refused(clock, app, site, make):
    client = as_user(app, site, "supervisor")
    yesterday = site_today() - timedelta(days=1)
    resp = post(client, "/notices/new", form(valid_from=(yesterday - timedelta(days=2)).isoformat(),
                                             valid_until=yesterday.isoformat()))
    assert resp.status_code == 422 and "结束日期已过" in resp.get_data(as_text=True)
    foreign = make.building(site["other"], "9")
    resp = post(client, "/notices/new", form(building_ids=[foreign.id]))
    assert resp.status_code == 422 and "所选楼栋不属于本小区。" in resp.get_data(as_text=True)
    assert count_notices(app) == 0


def test_f2_double_tap_publishes_once(app, site):
    client = as_user(app, site, "supervisor")
    first = post(client, "/notices/new", form(client_key="same-key"))
    again = post(client, "/notices/new", form(client_key="same-key"))
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert count_notices(app) == 1 and len(events(app, "notice.published")) == 1


def test_f2_body_is_plain_text_never_html(app, site):
    client = as_user(app, site, "supervisor")
    resp = post(client, "/notices/new", form(body="<script>alert(1)</script>\n\n<b>加粗</b>"))
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>加粗</b>" not in html


@pytest.mark.parametrize("role", ["front_desk", "steward", "technician", "guard"])
def test_f2_only_supervisor_and_manager_publish(app, site, role):
    nid = make_notice(app, site["community"].id)
    client = as_user(app, site, role)
    assert client.get("/notices/new").status_code == 403
    assert post(client, "/notices/new", form()).status_code == 403
    assert post(client, f"/notices/{nid}/withdraw", {"reason": "x"}).status_code == 403
    assert count_notices(app) == 1
    if role in ("front_desk", "steward"):  # they read
        listing = client.get("/notices").get_data(as_text=True)
        assert "停水通知" in listing and "发布公告" not in listing
        assert client.get(f"/notices/{nid}").status_code == 200


def test_f2_another_communitys_notice_is_not_found(app, site):
    nid = make_notice(app, site["other"].id, title="西山通知")
    client = as_user(app, site, "supervisor")
    assert client.get(f"/notices/{nid}").status_code == 404
    assert client.get(f"/notices/{nid}.pdf").status_code == 404
    assert post(client, f"/notices/{nid}/withdraw", {"reason": "x"}).status_code == 404
    assert "西山通知" not in client.get("/notices").get_data(as_text=True)


# --- lists by site day -------------------------------------------------------------------------

def test_f2_current_upcoming_past_by_site_day(clock, app, site):
    cid = site["community"].id
    make_notice(app, cid, "今天起展示", 0, 3)
    make_notice(app, cid, "今天最后一天", -5, 0)
    make_notice(app, cid, "明天开始", 1, 4)
    make_notice(app, cid, "昨天结束", -5, -1)
    client = as_user(app, site, "front_desk")

    def titles(which):
        html = client.get(f"/notices?list={which}").get_data(as_text=True)
        return set(re.findall(r"<strong>([^<]+)</strong>", html))

    assert titles("current") == {"今天起展示", "今天最后一天"}
    assert titles("upcoming") == {"明天开始"}
    assert titles("past") == {"昨天结束"}
    assert titles("nonsense") == titles("current")
    # The site day, not UTC: at 23:30 UTC it is already the next day in China.
    from datetime import datetime, timezone

    with app.app_context():
        today = site_today()
        late = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=23, minutes=30)
        next_day = site_today(late)
        assert next_day == today + timedelta(days=1)
        assert {n.title for n in services.current(cid, next_day)} == {"今天起展示", "明天开始"}


def test_f2_list_fragment_for_htmx(app, site):
    make_notice(app, site["community"].id, "明天开始", 1, 4)
    client = as_user(app, site, "supervisor")
    resp = client.get("/notices?list=upcoming", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith('<div id="results">') and "明天开始" in html
    assert "HX-Request" in resp.headers["Vary"]


# --- targeting: the steward's 今日 ---------------------------------------------------------------

def test_f2_steward_today_shows_notices_of_own_buildings_and_whole_community(app, site):
    cid = site["community"].id
    make_notice(app, cid, "全体住户通知")
    make_notice(app, cid, "三栋停水", buildings=[site["b3"]])
    make_notice(app, cid, "三五栋停电", buildings=[site["b3"], site["b5"]])
    make_notice(app, cid, "五栋电梯检修", buildings=[site["b5"]])
    make_notice(app, cid, "明天的通知", 1, 3)
    withdrawn = make_notice(app, cid, "已撤回的通知")
    with app.app_context():
        services.withdraw(db.session.get(Notice, withdrawn), None, "取消")
        db.session.commit()
    client = as_user(app, site, "steward")
    html = client.get("/patrols/today").get_data(as_text=True)
    for shown in ("全体住户通知", "三栋停水", "三五栋停电"):
        assert shown in html
    for hidden in ("五栋电梯检修", "明天的通知", "已撤回的通知"):
        assert hidden not in html
    # A supervisor's 今日 lists every current notice.
    sup = as_user(app, site, "supervisor").get("/patrols/today").get_data(as_text=True)
    assert "五栋电梯检修" in sup and "明天的通知" not in sup


# --- withdrawal ------------------------------------------------------------------------------------

def test_f2_withdraw_early_is_an_event_and_moves_to_past(app, site):
    nid = make_notice(app, site["community"].id, "消防演练", 0, 5)
    client = as_user(app, site, "supervisor")
    resp = post(client, f"/notices/{nid}/withdraw", {"reason": ""})
    assert resp.status_code == 422 and "请填写撤回原因。" in resp.get_data(as_text=True)
    resp = post(client, f"/notices/{nid}/withdraw", {"reason": "演练改期"})
    assert resp.status_code == 303
    [(obj, actor, data)] = events(app, "notice.withdrawn")
    assert obj == nid and actor == site["users"]["supervisor"].id and data["reason"] == "演练改期"
    page = client.get(f"/notices/{nid}").get_data(as_text=True)
    assert "已撤回" in page and "演练改期" in page and "撤回公告" not in page
    assert "消防演练" in client.get("/notices?list=past").get_data(as_text=True)
    assert "消防演练" not in client.get("/notices?list=current").get_data(as_text=True)
    again = post(client, f"/notices/{nid}/withdraw", {"reason": "再次"})  # a double tap
    assert again.status_code == 303 and len(events(app, "notice.withdrawn")) == 1


def test_f2_past_notice_cannot_be_withdrawn(app, site):
    nid = make_notice(app, site["community"].id, "旧通知", -5, -1)
    client = as_user(app, site, "manager")
    resp = post(client, f"/notices/{nid}/withdraw", {"reason": "整理"})
    assert resp.status_code == 409 and "已过期" in resp.get_data(as_text=True)
    assert events(app, "notice.withdrawn") == []


# --- correcting ------------------------------------------------------------------------------

def edit_form(client, nid) -> dict:
    """What the edit page's form sends as it was loaded (with its hidden fields)."""
    html = client.get(f"/notices/{nid}/edit").get_data(as_text=True)
    hidden = dict(re.findall(r'<input id="(based_on)" name="\1" type="hidden" value="([^"]*)"', html))
    hidden.update(re.findall(r'<input type="hidden" name="(client_key)" value="([^"]*)"', html))
    assert set(hidden) == {"based_on", "client_key"}, html
    with client.application.app_context():
        n = db.session.get(Notice, nid)
        data = {"kind": n.kind, "title": n.title, "body": n.body, "valid_from": n.valid_from.isoformat(),
                "valid_until": n.valid_until.isoformat(), "building_ids": [b.id for b in n.buildings]}
    return {**data, **hidden}


def test_f2_supervisor_corrects_a_shown_notice_recorded_with_what_it_said(clock, app, site):
    nid = make_notice(app, site["community"].id, "停水通知", 0, 1, buildings=[site["b3"]],
                      body="尊敬的各位业主：\n\n3栋明天9:00停水。")
    client = as_user(app, site, "supervisor")
    page = client.get(f"/notices/{nid}").get_data(as_text=True)
    assert f'href="/notices/{nid}/edit"' in page
    data = edit_form(client, nid)
    assert data["title"] == "停水通知" and data["building_ids"] == [site["b3"].id]
    today = site_today()
    data.update(title="停水时间更正通知", body="尊敬的各位业主：\n\n3栋、4栋明天10:00停水。",
                building_ids=[site["b3"].id, site["b4"].id], valid_until=(today + timedelta(days=2)).isoformat())
    resp = post(client, f"/notices/{nid}/edit", data)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/notices/{nid}")
    page = client.get(f"/notices/{nid}").get_data(as_text=True)
    assert "公告已修改。" in page and "停水时间更正通知" in page and "10:00" in page and "3栋、4栋" in page
    assert "修改：" in page and "标题、内容、结束日期、楼栋" in page
    [(obj, actor, ev)] = events(app, "notice.revised")
    assert obj == nid and actor == site["users"]["supervisor"].id
    assert ev["changed"] == ["title", "body", "valid_until", "buildings"]
    assert ev["before"]["title"] == "停水通知" and "9:00" in ev["before"]["body"]  # what it said
    assert ev["after"]["buildings"] == ["3", "4"] and "body" not in ev["after"]
    # The steward of building 4 now sees it; the printed notice has the new text.
    with app.app_context():
        assert [x.title for x in services.current(site["community"].id, building_ids=[site["b4"].id])] == \
            ["停水时间更正通知"]
    if shutil.which("pdftotext"):
        text = "".join(_run("pdftotext", client.get(f"/notices/{nid}.pdf").data, "-raw").split())
        assert "停水时间更正通知" in text and "10:00停水" in text and "9:00" not in text
    # Sent again (a double tap): nothing more.
    assert post(client, f"/notices/{nid}/edit", data).status_code == 303
    assert len(events(app, "notice.revised")) == 1


def test_f2_unchanged_edit_records_nothing(app, site):
    nid = make_notice(app, site["community"].id)
    client = as_user(app, site, "manager")
    resp = post(client, f"/notices/{nid}/edit", edit_form(client, nid))
    assert resp.status_code == 303 and events(app, "notice.revised") == []
    assert "内容没有变化" in client.get(f"/notices/{nid}").get_data(as_text=True)


def test_f2_edit_refuses_bad_input_next_to_the_field(clock, app, site):
    nid = make_notice(app, site["community"].id)
    client = as_user(app, site, "supervisor")
    data = edit_form(client, nid)
    resp = post(client, f"/notices/{nid}/edit", {**data, "title": ""})
    assert resp.status_code == 422 and "请填写标题。" in resp.get_data(as_text=True)
    past = (site_today() - timedelta(days=1)).isoformat()
    resp = post(client, f"/notices/{nid}/edit", {**data, "valid_from": past, "valid_until": past})
    assert resp.status_code == 422 and "结束日期已过" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Notice, nid).title == "停水通知"
    assert events(app, "notice.revised") == []


def test_f2_an_older_edit_form_cannot_undo_a_newer_edit(app, site):
    nid = make_notice(app, site["community"].id)
    first, second = as_user(app, site, "supervisor"), as_user(app, site, "manager")
    a, b = edit_form(first, nid), edit_form(second, nid)
    assert post(first, f"/notices/{nid}/edit", {**a, "title": "停水通知（更正）"}).status_code == 303
    resp = post(second, f"/notices/{nid}/edit", {**b, "body": "另一版内容"})
    assert resp.status_code == 409 and "刚被他人修改过" in resp.get_data(as_text=True)
    with app.app_context():
        n = db.session.get(Notice, nid)
        assert n.title == "停水通知（更正）" and "另一版内容" not in n.body


def test_f2_withdrawn_or_ended_notice_cannot_be_edited(app, site):
    cid = site["community"].id
    old, gone = make_notice(app, cid, "旧通知", -5, -1), make_notice(app, cid, "撤回的", 0, 3)
    client = as_user(app, site, "supervisor")
    data = edit_form(client, gone)
    with app.app_context():
        services.withdraw(db.session.get(Notice, gone), None, "取消")
        db.session.commit()
    resp = post(client, f"/notices/{gone}/edit", {**data, "title": "改标题"})
    assert resp.status_code == 409 and "已撤回" in resp.get_data(as_text=True)
    resp = client.get(f"/notices/{old}/edit")
    assert resp.status_code == 303  # back to the notice, saying why
    page = client.get(f"/notices/{old}").get_data(as_text=True)
    assert "不能修改" in page and f'href="/notices/{old}/edit"' not in page
    assert events(app, "notice.revised") == []


@pytest.mark.parametrize("role", ["front_desk", "steward", "guard", "technician"])
def test_f2_only_supervisor_and_manager_correct(app, site, role):
    nid = make_notice(app, site["community"].id)
    client = as_user(app, site, role)
    assert client.get(f"/notices/{nid}/edit").status_code == 403
    assert post(client, f"/notices/{nid}/edit", {"title": "x"}).status_code == 403
    assert f'/notices/{nid}/edit' not in client.get(f"/notices/{nid}").get_data(as_text=True)


# --- the kiosk ---------------------------------------------------------------------------------------

def kiosk_client(app, site):
    from propsvc.auth.services import register_kiosk

    with app.app_context():
        _k, token = register_kiosk(site["community"].id, "前台1号机")
        db.session.commit()
    client = app.test_client()
    client.set_cookie("propsvc_kiosk", token)
    return client


def test_f2_kiosk_home_and_lock_screen_show_current_notices(app, site):
    cid = site["community"].id
    make_notice(app, cid, "停水通知", buildings=[site["b3"]], body="尊敬的各位业主：\n\n3栋明天停水。")
    make_notice(app, cid, "明天的活动", 1, 2, kind="event")
    make_notice(app, site["other"].id, "西山的通知")
    client = kiosk_client(app, site)
    lock = client.get("/kiosk").get_data(as_text=True)
    assert "小区公告" in lock and "停水通知" in lock and "3栋明天停水。" in lock
    assert "明天的活动" not in lock and "西山的通知" not in lock
    assert "/notices/" not in lock  # public: no links into staff pages, no author
    assert site["users"]["supervisor"].name not in lock
    resp = post(client, "/kiosk", {"username": site["users"]["front_desk"].username, "pin": PIN})
    assert resp.status_code == 303
    home = client.get("/").get_data(as_text=True)
    assert "今日公告" in home and "停水通知" in home and "3栋" in home
    assert "明天的活动" not in home and "西山的通知" not in home


def test_f2_kiosk_home_without_notices_says_so(app, site):
    client = kiosk_client(app, site)
    assert "小区公告" not in client.get("/kiosk").get_data(as_text=True)
    post(client, "/kiosk", {"username": site["users"]["front_desk"].username, "pin": PIN})
    assert "今天没有需要展示的公告。" in client.get("/").get_data(as_text=True)


# --- the printed notice ------------------------------------------------------------------------------

def _run(tool, pdf: bytes, *args) -> str:
    cmd = [tool, *args, "-", "-"] if tool == "pdftotext" else [tool, *args, "-"]
    return subprocess.run(cmd, input=pdf, capture_output=True, check=True).stdout.decode()


@needs_poppler
def test_f2_notice_pdf_reads_back_with_title_body_and_signature(clock, app, site):
    nid = make_notice(app, site["community"].id, "关于3栋临时停水的通知", buildings=[site["b3"]],
                      body="尊敬的各位业主：\n\n因市政管道检修，3栋9:00至17:00停水，请提前储水。\n\n敬请谅解。")
    client = as_user(app, site, "front_desk")
    resp = client.get(f"/notices/{nid}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = resp.data
    text = "".join(_run("pdftotext", pdf, "-raw").split())
    for part in ("东湖花园", "关于3栋临时停水的通知", "尊敬的各位业主：", "因市政管道检修，3栋9:00至17:00停水，请提前储水。",
                 "敬请谅解。", STAMP, "涉及：3栋"):
        assert part in text, part
    today = site_today()
    assert f"{today.year}年{today.month}月{today.day}日" in text
    m = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", _run("pdfinfo", pdf), re.M)
    assert (round(float(m.group(1)) * 25.4 / 72), round(float(m.group(2)) * 25.4 / 72)) == (210, 297)  # A4
    fonts = [line.split() for line in _run("pdffonts", pdf).splitlines()[2:] if line.strip()]
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # every font embedded
    assert len(pdf) < 80_000, len(pdf)


@needs_poppler
def test_f2_withdrawn_notice_prints_void_without_seal(app, site):
    nid = make_notice(app, site["community"].id, "消防演练通知")
    with app.app_context():
        services.withdraw(db.session.get(Notice, nid), None, "改期")
        db.session.commit()
    pdf = as_user(app, site, "supervisor").get(f"/notices/{nid}.pdf").data
    text = "".join(_run("pdftotext", pdf, "-raw").split())
    assert "已撤回" in text and "消防演练通知" in text


# --- demo ------------------------------------------------------------------------------------------

def test_f2_demo_notices_are_current_and_targeted(app, site):
    from propsvc.demo.notices import seed_demo_notices

    cid = site["community"].id
    with app.app_context():
        msg = seed_demo_notices(cid)
        db.session.commit()
        assert "4条" in msg
        current = services.board(cid)
        assert len(current) == 3 and len(services.listing(cid, "upcoming")) == 1
        water = next(n for n in current if "停水" in n["title"])
        assert water["scope_label"] == "3栋、4栋"
        assert "已有公告" in seed_demo_notices(cid)
    assert len(events(app, "notice.published")) == 4
    assert events(app, "notice.published")[0][1] == site["users"]["supervisor"].id
