"""Handover day (交房) [H1]-[H4]: the batch and the sales office's buyers' list (row errors,
nothing half-imported), arrival by transfer-slip number with the identity check [H1] (owner in
person, agent with 委托书, refusals with their reason), the owner file [H2] (≥2 phones, members,
signature; the people written into the registry, masked), the stations [H4] (live waiting
list with 304, who/when, fees, keys and meter photos), 交房 and 拒收."""
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from conftest import client_for, post
from fullsite import jpeg_bytes
from propsvc.extensions import db
from test_slips import SIGNATURE, png_url

from propsvc.registry.validation import id_check_digit


def make_id(body17: str) -> str:
    return body17 + id_check_digit(body17)


ID_A = make_id("11010119800101123")   # 张伟 (buyer 1 of 3-1-101)
ID_B = make_id("11010119820202234")   # 李娜 (buyer 2 of 3-1-101)
ID_C = make_id("44010619900303345")   # 王强 (3-1-102)
ID_AGENT = make_id("44010619950505456")
BAD_ID = "110101198001011230" if ID_A[-1] != "0" else "110101198001011231"

HEADER = "房屋,买受人,身份证号,电话,合同号,传递单号\n"
GOOD = (HEADER + f"3-1-101,张伟、李娜,{ID_A}、{ID_B},13800001111、13900002222,HT-001,JF0001\n"
        f"3-1-102,王强,{ID_C},13700003333,HT-002,JF0002\n")


@pytest.fixture
def site(app, make):
    c = make.community("交房花园")
    b = make.building(c, "3", floors=6, entrances=1)
    units = {n: make.unit(b, 1, n, status="vacant") for n in ("101", "102", "103")}
    other_b = make.building(c, "9", floors=6, entrances=1)
    outside = make.unit(other_b, 1, "101", status="vacant")
    users = {r: make.user(r, communities=[c], name=n) for r, n in
             [("front_desk", "黄前台"), ("steward", "林管家"), ("supervisor", "陈主管"), ("manager", "刘经理"),
              ("finance", "周财务"), ("technician", "吴工程")]}
    return {"community": c, "building": b, "units": units, "outside": outside, "other_building": other_b,
            "users": users}


def _batch(app, site, day="2026-12-10"):
    mgr = client_for(app, site["users"]["manager"])
    r = post(mgr, "/handover/batches/new", {"name": "一期交付", "building_ids": [site["building"].id],
                                            "days": f"{day}, 2026-12-11", "opens": "08:30", "closes": "17:30",
                                            "stations": "协议签订处\n收费处\n钥匙发放处\n物品发放处\n验房处",
                                            "items": "业主服务手册\n温馨问答"})
    assert r.status_code == 303, r.get_data(as_text=True)
    batch_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    return mgr, batch_id


def _import(client, batch_id, text, name="list.csv"):
    return post(client, f"/handover/batches/{batch_id}/import",
                {"file": (io.BytesIO(text.encode("utf-8")), name)}, content_type="multipart/form-data")


def _cards(app, batch_id):
    from propsvc.handover.models import HandoverCard

    with app.app_context():
        return {c.slip_no: c for c in db.session.scalars(select(HandoverCard).where(HandoverCard.batch_id == batch_id))}


def _events(app, action):
    from propsvc.core.models import Event

    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


@pytest.fixture
def batch(app, site):
    mgr, batch_id = _batch(app, site)
    r = _import(mgr, batch_id, GOOD)
    assert r.status_code == 303, r.get_data(as_text=True)
    return batch_id


def _arrive_owner(client, batch_id, slip="JF0001", id_number=ID_A):
    return post(client, f"/handover/batches/{batch_id}/arrive", {"slip_no": slip, "came_as": "owner",
                                                                  "id_number": id_number})


def _card_id(app, batch_id, slip="JF0001"):
    return _cards(app, batch_id)[slip].id


FILE = {"phone1": "13800001111", "phone2": "13900002222", "emergency_name": "张父", "emergency_phone": "13600004444",
        "members-0-name": "张小明", "members-0-relation": "子女", "members-0-id_type": "id_card",
        "members-0-id_number": "", "signature": SIGNATURE}


