"""Static files with content hashes, cached immutable; pages make no third-party requests."""
import re

from conftest import login
from propsvc.core.web import static_url


def test_static_urls_carry_a_content_hash_and_are_immutable(app, client):
    with app.app_context():
        url = static_url("css/app.css")
    assert re.fullmatch(r"/static/[0-9a-f]{10}/css/app\.css", url)
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "text/css"
    assert "immutable" in resp.headers["Cache-Control"] and "max-age=31536000" in resp.headers["Cache-Control"]
    stale = client.get("/static/0000000000/css/app.css")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"


def test_static_path_traversal_is_refused(client):
    assert client.get("/static/abc/../propsvc/config.py").status_code == 404
    assert client.get("/static/abc/%2e%2e/app.py").status_code == 404


def test_htmx_is_vendored_2_0(app, client):
    html = client.get("/login").get_data(as_text=True)
    assert re.search(r'src="/static/[0-9a-f]{10}/js/htmx-2\.0\.\d+\.min\.js"', html)


def test_pages_reference_nothing_outside_the_site(app, client, make):
    c = make.community()
    u = make.user("admin", communities=[c])
    login(client, u.username)
    for path in ["/login", "/", "/units", "/units?q=1"]:
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), path
        assert "@font-face" not in html


def test_unknown_page_is_a_chinese_404(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "页面或记录不存在" in resp.get_data(as_text=True)


def test_htmx_request_for_any_page_renders_its_block(app, client, make):
    """Pages whose block uses a macro must import it inside the block (jinja2-fragments)."""
    c = make.community()
    u = make.user("front_desk", communities=[c])
    for path in ["/login"]:
        assert client.get(path, headers={"HX-Request": "true"}).status_code == 200
    login(client, u.username)
    for path in ["/units", "/", "/tickets/queue", "/tickets/settings", "/tickets/mine"]:
        resp = client.get(path, headers={"HX-Request": "true"})
        assert resp.status_code in (200, 403), path
    assert client.get("/tickets/new", headers={"HX-Request": "true"}).status_code == 200


def test_a_form_value_with_nul_is_refused_in_chinese_before_anything_is_written(app, make):
    """PostgreSQL cannot store NUL in text (it was a 500 there); every form refuses it alike."""
    from conftest import post
    from propsvc.extensions import db
    from propsvc.frontdesk.models import Visit

    c = make.community()
    u = make.unit(make.building(c, "3"), 2, "1201")
    desk = make.user("front_desk", communities=[c])
    client = app.test_client()
    assert login(client, desk.username).status_code == 303
    resp = post(client, "/desk/visitors/new", {"visitor_name": "陈\x00", "phone": "13800138000",
                                               "unit_id": str(u.id), "purpose": "family", "party_size": "1"})
    assert resp.status_code == 400
    assert "空字符（NUL）" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Visit).count() == 0
    ok = post(client, "/desk/visitors/new", {"visitor_name": "陈先生", "phone": "13800138000",
                                             "unit_id": str(u.id), "purpose": "family", "party_size": "1"})
    assert ok.status_code == 303
