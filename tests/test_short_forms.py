"""Short forms that guess right (issue 16, item 5), through the test client on a real database:
a form asks only what its case needs (a required field is required only when its condition
holds), starts from what is known (the unit's owner as recipient or applicant, today on the
site's clock), and says what is wrong under the field it is about, and only after input."""
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import client_for, post
from moments import travel
from propsvc.core.models import Event
from propsvc.core.timefmt import site_now, site_today
from propsvc.extensions import db

OWNER, TENANT = "王建国", "李小红"


@pytest.fixture
def site(app, make):
    from propsvc.tickets.models import Category

    c = make.community("新澳花园")
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201")
    owner = make.person(u, name=OWNER, phone="13812345678")
    tenant = make.person(u, name=TENANT, role="tenant", phone="13987654321", id_number=None)
    empty = make.unit(b, 2, "1202")  # nobody on record
    with app.app_context():
        cats = {x.name: x.id for x in db.session.scalars(select(Category).where(Category.community_id == c.id))}
    users = {r: make.user(r, communities=[c]) for r in ("front_desk", "steward")}
    return {"community": c, "building": b, "unit": u, "empty": empty, "owner": owner, "tenant": tenant, "cats": cats,
            "users": users}


def page_of(resp) -> str:
    return resp.get_data(as_text=True)


def under(page: str, message: str, field: str, next_field: str) -> bool:
    """`message` stands after the control named `field` and before the one named `next_field`."""
    at = page.find(message)
    return 0 <= page.find(f'name="{field}"') < at < page.find(f'name="{next_field}"')


def value_of(page: str, name: str) -> str | None:
    m = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    v = m and re.search(r'\bvalue="([^"]*)"', m.group(0))
    return v.group(1) if v else None


def checked(page: str, name: str) -> list[str]:
    return [re.search(r'value="([^"]*)"', tag).group(1)
            for tag in re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', page) if " checked" in tag]


# --- the ticket form: fields as the kind and the answer need them [T2][T6] ------------------------

def intake(client, site, **over):
    data = {"kind": "repair", "channel": "phone", "unit_id": str(site["unit"].id), "building_id": "0",
            "category_id": str(site["cats"]["水电气维修"]), "urgency": "normal", "description": "卫生间漏水",
            "client_key": f"k{uuid.uuid4().hex}"}
    data.update(over)
    return post(client, "/tickets/new", {k: v for k, v in data.items() if v is not None},
                content_type="multipart/form-data")


def last_ticket(app):
    from propsvc.tickets.models import Ticket

    with app.app_context():
        t = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        if t is not None:
            db.session.expunge(t)
        return t


def actions(app, t) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Event.action).where(
            Event.object_type == "ticket", Event.object_id == t.id).order_by(Event.id)))


