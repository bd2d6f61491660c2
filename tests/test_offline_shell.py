"""The steward's offline shell [issue 16] through the test client: the service worker's script and
the offline page are public and hold no data; only steward-ish roles (never a kiosk) are asked to
register it; only the allow-listed pages (今日, a patrol checklist) are marked keepable, never a
fragment, a query, a reveal, /privacy or /kiosk; 完成巡查 sent by patrol.js (?f) answers 204 once,
a refusal in plain text, and a resend of the same one-time key finishes nothing twice.
The worker itself, offline reloads and sign-out run in Chromium: tests/browser/test_offline_shell.py."""
import re

import pytest
from sqlalchemy import func, select

from conftest import client_for, form_key, post
from propsvc.core.offline import NEVER_KEPT, OFFLINE_HEADER, OFFLINE_PAGES
from propsvc.core.models import Event
from propsvc.core.web import static_url
from propsvc.extensions import db
from propsvc.patrols.models import ChecklistItem, ChecklistTemplate, Patrol, PatrolKind


@pytest.fixture
def site(app, make):
    c = make.community("新澳花园北区")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201")
    make.person(unit, phone="13812345678", id_number="110101199003071233")
    users = {r: make.user(r, communities=[c]) for r in ("steward", "supervisor", "front_desk", "technician")}
    from propsvc.auth.models import User
    from propsvc.registry.models import Building

    with app.app_context():
        db.session.get(User, users["steward"].id).buildings = [db.session.get(Building, b.id)]
        db.session.commit()
        template = db.session.scalar(select(ChecklistTemplate).where(
            ChecklistTemplate.community_id == c.id, ChecklistTemplate.kind == PatrolKind.BUILDING))
        items = [i.id for i in db.session.scalars(select(ChecklistItem).where(
            ChecklistItem.template_id == template.id, ChecklistItem.active.is_(True)))]
        db.session.remove()
    return {"community": c, "building": b, "users": users, "template": template.id, "items": items}


