"""Demo release slips: a few slips in every state on the demo site, made through the same
services as the pages (so every step is an Event and each has its document)."""
from __future__ import annotations

import base64
import io
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select

from ..auth.models import User
from ..core.timefmt import site_today
from ..extensions import db
from ..registry.models import Building, Occupancy, OccupantRole, Unit
from ..registry.validation import id_check_digit
from ..slips import services
from ..slips.models import ReleaseSlip


def _signature(seed: int) -> bytes:
    """A hand-drawn-looking squiggle, as the kiosk's pad would send it."""
    im = Image.new("RGBA", (320, 140), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    pts = [(20 + i * 28, 70 + ((i * 37 + seed * 11) % 60) - 30) for i in range(10)]
    d.line(pts, fill=(17, 17, 17, 255), width=3, joint="curve")
    d.line([(40, 110), (250 + seed * 5, 100)], fill=(17, 17, 17, 255), width=2)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return services.decode_signature("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())


def _ident(n: int) -> str:
    first17 = f"44010619880512{n:03d}"
    return first17 + id_check_digit(first17)


def seed_demo_slips(community_id: int, now=None) -> str:
    """Adds six slips: waiting for the supervisor (signed on paper), a tenant's with the owner's
    phone consent waiting for the manager, two approved for today (one to try at the gate, one
    already released by the guard), one for tomorrow, and one refused. Needs the demo accounts
    (front_desk, supervisor, manager, guard) and occupied units with owners and tenants."""
    users = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_(("front_desk", "supervisor", "manager", "guard"))))}
    if len(users) < 4:
        return "未添加演示放行条：缺少演示账号。"
    if db.session.scalar(select(ReleaseSlip.id).where(ReleaseSlip.community_id == community_id).limit(1)):
        return "演示放行条已存在，未重复添加。"
    occ = list(db.session.execute(
        select(Occupancy, Unit).join(Unit, Occupancy.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
        .where(Building.community_id == community_id, Occupancy.role.in_((OccupantRole.OWNER, OccupantRole.TENANT)))
        .order_by(Building.sort_key, Unit.floor, Unit.number, Occupancy.id)))
    today = site_today(now)
    owners = [(o, u) for o, u in occ if o.role == OccupantRole.OWNER and o.is_current(today)]
    tenants = [(o, u) for o, u in occ if o.role == OccupantRole.TENANT and o.is_current(today)]
    owner_of = {u.id: o.person.name for o, u in owners}
    tenants = [(o, u) for o, u in tenants if u.id in owner_of]
    if len(owners) < 5 or not tenants:
        return "未添加演示放行条：没有足够的已登记业主和租户。"
    desk, sup, mgr, guard = users["front_desk"], users["supervisor"], users["manager"], users["guard"]
    step = max(1, len(owners) // 6)
    picks = [owners[i * step] for i in range(5)]
    carriers = [("张师傅", "13922001101"), ("李强", "13922001102"), ("王德发", "13922001103"),
                ("陈搬运", "13922001104"), ("刘建", "13922001105"), ("周达", "13922001106")]
    goods = [[("双门冰箱", 1), ("洗衣机", 1)], [("布艺沙发", 1), ("餐桌", 1), ("餐椅", 4)],
             [("台式电脑", 2), ("办公桌", 2)], [("实木衣柜", 1)], [("纸箱（书籍）", 6), ("空调外机", 1)],
             [("钢琴", 1)]]

    def make(n, occupancy, unit, moving, **extra):
        name, phone = carriers[n]
        s, _written = services.register(community_id, services.SlipInput(
            unit_id=unit.id, applicant_role=extra.pop("role", "owner"), applicant_name=occupancy.person.name,
            carrier_name=name, carrier_id_number=_ident(n + 1), carrier_phone=phone, items=goods[n],
            moving_on=moving, vehicle_plate=extra.pop("plate", None),
            signature_png=None if extra.pop("paper", False) else _signature(n), **extra), desk, today=today)
        return s

    made = []
    made.append(make(0, *picks[0], today + timedelta(days=1), paper=True))
    o, u = tenants[0]
    s = make(1, o, u, today, role="tenant", plate="粤A3K852",
             consent=services.Consent(method="phone", owner_name=owner_of[u.id], staff_name=desk.name))
    services.sign(s, sup)
    made.append(s)
    s = make(2, *picks[1], today, plate="粤B7D219")
    services.sign(s, sup)
    services.approve(s, mgr, today)
    made.append(s)
    s = make(3, *picks[2], today)
    services.sign(s, sup)
    services.approve(s, mgr, today)
    db.session.flush()
    services.release(s, guard, today)
    made.append(s)
    s = make(4, *picks[3], today + timedelta(days=1))
    services.sign(s, sup)
    services.approve(s, mgr, today)
    made.append(s)
    s = make(5, *picks[4], today + timedelta(days=2))
    services.refuse(s, sup, "钢琴属贵重物品，须业主本人到场确认")
    made.append(s)
    db.session.commit()
    return f"已添加演示放行条{len(made)}张（待签字、待盖章、今日可放行 {made[2].serial}、已放行、明日、已驳回）。"
