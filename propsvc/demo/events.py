"""Demo community events [F2]: one held last week and looked back on, one published for the
coming Saturday with homes signed up (full, one waiting), one still being planned; written
through the events services (each step an Event), by the community's supervisor. The caller
commits."""
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..core.timefmt import SITE_TZ, site_today, utcnow
from ..events import services
from ..events.models import CommunityEvent
from ..extensions import db
from ..registry.models import Building, Occupancy, Person, Unit


def _at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SITE_TZ)


def _homes(community_id: int, n: int) -> list[tuple[int, str, str]]:
    rows = db.session.execute(
        select(Unit.id, Person.name, Person.phone).join(Occupancy, Occupancy.unit_id == Unit.id)
        .join(Person, Person.id == Occupancy.person_id).join(Building, Building.id == Unit.building_id)
        .where(Building.community_id == community_id, Occupancy.role == "owner", Person.phone.is_not(None))
        .order_by(Unit.id).limit(n * 3)).all()
    seen, out = set(), []
    for unit_id, name, phone in rows:
        if unit_id not in seen:
            seen.add(unit_id)
            out.append((unit_id, name, phone or "13800000000"))
    return out[:n]


def seed_demo_events(community_id: int, now=None) -> str:
    """Add three events (nothing when the community has events already). Returns one line."""
    now = now or utcnow()
    if db.session.scalar(select(CommunityEvent.id).where(CommunityEvent.community_id == community_id).limit(1)):
        return "已有社区活动，未添加演示活动。"
    staff = [u for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
             if community_id in u.community_ids]
    boss = next((u for u in staff if u.has_role("supervisor")), None)
    desk = next((u for u in staff if u.has_role("front_desk")), boss)
    today = site_today(now)
    homes = _homes(community_id, 8)

    # Held last week: published, signed up, checked in, closed, looked back on.
    held_day = today - timedelta(days=7)
    before = _at(held_day - timedelta(days=10), 9)
    held = services.plan(community_id, boss, services.EventIn(
        title="冬至包饺子·邻里一家亲", kind="festival", starts_at=_at(held_day, 9, 30), ends_at=_at(held_day, 11, 30),
        place="会所多功能厅", capacity=20, age_group="all",
        description="冬至到，一起包饺子。面粉、馅料由管理处准备，欢迎全家参加。",
        resources="面粉馅料 | 王管家 | " + (held_day - timedelta(days=1)).isoformat() + "\n桌椅布置 | 工程部李工",
        budget="食材 | 600\n场地布置 | 200"), now=before)
    services.publish(held, boss, now=before)
    for unit_id, name, phone in homes[:5]:
        services.sign_up(held, desk, unit_id=unit_id, name=name, people=3, phone=phone, now=before)
    db.session.flush()
    services.start(held, desk)
    for s in held.signups[:4]:
        services.check_in(s, desk, now=_at(held_day, 9, 25))
    services.close(held, boss)
    services.look_back(held, boss, summary="共12位居民参加，现场包饺子约600个，分给楼内独居老人。居民希望春节再办一次。",
                       satisfaction="5, 5, 4, 5, 4", costs="食材 | 560\n场地布置 | 150")

    # Published for Saturday: the first homes fill it, one waits.
    sat = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    open_ev = services.plan(community_id, boss, services.EventIn(
        title="亲子手工：做一盏元宵灯笼", kind="family", starts_at=_at(sat, 14, 30), ends_at=_at(sat, 16, 30),
        place="中心广场凉亭", capacity=6, age_group="children",
        description="材料由管理处提供，每户限一名儿童和一名家长。",
        resources="灯笼材料包 | 王管家 | " + (sat - timedelta(days=2)).isoformat() + "\n签到台 | 前台",
        budget="材料包 | 180\n小礼品 | 60"), now=now)
    services.publish(open_ev, boss, now=now)
    for unit_id, name, phone in homes[5:8]:
        services.sign_up(open_ev, desk, unit_id=unit_id, name=name, people=2, phone=phone, now=now)
    if len(homes) > 0:
        services.sign_up(open_ev, desk, unit_id=homes[0][0], name=homes[0][1], people=2, phone=homes[0][2], now=now)

    # Still being planned.
    services.plan(community_id, boss, services.EventIn(
        title="健康讲座：冬季老年人防跌倒", kind="health", starts_at=_at(today + timedelta(days=14), 9, 30),
        ends_at=_at(today + timedelta(days=14), 10, 30), place="会所二楼活动室", capacity=40, age_group="seniors",
        resources="讲师邀请 | 张主管\n血压计 | 王管家", budget="讲师劳务 | 500"), now=now)
    return "已添加社区活动：1场已结束（含总结）、1场报名中（1户候补）、1场筹备中。"
