"""Visitors in a real browser at 360×640 [F1]: the guard types a returning visitor's phone and
is offered the last name and plate, finds the unit as they type, registers; the visitor shows
on site now; one tap signs them out. The same registration works with JavaScript off."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect


from .conftest import ARTIFACTS, VIEWPORT, assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser

PHONE = "13987654321"


def _site(app, make):
    from propsvc.extensions import db
    from propsvc.frontdesk import services

    c = make.community("新澳花园东区")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201")
    make.person(unit, name="王建国")
    guard = make.user("guard", communities=[c], name="周保安")
    with app.app_context():
        then = datetime.now(timezone.utc) - timedelta(days=2)
        v = services.register(c.id, services.VisitIn(visitor_name="陈老访", phone=PHONE, unit_id=unit.id,
                                                     purpose="family", plate="粤B54321"), None, now=then)
        db.session.flush()
        services.sign_out(c.id, v.id, None, now=then + timedelta(hours=1))
        db.session.commit()
        db.session.remove()
    return guard


def test_f1_guard_registers_and_signs_out_on_a_phone(app, live_server, page, make):
    guard = _site(app, make)
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, live_server, guard)
    page.goto(f"{live_server}/desk/visitors/new")
    assert_no_sideways_scroll(page)
    page.get_by_label("手机/电话").fill(PHONE)
    offer = page.locator("#returning")
    expect(offer).to_contain_text("陈老访")
    offer.get_by_role("button").click()  # 填入姓名和车牌: the page comes back filled
    expect(page.get_by_label("访客姓名")).to_have_value("陈老访")
    expect(page.get_by_label("车牌号（可不填）")).to_have_value("粤B54321")
    page.locator("#unit_q").fill("3-2-1201")
    expect(page.locator("#lookup")).to_contain_text("已选：3栋2单元1201")
    page.get_by_text("送货", exact=True).click()
    page.screenshot(path=str(ARTIFACTS / "visitors-register-360.png"), full_page=True)
    page.get_by_label("人数").fill("2")
    page.get_by_role("button", name="登记进入").click()  # straight from the last field: its check is in flight
    page.wait_for_url(lambda url: url.endswith("/desk/visitors"))
    onsite = page.locator("#onsite")
    expect(onsite).to_contain_text("陈老访")
    expect(onsite).to_contain_text("1 组 · 2 人")
    expect(onsite).to_contain_text("139****4321")  # a guard sees the phone masked
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "visitors-onsite-360.png"))  # viewport only: a full-page shot resizes and scrolls
    onsite.get_by_role("button", name="签离").click()
    expect(page.locator("#onsite")).to_contain_text("现在没有在访的访客")
    expect(page.locator("#onsite")).to_contain_text("陈老访 已签离")
    expect(page.locator("#daylist")).to_contain_text("在访 0 · 已离开 1")  # updated in the same answer
    assert page.js_errors == [] and page.console_errors == []


def test_f1_register_without_javascript(app, live_server, chromium, make):
    guard = _site(app, make)
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, guard)
        page.goto(f"{live_server}/desk/visitors/new")
        page.locator("#unit_q").fill("3-2-1201")
        page.get_by_role("button", name="查找").click()
        expect(page.locator("#lookup")).to_contain_text("已选：3栋2单元1201")
        # 查找 is a plain GET of the search alone: no CSRF token, no one-time key, nothing else typed
        assert re.search(r"/desk/visitors/new\?unit_q=3-2-1201$", page.url), page.url
        page.get_by_label("手机/电话").fill("020-87654321")
        page.get_by_label("访客姓名").fill("黄新客")
        page.get_by_role("button", name="登记进入").click()
        expect(page.locator("#onsite")).to_contain_text("黄新客")
        page.locator("#onsite").get_by_role("button", name="签离").click()
        expect(page.locator("main")).to_contain_text("黄新客 已签离")
    finally:
        context.close()
