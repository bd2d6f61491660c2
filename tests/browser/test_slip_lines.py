"""A release slip for a whole move-out in a real browser at 360×640 (issue 15, item 3): the front
desk adds 12 item rows with + 添加一行 (the cursor lands in each new row's name), removes one
blank row with 删除, fills the 12 new rows and registers; the slip's page lists all 12. Without
JavaScript 更多行 brings the form back with blank rows and what was typed."""
import re

import pytest
from playwright.sync_api import expect

from propsvc.core.timefmt import site_today

from .conftest import ARTIFACTS, VIEWPORT, assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser

OWNER = "王建国"
CARRIER_ID = "110101199003071233"


def _site(make):
    c = make.community("新澳花园搬家")
    b = make.building(c, "5")
    unit = make.unit(b, 1, "801")
    make.person(unit, name=OWNER, phone="13812345678")
    return make.user("front_desk", communities=[c], name="黄前台")


def _fill_head(pg):
    pg.locator("#unit_q").fill("5-1-801")
    expect(pg.locator("#lookup")).to_contain_text("已选：5栋1单元801")
    pg.get_by_label("申请人姓名").fill(OWNER)
    pg.get_by_label("携物人姓名").fill("张搬运")
    pg.get_by_label("携物人身份证号").fill(CARRIER_ID)
    pg.get_by_label("携物人电话").fill("13912345678")
    pg.get_by_label("搬出日期").fill(site_today().isoformat())


def test_twelve_rows_added_with_the_button_all_reach_the_slip(app, live_server, chromium, make, request):
    desk_user = _site(make)
    ARTIFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("app", "app")
    ctx = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(10_000)
    try:
        pg = ctx.new_page()
        errors = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(pg, live_server, desk_user)
        pg.goto(f"{live_server}/slips/new")
        _fill_head(pg)
        rows = pg.locator("#item-rows .item-row")
        expect(rows).to_have_count(8)
        expect(pg.get_by_role("button", name="更多行")).to_be_hidden()
        add = pg.get_by_role("button", name="+ 添加一行")
        names = [f"搬家物品{k}号" + ("（长名称：实木双门衣柜连顶柜）" if k == 7 else "") for k in range(1, 13)]
        for k, name in enumerate(names):
            add.click()
            expect(rows).to_have_count(9 + k)
            new_name = pg.locator(f"#items-{8 + k}-name")
            expect(new_name).to_be_focused()
            pg.keyboard.type(name)
            pg.locator(f"#items-{8 + k}-qty").fill(str(k % 4 + 1))
        expect(pg.get_by_label("第20项物品名称")).to_have_value(names[-1])
        assert_no_sideways_scroll(pg)
        row = rows.nth(10).bounding_box()
        assert row["height"] < 70  # name, quantity and 删除 stay on one line at 360 px
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.originalname}-{backend}-1-rows.png"), full_page=True)

        # 删除 a blank row: the rows are renumbered, the cursor stays in the list.
        pg.get_by_role("button", name="删除第2项").click()
        expect(rows).to_have_count(19)
        expect(pg.get_by_label("第19项物品名称")).to_have_value(names[-1])
        expect(pg.locator("#items-2-name")).to_be_focused()

        pg.get_by_label("申请人在纸质放行条上签字").check()
        pg.get_by_role("button", name="提交登记").click()
        pg.wait_for_url(re.compile(r".*/slips/\d+$"))
        expect(pg.locator(".flash.ok")).to_contain_text("待值班主管签字")
        table = pg.locator("table.slip-items tbody tr")
        expect(table).to_have_count(12)
        for k, name in enumerate(names):
            expect(table.nth(k)).to_contain_text(name)
            expect(table.nth(k).locator("td").nth(2)).to_have_text(str(k % 4 + 1))
        assert_no_sideways_scroll(pg)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.originalname}-{backend}-2-slip.png"), full_page=True)
        assert errors == []
    finally:
        ctx.close()


def test_more_rows_without_javascript(app, live_server, chromium, make):
    desk_user = _site(make)
    ctx = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                               java_script_enabled=False)
    ctx.set_default_timeout(10_000)
    try:
        pg = ctx.new_page()
        sign_in(pg, live_server, desk_user)
        pg.goto(f"{live_server}/slips/new")
        expect(pg.get_by_role("button", name="+ 添加一行")).to_be_hidden()
        expect(pg.get_by_role("button", name="删除第1项")).to_be_hidden()
        for k in range(8):
            pg.get_by_label(f"第{k + 1}项物品名称").fill(f"纸箱{k + 1}")
        pg.get_by_role("button", name="更多行").click()
        expect(pg.locator("#item-rows .item-row")).to_have_count(13)
        expect(pg.get_by_label("第8项物品名称")).to_have_value("纸箱8")
        expect(pg.get_by_label("第9项物品名称")).to_have_value("")
        expect(pg.get_by_label("第9项物品名称")).to_be_focused()
        assert_no_sideways_scroll(pg)
    finally:
        ctx.close()
