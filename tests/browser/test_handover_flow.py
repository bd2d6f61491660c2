"""One unit's whole handover in a real browser (issue 18): arrival by transfer-slip number, an
agent refused without a 委托书 then accepted with its photo [H1], the owner file with two phones,
a member's photo and the owner's signature [H2], the agreements signed on the pad (PDFs read
back: two copies, serial) [H3], the stations passed while a second browser watches the fees
station's live waiting list, the inspection with two defects → two 返修 tickets, the record
signed, 交房完成, and the day summary PDF [H4]. Prints the flow's duration."""
import io
import shutil
import subprocess
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from conftest import client_for
from fullsite import jpeg_bytes
from propsvc.extensions import db

from .conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def _draw(page, selector):
    canvas = page.locator(selector)
    canvas.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for fx, fy in ((0.3, 0.2), (0.5, 0.8), (0.7, 0.3), (0.9, 0.6)):
        page.mouse.move(x + w * fx, y + h * fy, steps=6)
    page.mouse.up()


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_one_units_whole_handover(app, live_server, chromium, make, request, tmp_path):
    from test_handover import GOOD, ID_AGENT, _batch, _import

    c = make.community("交房花园")
    b = make.building(c, "3", floors=6, entrances=1)
    for n in ("101", "102"):
        make.unit(b, 1, n, status="vacant")
    users = {r: make.user(r, communities=[c], name=n) for r, n in
             [("front_desk", "黄前台"), ("steward", "林管家"), ("manager", "刘经理")]}
    site = {"users": users, "building": b}
    mgr, batch_id = _batch(app, site)
    assert _import(mgr, batch_id, GOOD).status_code == 303
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg_bytes(11, (320, 240)))
    backend = request.node.callspec.params.get("app", "app")
    ARTIFACTS.mkdir(exist_ok=True)
    contexts = []

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
        desk = new_page(users["front_desk"])
        watcher = new_page(users["steward"])
        started = time.perf_counter()
        # Arrival: the slip number finds the unit; an agent without the 委托书 is refused.
        desk.goto(f"{live_server}/handover/batches/{batch_id}/arrive")
        desk.locator("#slip").fill("jf0001")
        desk.get_by_role("button", name="查找").click()
        expect(desk.locator("#found")).to_contain_text("3栋1单元101")
        desk.get_by_label("代办人（持委托书）").check()
        desk.get_by_label("到场人身份证号").fill(ID_AGENT)
        desk.get_by_label("出具委托书的业主").select_option("张伟")
        desk.get_by_label("代办人姓名").fill("张弟")
        desk.get_by_label("与业主的关系").select_option("亲属")
        desk.get_by_role("button", name="身份核对通过，开始办理").click()
        expect(desk.locator("#found")).to_contain_text("没有委托书，不能办理")
        desk.get_by_label("委托书照片（业主签字）").set_input_files(str(photo))
        desk.get_by_role("button", name="身份核对通过，开始办理").click()
        desk.wait_for_url("**/handover/cards/*")
        card_url = desk.url
        # The owner file: two phones, a member with a photo, the owner's signature.
        desk.get_by_label("联系电话2").fill("13900002222")
        desk.locator("#members-0-name").fill("张小明")
        desk.locator("#members-0-relation").select_option("子女")
        desk.locator("#members-0-photo").set_input_files(str(photo))
        desk.get_by_label("紧急联系人", exact=True).fill("张父")
        desk.get_by_label("紧急联系人电话").fill("13600004444")
        _draw(desk, ".sigpad[data-signature=signature] canvas")
        desk.get_by_role("button", name="保存业主档案").click()
        expect(desk.locator("#owner-file")).to_contain_text("139****2222")
        # A second browser watches 收费处: the unit waits there…
        watcher.goto(f"{live_server}/handover/batches/{batch_id}/stations/fees")
        expect(watcher.locator("#waiting")).to_contain_text("3栋1单元101")
        # 协议签订处: the steward's WeChat and the owner's signature.
        desk.locator("summary", has_text="办理协议签订处").click()
        desk.get_by_label("已添加管家微信（管家姓名）").fill("林管家")
        _draw(desk, ".sigpad[data-signature=sig_agreements] canvas")
        desk.get_by_role("button", name="协议签订处办结").click()
        expect(desk.locator("#stations")).to_contain_text("✓ 协议签订处")
        # 收费处
        desk.locator("summary", has_text="办理收费处").click()
        desk.get_by_label("应缴金额（元）").fill("3600")
        desk.get_by_label("已缴金额（元）").fill("3600")
        desk.get_by_label("收据号").fill("SJ001")
        desk.get_by_role("button", name="收费处办结").click()
        expect(desk.locator("#stations")).to_contain_text("✓ 收费处")
        # …and leaves the watcher's list by itself (the 5 s poll).
        expect(watcher.locator("#waiting")).not_to_contain_text("3栋1单元101", timeout=12_000)
        # 钥匙发放处: keys and meter readings with photos.
        desk.locator("summary", has_text="办理钥匙发放处").click()
        desk.get_by_label("入户门钥匙（把）").fill("3")
        desk.get_by_label("水表读数").fill("0.5")
        desk.get_by_label("水表照片").set_input_files(str(photo))
        desk.get_by_label("电表读数").fill("12")
        desk.get_by_label("电表照片").set_input_files(str(photo))
        desk.get_by_role("button", name="钥匙发放处办结").click()
        expect(desk.locator("#stations")).to_contain_text("✓ 钥匙发放处")
        # 物品发放处: the sign-off sheet signed.
        desk.locator("summary", has_text="办理物品发放处").click()
        _draw(desk, ".sigpad[data-signature=sig_items] canvas")
        desk.get_by_role("button", name="物品发放处办结").click()
        expect(desk.locator("#stations")).to_contain_text("✓ 物品发放处")
        # 验房处: two defects with photos, then the owner signs the record.
        for room, item, cat, where in (("主卧", "墙面", "土建", "北墙空鼓"), ("卫生间", "排水/地漏", "防水", "地漏反水")):
            desk.locator("summary", has_text="记录问题").click()
            desk.get_by_label("房间").select_option(room)
            desk.get_by_label("检查项目").select_option(item)
            desk.get_by_label("问题类别").select_option(cat)
            desk.get_by_label("具体位置").fill(where)
            desk.get_by_label("照片（至少一张）").set_input_files(str(photo))
            desk.get_by_role("button", name="记录问题（生成返修工单）").click()
            expect(desk.locator("#inspection")).to_contain_text(where)
        desk.locator("summary", has_text="验房完成，业主签字").click()
        _draw(desk, ".sigpad[data-signature=inspection_signature] canvas")
        desk.get_by_role("button", name="业主确认验房记录").click()
        expect(desk.locator("#stations")).to_contain_text("✓ 验房处")
        desk.get_by_role("button", name="交房完成（钥匙已交业主）").click()
        expect(desk.locator("h1")).to_contain_text("已交房")
        took = time.perf_counter() - started
        desk.screenshot(path=str(ARTIFACTS / f"handover-{backend}-done.png"), full_page=True)
        print(f"one unit's whole handover in the browser: {took:.1f} s")
        assert not desk.js_errors and not watcher.js_errors

        # Two defects → two 返修 tickets; the papers read back.
        from propsvc.documents.models import Document
        from propsvc.handover.models import HandoverCard
        from propsvc.tickets.models import Ticket

        card_id = int(card_url.rstrip("/").split("/")[-1])
        with app.app_context():
            card = db.session.get(HandoverCard, card_id)
            tickets = list(db.session.scalars(select(Ticket).where(Ticket.id.in_([d.ticket_id for d in card.defects]))))
            assert [t.kind for t in tickets] == ["defect", "defect"]
            assert card.came_as == "agent" and card.poa_photo and card.members[0]["photo"]
            agreement = db.session.scalar(select(Document).where(Document.object_id == card_id,
                                                                 Document.kind == "ho_agreement"))
            serial, doc_id = agreement.serial, agreement.id
        client = client_for(app, users["front_desk"])
        text = _pdf_text(client.get(f"/documents/{doc_id}.pdf").data)
        assert serial in text and "业主联" in text and "物业联" in text
        summary = _pdf_text(client.get(f"/handover/batches/{batch_id}/summary.pdf").data)
        assert "交付总结" in summary and "3栋1单元101" in summary
    finally:
        for ctx in contexts:
            ctx.close()
