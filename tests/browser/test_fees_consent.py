"""A paid repair's owner consent on the signature pad, at 360×640 [D4] (issue 19 item 7): the
steward opens the quote of a repair inside a home, the owner signs on the canvas with a finger
(the mouse here), the consent is saved with the stored signature; the work is confirmed and the
charge lands on the unit's bills."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from .conftest import assert_no_sideways_scroll, sign_in
from .test_slip_flow import _draw

pytestmark = pytest.mark.browser


def _site(app, make):
    from propsvc.auth.models import User
    from propsvc.extensions import db
    from propsvc.fees import services as fees
    from propsvc.tickets import services as ts
    from propsvc.tickets.models import Category

    c = make.community("有偿花园")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201")
    make.person(unit, name="王建国", phone="13812345678")
    steward = make.user("steward", communities=[c], buildings=[b], name="李管家")
    with app.app_context():
        user = db.session.get(User, steward.id)
        ts.ensure_defaults(c.id)
        cat = db.session.scalar(select(Category).where(Category.community_id == c.id).order_by(Category.id))
        t = ts.create_ticket(c.id, ts.Intake(kind="repair", channel="phone", category_id=cat.id, urgency="normal",
                                             description="厨房水龙头漏水", unit_id=unit.id), user)
        price = fees.save_repair_price(c.id, user, name="水龙头", kind="material", unit_name="个", price_fen=4550)
        fees.add_repair_line(c.id, t.id, user, price_id=price.id, qty=2)
        db.session.commit()
        tid = t.id
        db.session.remove()
    return steward, unit, tid


def test_d4_repair_consent_signed_on_the_pad(app, live_server, page, make, shot):
    steward, unit, tid = _site(app, make)
    sign_in(page, live_server, steward)
    page.goto(f"{live_server}/fees/repairs/{tid}")
    expect(page.locator("main")).to_contain_text("合计 91.00 元")
    assert_no_sideways_scroll(page)
    page.get_by_label("签字板").check()
    page.get_by_label("签字人").fill("王建国")
    pad = page.locator(".sigpad[data-signature=signature]")
    expect(pad).to_be_visible()
    _draw(page, ".sigpad[data-signature=signature] canvas")
    assert page.locator("#signature").input_value().startswith("data:image/png;base64,")
    shot("signed")
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.locator("main")).to_contain_text("业主已确认（王建国，签字板")

    from propsvc.extensions import db
    from propsvc.fees.models import Bill, RepairQuote
    from pathlib import Path

    with app.app_context():
        q = db.session.scalar(select(RepairQuote).where(RepairQuote.ticket_id == tid))
        assert q.consent_method == "pad" and q.consent_name == "王建国"
        stored = Path(app.config["UPLOAD_FOLDER"]) / q.consent_signature
        assert stored.is_file() and stored.read_bytes().startswith(b"\x89PNG")
        db.session.remove()

    page.get_by_role("button", name="完工确认，计入账单").click()
    expect(page.locator("main")).to_contain_text("已计入账单")
    with app.app_context():
        charged = list(db.session.scalars(select(Bill).where(Bill.unit_id == unit.id, Bill.source == "repair")))
        assert [b.amount_fen for b in charged] == [9100]
        db.session.remove()
    assert page.js_errors == []
