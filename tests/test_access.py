"""Every route declares who may use it, and an undeclared one is refused. (The full matrix of
every rule × role, signed out and another community is tests/test_access_matrix.py, against
its own table.)"""
import re

import pytest

from conftest import csrf_token, login
from propsvc.core.roles import Role

ROLES = [r.value for r in Role]


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
