"""The desk's home page (kiosk): big touch buttons for the common desk tasks, each shown only
to a role its route lets in (areas not installed yet show no button), with a hint line; other
roles keep the regular tiles."""
import re

import pytest

from conftest import PIN, login, post
from propsvc.core.views import DESK_TASKS
from propsvc.extensions import db

LABELS = {endpoint: label for endpoint, label, _hint in DESK_TASKS}


@pytest.fixture
def site(app, make):
    c = make.community("东湖花园")
    users = {r: make.user(r, communities=[c]) for r in
             ("front_desk", "supervisor", "manager", "steward", "technician", "guard", "finance", "admin")}
    return {"community": c, "users": users}


def kiosk_client(app, site):
    from propsvc.auth.services import register_kiosk

    with app.app_context():
        _k, token = register_kiosk(site["community"].id, "前台1号机")
        db.session.commit()
    client = app.test_client()
    client.set_cookie("propsvc_kiosk", token)
    return client


def allowed(app, role) -> set[str]:
    """The desk tasks whose route exists and lets this role in (what can() answers)."""
    out = set()
    for endpoint in LABELS:
        view = app.view_functions.get(endpoint)
        access = getattr(view, "access", None)
        if access is not None and (access.public or role in access.roles):
            out.add(endpoint)
    return out


def buttons(html: str) -> dict[str, str]:
    """label -> href of the big desk buttons on the page (a button may carry its live count)."""
    return {m.group(2): m.group(1) for m in re.finditer(
        r'<a class="desk-btn" href="([^"]+)"><span class="desk-label">([^<]+)</span><span class="desk-hint">[^<]+</span>'
        r'(?:<span class="tally[^"]*">[^<]+<b>[^<]+</b></span>)?</a>',
        html)}


def test_front_desk_on_kiosk_sees_big_buttons_it_may_use_and_no_others(app, site):
    client = kiosk_client(app, site)
    assert post(client, "/kiosk", {"username": site["users"]["front_desk"].username, "pin": PIN}).status_code == 303
    html = client.get("/").get_data(as_text=True)
    shown = buttons(html)
    expected = allowed(app, "front_desk")
    assert {"tickets.new", "registry.search"} <= expected  # always there
    assert set(shown) == {LABELS[e] for e in expected}
    with app.test_request_context():
        from flask import url_for

        for endpoint in expected:
            assert shown[LABELS[endpoint]] == url_for(endpoint)
    # Every button has its hint line.
    assert html.count('class="desk-hint"') == len(expected)
    assert 'class="tile"' not in html  # the regular tiles make way for the desk board


def test_supervisor_on_kiosk_sees_the_buttons_of_the_supervisor_role(app, site):
    client = kiosk_client(app, site)
    assert post(client, "/kiosk", {"username": site["users"]["supervisor"].username, "pin": PIN}).status_code == 303
    shown = buttons(client.get("/").get_data(as_text=True))
    assert set(shown) == {LABELS[e] for e in allowed(app, "supervisor")}


def test_front_desk_without_kiosk_gets_the_desk_board_too(app, site, client):
    login(client, site["users"]["front_desk"].username)
    shown = buttons(client.get("/").get_data(as_text=True))
    assert set(shown) == {LABELS[e] for e in allowed(app, "front_desk")}


@pytest.mark.parametrize("role", ["manager", "technician", "finance", "admin", "supervisor"])
def test_other_roles_off_kiosk_keep_the_regular_tiles(app, site, client, role):
    login(client, site["users"][role].username)
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and buttons(html) == {} and "desk-btn" not in html
    if role in ("manager", "supervisor"):
        assert 'class="tile"' in html and "派单队列" in html


def test_steward_goes_to_today_and_all_shows_tiles_without_desk_buttons(app, site, client):
    login(client, site["users"]["steward"].username)
    resp = client.get("/")
    if "patrols.today" in app.view_functions:
        assert resp.status_code == 302 and "/patrols/today" in resp.headers["Location"]
    html = client.get("/?all=1").get_data(as_text=True)
    assert "desk-btn" not in html and 'class="tile"' in html


def test_kiosk_home_htmx_fragment_has_the_buttons(app, site):
    client = kiosk_client(app, site)
    post(client, "/kiosk", {"username": site["users"]["front_desk"].username, "pin": PIN})
    resp = client.get("/", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "desk-btn" in html
