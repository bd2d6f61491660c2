"""Demo visitors [F1]: a realistic day at the gate and the desk, some still on site."""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..core.models import utcnow
from ..core.timefmt import SITE_TZ, site_now
from ..extensions import db
from ..frontdesk import services
from ..registry.models import Building, Unit, UnitStatus
from ..registry.validation import id_check_digit

# (name, purpose, note, party, plate?, id?, minutes on site or None = still here)
_DAY = [
    ("刘师傅", "repair", "空调加氟", 1, "粤A3K728", True, 95),
    ("顺丰快递 黄伟", "delivery", "大件家具送货上楼", 2, "粤AF52631", False, 25),
    ("张美华", "family", "", 1, None, True, 180),
    ("链家 周经理", "agent", "带客户看房", 3, None, True, 40),
    ("李家豪", "family", "", 4, "粤B8M260", False, 150),
    ("陈国强", "repair", "燃气表检修", 1, None, True, 35),
    ("京东 吴磊", "delivery", "冰箱送装", 2, "粤A9D117", False, 30),
    ("赵晓敏", "other", "上门收取捐赠旧衣", 1, None, False, 20),
    ("何秀英", "family", "", 2, None, False, None),
    ("美团 杨帆", "delivery", "生鲜送货", 1, None, False, None),
    ("林志伟", "repair", "防盗门换锁芯", 1, "粤AD12345", True, None),
    ("郭静", "agent", "出租房看房", 2, None, False, None),
]


def _id_number(rng: random.Random) -> str:
    born = datetime(1965, 1, 1) + timedelta(days=rng.randrange(365 * 35))
    first17 = f"{rng.choice(['440106', '440104', '441302', '430102'])}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def seed_demo_visitors(community_id: int, now=None) -> str:
    """Add a day of visits to `community_id` through the same services as the pages: arrivals
    spread from the morning to `now`, most signed out, the last few still on site, and one from
    yesterday evening never signed out. Every step is an Event. The caller commits."""
    now = now or utcnow()
    rng = random.Random(community_id * 7919)
    units = list(db.session.scalars(select(Unit).join(Unit.building).where(
        Building.community_id == community_id).order_by(Unit.id)))
    if not units:
        return "没有房屋，未添加演示访客。"
    lived_in = [u for u in units if u.status == UnitStatus.OCCUPIED] or units
    staff = list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
    mine = [u for u in staff if community_id in u.community_ids]
    gate = [u for u in mine if u.has_role("guard")] or [None]
    desk = [u for u in mine if u.has_role("front_desk")] or gate

    # From 07:30 site time today (or the last 10 hours, early in the morning) up to now.
    local = site_now(now)
    start = datetime.combine(local.date(), time(7, 30), tzinfo=SITE_TZ)
    if (local - start) < timedelta(hours=3):
        start = local - timedelta(hours=10)
    span = (local - start).total_seconds()
    n = len(_DAY)
    registered = left = 0
    for i, (name, purpose, note, party, plate, with_id, stay) in enumerate(_DAY):
        if stay is None:  # still here: arrived in the last hour and a half
            arrived = local - timedelta(minutes=5 + rng.randrange(85))
        else:
            arrived = start + timedelta(seconds=span * (i + rng.random() * 0.6) / n)
            if arrived + timedelta(minutes=stay) > local:
                stay = None
        by = rng.choice(desk if purpose in ("agent", "other") else gate)
        v = services.register(community_id, services.VisitIn(
            visitor_name=name, phone=f"1{rng.choice('3589')}{rng.randrange(10 ** 9):09d}",
            unit_id=rng.choice(lived_in).id, purpose=purpose, purpose_note=note or None,
            id_number=_id_number(rng) if with_id else None, plate=plate, party_size=party), by, now=arrived)
        registered += 1
        if stay is not None:
            db.session.flush()
            services.sign_out(community_id, v.id, rng.choice(gate), now=arrived + timedelta(minutes=stay))
            left += 1
    # A relative who came yesterday evening and was never signed out: marked 过夜未签离.
    yesterday_evening = datetime.combine(local.date() - timedelta(days=1), time(20, 10), tzinfo=SITE_TZ)
    services.register(community_id, services.VisitIn(
        visitor_name="王秀兰", phone=f"13{rng.randrange(10 ** 9):09d}", unit_id=rng.choice(lived_in).id,
        purpose="family", purpose_note="探亲留宿", id_number=_id_number(rng), plate=None, party_size=1),
        rng.choice(gate), now=yesterday_evening)
    registered += 1
    db.session.flush()
    return f"已添加演示访客{registered}组（已离开{left}组，仍在访{registered - left}组，其中过夜1组）。"
