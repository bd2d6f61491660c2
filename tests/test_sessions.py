"""[T9] Sessions kept on the server: logout, lock, 换人, idle, a password or PIN change,
deactivation and 全部下线 end the row, and a copy of the cookie taken before opens nothing."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import PASSWORD, PIN, csrf_token, login, post
from propsvc.auth.models import User, UserSession
from propsvc.core.models import Event, utcnow
from propsvc.extensions import db

OWNER, PHONE = "王建国", "13812345678"


@pytest.fixture
def site(app, make):
    c = make.community("东湖花园")
    b = make.building(c, number="3")
    unit = make.unit(b, entrance=2, number="1201")
    make.person(unit, name=OWNER, phone=PHONE)
    users = {r: make.user(r, communities=[c]) for r in ("front_desk", "steward", "admin")}
    users["front_desk2"] = make.user("front_desk", communities=[c], username="desk_two")
    return {"community": c, "unit": unit, "users": users}


def signed_in(app, user):
    client = app.test_client()
    assert login(client, user.username).status_code == 303
    return client


def kiosk_token(app, community):
    from propsvc.auth.services import register_kiosk

    with app.app_context():
        _k, token = register_kiosk(community.id, "前台1号机")
        db.session.remove()
    return token


def on_kiosk(app, token, user=None):
    client = app.test_client()
    client.set_cookie("propsvc_kiosk", token)
    if user is not None:
        assert post(client, "/kiosk", {"username": user.username, "pin": PIN}).status_code == 303
    return client


def copied(app, client, kiosk=None):
    """A fresh browser holding a copy of `client`'s session cookie (and the kiosk's cookie)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    if kiosk:
        other.set_cookie("propsvc_kiosk", kiosk)
    return other


def sid_of(client) -> int:
    with client.session_transaction() as s:
        return s["sid"]


def row(app, sid) -> UserSession:
    with app.app_context():
        r = db.session.get(UserSession, sid)
        db.session.expunge(r)
        return r


def sign_outs(app):
    with app.app_context():
        return [(e.object_id, e.data["reason"]) for e in
                db.session.scalars(select(Event).where(Event.action == "auth.sign_out").order_by(Event.id))]


def assert_opens_nothing(client, site, to="/login"):
    for url in ("/", f"/units/{site['unit'].id}", "/units?q=3-2-1201", "/account"):
        resp = client.get(url)
        assert resp.status_code in (302, 303), url
        assert to in resp.headers["Location"], url
        assert OWNER not in resp.get_data(as_text=True)


def test_t9_a_sign_in_is_a_row_named_in_the_cookie(app, site):
    u = site["users"]["steward"]
    client = app.test_client()
    login_resp = client.post("/login", data={"username": u.username, "password": PASSWORD,
                                             "csrf_token": csrf_token(client)},
                             headers={"User-Agent": "Mozilla/5.0 (Linux; Android 13) Chrome/120.0 Mobile"})
    assert login_resp.status_code == 303
    sid = sid_of(client)  # CONTRACT: the reveal audit reads session.get("sid")
    r = row(app, sid)
    assert r.user_id == u.id and r.ended_at is None and r.kiosk_id is None
    assert r.community_id == site["community"].id and r.device == "Android · Chrome"
    with client.session_transaction() as s:
        assert s["st"] and r.token_hash != s["st"]  # only the token's hash is kept
    assert OWNER in client.get(f"/units/{site['unit'].id}").get_data(as_text=True)


def test_t9_replayed_cookie_after_logout_opens_nothing(app, site):
    client = signed_in(app, site["users"]["steward"])
    copy = copied(app, client)
    assert copy.get(f"/units/{site['unit'].id}").status_code == 200  # the copy works while signed in
    sid = sid_of(client)
    assert post(client, "/logout").status_code == 303
    assert_opens_nothing(copy, site)
    r = row(app, sid)
    assert r.ended_at is not None and r.end_reason == "logout"
    assert sign_outs(app) == [(site["users"]["steward"].id, "logout")]


def test_t9_replayed_cookie_after_lock_opens_nothing(app, site):
    token = kiosk_token(app, site["community"])
    desk = site["users"]["front_desk"]
    kiosk = on_kiosk(app, token, desk)
    copy = copied(app, kiosk, kiosk=token)
    elsewhere = copied(app, kiosk)  # carried off to a PC without the kiosk's cookie
    assert copy.get(f"/units/{site['unit'].id}").status_code == 200
    resp = post(kiosk, "/kiosk/lock")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/kiosk")
    assert_opens_nothing(copy, site, to="/kiosk")
    assert_opens_nothing(elsewhere, site)  # the sign-in page
    assert sign_outs(app) == [(desk.id, "lock")]


