"""A patrol on a phone at 360×640 whose signal drops mid-round [D3]: the steward taps one item
online, loses the network, taps three more (they show 未同步, a banner counts them, they wait in
localStorage), gets the signal back and finds all four saved exactly once; a reload resumes the
patrol with the four choices; a problem with note and photo reaches the dispatch queue as a
rectification ticket when the patrol is finished."""
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select


from .conftest import sign_in

pytestmark = pytest.mark.browser


def _site(app, make):
    c = make.community("新澳花园北区")
    b = make.building(c, "3")
    make.building(c, "5")
    steward = make.user("steward", communities=[c], buildings=[b], name="李管家")
    supervisor = make.user("supervisor", communities=[c], name="张主管")
    return steward, supervisor


def _photo(path):
    img = Image.effect_noise((2000, 1500), 50).convert("RGB")
    img.save(path, "JPEG", quality=95)
    return str(path)


def _results(app, pid):
    from propsvc.extensions import db
    from propsvc.patrols.models import PatrolResult

    with app.app_context():
        rows = [(r.item_id, r.result, r.tap_key) for r in db.session.scalars(
            select(PatrolResult).where(PatrolResult.patrol_id == pid).order_by(PatrolResult.item_id))]
        db.session.remove()
    return rows


def test_offline_taps_are_kept_sent_once_and_resumed(app, live_server, page, make, chromium, tmp_path, shot):
    from propsvc.core.models import Event
    from propsvc.extensions import db
    from propsvc.tickets.models import Ticket

    steward, supervisor = _site(app, make)
    sign_in(page, live_server, steward)

    # Start a patrol of building 3 with the 楼栋单元 checklist.
    page.goto(f"{live_server}/patrols/start")
    page.locator("label", has_text="楼栋单元巡查表").click()
    page.locator("#building_id").select_option(label="3栋")
    shot("start")
    page.get_by_role("button", name="开始巡查").click()
    page.wait_for_url(re.compile(r".*/patrols/\d+$"))
    pid = int(page.url.rsplit("/", 1)[1])
    rows = page.locator("#pl li.pi")
    total = rows.count()
    assert total >= 8
    expect(page.locator(".pg")).to_contain_text(f"已完成 0/{total}")
    box = rows.nth(0).locator("button[value=ok]").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 80  # a thumb's target at 360 px

    # One tap online: saved at once.
    rows.nth(0).get_by_role("button", name="正常").click()
    expect(rows.nth(0).locator("button[value=ok]")).to_have_attribute("aria-pressed", "true")
    expect(rows.nth(0).locator(".pu")).to_have_count(0)
    expect(page.locator("#pq")).to_be_hidden()
    assert len(_results(app, pid)) == 1

    # The signal drops: three taps wait on the phone.
    page.context.set_offline(True)
    rows.nth(1).get_by_role("button", name="正常").click()
    rows.nth(2).get_by_role("button", name="不适用").click()
    rows.nth(3).get_by_role("button", name="正常").click()
    for i in (1, 2, 3):
        expect(rows.nth(i)).to_contain_text("未同步")
    expect(rows.nth(2).locator("button[value=na]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#pq")).to_contain_text("3 项待发送")
    expect(page.locator(".pg")).to_contain_text(f"已完成 4/{total}")
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('propsvc.patrol.' + "
                           "document.getElementById('pl').getAttribute('data-patrol')))")
    assert [t["r"] for t in stored] == ["ok", "na", "ok"] and all(t["k"] and t["t"] for t in stored)
    assert len(_results(app, pid)) == 1
    shot("offline")

    # The signal returns: everything is sent, once.
    page.context.set_offline(False)
    expect(page.locator("#pq")).to_be_hidden(timeout=15_000)
    for i in (1, 2, 3):
        expect(rows.nth(i).locator(".pu")).to_have_count(0)
    saved = _results(app, pid)
    assert [r for _i, r, _k in saved] == ["ok", "ok", "na", "ok"]
    assert sorted(k for _i, _r, k in saved[1:]) == sorted(t["k"] for t in stored)
    with app.app_context():
        taps = db.session.scalar(select(func.count()).select_from(Event).where(
            Event.action == "patrol.tapped", Event.object_id == pid))
        db.session.remove()
    assert taps == 4
    # Nothing is left queued; only the phone's tap counter stays (propsvc.tapseq).
    assert page.evaluate("() => Object.keys(localStorage)") == ["propsvc.tapseq"]

    # A reload resumes the patrol where it was.
    page.reload()
    rows = page.locator("#pl li.pi")
    for i, value in enumerate(["ok", "ok", "na", "ok"]):
        expect(rows.nth(i).locator(f"button[value={value}]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".pg")).to_contain_text(f"已完成 4/{total}")

    # A problem: note and photo, then the rest, then finish.
    problem = rows.nth(4)
    problem.get_by_role("button", name="有问题").click()
    problem.get_by_label("问题说明").fill("单元门闭门器损坏，门关不上")
    problem.locator("input[type=file]").set_input_files(_photo(tmp_path / "door.jpg"))
    expect(problem.locator("[data-shrink-status]")).to_contain_text("1 张")
    shot("problem")
    problem.get_by_role("button", name="保存问题").click()
    expect(problem.locator(".pn")).to_contain_text("单元门闭门器损坏")
    expect(page.locator("#i" + problem.get_attribute("id")[1:] + " .pn a")).to_have_text("照片")
    for i in range(5, total):
        rows.nth(i).get_by_role("button", name="正常").click()
    expect(page.locator(".pg")).to_contain_text(f"已完成 {total}/{total}")
    expect(page.locator("#pq")).to_be_hidden(timeout=15_000)
    page.get_by_role("button", name="完成巡查").click()
    expect(page.locator(".flash")).to_contain_text("已生成整改工单")
    assert page.js_errors == []

    with app.app_context():
        (ticket,) = db.session.scalars(select(Ticket)).all()
        serial, kind, photos = ticket.serial, ticket.kind, len(ticket.photos)
        assert ticket.description.endswith("单元门闭门器损坏，门关不上")
        db.session.remove()
    assert kind == "patrol" and photos == 1
    assert len(_results(app, pid)) == total

    # The supervisor's dispatch queue has it.
    ctx = chromium.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        sup = ctx.new_page()
        sign_in(sup, live_server, supervisor)
        sup.goto(f"{live_server}/tickets/queue")
        expect(sup.locator("#queue")).to_contain_text(serial)
        expect(sup.locator("#queue")).to_contain_text("巡查整改")
    finally:
        ctx.close()