def _start(app, client, site) -> int:
    resp = post(client, "/patrols/start", {"template_id": str(site["template"]), "target_type": "building",
                                           "building_id": str(site["building"].id)})
    assert resp.status_code == 303
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def test_the_worker_script_is_public_uncached_scoped_to_the_site_and_names_the_hashed_shell(app, client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache" and resp.headers["Service-Worker-Allowed"] == "/"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    js = resp.get_data(as_text=True)
    with app.app_context():
        for name in ("css/app.css", "js/app.js", "js/htmx-2.0.11.min.js", "js/offline.js"):
            assert static_url(name) in js  # a new deploy (new hashes) is a new worker
    assert re.search(r'var VERSION = "[0-9a-f]{12}"', js)
    assert client.get("/sw.js").get_data(as_text=True) == js  # the same script for everyone, every time


def test_the_offline_page_is_public_chinese_and_names_nobody(app, client):
    resp = client.get("/offline")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "没有网络连接" in html and "等待发送" in html
    assert "data-offline-page" in html and "/js/offline.js" in html and "/js/htmx" not in html
    assert 'data-sw=' not in html


@pytest.mark.parametrize("role, registers", [("steward", True), ("supervisor", True), ("front_desk", False),
                                             ("technician", False)])
def test_only_roles_with_patrols_are_asked_to_register_the_worker(app, site, role, registers):
    client = client_for(app, site["users"][role])
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert ('data-sw="/sw.js"' in html) is registers
    assert 'data-sw=' not in app.test_client().get("/login").get_data(as_text=True)  # signed out


def test_never_on_a_kiosk(app, make, site):
    from propsvc.auth.services import KIOSK_COOKIE, register_kiosk

    with app.app_context():
        _kiosk, token = register_kiosk(site["community"].id, "前台1号机")
        db.session.commit()
    sup = site["users"]["supervisor"]
    client = app.test_client()
    client.set_cookie(KIOSK_COOKIE, token)
    html = client.get("/kiosk").get_data(as_text=True)
    csrf = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    assert client.post("/kiosk", data={"username": sup.username, "pin": "2468", "csrf_token": csrf}).status_code == 303
    home = client.get("/")
    assert home.status_code == 200 and 'data-sw=' not in home.get_data(as_text=True)


def test_only_allow_listed_steward_pages_are_marked_keepable_and_they_are_masked(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = _start(app, stw, site)
    with app.test_request_context():
        from flask import url_for

        for endpoint, pattern in OFFLINE_PAGES.items():  # the worker's patterns match the real paths
            path = url_for(endpoint, **({"patrol_id": pid} if endpoint == "patrols.run" else {}))
            assert re.search(pattern, path) and not re.search(NEVER_KEPT, path)
    for path in ("/privacy/audit", "/kiosk", "/kiosk/lock", "/login", "/admin/users", "/account"):
        assert re.search(NEVER_KEPT, path) and not any(re.search(p, path) for p in OFFLINE_PAGES.values())

    for path in ("/patrols/today", f"/patrols/{pid}"):
        resp = stw.get(path)
        assert resp.status_code == 200 and resp.headers.get(OFFLINE_HEADER) == "1", path
        html = resp.get_data(as_text=True)
        assert "13812345678" not in html and "110101199003071233" not in html
        # no full phone or ID number at all (a run of exactly 11 / 18 characters, not part of a token)
        assert not re.search(r"(?<![0-9A-Za-z_-])(1[3-9]\d{9}|\d{17}[\dX])(?![0-9A-Za-z_-])", html)
        assert OFFLINE_HEADER not in stw.get(path, headers={"HX-Request": "true"}).headers
    assert OFFLINE_HEADER not in stw.get(f"/patrols/{pid}?open={site['items'][0]}").headers
    for path in ("/tickets/new", "/units", "/patrols/start", "/tickets/mine", "/account"):
        assert OFFLINE_HEADER not in stw.get(path).headers, path
    # a front-desk clerk gets no worker: nothing is marked for them
    desk = client_for(app, site["users"]["front_desk"])
    assert all(OFFLINE_HEADER not in desk.get(p).headers for p in ("/", "/tickets/new", "/tickets/queue"))


def _tap_all(stw, pid, items):
    for i, item in enumerate(items):
        resp = stw.post(f"/patrols/{pid}/items/{item}?f", data={
            "result": "ok", "key": f"t{pid}-{item}", "tapped_at": "", "device": "phone", "seq": str(i + 1)},
            headers={"X-CSRFToken": stw.token})
        assert resp.status_code == 200


def test_finish_sent_by_the_script_answers_204_once_and_a_resend_of_its_key_changes_nothing(app, site):
    stw = client_for(app, site["users"]["steward"])
    stw.token = re.search(r'"X-CSRFToken": "([^"]+)"', stw.get("/patrols/today").get_data(as_text=True)).group(1)
    pid = _start(app, stw, site)
    _tap_all(stw, pid, site["items"][:-1])
    key = form_key(app, "finish-offline")
    refused = post(stw, f"/patrols/{pid}/finish?f", {"client_key": key})
    assert refused.status_code == 422 and refused.mimetype == "text/plain"
    assert "还有 1 项未检查" in refused.get_data(as_text=True)
    _tap_all(stw, pid, site["items"][-1:])

    done = post(stw, f"/patrols/{pid}/finish?f", {"client_key": key})  # the refused send spent nothing
    assert done.status_code == 204
    assert "巡查已完成" in stw.get(f"/patrols/{pid}").get_data(as_text=True)  # the page the script opens next
    again = post(stw, f"/patrols/{pid}/finish?f", {"client_key": key})  # the answer was lost: sent again
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/patrols/{pid}")
    with app.app_context():
        assert db.session.get(Patrol, pid).finished_at is not None
        assert db.session.scalar(select(func.count()).select_from(Event).where(
            Event.action == "patrol.finished", Event.object_id == pid)) == 1