def test_t9_replayed_cookie_after_switching_person_opens_nothing(app, site):
    token = kiosk_token(app, site["community"])
    first, second = site["users"]["front_desk"], site["users"]["front_desk2"]
    kiosk = on_kiosk(app, token, first)
    copy = copied(app, kiosk, kiosk=token)
    # 换人 straight from the lock screen's form while the first is still in: the first session ends.
    assert post(kiosk, "/kiosk", {"username": second.username, "pin": PIN}).status_code == 303
    assert second.name in kiosk.get("/").get_data(as_text=True)
    assert_opens_nothing(copy, site, to="/kiosk")
    assert sign_outs(app) == [(first.id, "switch")]
    # And through 锁屏/换人 then the PIN: the second's copy dies too.
    copy2 = copied(app, kiosk, kiosk=token)
    post(kiosk, "/kiosk/lock")
    assert post(kiosk, "/kiosk", {"username": first.username, "pin": PIN}).status_code == 303
    assert_opens_nothing(copy2, site, to="/kiosk")
    assert kiosk.get(f"/units/{site['unit'].id}").status_code == 200


def test_t9_deactivation_ends_sessions_and_refuses_sign_in(app, site):
    steward = site["users"]["steward"]
    client = signed_in(app, steward)
    copy = copied(app, client)
    admin = signed_in(app, site["users"]["admin"])
    resp = post(admin, f"/admin/users/{steward.id}/deactivate")
    assert resp.status_code == 303
    assert "已停用" in admin.get(resp.headers["Location"]).get_data(as_text=True)
    assert_opens_nothing(client, site)
    assert_opens_nothing(copy, site)
    assert sign_outs(app) == [(steward.id, "deactivated")]
    # Signing in again: the same message as a wrong password, and no session opened.
    fresh = app.test_client()
    resp = login(fresh, steward.username)
    assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(UserSession.id)).where(UserSession.user_id == steward.id)) == 1


def test_t9_an_inactive_account_is_refused_even_if_its_row_is_open(app, site):
    """Defence in depth: the account is checked on every request, not only its rows."""
    steward = site["users"]["steward"]
    client = signed_in(app, steward)
    with app.app_context():
        db.session.get(User, steward.id).active = False  # changed behind the app's back
        db.session.commit()
    assert_opens_nothing(client, site)


def test_t9_password_change_ends_every_other_session(app, site):
    steward = site["users"]["steward"]
    phone, laptop = signed_in(app, steward), signed_in(app, steward)
    copy = copied(app, phone)
    old_sid = sid_of(phone)
    resp = post(phone, "/account/password", {"pw-current_password": PASSWORD, "pw-password": "new-secret-99",
                                             "pw-password2": "new-secret-99"})
    assert resp.status_code == 303
    assert "密码已修改" in phone.get("/account").get_data(as_text=True)  # this browser stays signed in
    assert sid_of(phone) != old_sid  # ... on a new session
    assert_opens_nothing(laptop, site)
    assert_opens_nothing(copy, site)
    assert sorted(r for _u, r in sign_outs(app)) == ["password_changed", "password_changed"]
    assert login(app.test_client(), steward.username).status_code == 401
    assert login(app.test_client(), steward.username, "new-secret-99").status_code == 303


def test_t9_password_change_needs_the_current_password(app, site):
    steward = site["users"]["steward"]
    phone = signed_in(app, steward)
    resp = post(phone, "/account/password", {"pw-current_password": "wrong-one-1", "pw-password": "new-secret-99",
                                             "pw-password2": "new-secret-99"})
    assert resp.status_code == 400 and "当前密码不正确" in resp.get_data(as_text=True)
    resp = post(phone, "/account/password", {"pw-current_password": PASSWORD, "pw-password": "new-secret-99",
                                             "pw-password2": "other-secret-99"})
    assert resp.status_code == 400 and "两次输入的新密码不一致" in resp.get_data(as_text=True)
    assert sign_outs(app) == []
    assert phone.get("/account").status_code == 200


def test_t9_pin_change_ends_the_kiosk_session_elsewhere(app, site):
    token = kiosk_token(app, site["community"])
    desk = site["users"]["front_desk"]
    kiosk = on_kiosk(app, token, desk)
    phone = signed_in(app, desk)
    resp = post(phone, "/account/pin", {"pin-current_password": PASSWORD, "pin-pin": "97531"})
    assert resp.status_code == 303
    assert_opens_nothing(kiosk, site, to="/kiosk")
    assert phone.get("/account").status_code == 200
    assert post(on_kiosk(app, token), "/kiosk", {"username": desk.username, "pin": PIN}).status_code == 401
    assert post(on_kiosk(app, token), "/kiosk", {"username": desk.username, "pin": "97531"}).status_code == 303


