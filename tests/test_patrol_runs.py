"""Patrol runs on the phone and rectification [D3], through the web interface, on a real database:
start, one tap per item (keys, late taps, the phone's time), problems with note and photo,
finish → rectification tickets in the dispatch queue, the steward's recheck, checkpoints."""
import io
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image
from sqlalchemy import func, select

from conftest import csrf_token, login, post
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.patrols.models import (Checkpoint, ChecklistItem, ChecklistTemplate, Patrol, PatrolKind, PatrolPlan,
                                    PatrolResult)
from propsvc.tickets.models import Ticket


@pytest.fixture
def site(app, make):
    from propsvc.auth.models import Department, User

    c = make.community()
    b = make.building(c, "3")
    b5 = make.building(c, "5")
    u = make.unit(b, 2, "1201", status="vacant")
    other = make.community("别的小区")
    ob = make.building(other, "3")
    ou = make.unit(ob, 2, "1201")
    users = {r: make.user(r, communities=[c]) for r in ("steward", "supervisor", "technician", "front_desk")}
    users["steward2"] = make.user("steward", communities=[c])
    with app.app_context():
        eng = db.session.scalar(select(Department).where(Department.code == "engineering"))
        eng_id = eng.id
        db.session.get(User, users["technician"].id).department_id = eng_id
        db.session.commit()
        templates = {t.kind: t.id for t in db.session.scalars(
            select(ChecklistTemplate).where(ChecklistTemplate.community_id == c.id))}
        other_templates = {t.kind: t.id for t in db.session.scalars(
            select(ChecklistTemplate).where(ChecklistTemplate.community_id == other.id))}
    return {"community": c, "building": b, "building5": b5, "unit": u, "other": other, "other_building": ob,
            "other_unit": ou, "users": users, "templates": templates, "other_templates": other_templates,
            "eng": eng_id}


def client_for(app, user):
    c = app.test_client()
    assert login(c, user.username).status_code == 303
    c.token = csrf_token(c)
    return c


def items_of(app, template_id):
    with app.app_context():
        return [(i.id, i.text, i.photo_required) for i in db.session.scalars(
            select(ChecklistItem).where(ChecklistItem.template_id == template_id, ChecklistItem.active.is_(True))
            .order_by(ChecklistItem.sort, ChecklistItem.id))]


def start(client, site, kind=PatrolKind.BUILDING, target_type="building", **over):
    data = {"template_id": str(site["templates"][kind]), "target_type": target_type,
            "building_id": str(site["building"].id), "client_key": over.pop("client_key", None) or _key()}
    data.update(over)
    return post(client, "/patrols/start", data)


def started(app, client, site, **kw):
    resp = start(client, site, **kw)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rsplit("/", 1)[1])


_n = [0]


def _key():
    _n[0] += 1
    return f"k{_n[0]}-{datetime.now().timestamp()}"


def _jpeg(color="red", size=(1200, 900)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    buf.seek(0)
    return buf


def iso(dt):
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_seq = [0]


def tap(client, pid, item_id, result, key=None, tapped_at=None, note=None, photo=None, script=True, device=None,
        seq=None):
    """A tap as patrol.js sends it (CSRF header, HX-Request, the phone's device id and its next
    tap number unless given), or as the plain form posts it (no order of its own)."""
    data = {"result": result, "key": key or _key(), "tapped_at": iso(tapped_at or datetime.now(timezone.utc))}
    if script:
        _seq[0] += 1
        data["device"], data["seq"] = device or "test-phone", str(seq if seq is not None else _seq[0])
    if note is not None:
        data["note"] = note
    if photo is not None:
        data["photo"] = (photo, "p.jpg")
    if script:
        return client.post(f"/patrols/{pid}/items/{item_id}", data=data, content_type="multipart/form-data",
                           headers={"HX-Request": "true", "X-CSRFToken": client.token})
    data["csrf_token"] = client.token
    return client.post(f"/patrols/{pid}/items/{item_id}", data=data, content_type="multipart/form-data")


def results(app, pid):
    with app.app_context():
        return {r.item_id: r for r in db.session.scalars(select(PatrolResult).where(PatrolResult.patrol_id == pid))
                if db.session.expunge(r) or True}


def events(app, action, pid=None):
    with app.app_context():
        stmt = select(Event).where(Event.action == action)
        if pid is not None:
            stmt = stmt.where(Event.object_id == pid)
        return list(db.session.scalars(stmt.order_by(Event.id)))


def tap_all(client, pid, items, result="ok"):
    for item_id, _text, _photo in items:
        assert tap(client, pid, item_id, result).status_code == 200


# --- defaults and starting ----------------------------------------------------------------------

def test_d3_default_checklists_are_named_kind_plus_patrol_sheet_once(app, site):
    from propsvc.patrols.models import ChecklistTemplate

    with app.app_context():
        names = set(db.session.scalars(select(ChecklistTemplate.name).where(
            ChecklistTemplate.community_id == site["community"].id)))
    assert "装修巡查表" in names and "楼栋单元巡查表" in names
    assert not [n for n in names if "巡查巡查" in n]


def test_d3_every_community_gets_one_checklist_per_patrol_kind_once(app, site):
    from propsvc.patrols.defaults import ensure_patrol_defaults

    assert set(site["templates"]) == set(PatrolKind)
    texts = [t for _i, t, _p in items_of(app, site["templates"][PatrolKind.VACANT])]
    assert any("地漏" in t for t in texts) and any("插销" in t for t in texts)  # [R2]
    with app.app_context():
        ensure_patrol_defaults(site["community"].id)
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(ChecklistTemplate)
                                  .where(ChecklistTemplate.community_id == site["community"].id))
    assert count == len(PatrolKind)