def local(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def test_t6_reply_time_is_required_only_when_a_question_cannot_be_answered_now(clock, app, site):
    desk = client_for(app, site["users"]["front_desk"])
    question = {"kind": "inquiry", "category_id": str(site["cats"]["费用"]), "description": "物业费能否按季度交？"}
    resp = intake(desk, site, **question)
    assert resp.status_code == 422
    assert under(page_of(resp), "请选择能否当场答复", "answer_now", "answer")
    resp = intake(desk, site, **question, answer_now="later")
    assert resp.status_code == 422
    assert under(page_of(resp), "请填写约定答复时间", "reply_due", "photos")
    assert "请填写答复内容" not in page_of(resp)  # not asked: it cannot be answered now
    assert last_ticket(app) is None
    promise = site_now().replace(tzinfo=None) + timedelta(days=1)
    assert intake(desk, site, **question, answer_now="later", reply_due=local(promise),
                  answer="（没有说出口的答复）").status_code == 303
    t = last_ticket(app)
    assert t.replied_at is None and local(site_now(t.reply_due).replace(tzinfo=None)) == local(promise)
    assert actions(app, t) == ["ticket.created"]


def test_t6_a_question_answered_now_needs_the_answer_and_records_it(clock, app, site):
    desk = client_for(app, site["users"]["front_desk"])
    question = {"kind": "inquiry", "category_id": str(site["cats"]["费用"]), "description": "门禁卡补办多少钱？",
                "answer_now": "now"}
    resp = intake(desk, site, **question, answer="   ")
    assert resp.status_code == 422
    assert under(page_of(resp), "请填写答复内容", "answer", "reply_due")
    assert "请填写约定答复时间" not in page_of(resp)
    # A reply time typed before switching to 当场答复 is not asked now: neither checked nor kept.
    assert intake(desk, site, **question, answer="补办20元，到前台办理", reply_due="9999-01-01T10:00").status_code == 303
    t = last_ticket(app)
    assert t.replied_at is not None and t.reply_due is None
    assert actions(app, t) == ["ticket.created", "ticket.answered"]


def test_t2_fields_of_another_kind_are_neither_required_nor_kept(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    # A repair: the question's fields, even filled in wrongly, are not asked.
    assert intake(desk, site, answer_now="maybe", answer="x", reply_due="0001-01-01T00:00").status_code == 303
    t = last_ticket(app)
    assert (t.kind, t.reply_due, t.replied_at) == ("repair", None, None)
    # A suggestion takes the normal deadlines: an urgency chosen for another kind is not kept.
    assert intake(desk, site, kind="suggestion", urgency="urgent", category_id=str(site["cats"]["绿化"]),
                  description="希望多种些花").status_code == 303
    assert last_ticket(app).urgency == "normal"
    # A repair still needs its urgency.
    resp = intake(desk, site, urgency=None)
    assert resp.status_code == 422 and "请选择紧急程度" in page_of(resp)


def test_ticket_form_without_javascript_holds_every_field_marked_for_its_kinds_and_no_error_on_get(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    for url in ("/tickets/new", "/tickets/new?kind=inquiry&unit_q=3-2-1201&description=&answer_now="):
        page = page_of(desk.get(url))
        for name in ("urgency", "answer_now", "answer", "reply_due", "photos", "reporter_name", "channel"):
            assert f'name="{name}"' in page, (url, name)
        assert 'class="only k-inquiry"' in page and 'class="only a-later"' in page and 'class="only a-now"' in page
        assert 'class="only inline-field k-complaint k-repair"' in page  # urgency
        assert 'class="only k-complaint k-suggestion k-repair"' in page  # photos
        assert 'class="error"' not in page and "has-error" not in page, url


# --- errands: the unit's owner as the parcel's recipient [F1] ---------------------------------

def test_f1_parcel_recipient_is_the_units_owner_until_another_is_picked(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    owner_id = str(site["owner"].id)
    # Without JavaScript (查找 reloads the form with the query) and with it (the lookup block).
    for url in ("/errands/parcels/new?unit_q=3-2-1201", f"/errands/parcels/new?part=lookup&unit_id={site['unit'].id}",
                "/errands/mail/new?unit_q=3-2-1201"):
        resp = desk.get(url)
        assert resp.status_code == 200 and checked(page_of(resp), "person_id") == [owner_id], url
        assert 'class="error"' not in page_of(resp)
    # Another pick stays picked.
    tenant_pick = page_of(desk.get(f"/errands/parcels/new?unit_q=3-2-1201&person_id={site['tenant'].id}"))
    assert checked(tenant_pick, "person_id") == [str(site["tenant"].id)]
    # A unit with nobody on record: nobody to pick, the name is asked.
    assert checked(page_of(desk.get("/errands/parcels/new?unit_q=3-2-1202")), "person_id") == []
    resp = post(desk, "/errands/parcels/new", {"unit_id": str(site["unit"].id), "person_id": owner_id,
                                               "courier": "顺丰", "shelf": "A-1"})
    assert resp.status_code == 303


def test_f1_parcel_error_stands_under_the_field_it_is_about(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    message = "请选择收件住户或填写收件人姓名。"
    # Nobody picked, no name, on a unit with people: the message is under its people to pick from.
    resp = post(desk, "/errands/parcels/new", {"unit_id": str(site["unit"].id), "courier": "顺丰", "shelf": "A-1"})
    page = page_of(resp)
    assert resp.status_code == 422 and page.count(message) == 1
    assert under(page, message, "person_id", "recipient_name")
    # On a unit with nobody on record: under the recipient's name.
    resp = post(desk, "/errands/parcels/new", {"unit_id": str(site["empty"].id), "courier": "顺丰", "shelf": "A-1"})
    page = page_of(resp)
    assert resp.status_code == 422 and page.count(message) == 1
    assert under(page, message, "recipient_name", "recipient_phone")
    # And each other message under its own field.
    resp = post(desk, "/errands/parcels/new", {"unit_id": str(site["unit"].id), "person_id": str(site["owner"].id),
                                               "recipient_phone": "123", "courier": "", "shelf": ""})
    page = page_of(resp)
    assert resp.status_code == 422
    assert under(page, "电话号码格式不正确", "recipient_phone", "courier")
    assert under(page, "请选择快递公司。", "courier", "shelf")
    assert under(page, "请填写货架/格口号。", "shelf", "tracking_no")


# --- release slips: the owner as applicant, today as the moving day [S2] ------------------------

def test_s2_slip_starts_with_the_owner_as_applicant_and_today_on_the_site_clock(app, site):
    with travel("bj-ahead-of-utc", tick=False):  # Saturday 5 Dec in Beijing, still Friday 4 Dec in UTC
        desk = client_for(app, site["users"]["front_desk"])
        page = page_of(desk.get("/slips/new"))
        assert value_of(page, "moving_on") == "2026-12-05" == site_today().isoformat()
        assert value_of(page, "applicant_name") in (None, "")  # no unit yet: nobody known
        page = page_of(desk.get("/slips/new?unit_q=3-2-1201&applicant_role=owner&applicant_name=&moving_on="))
        assert value_of(page, "applicant_name") == OWNER
        assert f'data-prefilled="{OWNER}"' in page  # the script may replace it when the unit changes
        assert value_of(page, "moving_on") in (None, "")  # cleared by the clerk: left blank
    desk = client_for(app, site["users"]["front_desk"])
    # The role decides who is known: the unit's one tenant; a typed name is kept.
    page = page_of(desk.get("/slips/new?unit_q=3-2-1201&applicant_role=tenant&applicant_name="))
    assert value_of(page, "applicant_name") == TENANT
    page = page_of(desk.get("/slips/new?unit_q=3-2-1201&applicant_role=owner&applicant_name=张三"))
    assert value_of(page, "applicant_name") == "张三" and "data-prefilled" not in page
    # The lookup block (htmx) lists who is known for each role, for static/js/prefill.js.
    page = page_of(desk.get(f"/slips/new?part=lookup&unit_id={site['unit'].id}"))
    m = re.search(r"data-prefill-values='([^']*)'", page)
    assert m and '"owner"' in m.group(1) and '"tenant"' in m.group(1)
    assert 'class="error"' not in page


# --- patrols: the 有问题 card shows no error before anything is typed [D3] ------------------------

@pytest.fixture
def patrol(app, make, site):
    from propsvc.patrols.models import ChecklistItem, ChecklistTemplate, PatrolKind

    steward = client_for(app, site["users"]["steward"])
    with app.app_context():
        tpl = db.session.scalar(select(ChecklistTemplate).where(
            ChecklistTemplate.community_id == site["community"].id, ChecklistTemplate.kind == PatrolKind.BUILDING))
        items = [(i.id, i.photo_required) for i in db.session.scalars(select(ChecklistItem).where(
            ChecklistItem.template_id == tpl.id, ChecklistItem.active.is_(True)).order_by(ChecklistItem.sort))]
    resp = post(steward, "/patrols/start", {"template_id": str(tpl.id), "target_type": "building",
                                            "building_id": str(site["building"].id)})
    assert resp.status_code == 303
    return steward, int(resp.headers["Location"].rsplit("/", 1)[1]), items


def _tap(client, pid, item_id, **data):
    return post(client, f"/patrols/{pid}/items/{item_id}", {"result": "problem", "key": uuid.uuid4().hex, **data},
                content_type="multipart/form-data")


def test_d3_problem_card_shows_no_error_before_input_then_under_the_field(app, patrol):
    steward, pid, items = patrol
    item_id = next(i for i, photo in items if photo)
    # 有问题 in the list (no script): the item's card opens, by GET, with no message.
    resp = _tap(steward, pid, item_id)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"?open={item_id}#open")
    for url in (resp.headers["Location"], f"/patrols/{pid}?open={item_id}"):
        page = page_of(steward.get(url))
        card = page[page.index('id="open"'):page.index('id="pl"')]
        assert "请填写问题说明" not in page and 'class="error"' not in card and "aria-invalid" not in card
    # 保存问题 with nothing typed: the message under 问题说明; with a note and no photo, under 照片.
    resp = _tap(steward, pid, item_id, note="")
    page = page_of(resp)
    card = page[page.index('id="open"'):page.index('id="pl"')]
    assert resp.status_code == 422 and under(card, "请填写问题说明。", "note", "photo")
    resp = _tap(steward, pid, item_id, note="3楼楼道灯不亮")
    page = page_of(resp)
    card = page[page.index('id="open"'):page.index('id="pl"')]
    assert resp.status_code == 422 and "此项有问题时需要拍照。" in card
    assert card.index('name="photo"') < card.index("此项有问题时需要拍照。")
    assert "3楼楼道灯不亮" in card  # what was typed stays
