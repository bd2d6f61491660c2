"""The desk's home on the kiosk at 360×640: after a PIN switch-in the big task buttons are
visible, at least 88 px tall, two to a row, and fit the screen without sideways scrolling;
today's notices are listed below; tapping 房屋查询 opens the unit search."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import PIN

pytestmark = [pytest.mark.browser, pytest.mark.layout]


def test_kiosk_home_big_buttons_fit_the_phone_and_open_search(app, live_server, page, shot, make):
    from propsvc.auth import services
    from propsvc.core.timefmt import site_today
    from propsvc.extensions import db
    from propsvc.notices import services as notices

    c = make.community("阳光花园")
    make.building(c, number="3")
    clerk = make.user("front_desk", communities=[c], name="张前台")
    with app.app_context():
        _kiosk, token = services.register_kiosk(c.id, "前台1号机")
        today = site_today()
        notices.publish(c.id, None, title="关于消防演练的通知", kind="event", building_ids=[],
                        body="尊敬的各位业主：\n\n本周六上午10:00在中心广场举行消防演练。",
                        valid_from=today, valid_until=today + timedelta(days=2))
        db.session.commit()
        db.session.remove()
    page.context.add_cookies([{"name": services.KIOSK_COOKIE, "value": token, "url": live_server}])

    page.goto(f"{live_server}/kiosk")
    expect(page.get_by_text("关于消防演练的通知")).to_be_visible()  # the lock screen lists it too
    page.get_by_label("用户名").fill(clerk.username)
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="进入").click()
    page.wait_for_url(f"{live_server}/")

    buttons = page.locator("a.desk-btn")
    n = buttons.count()
    assert n >= 2  # 新建工单 and 房屋查询 at least; more as the other desk areas arrive
    boxes = []
    for i in range(n):
        b = buttons.nth(i)
        expect(b).to_be_visible()
        box = b.bounding_box()
        assert box["height"] >= 88, (b.inner_text(), box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (b.inner_text(), box)
        boxes.append(box)
    assert len({round(bx["y"]) for bx in boxes[:2]}) == 1  # two to a row at 360 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    expect(page.locator(".desk-btn", has_text="新建工单")).to_contain_text("报修")  # the hint line
    expect(page.locator(".nb")).to_contain_text("关于消防演练的通知")
    shot("1-desk-home")

    page.locator("a.desk-btn", has_text="房屋查询").click()
    page.wait_for_url("**/units")
    expect(page.locator("#q")).to_be_visible()
    assert not page.js_errors, page.js_errors