def test_start_a_building_patrol_and_resume_it(clock, app, site):
    stw = client_for(app, site["users"]["steward"])
    assert "开始巡查" in stw.get("/patrols/start").get_data(as_text=True)
    key = _key()
    pid = started(app, stw, site, client_key=key)
    assert started(app, stw, site, client_key=key) == pid  # the same start sent twice
    assert started(app, stw, site) == pid  # an open patrol of the same target today is resumed
    page = stw.get(f"/patrols/{pid}").get_data(as_text=True)
    n = len(items_of(app, site["templates"][PatrolKind.BUILDING]))
    assert "楼栋单元 · 3栋" in page and f"已完成 <span id=\"pd\">0</span>/<span id=\"pn\">{n}</span>" in page
    assert page.count('value="ok"') == n and "完成巡查" in page
    with app.app_context():
        p = db.session.get(Patrol, pid)
        assert p.day == datetime.now(timezone(timedelta(hours=8))).date()  # local day in Asia/Shanghai
        assert (p.kind, p.building_id, p.steward_id) == ("building", site["building"].id, site["users"]["steward"].id)
    assert len(events(app, "patrol.started", pid)) == 1
    assert f"/patrols/{pid}" in stw.get("/patrols/start").get_data(as_text=True)  # listed to resume


def test_unit_of_another_community_is_refused(app, site):
    stw = client_for(app, site["users"]["steward"])
    resp = start(stw, site, kind=PatrolKind.VACANT, target_type="unit", unit_id=str(site["other_unit"].id))
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Patrol)) == 0
        from propsvc.auth.models import User
        from propsvc.patrols import services

        with pytest.raises(services.PatrolError, match="该房屋不属于本小区"):
            services.start_patrol(site["community"].id, db.session.get(User, site["users"]["steward"].id),
                                  site["templates"][PatrolKind.VACANT], "unit", unit_id=site["other_unit"].id)
        with pytest.raises(services.PatrolError, match="楼栋不属于本小区"):
            services.start_patrol(site["community"].id, db.session.get(User, site["users"]["steward"].id),
                                  site["templates"][PatrolKind.BUILDING], "building",
                                  building_id=site["other_building"].id)
    resp = start(stw, site, template_id=str(site["other_templates"][PatrolKind.BUILDING]))
    assert resp.status_code == 422  # another community's checklist
    ok = start(stw, site, kind=PatrolKind.VACANT, target_type="unit", unit_id=str(site["unit"].id))
    assert ok.status_code == 303


def test_start_an_area_patrol_and_find_a_unit_without_script(app, site):
    stw = client_for(app, site["users"]["steward"])
    resp = start(stw, site, kind=PatrolKind.EXTERIOR, target_type="area", building_id="0", area="")
    assert resp.status_code == 422 and "请填写巡查区域" in resp.get_data(as_text=True)
    pid = started(app, stw, site, kind=PatrolKind.EXTERIOR, target_type="area", building_id="0", area="中心花园")
    assert "外围 · 中心花园" in stw.get(f"/patrols/{pid}").get_data(as_text=True)
    found = stw.get("/patrols/start?unit_q=3-2-1201").get_data(as_text=True)
    assert "3栋2单元1201" in found and f'name="unit_id" value="{site["unit"].id}"' in found


