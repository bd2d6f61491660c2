"""Every route declares who may use it; the full role × route matrix is checked."""
import re

import pytest

from conftest import csrf_token, login
from propsvc.core.roles import Role

ROLES = [r.value for r in Role]


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_declares_access(app):
    undeclared = [r.endpoint for r in app.url_map.iter_rules()
                  if getattr(app.view_functions[r.endpoint], "access", None) is None]
    assert undeclared == []


def test_route_without_declaration_is_refused(app, client):
    """Fail closed: a route someone forgot to declare answers 403, even to an admin."""
    from flask import Blueprint

    assert "undeclared_probe" not in app.view_functions
    app.view_functions["undeclared_probe"] = lambda: "leak"
    app.url_map.add(app.url_rule_class("/__undeclared_probe", endpoint="undeclared_probe", methods=["GET"]))
    try:
        assert client.get("/__undeclared_probe").status_code == 403
    finally:
        # Remove the probe so other tests see the real map.
        app.url_map._rules[:] = [r for r in app.url_map._rules if r.endpoint != "undeclared_probe"]
        app.url_map._rules_by_endpoint.pop("undeclared_probe", None)
        app.url_map._remap = True
        del app.view_functions["undeclared_probe"]
    del Blueprint


@pytest.fixture
def site(make):
    c = make.community()
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201")
    p = make.person(u)
    with make.app.app_context():
        from propsvc.auth.services import register_kiosk

        _kiosk, token = register_kiosk(c.id, "前台1号机")
        ticket_id, photo_id, outage_id = _ticket_photo_outage(c, u)
    return {"community": c, "unit": u, "person": p, "kiosk_token": token, "ticket_id": ticket_id,
            "photo_id": photo_id, "outage_id": outage_id}


def _ticket_photo_outage(c, u):
    from datetime import timedelta

    from propsvc.auth.services import create_user
    from propsvc.cli import ensure_departments
    from propsvc.core.models import utcnow
    from propsvc.extensions import db
    from propsvc.tickets import services
    from propsvc.tickets.models import Outage, Photo

    ensure_departments()
    services.ensure_defaults(c.id)
    actor = create_user(username="matrixdesk", name="前台", password="secret-pass-1", roles=["front_desk"])
    t = services.create_ticket(c.id, services.Intake(kind="repair", channel="phone",
                               category_id=services.categories(c.id)[0].id, urgency="normal",
                               description="漏水", unit_id=u.id), actor)
    photo = Photo(community_id=c.id, ticket_id=t.id, path="none.jpg", thumb_path="none_t.jpg", width=1, height=1, size=1)
    outage = Outage(community_id=c.id, what="停水", starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=2),
                    script="预计14点恢复", created_by_id=actor.id)
    db.session.add_all([photo, outage])
    db.session.commit()
    return t.id, photo.id, outage.id


def _url(app, rule, site):
    from propsvc.core.web import static_url

    samples = {"unit_id": site["unit"].id, "person_id": site["person"].id, "ticket_id": site["ticket_id"],
               "photo_id": site["photo_id"], "outage_id": site["outage_id"], "step": "note",
               "name": "description", "category_id": 1, "urgency": "normal", "holiday_id": 1,
               "template_id": 1, "item_id": 1, "plan_id": 1, "summary_id": 1, "patrol_id": 1, "token": "nope",
               "checkpoint_id": 1, "renovation_id": 1, "extension_id": 1, "worker_id": 1, "doc_id": 1,
               "code": "nope", "slip_id": 1, "visit_id": 1, "parcel_id": 1, "mail_id": 1, "card_id": 1,
               "notice_id": 1, "session_id": 1, "user_id": 1,
               "kind": "person", "record_id": site["person"].id, "attr": "phone",
               "cover_id": 1}
    if rule.endpoint == "static_files.static_file":
        return static_url("css/app.css")
    missing = [a for a in rule.arguments if a not in samples]
    assert not missing, f"add sample values for {rule.rule}: {missing}"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: samples[a] for a in rule.arguments})


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app, make, site, role):
    """For this role: every route it is declared for lets it in; every other answers 403."""
    results = []
    for rule, method in _routes(app):
        access = app.view_functions[rule.endpoint].access
        user = make.user(role, communities=[site["community"]])
        client = app.test_client()
        client.set_cookie("propsvc_kiosk", site["kiosk_token"])
        assert login(client, user.username).status_code == 303
        url = _url(app, rule, site)
        if method == "GET":
            resp = client.get(url)
        else:
            resp = client.post(url, data={"csrf_token": csrf_token(client)})
        allowed = access.public or role in access.roles
        denied = resp.status_code == 403
        location = resp.headers.get("Location", "")
        bounced = resp.status_code in (301, 302) and "/login" in location
        results.append((rule.rule, method, resp.status_code, allowed))
        if allowed and rule.endpoint == "privacy.reveal":
            # Open to all staff; core.scope refuses per role, field and building with its own
            # 403 and message (tests/test_t9_privacy.py).
            assert not bounced and resp.status_code < 500, (role, rule.rule, method, resp.status_code)
        elif allowed:
            assert not denied and not bounced, (role, rule.rule, method, resp.status_code)
            assert resp.status_code < 500, (role, rule.rule, method, resp.status_code)
        else:
            assert denied, (role, rule.rule, method, resp.status_code)
    assert results


def test_anonymous_matrix(app, site):
    """Signed out: only public routes answer; every other one sends to sign-in."""
    for rule, method in _routes(app):
        access = app.view_functions[rule.endpoint].access
        client = app.test_client()
        url = _url(app, rule, site)
        resp = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": csrf_token(client)})
        if rule.endpoint == "auth.kiosk":
            assert resp.status_code == 403  # this PC is not a registered kiosk
        elif access.public:
            assert resp.status_code not in (401, 403) and resp.status_code < 500, (rule.rule, resp.status_code)
        else:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], (rule.rule, method, resp.status_code)


def test_staff_see_only_their_communities(app, make, site):
    other = make.community("别的小区")
    ob = make.building(other, "3")
    ou = make.unit(ob, 2, "1201")
    op = make.person(ou, name="李外人", phone="13900001111")
    user = make.user(*ROLES, communities=[site["community"]], username="allroles")
    client = app.test_client()
    assert login(client, user.username).status_code == 303
    assert client.get(f"/units/{ou.id}").status_code == 404
    resp = client.post(f"/units/{ou.id}/people/{op.id}/reveal",
                       data={"field": "phone", "csrf_token": csrf_token(client)})
    assert resp.status_code == 404
    html = client.get("/units?q=3-2-1201").get_data(as_text=True)
    assert f"/units/{site['unit'].id}" in html and f"/units/{ou.id}\"" not in html
    assert "李外人" not in client.get("/units?q=李").get_data(as_text=True)
    assert re.search(r"没有找到", client.get("/units?q=1111").get_data(as_text=True))
