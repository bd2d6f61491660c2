"""今日催费 on a phone at 360×640 whose signal drops mid-round [D4]: the steward records one
contact online, loses the network, records two more (a banner counts them, they wait in
localStorage), gets the signal back and finds all three saved exactly once; a reload shows the
round done."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from .conftest import assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser


def _site(app, make):
    from propsvc.core.timefmt import site_today
    from propsvc.extensions import db
    from propsvc.fees.models import Bill, ChargeItem
    from propsvc.fees.services import age_months, period_of

    c = make.community("催费花园")
    b = make.building(c, "3")
    units = [make.unit(b, 1, n) for n in ("101", "102", "103")]
    steward = make.user("steward", communities=[c], buildings=[b], name="李管家")
    with app.app_context():
        item = db.session.scalar(select(ChargeItem).where(ChargeItem.community_id == c.id, ChargeItem.name == "物业费"))
        today = site_today()
        for k, u in enumerate(units):
            first = today.replace(day=1) - timedelta(days=40 * (3 - k))
            assert age_months(period_of(first), today) >= 1
            db.session.add(Bill(community_id=c.id, unit_id=u.id, item_id=item.id, period=period_of(first),
                                amount_fen=20000 + k))
        db.session.commit()
        db.session.remove()
    return steward, units, today


def _contacts(app):
    from propsvc.extensions import db
    from propsvc.fees.models import Contact

    with app.app_context():
        rows = [(c.unit_id, c.method, c.result) for c in db.session.scalars(select(Contact).order_by(Contact.unit_id))]
        db.session.remove()
    return rows


def test_d4_round_on_a_phone_with_the_signal_dropped(app, live_server, page, make, shot):
    steward, units, today = _site(app, make)
    sign_in(page, live_server, steward)
    page.goto(f"{live_server}/fees/round")
    expect(page.locator(".fee-round > li")).to_have_count(3)
    assert_no_sideways_scroll(page)
    u1, u2, u3 = (page.locator(f"#fee-{u.id}") for u in units)

    # Online: 电话 · 承诺缴费 with a past date is refused next to the unit; the same form,
    # changed to 未联系上, is then saved (the refusal left its one-time key usable) and the
    # refusal's message goes away
    u1.locator("summary").click()
    u1.locator("label", has_text="承诺缴费").click()
    u1.locator("input[name=promised_on]").fill((today - timedelta(days=1)).isoformat())
    u1.get_by_role("button", name="保存").click()
    expect(u1.locator("p.error")).to_contain_text("承诺日期不能早于今天")
    u1.locator("label", has_text="未联系上").click()
    u1.get_by_role("button", name="保存").click()
    expect(u1).to_contain_text("已保存")
    expect(u1.locator("p.error")).to_have_count(0)

    # The signal drops: 上门 · 拒缴 (with the reason) and 微信 · 承诺缴费 (with a date)
    page.context.set_offline(True)
    u2.locator("summary").click()
    u2.locator("label", has_text="上门").click()
    u2.locator("label", has_text="拒缴").click()
    u2.locator("input[name=note]").fill("对停车管理不满")
    u2.get_by_role("button", name="保存").click()
    u3.locator("summary").click()
    u3.locator("label", has_text="微信").click()
    u3.locator("label", has_text="承诺缴费").click()
    u3.locator("input[name=promised_on]").fill((today + timedelta(days=3)).isoformat())
    u3.get_by_role("button", name="保存").click()
    expect(page.locator("#fee-queue")).to_contain_text("2 条催费记录未同步")
    shot("offline")
    assert len(_contacts(app)) == 1
    stored = page.evaluate("window.localStorage.getItem('propsvc.fees.queue')")
    assert stored and "对停车管理不满" in stored  # kept on the phone until sent

    # The signal is back: both are sent, each saved once
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#fee-queue")).to_be_hidden(timeout=20_000)
    expect(u3).to_contain_text("已保存")
    rows = _contacts(app)
    assert rows == [(units[0].id, "phone", "unreachable"), (units[1].id, "visit", "refuse"),
                    (units[2].id, "wechat", "promise")]
    page.reload()
    expect(page.locator("main")).to_contain_text("3/3 户已有结果，今日催费已完成")
    assert page.js_errors == []