# --- taps -------------------------------------------------------------------------------------

def test_tap_answers_a_small_row_and_every_change_is_an_event(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    item_id, text, _ = items_of(app, site["templates"][PatrolKind.BUILDING])[0]
    resp = tap(stw, pid, item_id, "ok")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and body.startswith(f'<li id="i{item_id}"') and text in body
    assert 'value="ok" aria-pressed="true"' in body
    assert len(resp.get_data()) < 600
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert tap(stw, pid, item_id, "na").status_code == 200
    assert results(app, pid)[item_id].result == "na"
    evs = events(app, "patrol.tapped", pid)
    assert [(e.data["result"], e.data["previous"]) for e in evs] == [("ok", None), ("na", "ok")]


def test_tap_twice_with_same_key_saves_once(clock, app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    item_id = items_of(app, site["templates"][PatrolKind.BUILDING])[0][0]
    at = datetime.now(timezone.utc) - timedelta(minutes=3)
    first = tap(stw, pid, item_id, "ok", key="same-tap", tapped_at=at)
    again = tap(stw, pid, item_id, "ok", key="same-tap", tapped_at=at)
    assert first.status_code == again.status_code == 200
    assert first.get_data() == again.get_data()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PatrolResult)) == 1
    assert len(events(app, "patrol.tapped", pid)) == 1
    # The same key with a different body (a confused retry) changes nothing either.
    tap(stw, pid, item_id, "na", key="same-tap", tapped_at=at + timedelta(seconds=5))
    assert results(app, pid)[item_id].result == "ok"


