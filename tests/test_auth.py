"""Sign-in, lockout, the shared kiosk and its idle lock, CSRF, cookies and headers."""
from datetime import timedelta

from sqlalchemy import select

from conftest import PASSWORD, PIN, csrf_token, login, post
from propsvc.auth.models import User
from propsvc.core.models import Event, utcnow
from propsvc.extensions import db

GENERIC = "用户名或密码错误"


def _events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def _idle_for(app, client, seconds):
    """The server measures idle time from the session row's last_seen_at: move it back."""
    from propsvc.auth.models import UserSession

    with client.session_transaction() as s:
        sid = s["sid"]
    with app.app_context():
        db.session.get(UserSession, sid).last_seen_at = utcnow() - timedelta(seconds=seconds)
        db.session.commit()


def _kiosk_client(app, make, community):
    with app.app_context():
        from propsvc.auth.services import register_kiosk

        _k, token = register_kiosk(community.id, "前台1号机")
    client = app.test_client()
    client.set_cookie("propsvc_kiosk", token)
    return client


def test_wrong_password_and_unknown_user_look_the_same(app, client, make):
    c = make.community()
    u = make.user("steward", communities=[c])
    wrong = login(client, u.username, "wrong-password")
    unknown = login(client, "nobody-here", "wrong-password")
    assert wrong.status_code == unknown.status_code == 401
    assert GENERIC in wrong.get_data(as_text=True) and GENERIC in unknown.get_data(as_text=True)
    assert "不存在" not in unknown.get_data(as_text=True)


def test_passwords_and_pins_are_hashed(app, make):
    c = make.community()
    u = make.user("front_desk", communities=[c])
    with app.app_context():
        user = db.session.get(User, u.id)
        assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")
        assert PIN not in user.pin_hash and user.pin_hash.startswith("pbkdf2:")


def test_five_wrong_passwords_lock_the_account_for_15_minutes(app, client, make):
    c = make.community()
    u = make.user("steward", communities=[c])
    for _ in range(5):
        assert login(client, u.username, "wrong-password").status_code == 401
    resp = login(client, u.username)  # the right password, but locked now
    assert resp.status_code == 401 and GENERIC in resp.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, u.id)
        remaining = user.locked_until - utcnow()
        assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
        user.locked_until = utcnow() - timedelta(seconds=1)  # 15 minutes later
        db.session.commit()
    assert login(client, u.username).status_code == 303
    assert len(_events(app, "auth.locked")) == 1
    assert len(_events(app, "auth.refused_locked")) == 1


def test_wrong_pins_count_towards_the_same_lockout(app, make):
    c = make.community()
    u = make.user("front_desk", communities=[c])
    client = _kiosk_client(app, make, c)
    for _ in range(3):
        login(client, u.username, "wrong-password")
    for _ in range(2):
        r = post(client, "/kiosk", {"username": u.username, "pin": "0000"})
        assert r.status_code == 401
    r = post(client, "/kiosk", {"username": u.username, "pin": PIN})
    assert r.status_code == 401 and "锁定" in r.get_data(as_text=True)


def test_kiosk_requires_a_registered_pc(client):
    resp = client.get("/kiosk")
    assert resp.status_code == 403 and "未登记" in resp.get_data(as_text=True)