def _file(client, card_id, **changes):
    data = dict(FILE, **changes)
    data["members-0-photo"] = (io.BytesIO(jpeg_bytes(3, (200, 150))), "kid.jpg")
    return post(client, f"/handover/cards/{card_id}/file", data, content_type="multipart/form-data")


# --- the batch and the buyers' list -------------------------------------------------------------

def test_h4_batch_has_the_sites_stations_and_who_may_open_one(app, site):
    _, batch_id = _batch(app, site)
    from propsvc.handover.models import HandoverBatch

    with app.app_context():
        b = db.session.get(HandoverBatch, batch_id)
        assert [s["name"] for s in b.stations] == ["协议签订处", "收费处", "钥匙发放处", "物品发放处", "验房处"]
        assert [s["key"] for s in b.stations] == ["agreements", "fees", "keys", "items", "inspection"]
        assert b.days == ["2026-12-10", "2026-12-11"] and b.items == ["业主服务手册", "温馨问答"]
    desk = client_for(app, site["users"]["front_desk"])
    assert desk.get("/handover/batches/new").status_code == 403
    tech = client_for(app, site["users"]["technician"])
    assert tech.get(f"/handover/batches/{batch_id}").status_code == 403


def test_h4_stations_are_editable(app, site):
    mgr, batch_id = _batch(app, site)
    r = post(mgr, f"/handover/batches/{batch_id}/stations",
             {"stations": "协议签订处\n收费处：周财务、黄前台\n钥匙发放处\n验房处：林管家\n车位登记处"})
    assert r.status_code == 303
    from propsvc.handover.models import HandoverBatch

    with app.app_context():
        names = [s["name"] for s in db.session.get(HandoverBatch, batch_id).stations]
        staff = {s["name"]: s["staff_ids"] for s in db.session.get(HandoverBatch, batch_id).stations}
    assert names == ["协议签订处", "收费处", "钥匙发放处", "验房处", "车位登记处"]
    u = site["users"]
    assert staff["收费处"] == sorted([u["finance"].id, u["front_desk"].id]) and staff["验房处"] == [u["steward"].id]
    page = mgr.get(f"/handover/batches/{batch_id}").get_data(as_text=True)
    assert "周财务、黄前台" in page
    r = post(mgr, f"/handover/batches/{batch_id}/stations", {"stations": "收费处：不存在的人"})
    assert r.status_code == 422 and "找不到本小区的员工" in r.get_data(as_text=True)
    r = post(mgr, f"/handover/batches/{batch_id}/stations", {"stations": "收费处\n收费处"})
    assert r.status_code == 422 and "工作组名称不能重复" in r.get_data(as_text=True)


def test_h1_buyers_list_imports_all_rows(app, site, batch):
    cards = _cards(app, batch)
    assert set(cards) == {"JF0001", "JF0002"}
    c = cards["JF0001"]
    assert [b["name"] for b in c.buyers] == ["张伟", "李娜"] and c.buyers[1]["id_number"] == ID_B
    assert c.contract_no == "HT-001" and c.state == "expected"
    assert len(_events(app, "handover.buyers_imported")) == 1


@pytest.mark.parametrize("rows, message", [
    (f"3-1-101,张伟,{ID_A},13800001111,HT-1,JF1\n3-1-101,李娜,{ID_B},13900002222,HT-2,JF2\n", "与第3行重复"),
    (f"3-1-101,张伟,{BAD_ID},13800001111,HT-1,JF1\n", "无效"),
    (f"3-1-101,张伟、李娜,{ID_A},13800001111,HT-1,JF1\n", "须一一对应"),
    (f"9-1-101,张伟,{ID_A},13800001111,HT-1,JF1\n", "不在本批次的楼栋中"),
    (f"3-1-101,张伟,{ID_A},1380000,HT-1,JF1\n", "电话 1380000 无效"),
    (f"3-1-101,张伟,{ID_A},13800001111,HT-1,JF1\n3-1-102,王强,{ID_C},13700003333,HT-2,JF1\n", "传递单号 JF1 与第3行重复"),
])
def test_h1_bad_buyers_list_imports_nothing(app, site, rows, message):
    mgr, batch_id = _batch(app, site)
    # A good row first: it must not be imported either.
    text = HEADER + f"3-1-103,赵六,{make_id('11010119700707567')},13511112222,HT-9,JF9\n" + rows
    r = _import(mgr, batch_id, text)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and message in page and "未导入任何数据" in page
    assert "第" in page and "行：" in page
    assert _cards(app, batch_id) == {}
    assert BAD_ID not in page and ID_A not in page  # ID numbers never shown whole [T9]


