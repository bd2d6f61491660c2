"""Release slips in real browsers at 360×640 [S1]-[S3]: the front desk registers a tenant's
slip, which is refused without the owner's consent and passes with the owner's phone
consent; the applicant signs on the canvas (drawn with the mouse); the duty supervisor signs
and the site manager stamps; the PDF downloads and reads back sealed; the guard types the
serial, releases it, and a second check is refused with who and when."""
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from propsvc.core.timefmt import site_today

from .conftest import ARTIFACTS, PDF_TIMEOUT_MS, sign_in

pytestmark = pytest.mark.browser

OWNER, TENANT = "王建国", "李租客"
CARRIER_ID = "110101199003071233"


def _site(make):
    c = make.community("新澳花园西区")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201")
    make.person(unit, name=OWNER, phone="13812345678")
    make.person(unit, name=TENANT, role="tenant", phone="13700002222", id_number=None)
    users = {r: make.user(r, communities=[c], name=n) for r, n in
             [("front_desk", "黄前台"), ("supervisor", "陈主管"), ("manager", "刘经理"), ("guard", "周保安")]}
    return users


def _draw(page, selector):
    canvas = page.locator(selector)
    canvas.evaluate("e => e.scrollIntoView({block: 'center'})")  # clear of the bottom bar, as a thumb would
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for fx, fy in ((0.25, 0.2), (0.4, 0.8), (0.55, 0.25), (0.7, 0.75), (0.88, 0.3)):
        page.mouse.move(x + w * fx, y + h * fy, steps=6)
    page.mouse.up()


def test_tenant_slip_consent_sign_stamp_print_and_release(app, live_server, chromium, make, request):
    users = _site(make)
    contexts = []
    ARTIFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("app", "app")

    def shot(pg, name):
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.originalname}-{backend}-{name}.png"), full_page=True)

    def new_page(user):
        ctx = chromium.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.js_errors = []
        pg.on("pageerror", lambda exc: pg.js_errors.append(str(exc)))
        sign_in(pg, live_server, user)
        return pg

    try:
        # The front desk registers a tenant's slip without the owner's consent: refused.
        desk = new_page(users["front_desk"])
        desk.goto(f"{live_server}/slips/new")
        expect(desk.locator(".sigpad[data-signature=signature]")).to_be_visible()  # the pad replaces the hint
        expect(desk.locator("#signature-field .nojs-only")).to_be_hidden()
        desk.locator("#unit_q").fill("3-2-1201")
        expect(desk.locator("#lookup")).to_contain_text("已选：3栋2单元1201")
        expect(desk.locator("#lookup")).to_contain_text(TENANT)
        desk.locator("fieldset.chips label", has_text="租户").click()
        desk.get_by_label("申请人姓名").fill(TENANT)
        desk.get_by_label("携物人姓名").fill("张搬运")
        desk.get_by_label("携物人身份证号").fill(CARRIER_ID)
        desk.get_by_label("携物人电话").fill("13912345678")
        desk.get_by_label("第1项物品名称").fill("双门冰箱")
        desk.get_by_label("第2项物品名称").fill("旧沙发")
        desk.get_by_label("第2项数量").fill("2")
        desk.get_by_label("搬出日期").fill(site_today().isoformat())
        _draw(desk, ".sigpad[data-signature=signature] canvas")
        assert desk.locator("#signature").input_value().startswith("data:image/png;base64,")
        desk.get_by_role("button", name="提交登记").click()
        expect(desk.locator(".flash.error")).to_contain_text("租户申请放行须经业主同意")
        expect(desk.locator("fieldset.consent .error")).to_contain_text("租户申请放行须经业主同意")
        shot(desk, "1-refused")

        # With the owner's phone consent to a named staff member (prefilled: the desk clerk).
        desk.locator("fieldset.chips label", has_text="业主电话确认").click()
        desk.get_by_label("同意的业主姓名").fill(OWNER)
        expect(desk.get_by_label("接听电话的工作人员")).to_have_value("黄前台")
        # The signature came back with the form; clear it and sign again on the canvas.
        desk.locator(".sigpad[data-signature=signature] [data-clear]").click()
        assert desk.locator("#signature").input_value() == ""
        _draw(desk, ".sigpad[data-signature=signature] canvas")
        shot(desk, "2-signed")
        desk.get_by_role("button", name="提交登记").click()
        desk.wait_for_url(re.compile(r".*/slips/\d+$"))
        expect(desk.locator(".flash.ok")).to_contain_text("待值班主管签字")
        expect(desk.locator("#slip-state")).to_have_text("待主管签字")
        expect(desk.locator("img.slip-sig")).to_be_visible()
        desk.wait_for_function("() => { const i = document.querySelector('img.slip-sig'); "
                               "return i && i.complete && i.naturalWidth > 0; }")
        slip_url = desk.url
        serial = re.search(r"FX\d{4}-\d{4}", desk.locator("h1").inner_text()).group(0)

        # The duty supervisor signs, the site manager stamps.
        sup = new_page(users["supervisor"])
        sup.goto(slip_url)
        sup.get_by_role("button", name="签字确认").click()
        expect(sup.locator(".flash.ok")).to_contain_text("待经理审批盖章")
        mgr = new_page(users["manager"])
        mgr.goto(slip_url)
        mgr.get_by_role("button", name="批准并盖章").click()
        expect(mgr.locator(".flash.ok")).to_contain_text(f"{serial} 生效")
        expect(mgr.locator("#slip-state")).to_have_text("已批准")
        shot(mgr, "3-approved")

        # The PDF downloads and reads back: sealed, no draft watermark.
        desk.reload()
        href = desk.get_by_role("link", name="打印放行条 (PDF)").get_attribute("href")
        resp = desk.request.get(f"{live_server}{href}", timeout=PDF_TIMEOUT_MS)
        assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
        pdf = resp.body()
        assert pdf.startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = "".join(subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True,
                                          check=True).stdout.decode().split())
            for part in (serial, "物品放行条", "双门冰箱", "旧沙发", "张搬运", "陈主管", "刘经理", "业主电话确认"):
                assert part in text, part
            assert "未生效" not in text and CARRIER_ID not in text

        # The guard types the serial: valid; releases it once.
        guard = new_page(users["guard"])
        guard.goto(f"{live_server}/renovations/gate")
        guard.get_by_label("放行条编号").fill(serial.lower())
        guard.get_by_role("button", name="查验").click()
        result = guard.locator("#gate-result")
        expect(result.locator("[data-status]")).to_have_attribute("data-status", "valid")
        expect(result).to_contain_text("双门冰箱")
        expect(result).to_contain_text("张搬运")
        expect(result).to_contain_text("110101********1233")
        shot(guard, "4-gate-valid")
        guard.get_by_role("button", name="确认放行").click()
        expect(result.locator("[data-status]")).to_have_attribute("data-status", "released")
        expect(result).to_contain_text("周保安")
        # The second scan: refused, with who and when.
        guard.get_by_label("放行条编号").fill(serial)
        guard.get_by_role("button", name="查验").click()
        expect(result.locator("[data-status]")).to_have_attribute("data-status", "used")
        expect(result).to_contain_text("已使用")
        expect(result).to_contain_text("由 周保安 放行")
        expect(result.get_by_role("button", name="确认放行")).to_have_count(0)
        shot(guard, "5-gate-used")
        assert CARRIER_ID not in guard.locator("body").inner_text()

        for pg in (desk, sup, mgr, guard):
            assert pg.js_errors == []
    finally:
        for ctx in contexts:
            ctx.close()
