"""The right page for each ticket kind, and 查找 without JavaScript [issue 16, item 8].

* A rectification (巡查整改, made from a patrol finding) shows where it came from — 来源 巡查,
  linking to the patrol's item for those who may open the patrol, the checkpoint scanned —
  what was found, its photos and its recheck; not the reporter, 来源 来访, the texts for
  telling an owner or 记录联系业主 (refused by the service as well).
* 查找 without JavaScript is a plain GET of the search alone: the search box and its button
  belong to an empty GET form of their own (core.web.find_form), never to the POST form, so
  the URL carries no CSRF token, no one-time key and none of the other fields."""
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from conftest import post
from propsvc.extensions import db
from propsvc.patrols.models import Checkpoint, Patrol
from propsvc.tickets.models import Ticket
from test_patrol_runs import (_patrol_with_problem, _resolved, client_for, recheck, site,  # noqa: F401
                              started)


def _rectification(app, site, stw):  # noqa: F811
    pid, lift, _leak = _patrol_with_problem(app, site, stw)
    with app.app_context():  # a checkpoint scanned on the way
        cp = Checkpoint(community_id=site["community"].id, name="3栋大堂", building_id=site["building"].id,
                        token="cp-3-lobby")
        db.session.add(cp)
        db.session.commit()
    assert stw.get("/patrols/checkpoint/cp-3-lobby").status_code == 303
    assert post(stw, f"/patrols/{pid}/finish").status_code == 303
    with app.app_context():
        t = db.session.scalars(select(Ticket).where(Ticket.description.contains("2号梯"))).one()
        return t.id, pid, lift


def test_rectification_page_shows_its_patrol_origin_photos_and_recheck_not_owner_contact(app, site):  # noqa: F811
    stw = client_for(app, site["users"]["steward"])
    tid, pid, lift = _rectification(app, site, stw)
    sup = client_for(app, site["users"]["supervisor"])
    page = sup.get(f"/tickets/{tid}").get_data(as_text=True)
    facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
    origin = re.search(r'<dd id="origin">(.*?)</dd>', facts, re.S).group(1)
    assert origin.startswith("巡查 · ") and f'href="/patrols/{pid}#i{lift[0]}"' in origin
    assert "楼栋单元 · 3栋" in origin and site["users"]["steward"].name in origin
    assert "巡查点“3栋大堂”签到" in origin
    assert "2号梯按钮失灵" in facts and lift[1] in facts                  # what was found
    photos = re.search(r'<dd id="found-photos">(.*?)</dd>', facts, re.S).group(1)
    assert photos.count('<img class="thumb"') == 1                          # the finding's photo
    assert "整改完成后，由巡查管家到现场拍照复检" in facts                        # the recheck to come
    # Not a call from an owner: no reporter, no 来访, no texts to tell an owner, no contact step.
    assert "报事人" not in page and "来访" not in page and "告知业主的话术" not in page
    assert "记录联系业主" not in page and "/contact" not in page
    with app.app_context():
        assert db.session.get(Ticket, tid).channel_label == "巡查"
    # The contact step is refused by the service, not only hidden.
    resp = post(sup, f"/tickets/{tid}/contact", {"contact-method": "phone", "contact-text": "已电话告知"},
                content_type="multipart/form-data")
    assert resp.status_code == 409 and "巡查整改工单没有报事业主" in resp.get_data(as_text=True)

    # A technician sees the origin without the link (the patrol is not his to open).
    tech = client_for(app, site["users"]["technician"])
    _resolved(app, site, tid)
    page = tech.get(f"/tickets/{tid}").get_data(as_text=True)
    origin = re.search(r'<dd id="origin">(.*?)</dd>', page, re.S).group(1)
    assert "楼栋单元 · 3栋" in origin and "/patrols/" not in origin
    assert tech.get(f"/patrols/{pid}").status_code == 403

    # Resolved: 待复检 on the page and the recheck step offered; rechecked: 复检通过.
    page = stw.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "<strong>待复检</strong>" in page and "<summary>复检</summary>" in page and "<summary>回访</summary>" not in page
    assert recheck(stw, tid, "fixed").status_code == 303
    page = stw.get(f"/tickets/{tid}").get_data(as_text=True)
    recheck_dd = re.search(r'<dd id="recheck">(.*?)</dd>', page, re.S).group(1)
    assert recheck_dd.startswith("已整改，复检通过") and site["users"]["steward"].name in recheck_dd


def test_older_rectifications_say_patrol_whatever_channel_they_stored(app, site):  # noqa: F811
    stw = client_for(app, site["users"]["steward"])
    tid, _pid, _lift = _rectification(app, site, stw)
    with app.app_context():
        db.session.get(Ticket, tid).channel = "walk_in"  # as rectifications were stored before
        db.session.commit()
        assert db.session.get(Ticket, tid).channel_label == "巡查"
    page = client_for(app, site["users"]["supervisor"]).get(f"/tickets/{tid}").get_data(as_text=True)
    assert "来访" not in page and '<dd id="origin">巡查' in page


