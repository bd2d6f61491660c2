"""Errands in a real browser at 360×640 [F1]: the desk finds the unit as they type, picks the
recipient among its occupants, shelves a parcel, records the SMS and hands it over; the
overview with demo data fits the phone; the same intake works with JavaScript off."""
import re

import pytest
from playwright.sync_api import expect


from .conftest import ARTIFACTS, VIEWPORT, assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser


def _site(app, make):
    c = make.community("新澳花园西区")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201")
    make.person(unit, name="王建国", phone="13812345678")
    make.person(unit, name="李小红", role="tenant", phone="13987654321", id_number=None)
    return c, make.user("front_desk", communities=[c], name="黄前台")


def test_f1_desk_shelves_notifies_and_hands_over_a_parcel(app, live_server, page, make):
    c, desk = _site(app, make)
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, live_server, desk)
    page.goto(f"{live_server}/errands/parcels/new")
    assert_no_sideways_scroll(page)
    page.locator("#unit_q").fill("李小")
    lookup = page.locator("#lookup")
    expect(lookup).to_contain_text("已选：3栋2单元1201")
    lookup.get_by_text("李小红").click()
    page.get_by_label("快递公司").select_option("中通")
    page.get_by_label("货架/格口").fill("b-12")
    page.get_by_label("快递单号（可只填后4位）").fill("7731")
    page.screenshot(path=str(ARTIFACTS / "errands-parcel-new-360.png"), full_page=True)
    page.get_by_role("button", name="登记入库").click()
    page.wait_for_url(lambda url: "/errands/parcels/" in url and not url.endswith("/new"))
    expect(page.locator("h1")).to_contain_text("李小红")
    expect(page.locator(".er-shelf")).to_have_text("B-12")
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "errands-parcel-held-360.png"), full_page=True)
    page.get_by_text("短信", exact=True).click()
    page.get_by_role("button", name="记录通知").click()
    expect(page.locator("h1")).to_contain_text("已通知")
    expect(page.locator(".er-notices")).to_contain_text("短信 · 黄前台")
    page.get_by_role("button", name="确认已领取").click()
    expect(page.locator("h1")).to_contain_text("已领取")
    expect(page.locator(".facts")).to_contain_text("李小红（本人）")
    page.screenshot(path=str(ARTIFACTS / "errands-parcel-collected-360.png"), full_page=True)
    assert page.js_errors == [] and page.console_errors == []


@pytest.mark.layout
def test_f1_errands_overview_fits_a_phone(app, live_server, page, make):
    from propsvc.demo.errands import seed_demo_errands
    from propsvc.extensions import db

    c, desk = _site(app, make)
    with app.app_context():
        seed_demo_errands(c.id)
        db.session.commit()
        db.session.remove()
    sign_in(page, live_server, desk)
    for path, name in (("/errands", "overview"), ("/errands/parcels?state=all", "parcels"),
                       ("/errands/cards?state=all", "cards")):
        page.goto(f"{live_server}{path}")
        assert_no_sideways_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"errands-{name}-360.png"), full_page=True)
    page.goto(f"{live_server}/errands/parcels")
    page.get_by_placeholder("房号 / 姓名 / 手机或单号后4位").fill("无此人")
    expect(page.locator("#results")).to_contain_text("没有符合条件的快递")
    expect(page).to_have_url(re.compile(r"q=%E6%97%A0"))  # the search is in the address: a reload shows the same
    assert page.js_errors == [] and page.console_errors == []


def test_f1_parcel_intake_without_javascript(app, live_server, chromium, make):
    c, desk = _site(app, make)
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, desk)
        page.goto(f"{live_server}/errands/parcels/new")
        page.locator("#unit_q").fill("3-2-1201")
        page.get_by_role("button", name="查找").click()
        expect(page.locator("#lookup")).to_contain_text("已选：3栋2单元1201")
        page.locator("#lookup").get_by_text("王建国").click()
        page.get_by_label("快递公司").select_option("顺丰")
        page.get_by_label("货架/格口").fill("A-1")
        page.get_by_role("button", name="登记入库").click()
        expect(page.locator("h1")).to_contain_text("王建国")
        expect(page.locator("h1")).to_contain_text("待领取")
    finally:
        context.close()
