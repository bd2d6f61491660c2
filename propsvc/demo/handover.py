"""Demo handover [H1]-[H4]: a batch in progress for the estate's vacant homes of one building,
handed over today and tomorrow. Its buyers' list goes through the same import as the sales
office's file; then, through the area's services (so each step is an Event): two homes handed
over, one refused (拒收, with the reason), one at the stations, one just arrived through an
agent with a 委托书, the rest expected. Transfer slips JF0001… (README: how to run the day)."""
import base64
import io
import random
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from ..auth.models import User
from ..core.models import utcnow
from ..core.timefmt import site_today
from ..extensions import db
from ..handover import services
from ..registry.models import Building, Unit, UnitStatus
from ..registry.validation import id_check_digit

SURNAMES = "陈林黄张李王吴刘蔡杨许郑谢郭洪曾邱廖赖周"
GIVEN = ("志明", "淑芬", "建华", "美玲", "俊杰", "雅婷", "家豪", "丽娟", "国强", "慧敏", "文博", "晓燕")


def _id(rng: random.Random) -> str:
    body = f"4401{rng.randint(1, 20):02d}{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    return body + id_check_digit(body)


def _signature() -> str:
    im = Image.new("RGBA", (320, 140), (0, 0, 0, 0))
    ImageDraw.Draw(im).line([(20, 100), (80, 30), (140, 110), (220, 40), (290, 90)], fill=(17, 17, 17, 255), width=3)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _photo(seed: int, name: str) -> FileStorage:
    rng = random.Random(seed)
    im = Image.new("RGB", (480, 360), tuple(rng.randrange(80, 220) for _ in range(3)))
    ImageDraw.Draw(im).text((20, 20), name, fill=(0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80)
    buf.seek(0)
    return FileStorage(stream=buf, filename=f"{name}.jpg", content_type="image/jpeg")


def seed_demo_handover(community_id: int, now=None) -> str:
    """Add a handover batch in progress to `community_id`. The caller commits."""
    now = now or utcnow()
    rng = random.Random(community_id * 7919)
    today = site_today(now)
    users = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_(("front_desk", "manager", "steward", "finance"))))}
    manager, desk = users.get("manager"), users.get("front_desk")
    # The building with the most vacant homes.
    row = db.session.execute(select(Building.id, func.count(Unit.id)).join(Unit).where(
        Building.community_id == community_id, Unit.status == UnitStatus.VACANT)
        .group_by(Building.id).order_by(func.count(Unit.id).desc(), Building.id).limit(1)).first()
    if row is None or manager is None or desk is None:
        return "没有空置房屋，未添加演示交房批次。"
    building = db.session.get(Building, row[0])
    units = list(db.session.scalars(select(Unit).where(Unit.building_id == building.id, Unit.status == UnitStatus.VACANT)
                                    .order_by(Unit.entrance, Unit.floor, Unit.number)))[:12]
    batch = services.create_batch(community_id, f"{building.number}栋集中交付", [building.id], [today, today + timedelta(days=1)],
                                  "08:30", "17:30", manager,
                                  staff={"agreements": [desk.id], "fees": [users["finance"].id] if "finance" in users else [],
                                         "keys": [desk.id], "items": [desk.id],
                                         "inspection": [users["steward"].id] if "steward" in users else []})
    lines = ["房屋,买受人,身份证号,电话,合同号,传递单号,预约时段"]
    days = [today, today + timedelta(days=1)]
    for i, u in enumerate(units, start=1):
        n = 2 if i % 3 == 0 else 1
        names = [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(n)]
        ids = [_id(rng) for _ in range(n)]
        phones = [f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}" for _ in range(n)]
        slot = f"{days[(i - 1) // 6].isoformat()} {'上午' if (i - 1) % 6 < 3 else '下午'}"
        lines.append(f"{u.code},{'、'.join(names)},{'、'.join(ids)},{'、'.join(phones)},HT{today.year}-{i:04d},JF{i:04d},{slot}")
    result = services.import_buyers(batch, "售房部交房名单.csv", ("\n".join(lines) + "\n").encode(), manager)
    if not result.ok:  # the demo's own list: a bug if it does not import
        raise RuntimeError("; ".join(str(e) for e in result.errors))
    db.session.expire(batch, ["cards"])
    cards = sorted(batch.cards, key=lambda c: c.slip_no)
    if len(cards) < 5:
        return f"已添加交房批次“{batch.name}”：{len(cards)} 户。"
    signature = _signature()

    def owner_arrives(card):
        services.arrive(card, services.Arrival(came_as="owner", id_number=card.buyers[0]["id_number"]), desk)

    def file(card, k):
        services.save_owner_file(card, services.OwnerFile(
            phones=[card.buyers[0]["phone"], f"0203{rng.randint(1000000, 9999999)}"],
            members=[{"name": card.buyers[0]["name"][0] + "小" + rng.choice("明红杰婷"), "relation": "子女",
                      "id_type": "id_card", "id_number": "", "photo": None}],
            emergency_name=rng.choice(SURNAMES) + "先生", emergency_phone=f"139{rng.randint(10000000, 99999999)}",
            signature=signature), desk)

    def station(card, key, k):
        f = services.StationFacts(wechat_steward="林晓雯", signature=signature)
        if key == "fees":
            f.due = f.paid = 3600 + k * 12
            f.receipt = f"SJ{today:%m%d}{k:02d}"
        if key == "keys":
            f.door_keys, f.mailbox_keys = 3, 1
            f.readings = {"water": 0, "electricity": 3}
            f.photos = {"water": _photo(k, "water"), "electricity": _photo(k + 100, "electricity")}
        if key == "inspection":
            services.sign_inspection(card, signature, desk)
        else:
            services.complete_station(card, key, f, desk)

    done = 0
    for k, card in enumerate(cards[:2]):  # handed over
        owner_arrives(card)
        file(card, k)
        for s in batch.stations:
            station(card, s["key"], k)
        services.hand_over(card, desk, day=today)
        done += 1
    refused = cards[2]
    owner_arrives(refused)
    file(refused, 2)
    station(refused, "agreements", 2)
    inspector = users.get("steward", desk)
    for j, (room, item, cat, where, note) in enumerate((
            ("主卧", "墙面", "土建", "北墙距地1米处", "空鼓约0.5平方米"),
            ("卫生间", "排水/地漏", "防水", "淋浴区地漏", "试水反水"))):
        services.add_defect(refused, services.DefectIn(room=room, item=item, category=cat, location=where, note=note,
                                                       photos=[_photo(200 + j, f"defect{j}")]), inspector)
    services.refuse(refused, "主卧墙面空鼓、卫生间地漏反水，业主要求整改完成后再收房。", desk)
    busy = cards[3]  # at the stations
    owner_arrives(busy)
    file(busy, 3)
    station(busy, "agreements", 3)
    station(busy, "fees", 3)
    agent = cards[4]  # came with a power of attorney, owner file next
    services.arrive(agent, services.Arrival(came_as="agent", id_number=_id(rng), owner_name=agent.buyers[0]["name"],
                                            agent_name=rng.choice(SURNAMES) + "女士", agent_relation="亲属",
                                            poa_photo=_photo(99, "poa")), desk)
    db.session.flush()
    return (f"已添加交房批次“{batch.name}”：{len(cards)} 户（已交房 {done}，拒收 1，办理中 2，"
            f"其余未到；传递单号 JF0001–JF{len(cards):04d}）。")