def test_an_owner_reported_ticket_keeps_reporter_channel_and_texts(app, site):  # noqa: F811
    from test_tickets import intake

    desk = client_for(app, site["users"]["front_desk"])
    with app.app_context():
        from propsvc.tickets.models import Category

        cat = db.session.scalar(select(Category.id).where(Category.community_id == site["community"].id,
                                                          Category.name == "水电气维修"))
    resp = intake(desk, {"unit": site["unit"], "cats": {"水电气维修": cat}}, channel="walk_in")
    assert resp.status_code == 303
    page = desk.get(resp.headers["Location"]).get_data(as_text=True)
    assert "报事人" in page and "来访" in page and "告知业主的话术" in page and "记录联系业主" in page
    assert 'id="origin"' not in page


# --- 查找 without JavaScript -------------------------------------------------------------------

class _Forms(HTMLParser):
    """Every <form> with its method and the names of the inputs inside it; every element with a
    form="…" attribute; every formmethod override."""

    def __init__(self):
        super().__init__()
        self.forms, self.owned, self.overrides, self._open = [], [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._open = {"id": a.get("id"), "method": (a.get("method") or "get").lower(),
                          "action": a.get("action"), "names": []}
            self.forms.append(self._open)
        elif tag in ("input", "button", "select", "textarea"):
            if a.get("form"):
                self.owned.append((tag, a.get("name"), a["form"], a.get("type")))
            elif self._open is not None and a.get("name"):
                self._open["names"].append(a["name"])
            if a.get("formmethod"):
                self.overrides.append((tag, a.get("formmethod"), a.get("formaction")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def _parse(html: str) -> _Forms:
    p = _Forms()
    p.feed(html)
    return p


INTAKE_PAGES = [("front_desk", "/tickets/new", "tickets.new"), ("steward", "/patrols/start", "patrols.start"),
                ("front_desk", "/errands/parcels/new", "errands.parcel_new"),
                ("front_desk", "/errands/mail/new", "errands.mail_new"),
                ("front_desk", "/errands/cards/new", "errands.card_new"),
                ("front_desk", "/desk/visitors/new", "frontdesk.visit_new"),
                ("front_desk", "/renovations/new", "renovation.new"), ("front_desk", "/slips/new", "slips.new")]


@pytest.mark.parametrize("role,url,endpoint", INTAKE_PAGES)
def test_search_without_javascript_is_a_plain_get_without_the_csrf_token(app, site, make, role, url,  # noqa: F811
                                                                           endpoint):
    user = site["users"].get(role) or make.user(role, communities=[site["community"]])
    client = client_for(app, user)
    resp = client.get(url)
    if resp.status_code == 403:
        pytest.skip(f"{role} may not open {url}")
    html = resp.get_data(as_text=True)
    p = _parse(html)
    fid = "find-" + endpoint.replace(".", "-").replace("_", "-")
    (find,) = [f for f in p.forms if f["id"] == fid]
    # An empty GET form of its own: nothing hidden in it, no CSRF token, no one-time key.
    assert find["method"] == "get" and find["action"] == url and find["names"] == []
    assert ("input", "unit_q", fid, "search") in p.owned
    assert any(tag == "button" and owner == fid for tag, _n, owner, _t in p.owned)
    # No button sends its POST form by GET any more (that put every field in the URL).
    assert not [o for o in p.overrides if o[1] == "get" and "查找" in html], p.overrides
    # Every GET form of the page is free of the CSRF token and the one-time key.
    for f in p.forms:
        if f["method"] == "get":
            assert "csrf_token" not in f["names"] and "client_key" not in f["names"], f
    # What 查找 sends is the query alone, and the page answers it.
    found = client.get(url, query_string={"unit_q": "3-2-1201"}).get_data(as_text=True)
    assert "3栋2单元1201" in found


def test_choosing_a_found_unit_without_javascript_is_a_plain_get_too(app, site, make):  # noqa: F811
    """The errands' 选定房屋: the found units and the button belong to the find form."""
    make.unit(site["building"], 1, "1201")  # two 1201s in building 3: a choice to make
    client = client_for(app, site["users"]["front_desk"])
    html = client.get("/errands/parcels/new", query_string={"unit_q": "1201"}).get_data(as_text=True)
    p = _parse(html)
    radios = [o for o in p.owned if o[1] == "unit_id"]
    assert radios and all(owner == "find-errands-parcel-new" for _t, _n, owner, _ty in radios)
    assert re.search(r'<button form="find-errands-parcel-new">选定房屋</button>', html)
    assert not p.overrides
    unit_id = re.search(r'name="unit_id" value="(\d+)"', html).group(1)  # what 选定房屋 sends, and only that
    chosen = client.get("/errands/parcels/new", query_string={"unit_q": "1201", "unit_id": unit_id})
    assert "已选：" in chosen.get_data(as_text=True)