def test_supervisor_registers_a_kiosk_and_front_desk_switches_in_with_pin(app, client, make):
    c = make.community()
    sup = make.user("supervisor", communities=[c])
    desk = make.user("front_desk", communities=[c])
    login(client, sup.username)
    resp = post(client, "/kiosk/register", {"name": "前台1号机"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/kiosk")
    cookie = client.get_cookie("propsvc_kiosk")
    assert cookie is not None and cookie.http_only
    assert client.get("/").status_code == 302  # registering signed the supervisor out
    lock = client.get("/kiosk")
    assert lock.status_code == 200 and "PIN" in lock.get_data(as_text=True)
    resp = post(client, "/kiosk", {"username": desk.username, "pin": PIN})
    assert resp.status_code == 303
    home = client.get("/")
    assert home.status_code == 200 and "锁屏/换人" in home.get_data(as_text=True)
    assert 'data-idle-seconds="300"' in home.get_data(as_text=True)
    assert len(_events(app, "kiosk.registered")) == 1


def test_pin_sign_in_only_for_kiosk_roles_of_that_community(app, make):
    c, other = make.community(), make.community()
    steward = make.user("steward", communities=[c])
    foreign_desk = make.user("front_desk", communities=[other])
    client = _kiosk_client(app, make, c)
    for u in (steward, foreign_desk):
        r = post(client, "/kiosk", {"username": u.username, "pin": PIN})
        assert r.status_code == 401


def test_pin_must_be_4_to_6_digits(app, make):
    c = make.community()
    desk = make.user("front_desk", communities=[c])
    client = _kiosk_client(app, make, c)
    r = post(client, "/kiosk", {"username": desk.username, "pin": "12ab"})
    assert r.status_code == 400 and "4到6位数字" in r.get_data(as_text=True)


def test_kiosk_idle_returns_to_lock_screen(app, make):
    c = make.community()
    desk = make.user("front_desk", communities=[c])
    client = _kiosk_client(app, make, c)
    assert post(client, "/kiosk", {"username": desk.username, "pin": PIN}).status_code == 303
    assert client.get("/").status_code == 200
    _idle_for(app, client, app.config["KIOSK_IDLE_SECONDS"] + 1)
    resp = client.get("/units?q=3-2-1201")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/kiosk")
    assert client.get("/").status_code == 302
    assert [e.data["reason"] for e in _events(app, "auth.sign_out")] == ["idle"]


def test_kiosk_lock_button_signs_out(app, make):
    c = make.community()
    desk = make.user("front_desk", communities=[c])
    client = _kiosk_client(app, make, c)
    post(client, "/kiosk", {"username": desk.username, "pin": PIN})
    resp = post(client, "/kiosk/lock")  # with the page's token, like every POST
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/kiosk")
    assert client.get("/").status_code == 302
    assert [e.data["reason"] for e in _events(app, "auth.sign_out")] == ["lock"]


def test_desk_session_idle_timeout(app, client, make):
    c = make.community()
    u = make.user("steward", communities=[c])
    login(client, u.username)
    _idle_for(app, client, app.config["SESSION_IDLE_SECONDS"] + 1)
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_form_without_csrf_token_is_refused(client, make):
    c = make.community()
    u = make.user("steward", communities=[c])
    resp = client.post("/login", data={"username": u.username, "password": PASSWORD})
    assert resp.status_code == 400 and "安全令牌" in resp.get_data(as_text=True)


def test_htmx_request_needs_csrf_header_too(client, make):
    c = make.community()
    u = make.user("front_desk", communities=[c])
    login(client, u.username)
    assert client.post("/logout", headers={"HX-Request": "true"}).status_code == 400
    ok = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client)})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"].endswith("/login")


def test_htmx_request_after_sign_out_redirects_whole_page(client):
    resp = client.get("/units?q=1", headers={"HX-Request": "true"})
    assert resp.status_code == 401 and "/login" in resp.headers["HX-Redirect"]


def test_session_cookie_is_httponly_and_samesite_lax(client, make):
    c = make.community()
    u = make.user("steward", communities=[c])
    resp = login(client, u.username)
    cookie = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_and_csp_without_inline_script(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html and "<style" not in html


def test_sign_in_redirects_only_to_local_next(client, make):
    c = make.community()
    u = make.user("steward", communities=[c])
    token = csrf_token(client)
    resp = client.post("/login?next=//evil.example/x", data={"username": u.username, "password": PASSWORD,
                                                             "csrf_token": token})
    assert resp.headers["Location"] == "/"


def test_inactive_account_cannot_sign_in(app, client, make):
    c = make.community()
    u = make.user("steward", communities=[c])
    with app.app_context():
        db.session.get(User, u.id).active = False
        db.session.commit()
    assert login(client, u.username).status_code == 401