def test_late_older_tap_does_not_overwrite_newer(clock, app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    item_id = items_of(app, site["templates"][PatrolKind.BUILDING])[1][0]
    now = datetime.now(timezone.utc)
    assert tap(stw, pid, item_id, "na", tapped_at=now - timedelta(minutes=1), seq=2).status_code == 200
    # The queued older tap (the phone's tap number 1) arrives afterwards: the newer choice stays.
    resp = tap(stw, pid, item_id, "ok", tapped_at=now - timedelta(minutes=10), seq=1)
    assert resp.status_code == 200 and 'value="na" aria-pressed="true"' in resp.get_data(as_text=True)
    assert resp.headers["X-Tap-Status"] == "stale"
    r = results(app, pid)[item_id]
    assert r.result == "na" and abs(r.tapped_at - (now - timedelta(minutes=1))) < timedelta(seconds=1)
    assert len(events(app, "patrol.tapped", pid)) == 1


def test_the_phones_tap_time_is_stored_within_reason(clock, app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    ids = [i for i, _t, _p in items_of(app, site["templates"][PatrolKind.BUILDING])]
    now = datetime.now(timezone.utc)
    tap(stw, pid, ids[0], "ok", tapped_at=now - timedelta(minutes=20))  # queued offline 20 minutes ago
    tap(stw, pid, ids[1], "ok", tapped_at=now + timedelta(hours=3))  # a phone clock hours fast
    rs = results(app, pid)
    assert abs(rs[ids[0]].tapped_at - (now - timedelta(minutes=20))) < timedelta(seconds=1)
    assert rs[ids[0]].received_at > rs[ids[0]].tapped_at
    assert rs[ids[1]].tapped_at <= datetime.now(timezone.utc) + timedelta(minutes=5)  # clamped
    resp = tap(stw, pid, ids[2], "ok", tapped_at=now - timedelta(days=400))
    assert resp.status_code == 422 and "手机时间不正确" in resp.get_data(as_text=True)
    resp = stw.post(f"/patrols/{pid}/items/{ids[2]}", data={"result": "ok", "key": "x1", "tapped_at": "yesterday"},
                    headers={"HX-Request": "true", "X-CSRFToken": stw.token})
    assert resp.status_code == 422 and "时间格式不正确" in resp.get_data(as_text=True)
    assert ids[2] not in results(app, pid)


def test_problem_needs_note_and_photo(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    items = items_of(app, site["templates"][PatrolKind.BUILDING])
    needs_photo = next(i for i, _t, p in items if p)
    no_photo = next(i for i, _t, p in items if not p)
    resp = tap(stw, pid, needs_photo, "problem", photo=_jpeg())
    assert resp.status_code == 422 and "请填写问题说明" in resp.get_data(as_text=True)
    resp = tap(stw, pid, needs_photo, "problem", note="3楼楼道灯不亮")
    assert resp.status_code == 422 and "此项有问题时需要拍照" in resp.get_data(as_text=True)
    assert results(app, pid) == {}
    resp = tap(stw, pid, needs_photo, "problem", note="3楼楼道灯不亮", photo=_jpeg())
    assert resp.status_code == 200 and f"/patrols/{pid}/items/{needs_photo}/photo" in resp.get_data(as_text=True)
    r = results(app, pid)[needs_photo]
    assert (r.result, r.note) == ("problem", "3楼楼道灯不亮") and r.photo_path and r.thumb_path
    img = stw.get(f"/patrols/{pid}/items/{needs_photo}/photo?thumb=1")
    assert img.status_code == 200 and img.mimetype == "image/jpeg"
    # A corrected note needs no second photo: one is stored for this result.
    assert tap(stw, pid, needs_photo, "problem", note="3楼、5楼楼道灯不亮").status_code == 200
    assert results(app, pid)[needs_photo].photo_path == r.photo_path
    # An item that does not require a photo takes a note alone.
    assert tap(stw, pid, no_photo, "problem", note="公告栏玻璃裂了").status_code == 200
    resp = tap(stw, pid, no_photo, "problem", note="x", photo=io.BytesIO(b"not an image"))
    assert resp.status_code == 422 and "图片" in resp.get_data(as_text=True)


def test_without_script_a_tap_posts_and_comes_back(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    item_id = items_of(app, site["templates"][PatrolKind.BUILDING])[0][0]
    resp = tap(stw, pid, item_id, "ok", script=False)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/patrols/{pid}#i{item_id}")
    # 有问题 in the list: the page opens the problem card for that item, no message before input
    # (tests/test_short_forms.py has the rest).
    resp = tap(stw, pid, item_id, "problem", script=False)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/patrols/{pid}?open={item_id}#open")
    page = stw.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="open"' in page and "请填写问题说明" not in page
    assert f'action="/patrols/{pid}/items/{item_id}"' in page
    resp = tap(stw, pid, item_id, "problem", note="大堂地面有积水", photo=_jpeg(), script=False)
    assert resp.status_code == 303 and results(app, pid)[item_id].result == "problem"


def test_tap_on_finished_patrol_is_refused(clock, app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    items = items_of(app, site["templates"][PatrolKind.BUILDING])
    tap_all(stw, pid, items)
    assert post(stw, f"/patrols/{pid}/finish").status_code == 303
    resp = tap(stw, pid, items[0][0], "na")
    assert resp.status_code == 409 and "巡查已结束，不能再修改" in resp.get_data(as_text=True)
    resp = tap(stw, pid, items[0][0], "na", script=False)
    assert resp.status_code == 409 and "巡查已结束，不能再修改" in resp.get_data(as_text=True)
    assert results(app, pid)[items[0][0]].result == "ok"
    page = stw.get(f"/patrols/{pid}").get_data(as_text=True)
    assert "完成巡查" not in page and 'aria-pressed' not in page  # read-only now


def test_finish_needs_every_item(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    items = items_of(app, site["templates"][PatrolKind.BUILDING])
    tap_all(stw, pid, items[:-2])
    resp = post(stw, f"/patrols/{pid}/finish")
    assert resp.status_code == 422 and "还有 2 项未检查" in resp.get_data(as_text=True)
    tap_all(stw, pid, items[-2:], "na")
    assert post(stw, f"/patrols/{pid}/finish").status_code == 303
    assert post(stw, f"/patrols/{pid}/finish").status_code == 303  # a double tap: already done
    with app.app_context():
        assert db.session.get(Patrol, pid).finished_at is not None
    (ev,) = events(app, "patrol.finished", pid)
    assert ev.data["problems"] == 0 and ev.data["tickets"] == []


def test_another_stewards_patrol_is_not_found(app, site, make):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    item_id = items_of(app, site["templates"][PatrolKind.BUILDING])[0][0]
    other = client_for(app, site["users"]["steward2"])
    assert other.get(f"/patrols/{pid}").status_code == 404
    assert tap(other, pid, item_id, "ok").status_code == 404
    assert post(other, f"/patrols/{pid}/finish").status_code == 404
    outsider = client_for(app, make.user("supervisor", communities=[site["other"]]))
    assert outsider.get(f"/patrols/{pid}").status_code == 404
    # The supervisor may look (read-only), not tap.
    sup = client_for(app, site["users"]["supervisor"])
    page = sup.get(f"/patrols/{pid}")
    assert page.status_code == 200 and "完成巡查" not in page.get_data(as_text=True)
    assert tap(sup, pid, item_id, "ok").status_code == 404
    # An item of another checklist is not part of this patrol.
    foreign = items_of(app, site["templates"][PatrolKind.FIRE])[0][0]
    assert tap(stw, pid, foreign, "ok").status_code == 404


# --- rectification [D3] --------------------------------------------------------------------------

def _patrol_with_problem(app, site, stw, photo=True):
    pid = started(app, stw, site)
    items = items_of(app, site["templates"][PatrolKind.BUILDING])
    lift = next(i for i in items if "电梯" in i[1])
    leak = next(i for i in items if "漏水" in i[1])
    rest = [i for i in items if i not in (lift, leak)]
    tap_all(stw, pid, rest)
    assert tap(stw, pid, lift[0], "problem", note="2号梯按钮失灵", photo=_jpeg("blue")).status_code == 200
    assert tap(stw, pid, leak[0], "problem", note="12楼天花板渗水", photo=_jpeg("green")).status_code == 200
    return pid, lift, leak


def test_d3_problem_becomes_a_ticket_in_the_queue(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid, lift, leak = _patrol_with_problem(app, site, stw)
    resp = post(stw, f"/patrols/{pid}/finish")
    assert resp.status_code == 303
    with app.app_context():
        tickets = list(db.session.scalars(select(Ticket).order_by(Ticket.id)))
        assert len(tickets) == 2
        by_text = {t.description: t for t in tickets}
        t = by_text[f"巡查发现：{lift[1]}：2号梯按钮失灵"]
        assert (t.kind, t.channel, t.urgency, t.state) == ("patrol", "patrol", "normal", "new")  # 来源 巡查
        assert t.category.name == "电梯故障" and t.building_id == site["building"].id and t.place == "3栋"
        assert t.reporter_name == site["users"]["steward"].name and t.resolve_due > t.created_at
        assert len(t.photos) == 1 and t.photos[0].event_id is not None
        assert by_text[f"巡查发现：{leak[1]}：12楼天花板渗水"].category.name == "水电气维修"
        rs = {r.item_id: r.ticket_id
              for r in db.session.scalars(select(PatrolResult).where(PatrolResult.patrol_id == pid))}
        assert rs[lift[0]] == t.id and sum(1 for v in rs.values() if v) == 2
        serials = [x.serial for x in tickets]
    flashed = stw.get(f"/patrols/{pid}").get_data(as_text=True)
    assert "整改工单" in flashed and all(s in flashed for s in serials)
    queue = client_for(app, site["users"]["supervisor"]).get("/tickets/queue").get_data(as_text=True)
    assert all(s in queue for s in serials) and "巡查整改" in queue


def test_finding_categories_follow_the_item_and_the_patrol_kind(app, site):
    from propsvc.patrols.services import category_for

    cid = site["community"].id
    with app.app_context():
        assert category_for(cid, "灭火器压力正常、在有效期内", "fire").name == "安全"
        assert category_for(cid, "消防通道畅通、无占用", "exterior").name == "安全"
        assert category_for(cid, "草坪、花木修剪整齐", "greenery").name == "绿化"
        assert category_for(cid, "车辆停放有序", "parking").name == "停车"
        assert category_for(cid, "阳台地漏通畅", "vacant").name == "水电气维修"
        assert category_for(cid, "小广告、乱张贴", "building").name == "环境卫生"
        assert category_for(cid, "装修许可证在门口张贴", "renovation").name == "其他"


def _resolved(app, site, ticket_id):
    from propsvc.auth.models import User
    from propsvc.tickets import services

    with app.app_context():
        t = db.session.get(Ticket, ticket_id)
        services.dispatch(t, db.session.get(User, site["users"]["supervisor"].id), site["eng"],
                          site["users"]["technician"].id)
        tech = db.session.get(User, site["users"]["technician"].id)
        services.accept(t, tech)
        services.resolve(t, tech, "已更换按钮")
        db.session.commit()


def recheck(client, ticket_id, outcome, photo=True):
    data = {"recheck-outcome": outcome, "recheck-text": "现场复检"}
    if photo:
        data["recheck-photos"] = (_jpeg("white"), "r.jpg")
    return post(client, f"/tickets/{ticket_id}/recheck", data, content_type="multipart/form-data")


def test_d3_recheck_with_photo_closes_or_keeps_open(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid, _lift, _leak = _patrol_with_problem(app, site, stw)
    assert post(stw, f"/patrols/{pid}/finish").status_code == 303
    with app.app_context():
        fixed_id, open_id = list(db.session.scalars(select(Ticket.id).order_by(Ticket.id)))
    _resolved(app, site, fixed_id)
    _resolved(app, site, open_id)
    page = stw.get(f"/tickets/{fixed_id}").get_data(as_text=True)
    assert "复检" in page and "回访" not in page.split("处理记录")[1]  # recheck instead of the return visit
    resp = recheck(stw, fixed_id, "fixed", photo=False)
    assert resp.status_code == 422 and "复检需要拍照" in resp.get_data(as_text=True)
    assert recheck(stw, fixed_id, "fixed").status_code == 303
    assert recheck(stw, open_id, "not_fixed").status_code == 303
    with app.app_context():
        fixed, reopened = db.session.get(Ticket, fixed_id), db.session.get(Ticket, open_id)
        assert fixed.state == "closed" and fixed.closed_at is not None and len(fixed.photos) == 2
        assert reopened.state == "dispatched" and reopened.reopen_count == 1
        acts = list(db.session.scalars(select(Event.action).where(Event.object_type == "ticket",
                                                                  Event.object_id == open_id).order_by(Event.id)))
        assert acts[-2:] == ["ticket.rechecked", "ticket.reopened"]
        from propsvc.auth.models import User
        from propsvc.tickets import services

        with pytest.raises(services.TicketError, match="只有巡查整改工单需要复检"):
            other = services.create_ticket(site["community"].id, services.Intake(
                kind="repair", channel="phone", category_id=fixed.category_id, urgency="normal",
                description="x", building_id=site["building"].id), db.session.get(User, site["users"]["front_desk"].id))
            other.state = "resolved"
            services.recheck(other, db.session.get(User, site["users"]["steward"].id), "fixed", None, True)
    assert "已整改" in stw.get(f"/tickets/{fixed_id}").get_data(as_text=True)


def test_edited_template_keeps_past_results(clock, app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    items = items_of(app, site["templates"][PatrolKind.BUILDING])
    tap_all(stw, pid, items)
    assert post(stw, f"/patrols/{pid}/finish").status_code == 303
    first_id, first_text, _ = items[0]
    with app.app_context():  # the supervisor edits the checklist: renames, retires, adds
        db.session.get(ChecklistItem, first_id).text = "大堂、楼道、电梯厅卫生"
        db.session.get(ChecklistItem, items[1][0]).active = False
        db.session.add(ChecklistItem(template_id=site["templates"][PatrolKind.BUILDING], text="新增：单车乱放", sort=99))
        db.session.commit()
    past = stw.get(f"/patrols/{pid}").get_data(as_text=True)
    assert first_text in past and items[1][1] in past and "单车乱放" not in past
    assert "大堂、楼道、电梯厅卫生" not in past and f"<span id=\"pn\">{len(items)}</span>" in past
    new_pid = started(app, stw, site)
    assert new_pid != pid
    now = stw.get(f"/patrols/{new_pid}").get_data(as_text=True)
    assert "大堂、楼道、电梯厅卫生" in now and "单车乱放" in now and items[1][1] not in now


def test_a_planned_patrol_starts_from_its_plan_once(app, site):
    # Inside the plan's window (09:00–11:00, Beijing), whatever the hour the suite runs at: after
    # it, the same plan starts as a 补巡 (test_patrol_makeup.py).
    with time_machine.travel(datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        _planned_patrol_starts_once(app, site)


def _planned_patrol_starts_once(app, site):
    with app.app_context():
        plan = PatrolPlan(community_id=site["community"].id, template_id=site["templates"][PatrolKind.FIRE],
                          steward_id=site["users"]["steward"].id, target_type="building",
                          building_id=site["building5"].id)
        db.session.add(plan)
        db.session.commit()
        plan_id = plan.id
    stw = client_for(app, site["users"]["steward"])
    page = stw.get(f"/patrols/start?plan_id={plan_id}").get_data(as_text=True)
    assert "开始计划巡查" in page and "5栋" in page
    resp = post(stw, "/patrols/start", {"plan_id": str(plan_id), "client_key": _key()})
    assert resp.status_code == 303
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        p = db.session.get(Patrol, pid)
        assert (p.plan_id, p.kind, p.building_id) == (plan_id, "fire", site["building5"].id)
    again = stw.get(f"/patrols/start?plan_id={plan_id}")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/patrols/{pid}")
    other = client_for(app, site["users"]["steward2"])
    resp = post(other, "/patrols/start", {"plan_id": str(plan_id), "client_key": _key()})
    assert resp.status_code == 422 and "不是分派给您的" in resp.get_data(as_text=True)


# --- proof of presence ----------------------------------------------------------------------------

def test_checkpoint_scan_records_presence(app, site):
    with app.app_context():
        db.session.add_all([
            Checkpoint(community_id=site["community"].id, name="3栋大堂", building_id=site["building"].id,
                       token="cp3lobby"),
            Checkpoint(community_id=site["community"].id, name="中心花园", token="cpgarden"),
            Checkpoint(community_id=site["other"].id, name="别处", building_id=site["other_building"].id,
                       token="cpother")])
        db.session.commit()
    stw = client_for(app, site["users"]["steward"])
    # No open patrol there yet: told so, and sent to start one of that building.
    resp = stw.get("/patrols/checkpoint/cp3lobby")
    assert resp.status_code == 303 and f"building_id={site['building'].id}" in resp.headers["Location"]
    pid = started(app, stw, site)
    resp = stw.get("/patrols/checkpoint/cp3lobby")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/patrols/{pid}")
    page = stw.get(f"/patrols/{pid}").get_data(as_text=True)
    assert "已在巡查点“3栋大堂”签到" in page and "已扫码签到" in page
    with app.app_context():
        stamped = db.session.get(Patrol, pid).checkpoint_at
        assert stamped is not None
    stw.get("/patrols/checkpoint/cp3lobby")  # a second scan keeps the first time
    with app.app_context():
        assert db.session.get(Patrol, pid).checkpoint_at == stamped
    (ev,) = events(app, "patrol.checkpoint", pid)
    assert ev.data["checkpoint"] == "3栋大堂"
    area = started(app, stw, site, kind=PatrolKind.GREENERY, target_type="area", building_id="0", area="中心花园")
    assert stw.get("/patrols/checkpoint/cpgarden").headers["Location"].endswith(f"/patrols/{area}")
    assert stw.get("/patrols/checkpoint/cpother").status_code == 404
    assert stw.get("/patrols/checkpoint/nosuchtoken").status_code == 404
    # Another steward's scan does not stamp this steward's patrol.
    other = client_for(app, site["users"]["steward2"])
    assert other.get("/patrols/checkpoint/cp3lobby").status_code == 303
    assert len(events(app, "patrol.checkpoint", pid)) == 1


def test_run_page_has_no_inline_script_or_style(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    page = stw.get(f"/patrols/{pid}").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and " style=" not in page and "onclick" not in page
    assert re.search(r'src="/static/[0-9a-f]{10}/js/patrol\.js"', page)
    assert stw.get(f"/patrols/{pid}", headers={"HX-Request": "true"}).status_code == 200


def test_the_same_first_tap_sent_twice_at_once_saves_once(clock, app, site):
    """The phone's retry racing the original request (the first answer was slow)."""
    import threading

    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    item_id = items_of(app, site["templates"][PatrolKind.BUILDING])[0][0]
    at = datetime.now(timezone.utc)
    clients = [stw, app.test_client()]
    clients[1].set_cookie("session", stw.get_cookie("session").value)
    clients[1].token = stw.token
    barrier, answers = threading.Barrier(2), [None, None]

    def go(i):
        barrier.wait()
        answers[i] = tap(clients[i], pid, item_id, "ok", key="raced-key", tapped_at=at)

    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [a.status_code for a in answers] == [200, 200]
    assert list(results(app, pid)) == [item_id]
    assert len(events(app, "patrol.tapped", pid)) == 1