def test_t9_admin_ends_all_sessions_of_a_user(app, site):
    steward = site["users"]["steward"]
    phone, laptop = signed_in(app, steward), signed_in(app, steward)
    admin = signed_in(app, site["users"]["admin"])
    page = admin.get(f"/admin/users/{steward.id}").get_data(as_text=True)
    assert "登录中的设备" in page and page.count("最近使用") == 2
    resp = post(admin, f"/admin/users/{steward.id}/sessions/end")
    assert resp.status_code == 303
    assert_opens_nothing(phone, site)
    assert_opens_nothing(laptop, site)
    assert [r for _u, r in sign_outs(app)] == ["admin", "admin"]
    assert admin.get("/").status_code == 200  # the admin's own session is untouched
    assert "现在没有登录" in admin.get(f"/admin/users/{steward.id}").get_data(as_text=True)


def test_t9_idle_limit_is_enforced_by_the_server(app, site):
    steward = site["users"]["steward"]
    client = signed_in(app, steward)
    sid = sid_of(client)
    copy = copied(app, client)
    limit = app.config["SESSION_IDLE_SECONDS"]
    set_last_seen(app, sid, limit - 30)  # not yet idle
    assert client.get("/account").status_code == 200
    set_last_seen(app, sid, limit + 1)
    resp = client.get(f"/units/{site['unit'].id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    r = row(app, sid)
    assert r.end_reason == "idle" and r.ended_at <= utcnow() - timedelta(seconds=1)
    assert sign_outs(app) == [(steward.id, "idle")]
    # The ended row stays ended: moving last_seen back does not revive the cookie.
    set_last_seen(app, sid, 0)
    assert_opens_nothing(copy, site)


def test_t9_kiosk_idle_goes_to_the_lock_screen(app, site):
    token = kiosk_token(app, site["community"])
    kiosk = on_kiosk(app, token, site["users"]["front_desk"])
    set_last_seen(app, sid_of(kiosk), app.config["KIOSK_IDLE_SECONDS"] + 1)
    resp = kiosk.get(f"/units/{site['unit'].id}")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/kiosk")
    lock = kiosk.get("/kiosk")
    assert lock.status_code == 200 and "PIN" in lock.get_data(as_text=True)
    assert [r for _u, r in sign_outs(app)] == ["idle"]


def set_last_seen(app, sid, seconds_ago):
    with app.app_context():
        db.session.get(UserSession, sid).last_seen_at = utcnow() - timedelta(seconds=seconds_ago)
        db.session.commit()


def test_t9_last_seen_moves_on_at_most_every_15_seconds_and_never_for_polls(app, site):
    client = signed_in(app, site["users"]["steward"])
    sid = sid_of(client)
    set_last_seen(app, sid, 5)
    before = row(app, sid).last_seen_at
    client.get("/account")
    assert row(app, sid).last_seen_at == before  # touched 5 s ago: left alone
    set_last_seen(app, sid, 120)
    before = row(app, sid).last_seen_at
    client.get("/account", headers={"X-Poll": "1"})
    assert row(app, sid).last_seen_at == before  # a poll is not activity
    resp = client.get("/account")
    assert row(app, sid).last_seen_at > before + timedelta(seconds=100)
    assert "Set-Cookie" not in resp.headers  # the cookie itself does not change


def test_t9_forged_sid_or_token_opens_nothing(app, site):
    steward, desk = site["users"]["steward"], site["users"]["front_desk"]
    victim = signed_in(app, desk)
    attacker = signed_in(app, steward)
    with attacker.session_transaction() as s:
        s["sid"] = sid_of(victim)  # another user's live row
    assert_opens_nothing(attacker, site)
    attacker = signed_in(app, steward)
    with attacker.session_transaction() as s:
        s["st"] = "guessed-token"
    assert_opens_nothing(attacker, site)
    assert victim.get("/").status_code == 200


def test_t9_my_devices_lists_and_ends_my_own_sessions(app, site):
    steward = site["users"]["steward"]
    phone = app.test_client()
    assert phone.post("/login", data={"username": steward.username, "password": PASSWORD,
                                      "csrf_token": csrf_token(phone)},
                      headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0"}
                      ).status_code == 303
    laptop = signed_in(app, steward)
    other = signed_in(app, site["users"]["front_desk"])
    page = laptop.get("/account").get_data(as_text=True)
    assert "登录设备" in page and "iPhone · 微信" in page and "本设备" in page
    ids = [int(i) for i in re.findall(r'/account/sessions/(\d+)/end', page)]
    assert sorted(ids) == sorted([sid_of(phone), sid_of(laptop)])
    # Someone else's session cannot be ended from my page.
    assert post(laptop, f"/account/sessions/{sid_of(other)}/end").status_code == 303
    assert other.get("/").status_code == 200
    # Without the token nothing happens.
    assert laptop.post(f"/account/sessions/{sid_of(phone)}/end").status_code == 400
    assert phone.get("/account").status_code == 200
    resp = post(laptop, f"/account/sessions/{sid_of(phone)}/end")
    assert resp.status_code == 303 and "已结束该设备上的登录" in laptop.get("/account").get_data(as_text=True)
    assert_opens_nothing(phone, site)
    assert "iPhone · 微信" not in laptop.get("/account").get_data(as_text=True)
    # Ending this device's own session signs it out.
    resp = post(laptop, f"/account/sessions/{sid_of(laptop)}/end")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/login")
    assert_opens_nothing(laptop, site)
    assert [r for _u, r in sign_outs(app)] == ["ended_by_user", "ended_by_user"]


# --- the kiosk without JavaScript ---------------------------------------------------------------

def test_t9_kiosk_lock_needs_the_csrf_token(app, site):
    csrf_ext = app.extensions["csrf"]
    assert "propsvc.auth.views.kiosk_lock" not in csrf_ext._exempt_views
    token = kiosk_token(app, site["community"])
    desk = site["users"]["front_desk"]
    # With the page's token (as the button's form and the idle script send it): a plain lock.
    kiosk = on_kiosk(app, token, desk)
    page = kiosk.get("/").get_data(as_text=True)
    form_token = re.search(r'action="/kiosk/lock" id="signout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                           page).group(1)
    resp = kiosk.post("/kiosk/lock", headers={"X-CSRFToken": form_token})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/kiosk")
    # Without a token the request is refused as a lock by a stale page: it still locks (never an
    # error page on a shared screen), recorded as such.
    kiosk = on_kiosk(app, token, desk)
    resp = kiosk.post("/kiosk/lock")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/kiosk")
    assert_opens_nothing(kiosk, site, to="/kiosk")
    # An htmx lock without a token: the whole page goes to the lock screen.
    kiosk = on_kiosk(app, token, desk)
    resp = kiosk.post("/kiosk/lock", headers={"HX-Request": "true"})
    assert resp.status_code == 204 and resp.headers["HX-Redirect"].endswith("/kiosk")
    assert [r for _u, r in sign_outs(app)] == ["lock", "lock_no_token", "lock_no_token"]
    # A lapsed session's lock lands on the lock screen too, changing nothing.
    resp = kiosk.post("/kiosk/lock")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/kiosk")
    assert len(sign_outs(app)) == 3


def test_t9_other_posts_still_refuse_a_missing_token(app, site):
    client = signed_in(app, site["users"]["steward"])
    resp = client.post("/logout")
    assert resp.status_code == 400 and "安全令牌" in resp.get_data(as_text=True)
    assert client.get("/account").status_code == 200


def test_t9_kiosk_pages_carry_a_no_js_refresh_to_the_lock_screen(app, site):
    token = kiosk_token(app, site["community"])
    kiosk = on_kiosk(app, token, site["users"]["front_desk"])
    idle = app.config["KIOSK_IDLE_SECONDS"]
    meta = f'<noscript><meta http-equiv="refresh" content="{idle + 1};url=/kiosk"></noscript>'
    for url in ("/", f"/units/{site['unit'].id}", "/units?q=3-2-1201", "/account"):
        html = kiosk.get(url).get_data(as_text=True)
        assert meta in html.split("</head>")[0], url
    # A desk session on a phone has no such refresh; the lock screen itself neither.
    phone = signed_in(app, site["users"]["steward"])
    assert 'http-equiv="refresh"' not in phone.get(f"/units/{site['unit'].id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in on_kiosk(app, token).get("/kiosk").get_data(as_text=True)
    # When the refresh fires the server has ended the session: the lock screen, not the home page.
    set_last_seen(app, sid_of(kiosk), idle + 1)
    resp = kiosk.get("/kiosk")
    assert resp.status_code == 200 and "PIN" in resp.get_data(as_text=True)
    assert [r for _u, r in sign_outs(app)] == ["idle"]
