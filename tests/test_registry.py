"""Unit search, the unit page, masking of confidential fields [T9] and recorded reveals."""
import pytest
from sqlalchemy import select

from conftest import login, post
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.registry.masking import mask_id, mask_phone
from propsvc.registry.services import SearchError, parse_query

PHONE, ID = "13812345678", "110101199003071233"


@pytest.fixture
def site(make):
    c = make.community()
    b3 = make.building(c, "3")
    u = make.unit(b3, 2, "1201")
    make.unit(b3, 1, "1201")
    make.unit(make.building(c, "12"), 1, "0501", floor=5)
    owner = make.person(u, name="王建国", phone=PHONE, id_number=ID)
    make.person(u, name="刘芳", role="tenant", phone="13698765432", id_number=None)
    return {"community": c, "unit": u, "owner": owner}


def _signed_in(app, make, site, role):
    client = app.test_client()
    u = make.user(role, communities=[site["community"]])
    assert login(client, u.username).status_code == 303
    return client


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id("110101199003071233") == "110101********1233"
    assert mask_phone(None) == "" and mask_id("") == ""


@pytest.mark.parametrize("q", ["3-2-1201", "3栋2单元1201", " 3 - 2 - 1201 "])
def test_search_by_unit_code(app, make, site, q):
    client = _signed_in(app, make, site, "front_desk")
    html = client.get("/units", query_string={"q": q}).get_data(as_text=True)
    assert "3栋2单元1201" in html and "3栋1单元1201" not in html


def test_search_by_building_and_number_finds_every_entrance(app, make, site):
    client = _signed_in(app, make, site, "front_desk")
    html = client.get("/units?q=3-1201").get_data(as_text=True)
    assert "3栋2单元1201" in html and "3栋1单元1201" in html


def test_search_by_owner_name_and_phone_last_4(app, make, site):
    client = _signed_in(app, make, site, "steward")
    assert "3栋2单元1201" in client.get("/units?q=建国").get_data(as_text=True)
    by_phone = client.get("/units?q=5678").get_data(as_text=True)
    assert "3栋2单元1201" in by_phone and "12栋" not in by_phone
    assert "12栋1单元0501" in client.get("/units?q=0501").get_data(as_text=True)


# "3-2-" is no longer one: a trailing separator asks for the entrance (tests/test_search_ime.py).
@pytest.mark.parametrize("q", ["3--1201", "3-2-1201-5", "-2-1201", "3栋2栋", "3单元2栋"])
def test_malformed_unit_number_gets_a_clear_message(app, make, site, q):
    client = _signed_in(app, make, site, "front_desk")
    resp = client.get("/units", query_string={"q": q})
    assert resp.status_code == 400
    assert "房号格式不正确" in resp.get_data(as_text=True)
    with pytest.raises(SearchError):
        parse_query(q)


def test_search_as_you_type_returns_only_the_results_fragment(app, make, site):
    client = _signed_in(app, make, site, "front_desk")
    resp = client.get("/units?q=3-2-1201", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "HX-Request" in resp.headers["Vary"]
    assert html.lstrip().startswith('<div id="results">') and "<html" not in html
    assert "3栋2单元1201" in html
    full = client.get("/units?q=3-2-1201").get_data(as_text=True)
    assert "<html" in full and '<div id="results">' in full  # the pushed URL is a whole page


def test_t9_unit_page_masks_phone_and_id_number(app, make, site):
    client = _signed_in(app, make, site, "front_desk")
    html = client.get(f"/units/{site['unit'].id}").get_data(as_text=True)
    assert "王建国" in html and "138****5678" in html and "110101********1233" in html
    assert PHONE not in html and ID not in html
    assert "租户" in html and "刘芳" in html


def _reveal_url(site, field):
    return f"/privacy/reveal/person/{site['owner'].id}/{field}"


def test_t9_reveal_shows_the_number_once_and_records_an_event(app, make, site):
    client = _signed_in(app, make, site, "front_desk")
    resp = post(client, _reveal_url(site, "id_number"), {"reason": "核对身份"}, headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and ID in html and html.lstrip().startswith('<span class="masked revealed"')
    assert ID not in client.get(f"/units/{site['unit'].id}").get_data(as_text=True)  # masked again
    with app.app_context():
        ev = db.session.scalars(select(Event).where(Event.action == "personal_data.revealed")).one()
        assert ev.object_type == "person" and ev.object_id == site["owner"].id
        assert ev.data["field"] == "id_number" and ev.data["reason"] == "核对身份" and ev.actor_id is not None


def test_t9_roles_that_do_not_need_the_numbers_cannot_reveal_them(app, make, site):
    client = _signed_in(app, make, site, "guard")
    page = client.get(f"/units/{site['unit'].id}").get_data(as_text=True)
    assert "显示" not in page
    resp = post(client, _reveal_url(site, "phone"), {"reason": "想看"})
    assert resp.status_code == 403 and "不能查看" in resp.get_data(as_text=True) and PHONE not in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Event).where(Event.action == "personal_data.revealed")).all() == []


def test_t9_steward_may_reveal_phone_but_not_id_number(app, make, site):
    client = app.test_client()
    u = make.user("steward", communities=[site["community"]])
    with app.app_context():
        from propsvc.auth.models import User
        from propsvc.registry.models import Building
        user = db.session.get(User, u.id)
        user.buildings = [db.session.get(Building, site["unit"].building_id)]
        db.session.commit()
    assert login(client, u.username).status_code == 303
    assert post(client, _reveal_url(site, "phone"), {"reason": "联系业主"}).status_code == 200
    assert post(client, _reveal_url(site, "id_number"), {"reason": "联系业主"}).status_code == 403


def test_reveal_of_a_person_of_another_community_is_404(app, make, site):
    other = make.community()
    stranger = make.person(make.unit(make.building(other, "5"), 1, "101"), name="外人", phone="13900001111")
    client = _signed_in(app, make, site, "front_desk")
    resp = post(client, f"/privacy/reveal/person/{stranger.id}/phone", {"reason": "核对"})
    assert resp.status_code == 404 and "13900001111" not in resp.get_data(as_text=True)


def test_technicians_do_not_use_the_owner_registry(app, make, site):
    client = _signed_in(app, make, site, "technician")
    assert client.get("/units?q=王").status_code == 403
    assert client.get(f"/units/{site['unit'].id}").status_code == 403


def test_unknown_unit_is_404_with_chinese_message(app, make, site):
    client = _signed_in(app, make, site, "front_desk")
    resp = client.get("/units/999999")
    assert resp.status_code == 404 and "不存在" in resp.get_data(as_text=True)
