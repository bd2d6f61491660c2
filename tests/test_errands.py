"""Front-desk errands [F1]: parcels held at the desk, mail forwarding and access-card requests,
each with its states and the record of telling the resident. Real requests through the test
client on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import client_for, post

OWNER, OWNER_PHONE = "王建国", "13812345678"
TENANT, TENANT_PHONE = "李小红", "13987654321"


@pytest.fixture
def site(app, make):
    c = make.community("新澳花园")
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201")
    owner = make.person(u, name=OWNER, phone=OWNER_PHONE)
    tenant = make.person(u, name=TENANT, role="tenant", phone=TENANT_PHONE, id_number=None)
    u2 = make.unit(b, 1, "502")
    other_owner = make.person(u2, name="赵四", phone="13700005502")
    users = {r: make.user(r, communities=[c], name=f"{r}员") for r in
             ("front_desk", "steward", "supervisor", "manager", "finance", "guard", "technician")}
    return {"community": c, "building": b, "unit": u, "unit2": u2, "owner": owner, "tenant": tenant,
            "other_owner": other_owner, "users": users}


def key() -> str:
    return uuid.uuid4().hex


def rows(app, model_name, **where):
    from propsvc.errands import models
    from propsvc.extensions import db

    model = getattr(models, model_name)
    with app.app_context():
        stmt = select(model).order_by(model.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        out = list(db.session.scalars(stmt))
        for o in out:
            db.session.expunge(o)
        return out


def one(app, model_name, item_id):
    return [r for r in rows(app, model_name) if r.id == item_id][0]


def events(app, prefix):
    from propsvc.core.models import Event
    from propsvc.extensions import db

    with app.app_context():
        out = list(db.session.scalars(select(Event).where(Event.action.like(f"{prefix}%")).order_by(Event.id)))
        for e in out:
            db.session.expunge(e)
        return out


def new_parcel(client, site, **over):
    data = {"unit_id": site["unit"].id, "person_id": site["owner"].id, "courier": "顺丰",
            "tracking_no": "SF1234567890123", "shelf": "a-03", "client_key": key()}
    data.update(over)
    return post(client, "/errands/parcels/new", data)


def created_id(resp, what="parcels") -> int:
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    return int(re.search(rf"/errands/{what}/(\d+)$", resp.headers["Location"]).group(1))


def act(client, path, name, **fields):
    data = {f"{name}-{k}" if k != "client_key" else k: v for k, v in fields.items()}
    return post(client, path, data)


def field_error(html: str, message: str) -> bool:
    """The message is shown inside a field wrapper (next to the field), not only at the top."""
    return bool(re.search(r'class="field has-error".{0,1500}?' + re.escape(message), html, re.S))


# --- parcels ---------------------------------------------------------------------------------

def test_f1_parcel_held_notified_collected(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    p = one(app, "Parcel", pid)
    assert (p.state, p.recipient_name, p.recipient_phone, p.shelf, p.courier) == ("held", OWNER, OWNER_PHONE, "A-03", "顺丰")
    assert p.received_by_id == site["users"]["front_desk"].id and p.arrived_at is not None
    page = desk.get(f"/errands/parcels/{pid}").get_data(as_text=True)
    assert "待领取" in page and "A-03" in page and "尚未通知" in page

    resp = act(desk, f"/errands/parcels/{pid}/notify", "notify", method="sms", note="已发取件码")
    assert resp.status_code == 303
    assert one(app, "Parcel", pid).state == "notified"

    resp = act(desk, f"/errands/parcels/{pid}/collect", "collect", who="self")
    assert resp.status_code == 303
    p = one(app, "Parcel", pid)
    assert (p.state, p.collector_name, p.collector_is_recipient) == ("collected", OWNER, True)
    assert p.closed_by_id == site["users"]["front_desk"].id and p.closed_at is not None
    page = desk.get(f"/errands/parcels/{pid}").get_data(as_text=True)
    assert "已领取" in page and "本人" in page
    assert [e.action for e in events(app, "parcel.")] == ["parcel.received", "parcel.notified", "parcel.collected"]
    # no longer on the open list; on the collected one
    assert f"/errands/parcels/{pid}\"" not in desk.get("/errands/parcels").get_data(as_text=True)
    assert f"/errands/parcels/{pid}\"" in desk.get("/errands/parcels?state=collected").get_data(as_text=True)


def test_f1_parcel_collected_by_proxy_needs_name(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    resp = act(desk, f"/errands/parcels/{pid}/collect", "collect", who="proxy", collector_name="")
    assert resp.status_code == 422
    assert field_error(resp.get_data(as_text=True), "他人代领时请填写代领人姓名。")
    assert one(app, "Parcel", pid).state == "held"
    resp = act(desk, f"/errands/parcels/{pid}/collect", "collect", who="proxy", collector_name="张阿姨", note="保姆")
    assert resp.status_code == 303
    p = one(app, "Parcel", pid)
    assert (p.state, p.collector_name, p.collector_is_recipient, p.close_note) == ("collected", "张阿姨", False, "保姆")


def test_f1_parcel_collected_once(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    sup = client_for(app, site["users"]["supervisor"])
    pid = created_id(new_parcel(desk, site))
    assert act(desk, f"/errands/parcels/{pid}/collect", "collect", who="self").status_code == 303
    resp = act(sup, f"/errands/parcels/{pid}/collect", "collect", who="proxy", collector_name="冒领人")
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "已于" in html and OWNER in html and "front_desk员" in html
    p = one(app, "Parcel", pid)
    assert p.collector_name == OWNER and p.closed_by_id == site["users"]["front_desk"].id
    assert len(events(app, "parcel.collected")) == 1
    # returning a collected parcel is refused the same way
    assert act(sup, f"/errands/parcels/{pid}/return", "return", note="x").status_code == 409


def test_f1_parcel_collect_double_tap_acts_once(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    k = key()
    assert act(desk, f"/errands/parcels/{pid}/collect", "collect", who="self", client_key=k).status_code == 303
    again = act(desk, f"/errands/parcels/{pid}/collect", "collect", who="self", client_key=k)
    assert again.status_code == 303  # the same form again: nothing new, no error
    assert len(events(app, "parcel.collected")) == 1


def test_f1_parcel_returned(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    assert act(desk, f"/errands/parcels/{pid}/return", "return", note="业主拒收").status_code == 303
    p = one(app, "Parcel", pid)
    assert (p.state, p.close_note) == ("returned", "业主拒收")
    assert act(desk, f"/errands/parcels/{pid}/notify", "notify", method="phone").status_code == 409


def test_f1_notification_recorded_with_method_and_staff(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    steward = client_for(app, site["users"]["steward"])
    pid = created_id(new_parcel(desk, site))
    assert act(desk, f"/errands/parcels/{pid}/notify", "notify", method="phone", note="未接通").status_code == 303
    assert act(steward, f"/errands/parcels/{pid}/notify", "notify", method="wechat", note="微信已回").status_code == 303
    notices = rows(app, "ErrandNotice", item_type="parcel", item_id=pid)
    assert [(n.method, n.by_id, n.note) for n in notices] == [
        ("phone", site["users"]["front_desk"].id, "未接通"), ("wechat", site["users"]["steward"].id, "微信已回")]
    assert all(n.at is not None for n in notices)
    evs = events(app, "parcel.notified")
    assert [e.data["method"] for e in evs] == ["phone", "wechat"]
    assert evs[1].actor_id == site["users"]["steward"].id
    page = desk.get(f"/errands/parcels/{pid}").get_data(as_text=True)
    assert "最近通知：微信" in page and "steward员" in page and "2 次" in page
    # the last one on the lists
    assert "微信通知" in desk.get("/errands/parcels").get_data(as_text=True)
    # a steward may tell the resident but not hand the parcel over
    assert act(steward, f"/errands/parcels/{pid}/collect", "collect", who="self").status_code == 403


def test_f1_notification_needs_a_method(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    resp = act(desk, f"/errands/parcels/{pid}/notify", "notify", method="pigeon")
    assert resp.status_code == 422
    assert rows(app, "ErrandNotice") == []
    assert one(app, "Parcel", pid).state == "held"


def test_f1_notification_double_tap_records_once(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    k = key()
    assert act(desk, f"/errands/parcels/{pid}/notify", "notify", method="sms", client_key=k).status_code == 303
    assert act(desk, f"/errands/parcels/{pid}/notify", "notify", method="sms", client_key=k).status_code == 303
    assert len(rows(app, "ErrandNotice")) == 1


def test_f1_parcel_double_submit_creates_one(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    k = key()
    first = new_parcel(desk, site, client_key=k)
    again = new_parcel(desk, site, client_key=k)
    assert created_id(first) == created_id(again)
    assert len(rows(app, "Parcel")) == 1
    assert len(events(app, "parcel.received")) == 1


def test_f1_parcel_bad_input_next_to_field(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = new_parcel(desk, site, courier="", shelf="", tracking_no="#?")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert field_error(html, "请选择快递公司。")
    assert field_error(html, "请填写货架/格口号。")
    assert field_error(html, "快递单号为4至40位字母或数字")
    resp = new_parcel(desk, site, unit_id="")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "请先查找并选择房屋。")
    # neither an occupant nor a typed name
    resp = new_parcel(desk, site, person_id="")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "请选择收件住户或填写收件人姓名。")
    # someone of another unit
    resp = new_parcel(desk, site, person_id=site["other_owner"].id)
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "所选住户不属于该房屋")
    resp = new_parcel(desk, site, recipient_phone="12345")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "电话号码格式不正确")
    resp = new_parcel(desk, site, arrived_at="2099-01-01T10:00")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "到件时间不能晚于现在。")
    resp = new_parcel(desk, site, arrived_at="昨天")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "时间格式不正确。")
    assert rows(app, "Parcel") == []


def test_f1_parcel_for_someone_not_registered(app, site):
    """A typed name and phone (a relative staying over) instead of a registered occupant."""
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site, person_id="", recipient_name="王小明", recipient_phone="139 0000 1111"))
    p = one(app, "Parcel", pid)
    assert (p.person_id, p.recipient_name, p.recipient_phone) == (None, "王小明", "13900001111")


def test_f1_parcel_intake_unit_search_without_js(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    html = desk.get("/errands/parcels/new?unit_q=3-2-1201").get_data(as_text=True)
    assert "已选：<strong>3栋2单元1201</strong>" in html
    assert OWNER in html and TENANT in html and 'name="person_id"' in html
    assert "138****5678" in html and OWNER_PHONE not in html  # [T9] masked; 显示 on the parcel's page
    frag = desk.get("/errands/parcels/new?part=lookup&unit_q=王", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith('<div id="lookup">') and "3栋2单元1201" in frag


def test_f1_parcel_find_by_unit_name_phone_tracking(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    a = created_id(new_parcel(desk, site, tracking_no="YT9988776655"))
    b = created_id(new_parcel(desk, site, unit_id=site["unit2"].id, person_id=site["other_owner"].id,
                              courier="京东", tracking_no="JD0001112223", shelf="B-1"))

    def found(q):
        html = desk.get("/errands/parcels", query_string={"q": q, "state": "all"}).get_data(as_text=True)
        return {i for i in (a, b) if f"/errands/parcels/{i}\"" in html}

    assert found("3-2-1201") == {a}
    assert found("赵四") == {b}
    assert found("5678") == {a}          # the owner's phone, last 4
    assert found("2223") == {b}          # the tracking number, last 4
    assert found("JD0001112223") == {b}
    assert found("yt9988") == {a}
    assert found("") == {a, b}
    resp = desk.get("/errands/parcels?q=3-2-12-01-9")
    assert resp.status_code == 400 and "房号格式不正确" in resp.get_data(as_text=True)
    frag = desk.get("/errands/parcels?q=赵四", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith('<div id="results">')


def test_f1_parcel_overdue_marker(clock, app, site):
    from propsvc.core.models import utcnow
    from propsvc.errands.models import Parcel
    from propsvc.extensions import db

    desk = client_for(app, site["users"]["front_desk"])
    old = created_id(new_parcel(desk, site, shelf="OLD-1"))
    fresh = created_id(new_parcel(desk, site, shelf="NEW-1"))
    with app.app_context():
        db.session.get(Parcel, old).arrived_at = utcnow() - timedelta(days=8)
        db.session.commit()
    html = desk.get("/errands/parcels?state=overdue").get_data(as_text=True)
    assert f"/errands/parcels/{old}\"" in html and f"/errands/parcels/{fresh}\"" not in html
    assert "超期" in desk.get(f"/errands/parcels/{old}").get_data(as_text=True)
    overview = desk.get("/errands").get_data(as_text=True)
    assert re.search(r"<b>1</b>超期快递", overview) and re.search(r"<b>2</b>待领快递", overview)
    # the mark is per community: 10 days here
    sup = client_for(app, site["users"]["supervisor"])
    assert post(sup, "/errands/settings", {"card_fee_issue": "20", "card_fee_replace": "30",
                                           "parcel_overdue_days": "10"}).status_code == 303
    assert f"/errands/parcels/{old}\"" not in desk.get("/errands/parcels?state=overdue").get_data(as_text=True)


def test_f1_finance_sees_only_cards(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    created_id(new_parcel(desk, site))
    fin = client_for(app, site["users"]["finance"])
    assert fin.get("/errands/parcels").status_code == 403
    assert fin.get("/errands/mail").status_code == 403
    assert fin.get("/errands").status_code == 200
    assert fin.get("/errands/cards").status_code == 200
    assert fin.get("/errands/cards/new").status_code == 403
    overview = fin.get("/errands").get_data(as_text=True)
    assert "待领快递" not in overview and "门禁卡申请" in overview
    # [T9] the list masks the phone for every role (the steward reveals it on the parcel's page)
    steward = client_for(app, site["users"]["steward"])
    listing = steward.get("/errands/parcels").get_data(as_text=True)
    assert OWNER_PHONE not in listing and "138****5678" in listing
    for role in ("guard", "technician"):
        assert client_for(app, site["users"][role]).get("/errands").status_code == 403


def test_f1_other_community_item_is_404(app, site, make):
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    mid = created_id(new_mail(desk, site), "mail")
    cid = created_id(new_card(desk, site), "cards")
    other = make.community("别的小区")
    ob = make.building(other, "1")
    ou = make.unit(ob, 1, "101")
    make.person(ou, name="外人")
    stranger = client_for(app, make.user("front_desk", "supervisor", communities=[other]))
    assert stranger.get(f"/errands/parcels/{pid}").status_code == 404
    assert act(stranger, f"/errands/parcels/{pid}/collect", "collect", who="self").status_code == 404
    assert act(stranger, f"/errands/parcels/{pid}/notify", "notify", method="sms").status_code == 404
    assert one(app, "Parcel", pid).state == "held"
    assert stranger.get(f"/errands/mail/{mid}").status_code == 404
    assert act(stranger, f"/errands/mail/{mid}/forward", "forward", to_name="外人").status_code == 404
    assert stranger.get(f"/errands/cards/{cid}").status_code == 404
    assert act(stranger, f"/errands/cards/{cid}/pay", "pay", receipt_no="R").status_code == 404
    assert one(app, "MailItem", mid).state == "pending" and one(app, "CardRequest", cid).state == "applied"
    assert f"/errands/parcels/{pid}\"" not in stranger.get("/errands/parcels?state=all").get_data(as_text=True)
    # and a unit of another community cannot be used
    resp = new_parcel(stranger, site)
    assert resp.status_code == 422 and "请选择本小区的房屋" in resp.get_data(as_text=True)


# --- mail ------------------------------------------------------------------------------------

def new_mail(client, site, **over):
    data = {"unit_id": site["unit"].id, "person_id": site["tenant"].id, "kind": "registered",
            "tracking_no": "XA123456789CN", "sender": "市税务局", "client_key": key()}
    data.update(over)
    return post(client, "/errands/mail/new", data)


def test_f1_mail_forwarded(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    mid = created_id(new_mail(desk, site), "mail")
    m = one(app, "MailItem", mid)
    assert (m.state, m.kind, m.recipient_name, m.tracking_no) == ("pending", "registered", TENANT, "XA123456789CN")
    assert "待转递" in desk.get(f"/errands/mail/{mid}").get_data(as_text=True)
    assert act(desk, f"/errands/mail/{mid}/notify", "notify", method="in_person").status_code == 303
    assert one(app, "MailItem", mid).state == "notified"
    resp = act(desk, f"/errands/mail/{mid}/forward", "forward", to_name="")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "请填写接收人姓名。")
    assert act(desk, f"/errands/mail/{mid}/forward", "forward", to_name=TENANT).status_code == 303
    m = one(app, "MailItem", mid)
    assert (m.state, m.handed_to, m.closed_by_id) == ("forwarded", TENANT, site["users"]["front_desk"].id)
    again = act(client_for(app, site["users"]["manager"]), f"/errands/mail/{mid}/forward", "forward", to_name="别人")
    assert again.status_code == 409 and f"转交 {TENANT}" in again.get_data(as_text=True)
    assert [e.action for e in events(app, "mail.")] == ["mail.received", "mail.notified", "mail.forwarded"]


def test_f1_mail_returned_and_bad_input(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = new_mail(desk, site, tracking_no="")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "挂号信请填写挂号号码。")
    resp = new_mail(desk, site, kind="parcel")
    assert resp.status_code == 422
    mid = created_id(new_mail(desk, site, kind="letter", tracking_no=""), "mail")
    assert act(desk, f"/errands/mail/{mid}/return", "return", note="查无此人").status_code == 303
    assert one(app, "MailItem", mid).state == "returned"
    html = desk.get("/errands/mail?state=returned").get_data(as_text=True)
    assert f"/errands/mail/{mid}\"" in html and "平信" in html


def test_f1_mail_double_submit_creates_one(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    k = key()
    assert created_id(new_mail(desk, site, client_key=k), "mail") == created_id(new_mail(desk, site, client_key=k), "mail")
    assert len(rows(app, "MailItem")) == 1


# --- access cards ----------------------------------------------------------------------------

def new_card(client, site, **over):
    data = {"unit_id": site["unit"].id, "person_id": site["owner"].id, "kind": "issue", "client_key": key()}
    data.update(over)
    return post(client, "/errands/cards/new", data)


def test_f1_card_fee_before_issue(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    cid = created_id(new_card(desk, site), "cards")
    c = one(app, "CardRequest", cid)
    assert (c.state, c.kind, c.fee, c.person_name) == ("applied", "issue", 20, OWNER)
    # no card before the fee
    resp = act(desk, f"/errands/cards/{cid}/complete", "complete", card_no="A0001")
    assert resp.status_code == 409 and "须先缴纳" in resp.get_data(as_text=True)
    assert one(app, "CardRequest", cid).state == "applied"
    # finance takes the fee against a receipt
    fin = client_for(app, site["users"]["finance"])
    resp = act(fin, f"/errands/cards/{cid}/pay", "pay", receipt_no="")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "请填写收据号。")
    assert act(fin, f"/errands/cards/{cid}/pay", "pay", receipt_no="SJ2026001").status_code == 303
    c = one(app, "CardRequest", cid)
    assert (c.state, c.receipt_no, c.paid_by_id) == ("paid", "SJ2026001", site["users"]["finance"].id)
    assert act(fin, f"/errands/cards/{cid}/pay", "pay", receipt_no="SJ2").status_code == 409  # paid once
    assert act(fin, f"/errands/cards/{cid}/complete", "complete", card_no="A1").status_code == 403  # the desk issues
    assert act(desk, f"/errands/cards/{cid}/complete", "complete", card_no="").status_code == 422
    assert act(desk, f"/errands/cards/{cid}/complete", "complete", card_no="a 0001").status_code == 303
    c = one(app, "CardRequest", cid)
    assert (c.state, c.card_no) == ("done", "A0001")
    assert [e.action for e in events(app, "card.")] == ["card.requested", "card.paid", "card.completed"]
    # replacing costs the community's replace fee
    rid = created_id(new_card(desk, site, kind="replace", note="原卡丢失"), "cards")
    assert one(app, "CardRequest", rid).fee == 30


def test_f1_card_cancel_needs_no_fee(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    first = created_id(new_card(desk, site), "cards")
    assert act(desk, f"/errands/cards/{first}/pay", "pay", receipt_no="R1").status_code == 303
    assert act(desk, f"/errands/cards/{first}/complete", "complete", card_no="C778").status_code == 303
    # the 注销 request knows the card the person holds, costs nothing and is done without paying
    form = desk.get(f"/errands/cards/new?unit_q=3-2-1201").get_data(as_text=True)
    assert "现卡 C778" in form
    cid = created_id(new_card(desk, site, kind="cancel"), "cards")
    c = one(app, "CardRequest", cid)
    assert (c.fee, c.card_no, c.state) == (0, "C778", "applied")
    assert act(desk, f"/errands/cards/{cid}/pay", "pay", receipt_no="R2").status_code == 409
    assert act(desk, f"/errands/cards/{cid}/complete", "complete", card_no="C778").status_code == 303
    assert one(app, "CardRequest", cid).state == "done"


def test_f1_card_request_cancelled(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    cid = created_id(new_card(desk, site), "cards")
    assert act(desk, f"/errands/cards/{cid}/cancel", "cancel", note="业主不办了").status_code == 303
    c = one(app, "CardRequest", cid)
    assert (c.state, c.close_note) == ("cancelled", "业主不办了")
    assert act(desk, f"/errands/cards/{cid}/pay", "pay", receipt_no="R").status_code == 409
    assert act(desk, f"/errands/cards/{cid}/cancel", "cancel").status_code == 409


def test_f1_card_person_must_be_occupant(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = new_card(desk, site, person_id="")
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "请选择办卡的住户。")
    resp = new_card(desk, site, person_id=site["other_owner"].id)
    assert resp.status_code == 422 and field_error(resp.get_data(as_text=True), "所选住户不属于该房屋")
    resp = new_card(desk, site, kind="steal")
    assert resp.status_code == 422
    assert rows(app, "CardRequest") == []


def test_f1_card_fees_per_community(app, site):
    mgr = client_for(app, site["users"]["manager"])
    resp = post(mgr, "/errands/settings", {"card_fee_issue": "-5", "card_fee_replace": "abc", "parcel_overdue_days": "0"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert field_error(html, "金额须在0至1000元之间。") and field_error(html, "请填写金额")
    assert field_error(html, "天数须在1至60之间。")
    assert post(mgr, "/errands/settings", {"card_fee_issue": "25", "card_fee_replace": "0",
                                           "parcel_overdue_days": "7"}).status_code == 303
    desk = client_for(app, site["users"]["front_desk"])
    assert desk.get("/errands/settings").status_code == 403
    cid = created_id(new_card(desk, site), "cards")
    assert one(app, "CardRequest", cid).fee == 25
    free = created_id(new_card(desk, site, kind="replace"), "cards")
    assert act(desk, f"/errands/cards/{free}/complete", "complete", card_no="F1").status_code == 303  # no fee set


def test_f1_card_double_submit_creates_one(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    k = key()
    assert created_id(new_card(desk, site, client_key=k), "cards") == created_id(new_card(desk, site, client_key=k), "cards")
    assert len(rows(app, "CardRequest")) == 1


# --- the overview ----------------------------------------------------------------------------

def test_f1_overview_lists_open_items_with_counts(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    p1 = created_id(new_parcel(desk, site))
    p2 = created_id(new_parcel(desk, site, shelf="B-2"))
    created_id(new_mail(desk, site), "mail")
    created_id(new_card(desk, site), "cards")
    act(desk, f"/errands/parcels/{p2}/collect", "collect", who="self")
    html = desk.get("/errands").get_data(as_text=True)
    assert re.search(r"<b>1</b>待领快递", html) and re.search(r"<b>1</b>待转信件", html)
    assert re.search(r"<b>1</b>门禁卡待缴费", html)
    assert f"/errands/parcels/{p1}\"" in html and f"/errands/parcels/{p2}\"" not in html
    # the pages name the right endpoints for nav and kiosk
    home = desk.get("/").get_data(as_text=True)
    assert "/errands/parcels/new" in home


def test_f1_pages_render_for_each_role(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    mid = created_id(new_mail(desk, site), "mail")
    cid = created_id(new_card(desk, site), "cards")
    for role in ("front_desk", "steward", "supervisor", "manager"):
        c = client_for(app, site["users"][role])
        for url in ("/errands", "/errands/parcels", "/errands/mail", "/errands/cards", f"/errands/parcels/{pid}",
                    f"/errands/mail/{mid}", f"/errands/cards/{cid}"):
            resp = c.get(url)
            assert resp.status_code == 200, (role, url)
            assert "style=" not in resp.get_data(as_text=True) and "<script>" not in resp.get_data(as_text=True)
    steward_page = client_for(app, site["users"]["steward"]).get(f"/errands/parcels/{pid}").get_data(as_text=True)
    assert "记录已通知住户" in steward_page and "登记领取" not in steward_page
    fin_page = client_for(app, site["users"]["finance"]).get(f"/errands/cards/{cid}").get_data(as_text=True)
    assert "登记缴费" in fin_page and "发卡办结" not in fin_page


def test_f1_parcel_concurrent_collect_one_wins(clock, app, site):
    """Two clerks confirm at the same moment: the second read the parcel before the first one's
    change landed; the conditional UPDATE refuses it and names who collected it."""
    from sqlalchemy import update

    from propsvc.core.models import utcnow
    from propsvc.errands import services
    from propsvc.errands.models import Parcel
    from propsvc.extensions import db

    desk = client_for(app, site["users"]["front_desk"])
    pid = created_id(new_parcel(desk, site))
    with app.app_context():
        stale = db.session.get(Parcel, pid)
        assert stale.state == "held"
        db.session.expunge(stale)
        db.session.rollback()  # (SQLite: let the other connection take the write lock)
        with db.engine.begin() as other:  # the first clerk, on another connection
            other.execute(update(Parcel).where(Parcel.id == pid).values(
                state="collected", collector_name="先到者", collector_is_recipient=False, closed_at=utcnow(),
                closed_by_id=site["users"]["supervisor"].id))
        db.session.add(stale)  # still "held" in memory
        with pytest.raises(services.ErrandError) as e:
            services.collect_parcel(stale, site["users"]["front_desk"], OWNER, True)
        assert e.value.status == 409 and "先到者" in str(e.value) and "supervisor员" in str(e.value)
        db.session.rollback()
    assert one(app, "Parcel", pid).collector_name == "先到者"


def test_f1_demo_errands(app, site):
    from propsvc.demo.errands import seed_demo_errands
    from propsvc.extensions import db

    with app.app_context():
        msg = seed_demo_errands(site["community"].id)
        db.session.commit()
    assert "快递14件" in msg
    states = {p.state for p in rows(app, "Parcel")}
    assert states == {"held", "notified", "collected", "returned"}
    assert {c.state for c in rows(app, "CardRequest")} == {"applied", "paid", "done", "cancelled"}
    assert {m.state for m in rows(app, "MailItem")} == {"pending", "notified", "forwarded", "returned"}
    desk = client_for(app, site["users"]["front_desk"])
    html = desk.get("/errands").get_data(as_text=True)
    assert re.search(r"<b>[1-9]</b>超期快递", html)
    for url in ("/errands/parcels?state=all", "/errands/mail?state=all", "/errands/cards?state=all"):
        assert desk.get(url).status_code == 200
