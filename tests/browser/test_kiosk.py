"""The front-desk kiosk in a real browser at 360×640: registration, PIN switch-in,
as-you-type unit search, masked personal data and its recorded reveal, the idle lock,
and PIN lockout."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from conftest import PASSWORD, PIN

pytestmark = pytest.mark.browser

PHONE, PHONE_MASKED = "13812345678", "138****5678"
ID_NUMBER, ID_MASKED = "110101199003071233", "110101********1233"
OWNER = "王建国"
IDLE = 4


def _site(make):
    c = make.community("阳光花园")
    b = make.building(c, number="3")
    u = make.unit(b, entrance=2, number="1201")
    owner = make.person(u, name=OWNER, phone=PHONE, id_number=ID_NUMBER)
    supervisor = make.user("supervisor", communities=[c], name="李主管")
    clerk = make.user("front_desk", communities=[c], name="张前台")
    return c, u, owner, supervisor, clerk


def _events(app, action):
    from propsvc.core.models import Event
    from propsvc.extensions import db

    with app.app_context():
        try:
            return [(e.actor_id, e.object_type, e.object_id, dict(e.data))
                    for e in db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id))]
        finally:
            db.session.remove()


def _sign_in_on_lock_screen(page, username, pin):
    page.get_by_label("用户名").fill(username)
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="进入").click()


def test_kiosk_search_reveal_and_idle_lock(app, live_server, page, shot, make, monkeypatch):
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", IDLE)  # read per request; restored afterwards
    _c, unit, owner, supervisor, clerk = _site(make)

    # The supervisor signs in with a password and registers this PC as a kiosk.
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(supervisor.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="登记本机为前台终端").click()
    page.wait_for_url("**/kiosk/register")
    page.get_by_label("终端名称").fill("前台1号机")
    page.get_by_role("button", name="登记").click()

    # Registering signs the supervisor out and shows the lock screen.
    page.wait_for_url(f"{live_server}/kiosk")
    expect(page.get_by_role("heading", level=1)).to_contain_text("前台1号机")
    expect(page.get_by_role("button", name="进入")).to_be_visible()
    assert supervisor.name not in page.content()
    shot("1-lock-screen")

    # The front-desk clerk switches in with username + PIN, in one step.
    _sign_in_on_lock_screen(page, clerk.username, PIN)
    page.wait_for_url(f"{live_server}/")
    expect(page.locator(".who")).to_contain_text(clerk.name)
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", str(IDLE))

    # As-you-type search: the result appears through htmx, without a page load.
    page.get_by_role("link", name="房屋查询").first.click()
    page.wait_for_url("**/units")
    page.evaluate("window.__samePage = true")
    page.locator("#q").press_sequentially("3-2-1201", delay=40)
    result = page.locator("#results a", has_text="3栋2单元1201")
    expect(result).to_be_visible()
    expect(result).to_contain_text(OWNER)
    assert page.evaluate("window.__samePage === true"), "the search reloaded the page"
    expect(page).to_have_url(re.compile(r"/units\?q=3-2-1201$"))  # hx-replace-url
    shot("2-search-results")

    # The unit page shows the owner's phone and ID number masked, nowhere in full.
    result.click()
    page.wait_for_url(f"{live_server}/units/{unit.id}")
    occupants = page.locator("#occupants")
    expect(occupants).to_contain_text(OWNER)
    expect(occupants).to_contain_text(PHONE_MASKED)
    expect(occupants).to_contain_text(ID_MASKED)
    html = page.content()
    assert PHONE not in html and ID_NUMBER not in html
    shot("3-unit-page")

    # 显示 next to the phone asks why, then shows the full number once; the look is recorded.
    phone_field = occupants.locator(".masked", has_text=PHONE_MASKED)
    page.evaluate("window.__samePage = true")
    phone_field.locator("summary", has_text="显示").click()
    phone_field.get_by_label("查看原因").fill("联系业主确认维修时间")
    phone_field.get_by_role("button", name="显示").click()
    expect(occupants.locator(".revealed .v")).to_have_text(PHONE)
    assert page.evaluate("window.__samePage === true"), "the reveal reloaded the page"
    assert ID_NUMBER not in page.content()  # only the field asked for
    ((actor, kind, oid, data),) = _events(app, "personal_data.revealed")
    assert (actor, kind, oid, data["field"], data["reason"]) == (clerk.id, "person", owner.id, "phone", "联系业主确认维修时间")
    shot("4-phone-revealed")

    # Left alone, the kiosk locks itself and nothing personal stays on screen.
    page.wait_for_url(f"{live_server}/kiosk", timeout=(IDLE + 8) * 1000)
    expect(page.get_by_role("button", name="进入")).to_be_visible()
    html = page.content()
    for secret in (OWNER, PHONE, PHONE_MASKED, ID_MASKED, clerk.name):
        assert secret not in html, f"{secret!r} still on the lock screen"
    shot("5-idle-locked")

    # Back does not bring the unit page (or the search results) back.
    for _ in range(2):
        page.go_back()
        page.wait_for_load_state()
        html = page.content()
        assert OWNER not in html and PHONE_MASKED not in html, f"Back showed personal data at {page.url}"
    shot("6-after-back")
    assert not page.js_errors, page.js_errors


def test_five_wrong_pins_lock_the_account(app, live_server, page, shot, make):
    from propsvc.auth import services
    from propsvc.auth.models import User
    from propsvc.extensions import db

    c, _unit, _owner, _supervisor, clerk = _site(make)
    with app.app_context():
        _kiosk, token = services.register_kiosk(c.id, "前台2号机")
        db.session.remove()
    page.context.add_cookies([{"name": services.KIOSK_COOKIE, "value": token, "url": live_server}])

    page.goto(f"{live_server}/kiosk")
    messages = []
    for wrong in ("1111", "2222", "3333", "4444", "5555"):
        _sign_in_on_lock_screen(page, clerk.username, wrong)
        expect(page.locator(".error")).to_be_visible()
        assert page.url == f"{live_server}/kiosk"
        messages.append(page.locator(".error").inner_text())
    assert len(set(messages)) == 1, messages
    generic = messages[0]
    assert "用户名或PIN错误" in generic

    # The sixth attempt, with the right PIN, is refused with the very same message.
    _sign_in_on_lock_screen(page, clerk.username, PIN)
    expect(page.locator(".error")).to_be_visible()
    assert page.url == f"{live_server}/kiosk"
    assert page.locator(".error").inner_text() == generic
    expect(page.locator(".who")).to_have_count(0)  # not signed in
    shot("locked-account")

    # An unknown user gets the same answer too (nothing tells a locked account apart).
    _sign_in_on_lock_screen(page, "nobody", PIN)
    expect(page.locator(".error")).to_have_text(generic)

    with app.app_context():
        user = db.session.get(User, clerk.id)
        assert services.is_locked(user)
        db.session.remove()
    assert len(_events(app, "auth.locked")) == 1
    assert _events(app, "auth.refused_locked")[0][3] == {"method": "pin"}
    assert not _events(app, "auth.sign_in")
    assert not page.js_errors, page.js_errors
