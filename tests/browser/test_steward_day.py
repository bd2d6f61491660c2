"""A steward's day on a phone at 360×640 under slow-4G and 4× CPU throttling [issue 16]: 今日;
a patrol whose signal drops before the last item and 完成巡查 (kept on the phone, saved once
when the signal returns); then a call taken as a ticket, with a sentence saying what comes next;
the supervisor dispatches it from the live queue, in place, with a sentence naming who and by
when; the technician does the work; the return visit waits on the steward's 今日, and recording
it closes the ticket with a sentence saying so. (test_offline_shell.py looks at the offline
shell itself more closely.)"""
import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from .conftest import VIEWPORT, assert_no_sideways_scroll, sign_in
from .test_offline_shell import _events, _results, finish_without_signal, online, start_patrol, with_worker

pytestmark = pytest.mark.browser

TIME = r"(?:明天 |昨天 |\d{1,2}月\d{1,2}日 )?\d{2}:\d{2}"


def _site(app, make):
    from sqlalchemy import select

    from propsvc.auth.models import Department, User
    from propsvc.extensions import db
    from propsvc.registry.models import Building

    c = make.community("新澳花园北区")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201")
    make.person(unit, name="王建国", phone="13812345678")
    users = {r: make.user(r, communities=[c], name=n) for r, n in
             [("steward", "李管家"), ("supervisor", "张主管"), ("technician", "刘国栋")]}
    with app.app_context():
        eng = db.session.scalar(select(Department).where(Department.code == "engineering"))
        db.session.get(User, users["technician"].id).department_id = eng.id
        db.session.get(User, users["steward"].id).buildings = [db.session.get(Building, b.id)]
        db.session.commit()
        db.session.remove()
    return users


def _work_done(app, ticket_id, tech):
    """The technician accepts and resolves; the return visit is due now (on today's list)."""
    from propsvc.auth.models import User
    from propsvc.extensions import db
    from propsvc.tickets import services
    from propsvc.tickets.models import Ticket

    with app.app_context():
        t = db.session.get(Ticket, ticket_id)
        u = db.session.get(User, tech.id)
        services.accept(t, u)
        services.resolve(t, u, "更换了角阀，已试水无渗漏")
        t.visit_due = datetime.now(timezone.utc)  # due by today, whatever the hour
        db.session.commit()
        db.session.remove()


def test_steward_day_today_ticket_dispatch_return_visit(app, live_server, chromium, make):
    users = _site(app, make)
    contexts = []

    def new_page():
        ctx = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.errors = []
        pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
        return pg

    try:
        # 今日: the steward's first screen (the phone keeps it, with the offline shell).
        stw = new_page()
        with_worker(stw, live_server, users["steward"])
        expect(stw.locator("h1")).to_contain_text("今日")
        expect(stw.locator(".stats")).to_contain_text("待回访")

        # A patrol of 3栋 on a slow network; the signal drops before the last item.
        from propsvc.patrols.models import Patrol

        pid = start_patrol(stw, live_server)
        total = finish_without_signal(stw)
        with app.app_context():
            from propsvc.extensions import db

            assert db.session.get(Patrol, pid).finished_at is None
            db.session.remove()
        online(stw)
        expect(stw.locator(".flash")).to_contain_text("巡查已完成", timeout=30_000)
        assert len(_results(app, pid)) == total
        assert _events(app, "patrol.finished", pid) == 1

        # A call: the steward registers it on the phone and is told what comes next.
        stw.goto(f"{live_server}/tickets/new")
        stw.locator("#unit_q").fill("3-2-1201")
        expect(stw.locator(".chosen")).to_contain_text("3栋2单元1201")
        stw.locator("select[name=category_id]").select_option(label="水电气维修")
        stw.locator("textarea[name=description]").fill("厨房水管漏水，橱柜已泡水")
        stw.get_by_role("button", name="提交工单").click()
        stw.wait_for_url(re.compile(r".*/tickets/\d+$"))
        tid = int(stw.url.rsplit("/", 1)[1])
        expect(stw.locator(".flash.ok")).to_have_text(re.compile(rf"^已登记工单 \d{{6}}-\d{{4,}}，等待派单，{TIME} 前到场。$"))
        assert_no_sideways_scroll(stw)

        # The supervisor's queue: one tap, the card says who and by when, in place.
        sup = new_page()
        sign_in(sup, live_server, users["supervisor"])
        sup.goto(f"{live_server}/tickets/queue")
        card = sup.locator(f"#q{tid}")
        card.locator("select").select_option(label="刘国栋")
        sup.evaluate("window.notReloaded = true")
        card.get_by_role("button", name="派给工程部").click()
        expect(sup.locator(f"#qm{tid}")).to_have_text(re.compile(rf"^已派给 工程部 刘国栋，{TIME} 前到场。$"))
        assert sup.evaluate("window.notReloaded === true")
        assert sup.evaluate("document.activeElement.id") == f"qm{tid}"
        assert_no_sideways_scroll(sup)

        # The work is done; the return visit now waits on the steward's 今日.
        _work_done(app, tid, users["technician"])
        stw.goto(f"{live_server}/patrols/today")
        link = stw.locator(f'main a[href="/tickets/{tid}"]')
        expect(link).to_contain_text("3栋2单元1201")
        expect(link).to_contain_text("待回访")
        link.click()
        stw.wait_for_url(re.compile(rf".*/tickets/{tid}$"))
        expect(stw.locator("h1")).to_contain_text("待回访")
        stw.locator("summary", has_text="回访").click()
        stw.locator("details[open] label", has_text="5 非常满意").click()
        stw.locator("details[open] label", has_text="已解决").click()
        stw.get_by_label("回访意见").fill("业主满意")
        stw.locator("details[open] button", has_text="提交").click()
        expect(stw.locator("h1")).to_contain_text("已关闭")
        expect(stw.locator(".flash.ok")).to_have_text("回访已记录（满意度 5 分，已解决），工单已关闭。")
        assert_no_sideways_scroll(stw)

        # Back on 今日: nothing left to visit.
        stw.goto(f"{live_server}/patrols/today")
        expect(stw.locator(f'main a[href="/tickets/{tid}"]')).to_have_count(0)
        assert stw.errors == [] and sup.errors == []
    finally:
        for ctx in contexts:
            ctx.close()
