"""Worker passes in real browsers at 360×640 [R3]–[R5]: the front desk registers two workers
of an approved renovation with photos, finance takes the deposit and card fee and the passes
are issued, the pass card PDF downloads, and the guard's page shows the pass valid after
typing its number — with the photo, name and unit, and no ID number or phone."""
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from propsvc.registry.validation import id_check_digit

from .conftest import ARTIFACTS, PDF_TIMEOUT_MS, sign_in

pytestmark = pytest.mark.browser

OWNER, LEAD = "王建国", "赵志强"


def _ident(n: int) -> str:
    first17 = f"11010119850612{n:03d}"
    return first17 + id_check_digit(first17)


def _photo(path, color):
    img = Image.effect_noise((1200, 1600), 60).convert("RGB")
    img.paste(Image.new("RGB", (500, 600), color), (350, 400))
    img.save(path, "JPEG", quality=95)
    return str(path)


def _site(app, make):
    from propsvc.extensions import db
    from propsvc.renovation.models import Renovation

    c = make.community("新澳花园南区")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201", status="renovating")
    owner = make.person(unit, name=OWNER, phone="13812345678")
    users = {r: make.user(r, communities=[c], name=n) for r, n in
             [("front_desk", "黄前台"), ("finance", "钱会计"), ("guard", "周保安")]}
    with app.app_context():
        r = Renovation(community_id=c.id, unit_id=unit.id, owner_person_id=owner.id, applicant_name=OWNER,
                       applicant_role="owner", lead_company="美家装饰", lead_name=LEAD, lead_phone="13700001111",
                       scope="全屋翻新", starts_on=date.today() - timedelta(days=5),
                       ends_on=date.today() + timedelta(days=85), state="approved")
        db.session.add(r)
        db.session.commit()
        rid = r.id
        db.session.remove()
    return users, rid


FAKE_CAMERA = """
window.BarcodeDetector = function () {};
window.BarcodeDetector.getSupportedFormats = function () { return Promise.resolve(["qr_code", "ean_13"]); };
window.BarcodeDetector.prototype.detect = function () {
  window.__detections = (window.__detections || 0) + 1;
  return Promise.resolve(window.__detections > 2 ? [{ rawValue: "__URL__", format: "qr_code" }] : []);
};
navigator.mediaDevices.getUserMedia = function () {
  var c = document.createElement("canvas"), x = c.getContext("2d");
  c.width = 64; c.height = 48;
  setInterval(function () { x.fillStyle = "#" + Math.floor(Math.random() * 4096).toString(16); x.fillRect(0, 0, 64, 48); }, 50);
  var s = c.captureStream(10);
  s.getTracks().forEach(function (t) { var stop = t.stop.bind(t); t.stop = function () { window.__tracksStopped = true; stop(); }; });
  return Promise.resolve(s);
};
"""


def _code_of(app, serial):
    from sqlalchemy import select

    from propsvc.documents.models import Document
    from propsvc.extensions import db

    with app.app_context():
        code = db.session.scalar(select(Document.code).where(Document.serial == serial))
        db.session.remove()
    return code


