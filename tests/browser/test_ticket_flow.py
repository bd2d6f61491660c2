"""A repair from the kiosk to the return visit, in real browsers at 360×640: the front desk
takes it with a photo, the supervisor's open queue shows it without a reload and dispatches
it, the technician accepts and resolves with a photo, the steward records the return visit,
and the analysis counts it."""
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from conftest import PASSWORD, PIN

pytestmark = pytest.mark.browser


def _photo(path, color):
    img = Image.effect_noise((2400, 1800), 60).convert("RGB")
    img.paste(Image.new("RGB", (600, 600), color), (100, 100))
    img.save(path, "JPEG", quality=95)
    return str(path)


def _site(app, make):
    from propsvc.auth.models import Department, User
    from propsvc.auth.services import register_kiosk
    from propsvc.extensions import db
    from propsvc.registry.models import Building

    c = make.community("新澳花园北区")
    b = make.building(c, "3")
    make.unit(b, 2, "1201")
    unit = make.unit(b, 2, "1202")
    make.person(unit, name="王建国", phone="13812345678")
    users = {r: make.user(r, communities=[c], name=n) for r, n in
             [("front_desk", "黄前台"), ("supervisor", "张主管"), ("technician", "刘师傅"), ("steward", "李管家")]}
    with app.app_context():
        eng = db.session.scalar(select(Department).where(Department.code == "engineering"))
        db.session.get(User, users["technician"].id).department_id = eng.id
        db.session.get(User, users["steward"].id).buildings = [db.session.get(Building, b.id)]
        _kiosk, token = register_kiosk(c.id, "前台1号机")
        db.session.remove()
    return users, token


def _sign_in(page, base, user):
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)  # stewards land on 今日, others on 首页


def test_repair_from_kiosk_to_return_visit(app, live_server, chromium, make, tmp_path):
    users, token = _site(app, make)
    contexts = []

    def new_page():
        ctx = chromium.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx.new_page()

    try:
        # The supervisor has the open queue on screen before the call comes in.
        sup = new_page()
        _sign_in(sup, live_server, users["supervisor"])
        sup.goto(f"{live_server}/tickets/queue")
        sup.evaluate("() => { window.notReloaded = true; }")
        expect(sup.locator("#queue")).to_contain_text("未关闭 0 张")

        # The front desk switches in on the kiosk and takes the repair with a photo.
        desk = new_page()
        desk.context.add_cookies([{"name": "propsvc_kiosk", "value": token, "url": live_server}])
        desk.goto(f"{live_server}/kiosk")
        desk.get_by_label("用户名").fill(users["front_desk"].username)
        desk.get_by_label("PIN").fill(PIN)
        desk.get_by_role("button", name="进入").click()
        desk.wait_for_url(f"{live_server}/")
        desk.goto(f"{live_server}/tickets/new")
        desk.locator("#unit_q").fill("3-2-1202")
        expect(desk.locator(".chosen")).to_contain_text("3栋2单元1202")
        expect(desk.locator(".chosen")).to_contain_text("王建国")
        desk.get_by_label("类别").select_option(label="水电气维修")
        desk.get_by_label("描述").fill("厨房水管漏水，橱柜已泡水")
        desk.locator("#photos").set_input_files(_photo(tmp_path / "leak.jpg", "red"))
        expect(desk.locator("#photos-status")).to_contain_text("1 张")
        desk.get_by_role("button", name="提交工单").click()
        desk.wait_for_url(re.compile(r".*/tickets/\d+$"))
        serial = re.search(r"\d{6}-\d{4,}", desk.locator("text=单号").first.inner_text()).group(0)
        expect(desk.locator(".timeline img.thumb")).to_have_count(1)

        # Within 10 s the supervisor's queue shows it, with no reload.
        expect(sup.locator("#queue")).to_contain_text(serial, timeout=10_000)
        assert sup.evaluate("() => window.notReloaded === true")
        sup.locator("#queue form.qd button").first.click()  # one tap: 派给工程部
        sup.wait_for_url(re.compile(r".*/tickets/queue.*"))
        expect(sup.locator("#queue")).to_contain_text("已派单")

        # The technician accepts it from their list and resolves it with a photo.
        tech = new_page()
        _sign_in(tech, live_server, users["technician"])
        tech.goto(f"{live_server}/tickets/mine")
        expect(tech.locator("body")).to_contain_text("3栋2单元1202")
        tech.get_by_role("button", name="接单").first.click()
        tech.wait_for_url(re.compile(r".*/tickets/\d+$"))
        expect(tech.locator("h1")).to_contain_text("处理中")
        tech.locator("summary", has_text="标记完成").click()
        tech.get_by_label("处理结果").fill("更换了角阀，已试水无渗漏")
        tech.locator("input[name='resolve-photos']").set_input_files(_photo(tmp_path / "done.jpg", "green"))
        expect(tech.locator("details[open] [data-shrink-status]")).to_contain_text("1 张")
        tech.locator("details[open] button", has_text="提交").click()
        expect(tech.locator("h1")).to_contain_text("待回访")
        expect(tech.locator(".timeline img.thumb")).to_have_count(2)

        # The steward sees the return visit on their list and records it.
        stw = new_page()
        _sign_in(stw, live_server, users["steward"])
        stw.goto(f"{live_server}/tickets/mine")
        stw.get_by_role("link", name=re.compile("3栋2单元1202")).first.click()
        stw.locator("summary", has_text="回访").click()
        stw.locator("details[open] label", has_text="5 非常满意").click()
        stw.locator("details[open] label", has_text="已解决").click()
        stw.get_by_label("回访意见").fill("业主满意")
        stw.locator("details[open] button", has_text="提交").click()
        expect(stw.locator("h1")).to_contain_text("已关闭")

        # The analysis counts it.
        sup.goto(f"{live_server}/tickets/analysis")
        body = sup.locator("body")
        expect(body).to_contain_text(re.compile(r"平均 5\.0 分\s*（回访 1 单）"))
        expect(body).to_contain_text("按时 1 / 1 单")
        expect(sup.locator("svg rect.bar")).not_to_have_count(0)
    finally:
        for ctx in contexts:
            ctx.close()
