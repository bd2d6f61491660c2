"""巡查设置 (checklists, coverage rules, today's plans), 巡查计划 and 巡查记录 through the web
interface, on a real database. Patrols are made with the models (test_patrol_plans helpers)."""
import csv
import io
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from conftest import post
from test_patrol_plans import MONDAY, at, make_patrol, make_plan, psite  # noqa: F401
from test_tickets import client_for
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.patrols.models import ChecklistItem, ChecklistTemplate, PatrolPlan, PatrolResult, PatrolSettings

HX = {"HX-Request": "true"}


def events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def load(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


def items_of(app, template_id):
    with app.app_context():
        return [(i.text, i.sort, i.active, i.photo_required) for i in db.session.scalars(
            select(ChecklistItem).where(ChecklistItem.template_id == template_id)
            .order_by(ChecklistItem.sort, ChecklistItem.id))]


@pytest.fixture
def sup(app, psite):
    return client_for(app, psite["sup"])


@pytest.fixture
def frozen(monkeypatch):
    """Make the pages' "now" a given site time."""
    from propsvc.core import timefmt
    from propsvc.patrols import admin

    def set_now(dt: datetime):
        monkeypatch.setattr(admin, "utcnow", lambda: dt.astimezone(timezone.utc))
        monkeypatch.setattr(timefmt, "utcnow", lambda: dt.astimezone(timezone.utc))
    return set_now


# --- access ------------------------------------------------------------------------------------

def test_steward_gets_403_on_admin_and_plans(app, psite, make):
    steward = client_for(app, psite["s1"])
    item = psite["items"]["building"][0]
    for url in ("/patrols/admin", "/patrols/plans"):
        assert steward.get(url).status_code == 403, url
    for url in ("/patrols/admin/coverage", "/patrols/admin/templates", f"/patrols/admin/items/{item}",
                f"/patrols/admin/items/{item}/move", "/patrols/plans"):
        assert post(steward, url, {"direction": "up"}).status_code == 403, url
    for role in ("front_desk", "technician", "guard", "finance"):
        c = client_for(app, make.user(role, communities=[psite["community"]]))
        assert c.get("/patrols/admin").status_code == 403, role
        assert c.get("/patrols/records").status_code == 403, role
        assert c.get("/patrols/records.csv").status_code == 403, role
    for role in ("supervisor", "manager", "admin"):
        c = client_for(app, make.user(role, communities=[psite["community"]]))
        assert c.get("/patrols/admin").status_code == 200, role
        assert c.get("/patrols/plans").status_code == 200, role
    assert items_of(app, psite["tpl"]["building"])[0][1] == 0  # nothing moved


def test_another_communitys_objects_are_not_found(app, psite, make):
    other = make.community()
    sup2 = client_for(app, make.user("supervisor", communities=[other]))
    item = psite["items"]["building"][0]
    plan = make_plan(app, psite, psite["s1"], building=psite["b3"])
    assert post(sup2, f"/patrols/admin/items/{item}", {f"item{item}-text": "偷改"}).status_code == 404
    assert post(sup2, f"/patrols/admin/items/{item}/active", {"active": "0"}).status_code == 404
    assert post(sup2, f"/patrols/admin/templates/{psite['tpl']['building']}/items", {}).status_code == 404
    assert post(sup2, f"/patrols/plans/{plan}/active", {"active": "0"}).status_code == 404
    assert load(app, ChecklistItem, item).active and load(app, PatrolPlan, plan).active


# --- checklist templates --------------------------------------------------------------------------

def test_admin_page_shows_checklists_coverage_and_todays_plans(app, psite, sup):
    html = sup.get("/patrols/admin").get_data(as_text=True)
    for text in ("巡查设置", "检查表", "楼栋单元巡查", "空置房巡查", "楼道卫生", "巡查覆盖", "张管家", "李管家",
                 "计划执行", "修改巡查标准", "0/2 栋"):
        assert text in html, text
    assert 'href="/patrols/admin"' in sup.get("/").get_data(as_text=True)


def test_template_edit_keeps_past_results(app, psite, sup):
    s1 = psite["s1"]
    tpl = psite["tpl"]["building"]
    first, second, third = psite["items"]["building"]
    pid = make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"],
                      results=[("ok", None), ("problem", "电梯异响"), ("ok", None)])
    # rename the item that has a result, turn off its photo rule, then retire it
    resp = post(sup, f"/patrols/admin/items/{second}", {f"item{second}-text": " 电梯运行、轿厢整洁 "})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/patrols/admin#tpl-{tpl}")
    (ev,) = events(app, "checklist_item.updated")
    assert ev.data["changes"]["text"] == ["电梯运行", "电梯运行、轿厢整洁"]
    assert ev.data["changes"]["photo_required"] == [True, False]  # unchecked box
    assert ev.actor_id == psite["sup"].id and ev.community_id == psite["community"].id
    resp = post(sup, f"/patrols/admin/items/{second}/active", {"active": "0"}, headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith('<section id="checklists"')
    assert "已停用检查项“电梯运行、轿厢整洁”" in html and f'id="tpl-{tpl}" open' in html
    assert events(app, "checklist_item.retired")[0].object_id == second
    # the item still exists, retired; the past result keeps the text as tapped
    assert items_of(app, tpl)[1] == ("电梯运行、轿厢整洁", 1, False, False)
    with app.app_context():
        r = db.session.scalar(select(PatrolResult).where(PatrolResult.patrol_id == pid,
                                                         PatrolResult.item_id == second))
        assert (r.item_text, r.note) == ("电梯运行", "电梯异响")
    body = sup.get(f"/patrols/records.csv?start={MONDAY}&end={MONDAY}").get_data(as_text=True)
    assert "电梯运行,有问题,电梯异响" in body and "轿厢整洁" not in body
    assert "已停用" in sup.get("/patrols/admin").get_data(as_text=True)
    # restore it
    assert post(sup, f"/patrols/admin/items/{second}/active", {"active": "1"}).status_code == 303
    assert items_of(app, tpl)[1][2] is True and len(events(app, "checklist_item.restored")) == 1
    del first, third


def test_items_are_added_reordered_and_photo_rule_toggled(app, psite, sup):
    tpl = psite["tpl"]["building"]
    first, second, third = psite["items"]["building"]
    resp = post(sup, f"/patrols/admin/templates/{tpl}/items", {f"new{tpl}-text": "信报箱完好"})
    assert resp.status_code == 303
    assert items_of(app, tpl)[-1] == ("信报箱完好", 3, True, False)
    (ev,) = events(app, "checklist_item.created")
    assert ev.data["text"] == "信报箱完好" and ev.data["template_id"] == tpl
    # move the third item up twice: it becomes the first
    for _ in range(2):
        assert post(sup, f"/patrols/admin/items/{third}/move", {"direction": "up"}).status_code == 303
    assert [t for t, *_ in items_of(app, tpl)] == ["楼道灯", "楼道卫生", "电梯运行", "信报箱完好"]
    resp = post(sup, f"/patrols/admin/items/{third}/move", {"direction": "up"}, headers=HX)
    assert "已在最前" in resp.get_data(as_text=True)
    assert post(sup, f"/patrols/admin/items/{first}/move", {"direction": "down"}).status_code == 303
    assert [t for t, *_ in items_of(app, tpl)] == ["楼道灯", "电梯运行", "楼道卫生", "信报箱完好"]
    assert [e.data["direction"] for e in events(app, "checklist_item.moved")] == ["up", "up", "down"]
    # photo rule on
    new_id = events(app, "checklist_item.created")[0].object_id
    assert post(sup, f"/patrols/admin/items/{new_id}", {f"item{new_id}-text": "信报箱完好",
                                                         f"item{new_id}-photo_required": "y"}).status_code == 303
    assert items_of(app, tpl)[-1][3] is True


def test_items_are_plain_rows_and_edit_opens_one_items_form(app, psite, sup):
    tpl = psite["tpl"]["building"]
    first, second, third = psite["items"]["building"]
    html = sup.get("/patrols/admin").get_data(as_text=True)
    # every item is a row with an 编辑 link (a real URL; htmx swaps just that row); no item form on the page
    for item in (first, second, third):
        assert f'<a href="/patrols/admin/items/{item}#item-{item}" hx-get="/patrols/admin/items/{item}"' in html
        assert f'action="/patrols/admin/items/{item}' not in html
    # the checklists' forms: 添加检查表, and per checklist 添加检查项 + 名称与启用 — none per item
    section = html[html.index('<section id="checklists"'):]
    assert section.count('<form method="post"') == 1 + 2 * section.count('class="step tpl"')
    # without JS: the whole settings page, that item's form open in its template
    resp = sup.get(f"/patrols/admin/items/{second}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<h1>巡查设置</h1>" in html and f'id="tpl-{tpl}" open' in html
    assert f'<li class="item editing" id="item-{second}">' in html
    assert f'action="/patrols/admin/items/{second}"' in html and f'value="电梯运行"' in html
    assert f'action="/patrols/admin/items/{second}/move"' in html and f'action="/patrols/admin/items/{second}/active"' in html
    assert f'action="/patrols/admin/items/{first}"' not in html
    # with htmx: just that row, in edit mode; ?part=row gives the plain row back (取消)
    resp = sup.get(f"/patrols/admin/items/{first}", headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.strip().startswith(f'<li class="item editing" id="item-{first}">')
    assert "<h1>" not in html and f'name="item{first}-text"' in html
    assert '<button name="direction" value="up" disabled>' in html  # the first item cannot go up
    html = sup.get(f"/patrols/admin/items/{first}?part=row", headers=HX).get_data(as_text=True)
    assert html.strip().startswith(f'<li class="item" id="item-{first}">') and "<form" not in html
    # a move keeps the item open for the next move (htmx: in the section; no JS: its page)
    resp = post(sup, f"/patrols/admin/items/{third}/move", {"direction": "up"}, headers=HX)
    html = resp.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="checklists"') and f'<li class="item editing" id="item-{third}">' in html
    resp = post(sup, f"/patrols/admin/items/{third}/move", {"direction": "up"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/patrols/admin/items/{third}#item-{third}")
    assert "已将“楼道灯”上移到第 1 项" in sup.get(resp.headers["Location"]).get_data(as_text=True)
    # a saved edit closes it again
    resp = post(sup, f"/patrols/admin/items/{third}", {f"item{third}-text": "楼道灯照明"}, headers=HX)
    html = resp.get_data(as_text=True)
    assert "已保存检查项“楼道灯照明”" in html and "editing" not in html
    # others cannot open it
    steward = client_for(app, psite["s1"])
    assert steward.get(f"/patrols/admin/items/{first}").status_code == 403


def test_item_edit_of_another_community_is_not_found(app, psite, make):
    other = make.community()
    sup2 = client_for(app, make.user("supervisor", communities=[other]))
    item = psite["items"]["building"][0]
    assert sup2.get(f"/patrols/admin/items/{item}").status_code == 404
    assert sup2.get(f"/patrols/admin/items/{item}", headers=HX).status_code == 404


def test_item_and_template_bad_input_is_422_next_to_the_field(app, psite, sup):
    tpl = psite["tpl"]["building"]
    first = psite["items"]["building"][0]
    for url, data, message in (
        (f"/patrols/admin/templates/{tpl}/items", {f"new{tpl}-text": "  "}, "请填写检查项内容"),
        (f"/patrols/admin/templates/{tpl}/items", {f"new{tpl}-text": "楼道灯"}, "此检查表已有相同的检查项"),
        (f"/patrols/admin/templates/{tpl}/items", {f"new{tpl}-text": "长" * 101}, "检查项最多100字"),
        (f"/patrols/admin/items/{first}", {f"item{first}-text": "电梯运行"}, "此检查表已有相同的检查项"),
        ("/patrols/admin/templates", {"newtpl-kind": "fire", "newtpl-name": ""}, "请填写检查表名称"),
        ("/patrols/admin/templates", {"newtpl-kind": "fire", "newtpl-name": "空置房巡查"}, "已有同名检查表"),
        ("/patrols/admin/templates", {"newtpl-kind": "spaceship", "newtpl-name": "太空巡查"}, "Not a valid choice"),
    ):
        for headers in ({}, HX):
            resp = post(sup, url, data, headers=headers)
            html = resp.get_data(as_text=True)
            assert resp.status_code == 422, (url, data)
            assert 'class="field has-error"' in html and (message in html or message == "Not a valid choice"), (url, message)
            if url == f"/patrols/admin/items/{first}":
                assert f'<li class="item editing" id="item-{first}">' in html and 'value="电梯运行"' in html
    assert items_of(app, tpl)[0][0] == "楼道卫生" and len(items_of(app, tpl)) == 3
    assert events(app, "checklist_item.created") == [] and events(app, "checklist_template.created") == []


def test_template_add_rename_and_retire_only_when_no_active_plan_uses_it(app, psite, sup):
    resp = post(sup, "/patrols/admin/templates", {"newtpl-kind": "fire", "newtpl-name": " 消防设施月检 "}, headers=HX)
    assert resp.status_code == 200 and "已添加检查表“消防设施月检”" in resp.get_data(as_text=True)
    (ev,) = events(app, "checklist_template.created")
    t = load(app, ChecklistTemplate, ev.object_id)
    assert (t.kind, t.name, t.active, t.community_id) == ("fire", "消防设施月检", True, psite["community"].id)
    tpl = psite["tpl"]["building"]
    plan = make_plan(app, psite, psite["s1"], building=psite["b3"])
    resp = post(sup, f"/patrols/admin/templates/{tpl}", {f"tpl{tpl}-name": "楼栋巡查"})  # active unchecked
    assert resp.status_code == 422 and "有 1 个巡查计划正在使用此检查表" in resp.get_data(as_text=True)
    assert load(app, ChecklistTemplate, tpl).active
    assert post(sup, f"/patrols/plans/{plan}/active", {"active": "0"}).status_code == 303
    assert post(sup, f"/patrols/admin/templates/{tpl}", {f"tpl{tpl}-name": "楼栋巡查"}).status_code == 303
    t = load(app, ChecklistTemplate, tpl)
    assert (t.name, t.active) == ("楼栋巡查", False)
    assert events(app, "checklist_template.updated")[0].data["changes"]["active"] == [True, False]


def test_new_community_gets_default_checklists_on_first_visit(app, make):
    pytest.importorskip("propsvc.patrols.defaults")
    from propsvc.patrols import defaults

    if not hasattr(defaults, "ensure_patrol_defaults"):
        pytest.skip("defaults not written yet")
    c = make.community()
    admin = client_for(app, make.user("admin", communities=[c]))
    assert admin.get("/patrols/admin").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChecklistTemplate)
                                 .where(ChecklistTemplate.community_id == c.id)) >= 7


# --- coverage rules ----------------------------------------------------------------------------

def test_coverage_rules_are_saved_recorded_and_validated(app, psite, sup):
    resp = post(sup, "/patrols/admin/coverage", {"cov-buildings_per_day": "3", "cov-vacant_every_days": "5"}, headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith('<section id="coverage"')
    assert "每位管家每天巡查 3 栋" in html and "0/3 栋" in html
    s = load(app, PatrolSettings, psite["community"].id)
    assert (s.buildings_per_day, s.vacant_every_days) == (3, 5)
    (ev,) = events(app, "patrol_settings.updated")
    assert ev.data["changes"] == {"buildings_per_day": [2, 3], "vacant_every_days": [7, 5]}
    for data, message in (({"cov-buildings_per_day": "", "cov-vacant_every_days": "7"}, "请填写每天应巡楼栋数"),
                          ({"cov-buildings_per_day": "abc", "cov-vacant_every_days": "7"}, "请填写整数"),
                          ({"cov-buildings_per_day": "2", "cov-vacant_every_days": "0"}, "请填写1到90之间的整数"),
                          ({"cov-buildings_per_day": "99", "cov-vacant_every_days": "7"}, "请填写0到50之间的整数")):
        resp = post(sup, "/patrols/admin/coverage", data)
        assert resp.status_code == 422 and message in resp.get_data(as_text=True), data
    assert load(app, PatrolSettings, psite["community"].id).buildings_per_day == 3
    assert len(events(app, "patrol_settings.updated")) == 1


def test_d3_admin_page_shows_progress_and_overdue_vacant_units(app, psite, sup, frozen):
    frozen(at(MONDAY, 15))
    make_patrol(app, psite, psite["s1"], day=MONDAY, building=psite["b3"])
    make_patrol(app, psite, psite["s1"], day=MONDAY - timedelta(days=9), unit=psite["v1"], kind="vacant")
    html = sup.get("/patrols/admin").get_data(as_text=True)
    assert "1/2 栋" in html and "还差 1 栋" in html and "3栋" in html
    assert "3栋1单元301" in html and "9天未巡，逾期2天" in html
    assert "7栋1单元101" in html and "从未巡查" in html and "未指定管家" in html


# --- plans -------------------------------------------------------------------------------------

def plan_data(prefix="newplan", **over):
    data = {f"{prefix}-template_id": "", f"{prefix}-steward_id": "", f"{prefix}-target_type": "building",
            f"{prefix}-building_id": "0", f"{prefix}-unit_code": "", f"{prefix}-area": "",
            f"{prefix}-window_start": "09:00", f"{prefix}-window_end": "11:00"}
    data.update({f"{prefix}-{k}": v for k, v in over.items() if k != "weekdays"})
    body = list(data.items()) + [(f"{prefix}-weekdays", str(d)) for d in over.get("weekdays", range(7))]
    return body


def post_plan(client, url, body, **kw):
    from conftest import csrf_token, form_key
    from werkzeug.datastructures import MultiDict

    data = MultiDict(body)
    data.add("csrf_token", csrf_token(client))
    data.add("client_key", form_key(client.application))
    return client.post(url, data=data, **kw)


def test_plan_create_edit_and_deactivate(app, psite, sup):
    s1, s2 = psite["s1"], psite["s2"]
    body = plan_data(template_id=str(psite["tpl"]["vacant"]), steward_id=str(s1.id), target_type="unit",
                     unit_code="3栋1单元301", weekdays=[0, 2, 4], window_start="14:00", window_end="16:30")
    resp = post_plan(sup, "/patrols/plans", body)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/patrols/plans#plans")
    with app.app_context():
        p = db.session.scalar(select(PatrolPlan))
        assert (p.steward_id, p.target_type, p.unit_id, p.building_id, p.weekdays, p.window_start, p.window_end,
                p.active, p.created_by_id) == (s1.id, "unit", psite["v1"].id, psite["b3"].id, "024", time(14, 0),
                                               time(16, 30), True, psite["sup"].id)
        plan_id = p.id
    (ev,) = events(app, "patrol_plan.created")
    assert ev.data["window_start"] == "14:00" and ev.data["unit_id"] == psite["v1"].id
    html = sup.get("/patrols/plans").get_data(as_text=True)
    assert "3栋1单元301" in html and "周一、周三、周五" in html and "14:00–16:30" in html
    # edit: another steward, an area, every day
    body = plan_data(f"plan{plan_id}", template_id=str(psite["tpl"]["building"]), steward_id=str(s2.id),
                     target_type="area", area="中心花园", window_start="08:30", window_end="10:00")
    resp = post_plan(sup, f"/patrols/plans/{plan_id}", body, headers=HX)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith('<section id="plans"')
    assert "已保存巡查计划：李管家 · 中心花园 · 楼栋单元巡查 · 每天 08:30–10:00" in html
    assert '<section id="today" class="card" hx-swap-oob="true">' in html  # today's list follows the change
    p = load(app, PatrolPlan, plan_id)
    assert (p.steward_id, p.target_type, p.area, p.unit_id, p.building_id, p.weekdays) == (
        s2.id, "area", "中心花园", None, None, "0123456")
    changes = events(app, "patrol_plan.updated")[0].data["changes"]
    assert changes["steward_id"] == [s1.id, s2.id] and changes["window_start"] == ["14:00", "08:30"]
    # deactivate: no longer due; reactivate
    assert post(sup, f"/patrols/plans/{plan_id}/active", {"active": "0"}).status_code == 303
    assert not load(app, PatrolPlan, plan_id).active
    from propsvc.patrols import plans

    with app.app_context():
        assert plans.due_on(psite["community"].id, MONDAY, now=at(MONDAY, 8)) == []
    assert "已停用" in sup.get("/patrols/plans").get_data(as_text=True)
    assert post(sup, f"/patrols/plans/{plan_id}/active", {"active": "1"}).status_code == 303
    assert [e.action for e in events(app, "patrol_plan.deactivated") + events(app, "patrol_plan.reactivated")] == [
        "patrol_plan.deactivated", "patrol_plan.reactivated"]


def test_plan_bad_input_is_422_next_to_the_field(app, psite, sup, make):
    other = make.community()
    ob = make.building(other, "9")
    make.unit(ob, 1, "901", status="vacant")
    desk = make.user("front_desk", communities=[psite["community"]])
    ok = dict(template_id=str(psite["tpl"]["building"]), steward_id=str(psite["s1"].id),
              building_id=str(psite["b3"].id))
    for over, message in (
        ({"template_id": ""}, "请选择检查表"),
        ({"steward_id": str(desk.id)}, "请选择管家"),
        ({"steward_id": str(psite["sup"].id)}, "请选择管家"),
        ({"building_id": "0"}, "请选择楼栋"),
        ({"building_id": str(ob.id)}, "请选择楼栋"),
        ({"target_type": "unit"}, "请填写房号"),
        ({"target_type": "unit", "unit_code": "9-1-901"}, "本小区没有房号“9-1-901”"),
        ({"target_type": "unit", "unit_code": "1201"}, "请按“栋-单元-房号”输入"),
        ({"target_type": "unit", "unit_code": "3-12-01-x"}, "房号格式不正确"),
        ({"target_type": "area", "area": " "}, "请填写巡查区域"),
        ({"weekdays": []}, "请至少选择一天"),
        ({"window_start": "11:00", "window_end": "09:00"}, "截止时间应晚于开始时间"),
        ({"window_start": "", "window_end": "09:00"}, "请填写开始时间"),
        ({"window_end": "25:99"}, "时间格式不正确"),
    ):
        for headers in ({}, HX):
            resp = post_plan(sup, "/patrols/plans", plan_data(**{**ok, **over}), headers=headers)
            html = resp.get_data(as_text=True)
            assert resp.status_code == 422, over
            assert message in html and 'class="field has-error"' in html, (over, message)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PatrolPlan)) == 0
    assert events(app, "patrol_plan.created") == []
    # two entrances share 1201 in building 3: ask for the full code
    make.unit(psite["b3"], 1, "1201")
    resp = post_plan(sup, "/patrols/plans", plan_data(**{**ok, "target_type": "unit", "unit_code": "3-1201"}))
    assert resp.status_code == 422 and "找到多套房屋" in resp.get_data(as_text=True)


def test_d3_missed_plan_shows_as_missed_on_the_admin_page(app, psite, sup, frozen):
    done = make_plan(app, psite, psite["s1"], building=psite["b3"])
    make_plan(app, psite, psite["s2"], building=psite["b5"], start=time(13, 0), end=time(14, 0))
    make_plan(app, psite, psite["s2"], area="中心花园", start=time(16, 0), end=time(17, 0))
    make_patrol(app, psite, psite["s1"], day=MONDAY, building=psite["b3"], plan=done)
    frozen(at(MONDAY, 15))
    html = sup.get("/patrols/admin").get_data(as_text=True)
    assert "今日计划执行" in html
    assert "已完成 1" in html and "漏巡 1" in html and "待巡查 1" in html
    assert '<li class="due missed">' in html and "13:00–14:00" in html
    plans_html = sup.get("/patrols/plans").get_data(as_text=True)
    assert "今日已漏巡" in plans_html and "今日已完成" in plans_html and "今日待巡查" in plans_html
    # yesterday's view of the same plans: the ones not done are missed
    frozen(at(MONDAY + timedelta(days=1), 9))
    html = sup.get(f"/patrols/admin?day={MONDAY}").get_data(as_text=True)
    assert f"{MONDAY}计划执行" in html and "漏巡 2" in html and "已完成 1" in html


# --- records -------------------------------------------------------------------------------------

def test_records_filter_and_csv(app, psite, sup, frozen):
    frozen(at(MONDAY, 18))
    s1, s2 = psite["s1"], psite["s2"]
    ok = make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"], results=[("ok", None)] * 3)
    bad = make_patrol(app, psite, s2, day=MONDAY, unit=psite["v2"], kind="vacant",
                      results=[("ok", None), ("problem", "-1 地漏堵塞")])
    open_ = make_patrol(app, psite, s1, day=MONDAY - timedelta(days=2), building=psite["b7"], finished=False)
    html = sup.get("/patrols/records").get_data(as_text=True)
    assert "共 3 次巡查" in html
    for pid in (ok, bad, open_):
        assert f'href="/patrols/{pid}"' in html
    assert "有问题 1" in html and "全部正常" in html and "未完成" in html
    resp = sup.get(f"/patrols/records?building_id={psite['b5'].id}&result=problem", headers=HX)
    html = resp.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="results"') and "共 1 次巡查" in html and f"/patrols/{bad}\"" in html
    html = sup.get(f"/patrols/records?steward_id={s1.id}&result=unfinished").get_data(as_text=True)
    assert "共 1 次巡查" in html and f"/patrols/{open_}\"" in html
    html = sup.get(f"/patrols/records?start={MONDAY}&end={MONDAY}&result=ok").get_data(as_text=True)
    assert "共 1 次巡查" in html and f"/patrols/{ok}\"" in html
    assert "楼栋不正确" in sup.get("/patrols/records?building_id=999999").get_data(as_text=True)
    # the CSV link carries the filters; the CSV has one line per item result
    html = sup.get(f"/patrols/records?steward_id={s2.id}").get_data(as_text=True)
    assert f"/patrols/records.csv?start={MONDAY - timedelta(days=6)}&amp;end={MONDAY}&amp;steward_id={s2.id}" in html
    resp = sup.get(f"/patrols/records.csv?start={MONDAY - timedelta(days=6)}&end={MONDAY}&steward_id={s2.id}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert 'filename="patrols-20261117-20261123.csv"' in resp.headers["Content-Disposition"]
    raw = resp.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["日期", "管家", "巡查类型", "巡查对象", "检查项"]
    assert rows[1:] == [["2026-11-23", "李管家", "空置房", "5栋1单元502", "门窗关闭", "正常", "", "2026-11-23 09:31:00", ""],
                        ["2026-11-23", "李管家", "空置房", "5栋1单元502", "阳台地漏", "有问题", "'-1 地漏堵塞",
                         "2026-11-23 09:32:00", ""]]
    rows = list(csv.reader(io.StringIO(sup.get(f"/patrols/records.csv?start={MONDAY - timedelta(days=6)}")
                                       .get_data().decode("utf-8-sig"))))
    assert len(rows) == 1 + 3 + 2  # header + every result; the untapped unfinished patrol has none


def test_records_pages_link_to_each_other(app, psite, sup, frozen):
    frozen(at(MONDAY, 18))
    with app.app_context():
        from propsvc.patrols.models import Patrol

        for i in range(51):
            db.session.add(Patrol(community_id=psite["community"].id, template_id=psite["tpl"]["building"],
                                  steward_id=psite["s1"].id, kind="building", target_type="building",
                                  building_id=psite["b3"].id, day=MONDAY,
                                  started_at=at(MONDAY, 8) + timedelta(minutes=i)))
        db.session.commit()
    html = sup.get(f"/patrols/records?result=unfinished").get_data(as_text=True)
    assert "第 1/2 页" in html and "下一页" in html and "上一页" not in html
    assert "page=2" in html and html.count('rel="next"') == 2  # the pager above and below the list
    html = sup.get("/patrols/records?result=unfinished&page=2").get_data(as_text=True)
    assert "第 2/2 页 · 第 51–51 条" in html and "上一页" in html


def test_steward_sees_only_own_records(app, psite, frozen):
    frozen(at(MONDAY, 18))
    s1, s2 = psite["s1"], psite["s2"]
    mine = make_patrol(app, psite, s1, day=MONDAY, building=psite["b3"], results=[("ok", None)])
    theirs = make_patrol(app, psite, s2, day=MONDAY, building=psite["b5"], results=[("problem", "李的发现")])
    steward = client_for(app, s1)
    for url in ("/patrols/records", f"/patrols/records?steward_id={s2.id}"):
        html = steward.get(url).get_data(as_text=True)
        assert f'href="/patrols/{mine}"' in html and f"/patrols/{theirs}\"" not in html, url
        assert "李管家" not in html and 'name="steward_id"' not in html
    body = steward.get(f"/patrols/records.csv?steward_id={s2.id}").get_data(as_text=True)
    assert "张管家" in body and "李的发现" not in body and "李管家" not in body
    # a steward who is also a supervisor sees everyone's
    with app.app_context():
        from propsvc.auth.models import User

        u = db.session.get(User, s2.id)
        u.roles = {"steward", "supervisor"}
        db.session.commit()
    html = client_for(app, s2).get("/patrols/records").get_data(as_text=True)
    assert f'href="/patrols/{mine}"' in html and f'href="/patrols/{theirs}"' in html
