"""[T9] A sign-in tells nothing and never blocks the database: an unknown username costs the
same hashing as a known one with a wrong password, and no transaction (no SQLite write lock)
is held while hashing."""
import sqlite3
import time

import pytest
from sqlalchemy import select

from conftest import PASSWORD, PIN, csrf_token, login, post
from propsvc.auth import services
from propsvc.auth.models import User
from propsvc.core.models import Event
from propsvc.extensions import db

# Production hashes with scrypt; here a moderately costly PBKDF2 makes the hash dominate the
# request's other work as it does in production, while keeping 60 sign-ins quick.
COSTLY = "pbkdf2:sha256:150000"
TRIES = 30


def test_t9_login_timing(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", COSTLY)
    c = make.community()
    known = make.user("steward", communities=[c])  # hashed with the costly method
    with app.app_context():
        assert db.session.get(User, known.id).password_hash.startswith(COSTLY)
    client = app.test_client()
    token = csrf_token(client)

    def timed(username):  # this process's CPU time: the hashing, not the disk's or the other processes' turns
        start = time.process_time()
        resp = client.post("/login", data={"username": username, "password": "wrong-password",
                                           "csrf_token": token})
        elapsed = time.process_time() - start
        assert resp.status_code == 401
        return elapsed

    timed("warm-up")
    known_times, unknown_times = [], []
    for i in range(TRIES):  # interleaved, so a busy moment of the machine hits both alike
        known_times.append(timed(known.username))
        unknown_times.append(timed(f"nobody-{i}"))
    # The fastest of each: a busy machine only adds time, so the minimum is the cost of the
    # work itself (the median moved to 1.55 once while two test processes and a benchmark ran).
    # CPU time, not wall time: with two benchmarks and the suite on this 2-core machine, every
    # known attempt waited ~25 ms more on the disk (its failed-attempt count is written) and the
    # wall-clock minima differed by a third, though the hashing cost the same.
    ratio = min(unknown_times) / min(known_times)
    print(f"\nlogin timing: known {min(known_times) * 1000:.1f} ms, "
          f"unknown {min(unknown_times) * 1000:.1f} ms, ratio unknown/known {ratio:.2f}")
    assert 1 / 1.5 <= ratio <= 1.5
    # The known account got locked on the way (lockout keeps working) and still cost the same.
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Event.id)).where(Event.action == "auth.locked")) >= 1


def test_t9_the_dummy_hash_uses_the_production_method(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", COSTLY)
    seen = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, s: seen.append(h) or real(h, s))
    client = app.test_client()
    assert login(client, "nobody-at-all", "whatever-1").status_code == 401
    assert len(seen) == 1 and seen[0].startswith(COSTLY + "$")


def _lock_free_probe(app):
    """A check run while hashing: no ORM transaction is open in this request, and on SQLite
    another connection can take the write lock at once."""
    results = []

    def probe():
        results.append(db.session().in_transaction())
        if db.engine.dialect.name == "sqlite":
            other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if held
                other.execute("ROLLBACK")
                results.append(False)
            except sqlite3.OperationalError:
                results.append(True)
            finally:
                other.close()

    return results, probe


@pytest.mark.parametrize("who", ["known-right", "known-wrong", "unknown"])
def test_t9_no_lock_is_held_while_hashing_a_password(app, make, monkeypatch, who):
    c = make.community()
    u = make.user("steward", communities=[c])
    results, probe = _lock_free_probe(app)
    real = services.check_password_hash

    def spy(stored, secret):
        probe()
        return real(stored, secret)

    monkeypatch.setattr(services, "check_password_hash", spy)
    client = app.test_client()
    username = {"unknown": "nobody-here"}.get(who, u.username)
    resp = login(client, username, PASSWORD if who == "known-right" else "wrong-password")
    assert resp.status_code == (303 if who == "known-right" else 401)
    assert results and not any(results), results


def test_t9_no_lock_is_held_while_hashing_a_pin_even_when_signed_in(app, make, monkeypatch):
    from propsvc.auth.services import register_kiosk

    c = make.community()
    first = make.user("front_desk", communities=[c])
    second = make.user("front_desk", communities=[c])
    with app.app_context():
        _k, token = register_kiosk(c.id, "前台1号机")
        db.session.remove()
    kiosk = app.test_client()
    kiosk.set_cookie("propsvc_kiosk", token)
    assert post(kiosk, "/kiosk", {"username": first.username, "pin": PIN}).status_code == 303
    results, probe = _lock_free_probe(app)
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, s: probe() or real(h, s))
    # 换人 while the first is signed in: this POST has read (and on SQLite locked) before hashing.
    assert post(kiosk, "/kiosk", {"username": second.username, "pin": PIN}).status_code == 303
    assert results and not any(results), results


def test_t9_changing_my_password_hashes_with_nothing_held(app, make, monkeypatch):
    c = make.community()
    u = make.user("steward", communities=[c])
    client = app.test_client()
    login(client, u.username)
    results, probe = _lock_free_probe(app)
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, s: probe() or real(h, s))
    resp = post(client, "/account/password", {"pw-current_password": PASSWORD, "pw-password": "new-secret-99",
                                              "pw-password2": "new-secret-99"})
    assert resp.status_code == 303
    assert results and not any(results), results
