"""/healthz: public, no data, checks the database and the upload folder; 200 or 503 with JSON."""
from contextlib import contextmanager

import pytest

from conftest import login


@contextmanager
def _upload_folder(app, folder):
    before = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(folder)
    try:
        yield
    finally:
        app.config["UPLOAD_FOLDER"] = before


def test_healthz_public_answers_ok_without_sign_in(app, client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.is_json
    body = resp.get_json()
    assert body["status"] == "ok"
    assert body["version"] and body["version"] != "unknown"
    assert body["checks"] == {"database": {"status": "ok"}, "upload_folder": {"status": "ok"}}
    assert "Set-Cookie" not in resp.headers  # no session started for a load balancer
    assert resp.headers["Cache-Control"] == "no-store"


def test_healthz_public_head_request_for_load_balancers(client):
    assert client.head("/healthz").status_code == 200


def test_healthz_public_not_redirected_with_a_lapsed_or_kiosk_cookie(app, client, make):
    """A browser whose session ended (or a kiosk PC) still gets the JSON, not a sign-in page."""
    c = make.community()
    u = make.user("front_desk", communities=[c])
    assert login(client, u.username).status_code == 303
    with app.app_context():
        from propsvc.auth import sessions
        from propsvc.extensions import db

        sessions.end_sessions(u.id, "logout")
        db.session.commit()
    with app.app_context():
        from propsvc.auth.services import register_kiosk
        from propsvc.extensions import db

        _kiosk, token = register_kiosk(c.id, "前台1号机")
        db.session.commit()
    client.set_cookie("propsvc_kiosk", token)
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json()["status"] == "ok"
    assert client.get("/").status_code in (302, 303)  # the session really had ended


def test_healthz_public_shows_no_data(app, client, make):
    c = make.community("健康检查小区")
    b = make.building(c, "3")
    make.person(make.unit(b, 2, "1201"), name="王建国")
    text = client.get("/healthz").get_data(as_text=True)
    for secret in ("健康检查小区", "王建国", "1201", app.config["UPLOAD_FOLDER"], "sqlite", "postgres"):
        assert secret not in text


def test_healthz_public_503_when_the_upload_folder_is_missing(app, client, tmp_path):
    with _upload_folder(app, tmp_path / "gone"):
        resp = client.get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "error"
    assert body["checks"]["upload_folder"] == {"status": "error", "reason": "missing"}
    assert body["checks"]["database"] == {"status": "ok"}
    assert str(tmp_path) not in resp.get_data(as_text=True)


def test_healthz_public_503_when_the_upload_folder_is_a_file(app, client, tmp_path):
    f = tmp_path / "uploads"
    f.write_text("not a folder")
    with _upload_folder(app, f):
        resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["upload_folder"]["reason"] == "not_a_folder"


def test_healthz_public_503_when_the_upload_folder_is_not_writable(app, client, tmp_path, monkeypatch):
    """Permission bits do not stop root (tests may run as root), so the refusal a read-only
    mount or a full disk gives is simulated where the check creates its file."""
    import tempfile

    folder = tmp_path / "ro"
    folder.mkdir()

    def refuse(*a, **kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
    with _upload_folder(app, folder):
        resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["upload_folder"] == {"status": "error", "reason": "not_writable"}
    assert list(folder.iterdir()) == []


def test_healthz_public_upload_check_leaves_no_file(app, client):
    from pathlib import Path

    folder = Path(app.config["UPLOAD_FOLDER"])
    before = set(folder.iterdir())
    assert client.get("/healthz").status_code == 200
    assert set(folder.iterdir()) == before


def test_healthz_public_503_when_the_database_fails(app, client, monkeypatch):
    from propsvc.core import health

    def broken(*a, **kw):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health.db.session, "execute", broken)
    resp = client.get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == {"status": "error", "reason": "unavailable"}
    assert "connection refused" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_public_is_read_only(client, method):
    assert getattr(client, method)("/healthz").status_code == 405
