"""[T9] In a real browser: sign in at the kiosk, copy the session cookie, lock; the copy set on
a fresh browser opens nothing (the lock screen or the sign-in page)."""
import pytest
from playwright.sync_api import expect

from browser.conftest import VIEWPORT
from conftest import PIN

pytestmark = pytest.mark.browser

OWNER, PHONE_MASKED = "王建国", "138****5678"


def test_t9_copied_kiosk_cookie_opens_nothing_after_lock(app, live_server, page, chromium, shot, make):
    from propsvc.auth import services
    from propsvc.extensions import db

    c = make.community("阳光花园")
    unit = make.unit(make.building(c, number="3"), entrance=2, number="1201")
    make.person(unit, name=OWNER)
    clerk = make.user("front_desk", communities=[c], name="张前台")
    with app.app_context():
        _kiosk, token = services.register_kiosk(c.id, "前台1号机")
        db.session.remove()
    page.context.add_cookies([{"name": services.KIOSK_COOKIE, "value": token, "url": live_server}])

    page.goto(f"{live_server}/kiosk")
    page.get_by_label("用户名").fill(clerk.username)
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="进入").click()
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/units/{unit.id}")
    expect(page.locator("#occupants")).to_contain_text(PHONE_MASKED)
    copied = [dict(ck) for ck in page.context.cookies() if ck["name"] in ("session", services.KIOSK_COOKIE)]
    assert {ck["name"] for ck in copied} == {"session", services.KIOSK_COOKIE}

    # The copy works while the session is open...
    thief = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    try:
        thief.add_cookies(copied)
        other = thief.new_page()
        other.goto(f"{live_server}/units/{unit.id}")
        expect(other.locator("#occupants")).to_contain_text(OWNER)

        # ... the clerk presses 锁屏/换人 (a POST carrying the page's CSRF token) ...
        page.get_by_role("button", name="锁屏/换人").click()
        page.wait_for_url(f"{live_server}/kiosk")
        expect(page.get_by_role("button", name="进入")).to_be_visible()
        shot("locked")

        # ... and a fresh browser holding the copy opens nothing.
        fresh = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
        try:
            fresh.add_cookies(copied)
            p2 = fresh.new_page()
            for url in (f"/units/{unit.id}", "/", "/account"):
                p2.goto(f"{live_server}{url}")
                assert p2.url in (f"{live_server}/kiosk",) or "/login" in p2.url, p2.url
                html = p2.content()
                assert OWNER not in html and PHONE_MASKED not in html and clerk.name not in html
            expect(p2.get_by_role("button", name="进入")).to_be_visible()
            # Without the kiosk's cookie the copy lands on the sign-in page.
            bare = chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
            try:
                bare.add_cookies([ck for ck in copied if ck["name"] == "session"])
                p3 = bare.new_page()
                p3.goto(f"{live_server}/units/{unit.id}")
                assert "/login" in p3.url and OWNER not in p3.content()
            finally:
                bare.close()
        finally:
            fresh.close()
        # The page the thief had open gets nothing more either.
        other.reload()
        assert OWNER not in other.content()
    finally:
        thief.close()
    assert not page.js_errors, page.js_errors


def test_t9_idle_script_locks_with_the_csrf_token(app, live_server, page, make, monkeypatch):
    """The page's idle script POSTs /kiosk/lock with the page's token: a plain "lock", not the
    stale-page fallback."""
    from sqlalchemy import select

    from propsvc.auth import services
    from propsvc.core.models import Event
    from propsvc.extensions import db

    c = make.community("阳光花园")
    clerk = make.user("front_desk", communities=[c], name="张前台")
    with app.app_context():
        _kiosk, token = services.register_kiosk(c.id, "前台1号机")
        db.session.remove()
    page.context.add_cookies([{"name": services.KIOSK_COOKIE, "value": token, "url": live_server}])
    page.goto(f"{live_server}/kiosk")
    page.get_by_label("用户名").fill(clerk.username)
    page.get_by_label("PIN").fill(PIN)
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 3)  # the page's script counts 3 s ...
    page.get_by_role("button", name="进入").click()
    page.wait_for_url(f"{live_server}/")
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", "3")
    monkeypatch.setitem(app.config, "KIOSK_IDLE_SECONDS", 300)  # ... while the server would wait longer
    page.wait_for_url(f"{live_server}/kiosk", timeout=10_000)
    with app.app_context():
        reasons = [e.data["reason"] for e in db.session.scalars(select(Event).where(Event.action == "auth.sign_out"))]
        db.session.remove()
    assert reasons == ["lock"]
    assert not page.js_errors, page.js_errors