def test_h1_buyers_list_from_xlsx(app, site):
    from openpyxl import Workbook

    mgr, batch_id = _batch(app, site)
    wb = Workbook()
    ws = wb.active
    ws.append(["楼栋", "单元", "室", "买受人", "身份证号", "电话", "合同号", "传递单号"])
    ws.append(["3", "1", "103", "赵六", make_id("11010119700707567"), "13511112222", "HT-9", "jf-9"])
    buf = io.BytesIO()
    wb.save(buf)
    r = post(mgr, f"/handover/batches/{batch_id}/import", {"file": (io.BytesIO(buf.getvalue()), "list.xlsx")},
             content_type="multipart/form-data")
    assert r.status_code == 303
    assert set(_cards(app, batch_id)) == {"JF-9"}


# --- arrival [H1] ---------------------------------------------------------------------------------

def test_h1_owner_in_person_with_id_on_the_sales_list(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    page = desk.get(f"/handover/batches/{batch}/arrive?slip=jf0001").get_data(as_text=True)
    assert "3栋1单元101" in page and "张伟" in page and ID_A not in page and ID_A[:6] in page
    r = _arrive_owner(desk, batch, id_number=ID_B)  # the second buyer may come alone
    assert r.status_code == 303
    c = _cards(app, batch)["JF0001"]
    assert c.state == "arrived" and c.came_as == "owner" and c.owner_name == "李娜"
    assert _events(app, "handover.arrived")[0].data["came_as"] == "owner"


def test_h1_slip_not_in_batch_is_refused_with_reason(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    r = desk.get(f"/handover/batches/{batch}/arrive?slip=JF9999")
    assert r.status_code == 404 and "传递单号 JF9999 不在本批次" in r.get_data(as_text=True)
    r = _arrive_owner(desk, batch, slip="JF9999")
    assert r.status_code == 404 and "不在本批次" in r.get_data(as_text=True)


def test_h1_id_not_on_the_sales_list_is_refused(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    r = _arrive_owner(desk, batch, id_number=ID_C)  # 王强 bought 102, not 101
    assert r.status_code == 422 and "与售房部名单上的买受人不符" in r.get_data(as_text=True)
    assert _cards(app, batch)["JF0001"].state == "expected"
    assert _events(app, "handover.arrival_refused")[0].data["reason"].startswith("身份证号与售房部名单")


def test_h1_agent_without_power_of_attorney_refused_then_accepted_with_it(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    data = {"slip_no": "JF0001", "came_as": "agent", "id_number": ID_AGENT, "owner_name": "张伟",
            "agent_name": "张弟", "agent_relation": "亲属"}
    r = post(desk, f"/handover/batches/{batch}/arrive", data)
    assert r.status_code == 422 and "没有委托书，不能办理" in r.get_data(as_text=True)
    assert _cards(app, batch)["JF0001"].state == "expected"
    refused = _events(app, "handover.arrival_refused")
    assert len(refused) == 1 and "委托书" in refused[0].data["reason"] and refused[0].data["came_as"] == "agent"
    r = post(desk, f"/handover/batches/{batch}/arrive", dict(data, poa_photo=(io.BytesIO(jpeg_bytes(5, (300, 400))), "poa.jpg")),
             content_type="multipart/form-data")
    assert r.status_code == 303, r.get_data(as_text=True)
    c = _cards(app, batch)["JF0001"]
    assert (c.state, c.came_as, c.agent_name, c.agent_relation, c.owner_name) == ("arrived", "agent", "张弟", "亲属", "张伟")
    assert c.poa_photo and c.agent_id_number == ID_AGENT
    page = desk.get(f"/handover/cards/{c.id}").get_data(as_text=True)
    assert "委托书照片" in page and ID_AGENT not in page
    assert desk.get(f"/handover/cards/{c.id}/photo/1").status_code == 200
    fin = client_for(app, site["users"]["finance"])
    assert fin.get(f"/handover/cards/{c.id}/photo/1").status_code == 403


def test_h1_agent_relation_and_owner_must_be_given(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    base = {"slip_no": "JF0001", "came_as": "agent", "id_number": ID_AGENT, "owner_name": "张伟",
            "agent_name": "张弟", "agent_relation": "亲属",
            "poa_photo": (io.BytesIO(jpeg_bytes(5, (300, 400))), "poa.jpg")}
    r = post(desk, f"/handover/batches/{batch}/arrive", dict(base, agent_relation=""), content_type="multipart/form-data")
    assert r.status_code == 422 and "请选择代办人与业主的关系" in r.get_data(as_text=True)
    base["poa_photo"] = (io.BytesIO(jpeg_bytes(5, (300, 400))), "poa.jpg")
    r = post(desk, f"/handover/batches/{batch}/arrive", dict(base, owner_name="王强"), content_type="multipart/form-data")
    assert r.status_code == 422 and "出具委托书的业主" in r.get_data(as_text=True)


def _through_stations(app, client, card_id, skip=()):
    for key, data in (("agreements", {"wechat_steward": "林管家", "signature": SIGNATURE}), ("fees", {"due": "3600.00", "paid": "3600", "receipt": "SJ001"}),
                      ("keys", {"door_keys": "3", "mailbox_keys": "1", "water": "0.5", "electricity": "12",
                                "water_photo": (io.BytesIO(jpeg_bytes(7, (120, 90))), "w.jpg"),
                                "electricity_photo": (io.BytesIO(jpeg_bytes(8, (120, 90))), "e.jpg")}),
                      ("items", {"signature": SIGNATURE}), ("inspection", {"signature": SIGNATURE})):
        if key in skip:
            continue
        url = f"/handover/cards/{card_id}/inspection" if key == "inspection" else f"/handover/cards/{card_id}/stations/{key}"
        r = post(client, url, data, content_type="multipart/form-data")
        assert r.status_code == 303, (key, r.get_data(as_text=True))


def test_h1_unit_already_handed_over_is_refused(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    assert _arrive_owner(desk, batch).status_code == 303
    card_id = _card_id(app, batch)
    assert _file(desk, card_id).status_code == 303
    _through_stations(app, desk, card_id)
    assert post(desk, f"/handover/cards/{card_id}/hand-over", {}).status_code == 303
    r = desk.get(f"/handover/batches/{batch}/arrive?slip=JF0001")
    assert r.status_code == 409 and "已于" in r.get_data(as_text=True) and "不能重复办理" in r.get_data(as_text=True)
    r = _arrive_owner(desk, batch)
    assert r.status_code == 409 and "不能重复办理" in r.get_data(as_text=True)
    # …and in a later batch too: the same unit cannot come onto a new list (not vacant any more).
    mgr = client_for(app, site["users"]["manager"])
    _, batch2 = _batch(app, site, day="2026-12-20")
    r = _import(mgr, batch2, HEADER + f"3-1-101,张伟,{ID_A},13800001111,HT-001,JF7001\n")
    assert r.status_code == 422 and "不是待交付的空置房" in r.get_data(as_text=True)


# --- the owner file [H2] --------------------------------------------------------------------------

def test_h2_fewer_than_two_phones_refused(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    r = _file(desk, card_id, phone2="")
    assert r.status_code == 422 and "至少留两个不同的联系电话" in r.get_data(as_text=True)
    r = _file(desk, card_id, phone2="138 0000 1111")  # the same number twice is one number
    assert r.status_code == 422 and "现有 1 个" in r.get_data(as_text=True)
    assert _cards(app, batch)["JF0001"].filed_at is None


def test_h2_unsigned_file_refused(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    r = _file(desk, card_id, signature="")
    assert r.status_code == 422 and "签名" in r.get_data(as_text=True)
    r = _file(desk, card_id, signature=png_url(ink=False))
    assert r.status_code == 422


def test_h2_owner_file_writes_the_registry_masked(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    r = _file(desk, card_id, vehicles="粤A12345 和")
    assert r.status_code == 422 and "车牌号格式不对" in r.get_data(as_text=True)
    r = _file(desk, card_id, vehicles="粤a12345、粤B6789D")
    assert r.status_code == 303, r.get_data(as_text=True)
    c = _cards(app, batch)["JF0001"]
    assert c.vehicles == ["粤A12345", "粤B6789D"]
    assert c.phones == ["13800001111", "13900002222"] and c.emergency_name == "张父" and c.file_signature
    assert c.members[0]["name"] == "张小明" and c.members[0]["photo"]
    from propsvc.registry.models import Occupancy, Person

    with app.app_context():
        occ = list(db.session.scalars(select(Occupancy).where(Occupancy.unit_id == c.unit_id)))
        people = {o.person.name: (o.role, o.relation, o.person.phone, o.person.phone2, o.person.photo) for o in occ}
    assert people["张伟"][:4] == ("owner", None, "13800001111", "13900002222")
    assert people["李娜"][0] == "owner"
    assert people["张小明"][:2] == ("member", "子女") and people["张小明"][4]
    page = desk.get(f"/handover/cards/{card_id}").get_data(as_text=True)
    assert "13800001111" not in page and "138****1111" in page and "136****4444" in page
    unit_page = desk.get(f"/units/{c.unit_id}").get_data(as_text=True)
    assert "张伟" in unit_page and "张小明" in unit_page and "13800001111" not in unit_page


# --- stations [H4] --------------------------------------------------------------------------------

def test_h4_station_needs_the_owner_file_first(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    r = post(desk, f"/handover/cards/{card_id}/stations/items", {"signature": SIGNATURE})
    assert r.status_code == 409 and "请先建立业主档案" in r.get_data(as_text=True)


def test_h4_station_waiting_list_live_with_304(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    watcher = client_for(app, site["users"]["steward"])
    _arrive_owner(desk, batch)
    _arrive_owner(desk, batch, slip="JF0002", id_number=ID_C)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    url = f"/handover/batches/{batch}/stations/fees"
    r = watcher.get(url, headers={"HX-Request": "true", "X-Poll": "1"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and page.index("3栋1单元101") < page.index("3栋1单元102")  # arrival order
    etag = r.headers["ETag"]
    again = watcher.get(url, headers={"HX-Request": "true", "X-Poll": "1", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    r = post(desk, f"/handover/cards/{card_id}/stations/fees", {"due": "3600", "paid": "1000", "receipt": "SJ9"})
    assert r.status_code == 303
    changed = watcher.get(url, headers={"HX-Request": "true", "X-Poll": "1", "If-None-Match": etag})
    assert changed.status_code == 200 and "3栋1单元101" not in changed.get_data(as_text=True)
    c = _cards(app, batch)["JF0001"]
    assert c.fees == {"due_fen": 360000, "paid_fen": 100000, "receipt": "SJ9"}
    assert c.done["fees"]["by_name"] == "黄前台" and c.done["fees"]["at"]
    # A second tap says who did it.
    r = post(desk, f"/handover/cards/{card_id}/stations/fees", {"due": "3600", "paid": "3600", "receipt": "SJ9"})
    assert r.status_code == 409 and "已由 黄前台" in r.get_data(as_text=True)
    assert "欠 2600.00 元" in desk.get(f"/handover/cards/{card_id}").get_data(as_text=True)


def test_h4_keys_station_needs_meter_photos(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    r = post(desk, f"/handover/cards/{card_id}/stations/keys", {"door_keys": "3", "water": "0.5", "electricity": "12",
             "water_photo": (io.BytesIO(jpeg_bytes(7, (120, 90))), "w.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "请拍电表照片" in r.get_data(as_text=True)
    _through_stations(app, desk, card_id, skip=("agreements", "fees", "items", "inspection"))
    c = _cards(app, batch)["JF0001"]
    assert c.keys["sets"][0] == {"kind": "入户门钥匙", "count": 3}
    assert [m["kind"] for m in c.keys["meters"]] == ["water", "electricity"] and all(m["photo"] for m in c.keys["meters"])


def test_h4_hand_over_needs_every_station_then_unit_delivered(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    _through_stations(app, desk, card_id, skip=("inspection",))
    r = post(desk, f"/handover/cards/{card_id}/hand-over", {})
    assert r.status_code == 409 and "验房处" in r.get_data(as_text=True)
    _through_stations(app, desk, card_id, skip=("agreements", "fees", "keys", "items"))
    assert post(desk, f"/handover/cards/{card_id}/hand-over", {}).status_code == 303
    c = _cards(app, batch)["JF0001"]
    from propsvc.core.timefmt import site_today
    from propsvc.registry.models import Unit

    assert c.state == "handed_over" and c.handed_over_on == site_today()
    with app.app_context():
        assert db.session.get(Unit, c.unit_id).status == "delivered"
    assert [e.data["unit"] for e in _events(app, "handover.handed_over")] == ["3栋1单元101"]


def test_h4_refusal_with_reason_keeps_unit_not_handed_over(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    r = post(desk, f"/handover/cards/{card_id}/refuse", {"reason": ""})
    assert r.status_code == 422 and "请填写拒收原因" in r.get_data(as_text=True)
    r = post(desk, f"/handover/cards/{card_id}/refuse", {"reason": "客厅墙面大面积空鼓，要求整改后再收房"})
    assert r.status_code == 303
    c = _cards(app, batch)["JF0001"]
    assert c.state == "refused" and "空鼓" in c.refused_reason
    from propsvc.registry.models import Unit

    with app.app_context():
        assert db.session.get(Unit, c.unit_id).status == "vacant"
    r = _arrive_owner(desk, batch)
    assert r.status_code == 409 and "已拒收" in r.get_data(as_text=True)


def test_h1_other_community_cannot_see_the_batch(app, site, batch, make):
    other = make.community("别的小区")
    outsider = make.user("manager", communities=[other])
    client = client_for(app, outsider)
    assert client.get(f"/handover/batches/{batch}").status_code == 404
    assert client.get(f"/handover/cards/{_card_id(app, batch)}").status_code == 404


# --- inspection [H4] ------------------------------------------------------------------------------

def _defect(client, card_id, photos=1, **changes):
    data = dict({"room": "主卧", "item": "墙面", "category": "土建", "location": "北墙距地1米处", "note": "空鼓约0.5平方米"},
                **changes)
    data["photos"] = [(io.BytesIO(jpeg_bytes(20 + i, (160, 120))), f"d{i}.jpg") for i in range(photos)]
    return post(client, f"/handover/cards/{card_id}/defects", data, content_type="multipart/form-data")


def test_h4_defect_without_photo_refused(app, site, batch):
    desk = client_for(app, site["users"]["steward"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    r = _defect(desk, card_id, photos=0)
    assert r.status_code == 422 and "至少拍一张照片" in r.get_data(as_text=True)
    r = _defect(desk, card_id, location="")
    assert r.status_code == 422 and "具体位置" in r.get_data(as_text=True)
    from propsvc.handover.models import HandoverDefect

    with app.app_context():
        assert db.session.scalar(select(HandoverDefect.id)) is None


def test_h4_two_defects_become_two_repair_tickets_in_the_engineering_queue(app, site, batch):
    steward = client_for(app, site["users"]["steward"])
    _arrive_owner(steward, batch)
    card_id = _card_id(app, batch)
    _file(steward, card_id)
    assert _defect(steward, card_id, photos=2).status_code == 303
    assert _defect(steward, card_id, room="卫生间", item="排水/地漏", category="防水", location="淋浴区地漏",
                   note="反水").status_code == 303
    from propsvc.handover.models import HandoverDefect
    from propsvc.tickets.models import Photo, Ticket

    with app.app_context():
        defects = list(db.session.scalars(select(HandoverDefect).order_by(HandoverDefect.id)))
        tickets = [db.session.get(Ticket, d.ticket_id) for d in defects]
        assert [t.kind for t in tickets] == ["defect", "defect"] and [t.kind_label for t in tickets] == ["返修", "返修"]
        assert all(t.description.startswith("【交房验房】3栋1单元101") for t in tickets)
        assert [t.category.name for t in tickets] == ["其他", "水电气维修"]
        assert all(t.resolve_due is not None and t.state == "new" for t in tickets)  # the ticket machinery applies
        assert db.session.scalar(select(func.count(Photo.id)).where(Photo.ticket_id == tickets[0].id)) == 2
        serials = [t.serial for t in tickets]
    sup = client_for(app, site["users"]["supervisor"])
    queue = sup.get("/tickets/queue").get_data(as_text=True)
    assert all(s in queue for s in serials) or queue.count("返修") >= 2


def _steward_of_building(app, site):
    from propsvc.auth.models import user_building

    with app.app_context():
        db.session.execute(user_building.insert().values(user_id=site["users"]["steward"].id,
                                                         building_id=site["building"].id))
        db.session.commit()
    return client_for(app, site["users"]["steward"])


def test_h4_defect_tickets_reach_the_units_steward(app, site, batch):
    steward = _steward_of_building(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    assert _defect(desk, card_id).status_code == 303
    from propsvc.handover.models import HandoverDefect
    from propsvc.tickets.models import Ticket

    with app.app_context():
        t = db.session.get(Ticket, db.session.scalar(select(HandoverDefect.ticket_id)))
        link = f'href="/tickets/{t.id}"'
    # the steward of the unit's building finds the 返修 ticket in 我的工单 (and follows it like any ticket)
    mine = steward.get("/tickets/mine").get_data(as_text=True)
    assert link in mine and "返修" in mine


def test_h4_refusal_is_followed_up_on_the_stewards_today(app, site, batch):
    steward = _steward_of_building(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    assert "拒收待跟进" not in steward.get("/patrols/today").get_data(as_text=True)
    assert post(desk, f"/handover/cards/{card_id}/refuse", {"reason": "客厅墙面空鼓"}).status_code == 303
    today = steward.get("/patrols/today").get_data(as_text=True)
    assert "3栋1单元101 拒收待跟进：客厅墙面空鼓" in today and f"/handover/cards/{card_id}" in today
    other = client_for(app, site["users"]["steward2"]) if "steward2" in site["users"] else None
    if other is not None:  # a steward of other buildings is not asked to follow it up
        assert "拒收待跟进" not in other.get("/patrols/today").get_data(as_text=True)


def test_h4_inspection_record_unsigned_refused_and_closes_after_signing(app, site, batch):
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    r = post(desk, f"/handover/cards/{card_id}/inspection", {"signature": ""})
    assert r.status_code == 422 and "签名" in r.get_data(as_text=True)
    r = post(desk, f"/handover/cards/{card_id}/stations/inspection", {})
    assert r.status_code == 409 and "验房记录须业主签字" in r.get_data(as_text=True)
    assert _defect(desk, card_id).status_code == 303
    assert post(desk, f"/handover/cards/{card_id}/inspection", {"signature": SIGNATURE}).status_code == 303
    c = _cards(app, batch)["JF0001"]
    assert c.inspection["signature"] and c.done["inspection"]["by_name"] == "黄前台"
    r = _defect(desk, card_id)
    assert r.status_code == 409 and "已由业主签字" in r.get_data(as_text=True)


def test_h4_handed_over_unit_in_the_stewards_today(app, site, batch, make):
    from propsvc.auth.models import User, user_building

    with app.app_context():
        db.session.execute(user_building.insert().values(user_id=site["users"]["steward"].id,
                                                         building_id=site["building"].id))
        db.session.commit()
    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    _through_stations(app, desk, card_id)
    assert post(desk, f"/handover/cards/{card_id}/hand-over", {}).status_code == 303
    steward = client_for(app, site["users"]["steward"])
    today = steward.get("/patrols/today").get_data(as_text=True)
    assert "新交房" in today and "3栋1单元101" in today and "已交房" in today
    # the manager's monthly report counts it (core.hooks.MONTH_FIGURES [A5])
    from propsvc.assessment.report import month_report
    from propsvc.core.timefmt import site_today

    with app.test_request_context():
        _before, figs = month_report(site["community"].id, f"{site_today():%Y-%m}")
    assert {(f.section, f.label): f.value for f in figs}[("交房", "交房户数")] == 1


# --- papers [H3] ----------------------------------------------------------------------------------

def _pdf_text(data: bytes) -> str:
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_h3_agreements_two_copies_with_serial_and_signoff_sheet(app, site, batch):
    import time

    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    r = post(desk, f"/handover/cards/{card_id}/stations/agreements", {"wechat_steward": "林管家", "signature": ""})
    assert r.status_code == 422 and "签名" in r.get_data(as_text=True)
    r = post(desk, f"/handover/cards/{card_id}/stations/agreements", {"wechat_steward": "", "signature": SIGNATURE})
    assert r.status_code == 422 and "管家微信" in r.get_data(as_text=True)
    _through_stations(app, desk, card_id)
    from propsvc.documents.models import Document

    with app.app_context():
        docs = {d.kind: (d.id, d.serial, d.state) for d in db.session.scalars(select(Document).where(
            Document.object_type == "handovercard", Document.object_id == card_id))}
    assert set(docs) == {"ho_agreement", "ho_covenant", "ho_pledge", "ho_signoff", "ho_inspection"}
    assert all(state == "valid" for _, _, state in docs.values())
    assert docs["ho_agreement"][1].startswith("QF") and docs["ho_signoff"][1].startswith("QL")
    timings = {}
    for kind, (doc_id, serial, _) in docs.items():
        t0 = time.perf_counter()
        resp = desk.get(f"/documents/{doc_id}.pdf")
        timings[kind] = time.perf_counter() - t0
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        text = _pdf_text(resp.data)
        assert serial in text and "3栋1单元101" in text
        facts = " ".join(text.split())  # the facts box: 物业名称：… 楼房号：… / 业主：… 日期：…
        assert "楼房号：3栋1单元101" in facts and "物业名称：" in facts and "日期：" in facts, facts[:300]
        if kind in ("ho_agreement", "ho_covenant"):
            assert "业主联" in text and "物业联" in text and text.count("\f") >= 2  # two copies, two pages
        if kind == "ho_agreement":
            assert "消防安全责任书" in text and "养犬管理协议" in text
        if kind == "ho_signoff":
            assert "业主服务手册" in text and "林管家" in text and "业主档案资料目录" in text
    print("handover PDF render seconds:", {k: round(v, 2) for k, v in timings.items()})
    page = desk.get(f"/handover/cards/{card_id}").get_data(as_text=True)
    assert docs["ho_covenant"][1] in page and "业主档案资料目录" in page


# --- the end of the day [H4] ----------------------------------------------------------------------

def test_h4_day_summary_on_screen_and_pdf(app, site, batch):
    import time

    from propsvc.core.timefmt import site_today

    desk = client_for(app, site["users"]["front_desk"])
    _arrive_owner(desk, batch)
    card_id = _card_id(app, batch)
    _file(desk, card_id)
    assert _defect(desk, card_id).status_code == 303
    assert _defect(desk, card_id, room="卫生间", item="排水/地漏", category="防水", location="地漏").status_code == 303
    _through_stations(app, desk, card_id)
    assert post(desk, f"/handover/cards/{card_id}/hand-over", {}).status_code == 303
    _arrive_owner(desk, batch, slip="JF0002", id_number=ID_C)
    c2 = _card_id(app, batch, "JF0002")
    assert post(desk, f"/handover/cards/{c2}/refuse", {"reason": "门锁损坏"}).status_code == 303
    page = desk.get(f"/handover/batches/{batch}/summary").get_data(as_text=True)
    assert site_today().isoformat() in page and "3栋1单元101" in page and "门锁损坏" in page
    assert "3栋1单元 x01" in page and "防水" in page and "土建" in page
    t0 = time.perf_counter()
    r = desk.get(f"/handover/batches/{batch}/summary.pdf")
    took = time.perf_counter() - t0
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = _pdf_text(r.data)
    assert "交付总结" in text and "门锁损坏" in text and "3栋1单元 x01" in text
    print(f"day summary PDF render seconds: {took:.2f}")
    whole = desk.get(f"/handover/batches/{batch}/summary?day=all").get_data(as_text=True)
    assert "全批次" in whole


def test_h1_appointments_per_half_day_printable(app, site):
    mgr, batch_id = _batch(app, site)
    text = (HEADER.rstrip("\n") + ",预约时段\n"
            + f"3-1-101,张伟,{ID_A},13800001111,HT-1,JF1,2026-12-10 下午\n"
            + f"3-1-102,王强,{ID_C},13700003333,HT-2,JF2,2026-12-10 上午\n")
    bad = text.replace("2026-12-10 上午", "2026-12-25 上午")
    r = _import(mgr, batch_id, bad)
    assert r.status_code == 422 and "预约时段须为本批次的交房日" in r.get_data(as_text=True)
    assert _import(mgr, batch_id, text).status_code == 303
    page = mgr.get(f"/handover/batches/{batch_id}/appointments?day=2026-12-10").get_data(as_text=True)
    assert page.index("上午") < page.index("3栋1单元102") < page.index("下午") < page.index("3栋1单元101")
    r = mgr.get(f"/handover/batches/{batch_id}/appointments.pdf?day=2026-12-10")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = _pdf_text(r.data)
    assert "交房预约名单" in pdf and "JF2" in pdf and "137****3333" in pdf and "13700003333" not in pdf