def test_front_desk_registers_finance_issues_guard_checks(app, live_server, chromium, make, tmp_path, request):
    users, rid = _site(app, make)
    contexts = []
    ARTIFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("app", "app")

    def shot(pg, name):
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.originalname}-{backend}-{name}.png"), full_page=True)

    def new_page():
        ctx = chromium.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.js_errors = []
        pg.on("pageerror", lambda exc: pg.js_errors.append(str(exc)))
        return pg

    try:
        # The front desk registers two workers, each with a photo from the camera.
        desk = new_page()
        sign_in(desk, live_server, users["front_desk"])
        desk.goto(f"{live_server}/renovations/{rid}/workers")
        expect(desk.locator("#workers")).to_contain_text("还没有登记装修人员")
        for n, (name, applicant, role, color) in enumerate(
                [("李木工", LEAD, "装修负责人", "red"), ("张水电", OWNER, "业主", "blue")], start=1):
            desk.get_by_role("link", name="登记装修人员").click()
            desk.wait_for_url(re.compile(rf".*/renovations/{rid}/workers/new$"))
            photo = desk.locator("input[type=file][name=photo]")
            assert photo.get_attribute("capture") == "user" and photo.get_attribute("accept") == "image/*"
            desk.locator("fieldset.chips label", has_text=role).click()
            desk.get_by_label("办证人姓名").fill(applicant)
            desk.get_by_label("工人姓名").fill(name)
            desk.get_by_label("身份证号").fill(_ident(n))
            desk.get_by_label("手机号").fill(f"1391234567{n}")
            desk.get_by_label("工种").fill("木工" if n == 1 else "水电")
            photo.set_input_files(_photo(tmp_path / f"w{n}.jpg", color))
            expect(desk.locator("#photo-status")).to_contain_text("1 张")  # shrunk in the browser
            if n == 1:
                shot(desk, "1-register")
            desk.get_by_role("button", name="登记").click()
            desk.wait_for_url(re.compile(rf".*/renovations/{rid}/workers$"))
            expect(desk.locator(".flash.ok")).to_contain_text(f"已登记 {name}")
        expect(desk.locator("li.worker")).to_have_count(2)
        expect(desk.locator("li.worker[data-state=unpaid]")).to_have_count(2)
        expect(desk.locator("li.worker img.thumb")).to_have_count(2)
        expect(desk.get_by_text("打印出入证")).to_have_count(0)  # no pass before the fees

        # Finance takes the deposit and card fee for each; the passes are issued.
        fin = new_page()
        sign_in(fin, live_server, users["finance"])
        fin.goto(f"{live_server}/renovations/workers")
        expect(fin.locator("body")).to_contain_text("待缴费 2 人")
        fin.get_by_role("link", name=re.compile("李木工")).click()
        shot(fin, "2-pay")
        for n in (1, 2):
            form = fin.locator("form.pay").first
            form.locator("input[name=receipt_no]").fill(f"SJ2026-00{n}")
            expect(form).to_contain_text("收费 105 元")
            form.get_by_role("button", name="收费并发证").click()
            expect(fin.locator(".flash.ok")).to_contain_text(f"收据 SJ2026-00{n} 已办")
        expect(fin.locator("li.worker[data-state=issued]")).to_have_count(2)
        expect(fin.locator("form.pay")).to_have_count(0)
        shot(fin, "3-issued")
        serials = [s.strip() for s in fin.locator("li.worker .serial").all_inner_texts()]
        assert len(serials) == 2 and all(re.fullmatch(r"CRZ\d{4}-\d{4}", s) for s in serials)

        # The pass card PDF downloads from the front desk's page.
        desk.reload()
        expect(desk.locator("li.worker[data-state=issued]")).to_have_count(2)
        href = desk.get_by_role("link", name="打印出入证").first.get_attribute("href")
        resp = desk.request.get(f"{live_server}{href}", timeout=PDF_TIMEOUT_MS)
        assert resp.status == 200
        assert resp.headers["content-type"] == "application/pdf"
        assert resp.body().startswith(b"%PDF")

        # The guard types the number of the first pass: valid, with photo, name and unit.
        guard = new_page()
        sign_in(guard, live_server, users["guard"])
        guard.goto(f"{live_server}/renovations/gate")
        guard.evaluate("() => { window.notReloaded = true; }")
        guard.get_by_label("出入证编号").fill(serials[0].lower())
        guard.get_by_role("button", name="查验").click()
        result = guard.locator("#gate-result")
        expect(result.locator("[data-status]")).to_have_attribute("data-status", "valid")
        expect(result).to_contain_text("有效")
        expect(result).to_contain_text("李木工")
        expect(result).to_contain_text("3栋2单元1201")
        expect(result).to_contain_text(serials[0])
        img = result.locator("img.gate-photo")
        expect(img).to_be_visible()
        guard.wait_for_function("() => { const i = document.querySelector('img.gate-photo'); "
                                "return i && i.complete && i.naturalWidth > 0; }")
        assert guard.evaluate("() => window.notReloaded === true")  # htmx swapped only the result
        shot(guard, "4-gate-valid")
        text = guard.locator("body").inner_text()
        assert _ident(1) not in text and "13912345671" not in text and "身份证" not in text
        # A made-up number is unknown.
        guard.get_by_label("出入证编号").fill("CRZ2026-9999")
        guard.get_by_role("button", name="查验").click()
        expect(result.locator("[data-status]")).to_have_attribute("data-status", "unknown")
        expect(result).to_contain_text("无此证件")

        # On a phone whose browser has BarcodeDetector, 扫码 reads the QR (the verification URL)
        # through the camera. Stand-ins here: a detector that "sees" the second pass's URL and
        # a camera that is a canvas stream (headless Chromium on Linux has neither).
        code = _code_of(app, serials[1])
        scanner = new_page()
        scanner.add_init_script(FAKE_CAMERA.replace("__URL__", f"{live_server}/v/{code}"))
        sign_in(scanner, live_server, users["guard"])
        scanner.goto(f"{live_server}/renovations/gate")
        scanner.get_by_role("button", name="扫码").click()
        result = scanner.locator("#gate-result")
        expect(result.locator("[data-status]")).to_have_attribute("data-status", "valid")
        expect(result).to_contain_text("张水电")
        expect(scanner.locator("#scanner")).to_be_hidden()  # camera stopped after the hit
        assert scanner.evaluate("() => window.__tracksStopped === true")

        for pg in (desk, fin, guard, scanner):
            assert pg.js_errors == []
    finally:
        for ctx in contexts:
            ctx.close()
