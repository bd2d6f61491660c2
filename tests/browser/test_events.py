"""Community events in a real browser at 360×640 [F2]: a supervisor plans and publishes an
event, signs up three households (the third on the waiting list), cancels one so the waiting
household moves up, opens check-in and checks a household in on the phone by its unit (the live
count goes up), closes the event with a summary and reads the one-page PDF back (pdftotext)."""
import shutil
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, PDF_TIMEOUT_MS, assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser


def test_f2_event_publish_sign_up_wait_move_up_check_in_and_close(app, live_server, page, make, tmp_path):
    from propsvc.core.timefmt import site_now, utcnow

    c = make.community("新澳花园东区")
    b = make.building(c, "3")
    for n, phone in (("101", "13812340001"), ("201", "13812340002"), ("301", "13812340003")):
        make.person(make.unit(b, 1, n), name=f"住户{n}", phone=phone)
    boss = make.user("supervisor", communities=[c], name="张主管")
    ARTIFACTS.mkdir(exist_ok=True)
    start = site_now(utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)  # check-in opens 12 h before

    sign_in(page, live_server, boss)
    page.goto(f"{live_server}/events/new")
    assert_no_sideways_scroll(page)
    page.get_by_label("活动名称").fill("亲子手工灯笼")
    page.get_by_label("开始时间").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("结束时间").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("活动地点").fill("中心广场")
    page.get_by_label("人数上限").fill("4")
    page.get_by_label("预算（每行：项目 | 金额）").fill("材料包 | 180")
    page.get_by_role("button", name="保存（筹备）").click()
    expect(page.locator("[data-state]").first).to_have_text("筹备")
    page.get_by_role("button", name="发布活动").click()
    expect(page.locator(".flash").first).to_contain_text("活动已发布")
    event_url = page.url

    for n in ("101", "201", "301"):
        page.goto(f"{event_url}/signup")
        page.locator("#unit_q").fill(f"3-1-{n}")
        expect(page.locator("#lookup")).to_contain_text(f"已选：3栋1单元{n}")
        page.get_by_label("报名人姓名").fill(f"住户{n}")
        page.get_by_label("人数").fill("2")
        page.get_by_label("联系电话").fill(f"1381234000{n[0]}")
        page.get_by_role("button", name="报名", exact=True).click()
        page.wait_for_url(event_url)
    signups = page.locator("ul.signups li")
    expect(signups.filter(has_text="3栋1单元301")).to_contain_text("候补")
    expect(page.locator("#tally")).to_contain_text("报名 4/4 人")
    page.goto(f"{event_url}/signup")  # a second sign-up for a home: refused by the unit, nothing typed lost
    page.locator("#unit_q").fill("3-1-101")
    expect(page.locator("#lookup")).to_contain_text("已选：3栋1单元101")
    page.get_by_label("报名人姓名").fill("王小明")
    page.get_by_label("联系电话").fill("13900000000")
    page.get_by_role("button", name="报名", exact=True).click()
    expect(page.locator(".field.has-error .error").first).to_contain_text("同一户不能重复报名")
    expect(page.get_by_label("报名人姓名")).to_have_value("王小明")
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 409 (CONFLICT)"]
    page.console_errors.clear()  # the refused sign-up's own 409, which the browser logs
    page.goto(event_url)
    assert "13812340001" not in page.content() and "138****0001" in page.content()
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "events-signups-360.png"), full_page=True)

    signups.filter(has_text="3栋1单元101").get_by_role("button", name="取消报名").click()
    expect(page.locator(".flash").first).to_contain_text("递补：3栋1单元301")
    expect(signups.filter(has_text="3栋1单元301")).to_contain_text("已报名")

    page.get_by_role("button", name="开始活动（开放签到）").click()
    page.wait_for_url(lambda url: url.endswith("/checkin"))
    expect(page.locator("#live-count")).to_have_text("已到 0 / 4 人")
    page.get_by_placeholder("房号 3-2-1201 / 姓名 / 手机尾号").fill("3栋1单元301")
    row = page.locator("ul.checkin li")
    expect(row).to_have_count(1)
    row.get_by_role("button", name="签到").click()
    expect(page.locator("#live-count")).to_have_text("已到 2 / 4 人")
    expect(row).to_contain_text("已签到")
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "events-checkin-360.png"), full_page=True)

    page.goto(event_url)
    page.get_by_role("button", name="结束活动").click()
    page.get_by_role("link", name="填写活动总结").click()
    page.get_by_label("活动总结").fill("两户四人参加，做了六盏灯笼。")
    page.get_by_label("满意度（几位参加者的评分，1–5分，用逗号隔开）").fill("5, 4")
    page.get_by_label("实际花费（每行：项目 | 金额）").fill("材料包 | 150")
    page.get_by_role("button", name="保存总结").click()
    expect(page.locator(".flash").first).to_contain_text("活动总结已保存")
    pdf = page.request.get(f"{event_url}/report.pdf", timeout=PDF_TIMEOUT_MS)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert page.js_errors == [] and page.console_errors == []
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed: the PDF was not read back")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "活动总结" in text and "亲子手工灯笼" in text and "两户四人参加" in text
    assert "实到 2 人" in text and "4.5" in text and "180.00" in text and "150.00" in text
