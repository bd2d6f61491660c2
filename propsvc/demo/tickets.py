"""Demo tickets: a lived-in few days of the desk (one overdue, one paused, one waiting for its
return visit, one closed with a score), an inquiry with a promised reply, and an outage (停水)
on two buildings. Written through tickets.services as the pages do, so every step is an Event.
The caller commits."""
from datetime import timedelta

from sqlalchemy import select

from ..auth.models import Department, User
from ..core.models import utcnow
from ..extensions import db
from ..registry.models import Building, Unit, UnitStatus
from ..tickets import services as ts
from ..tickets.models import Category, Outage


def seed_demo_tickets(community_id: int, now=None) -> str:
    """Tickets in every state and an outage; returns what was added (part of
    seed_demo_activity's line)."""
    now = now or utcnow()
    user = {u.username: u for u in db.session.scalars(select(User))}
    dept = {d.code: d for d in db.session.scalars(select(Department))}
    cat = {c.name: c for c in db.session.scalars(select(Category).where(Category.community_id == community_id))}
    units = {u.code: u for u in db.session.scalars(select(Unit).join(Unit.building).where(
        Building.community_id == community_id, Unit.status == UnitStatus.OCCUPIED))}
    some = sorted(units)[:: max(1, len(units) // 12)][:12]
    buildings = {b.number: b for b in db.session.scalars(select(Building).where(Building.community_id == community_id))}

    desk, sup, tech, stw = user["front_desk"], user["supervisor"], user["technician"], user["steward"]

    def ticket(code, category, text, *, kind="repair", urgency="normal", days_ago=1.0, **extra):
        return ts.create_ticket(community_id, ts.Intake(
            kind=kind, channel=extra.pop("channel", "phone"), category_id=cat[category].id, urgency=urgency,
            description=text, unit_id=units[some[code]].id, **extra), desk, now=now - timedelta(days=days_ago))

    ticket(0, "水电气维修", "卫生间地漏返水", days_ago=0.05)
    ticket(1, "电梯故障", "2号电梯运行有异响", urgency="urgent", days_ago=0.02)
    t = ticket(2, "噪音/邻里", "楼上夜间装修噪音", kind="complaint", days_ago=0.5)
    ts.dispatch(t, sup, dept["service"].id, stw.id, "上门沟通，提醒装修时间规定", now=now - timedelta(days=0.45))
    t = ticket(3, "水电气维修", "厨房水管渗水", days_ago=2)
    ts.dispatch(t, sup, dept["engineering"].id, None, None, now=now - timedelta(days=1.95))
    ts.accept(t, tech, now=now - timedelta(days=1.9))
    ts.delay(t, tech, "等待角阀配件到货", now + timedelta(days=1), True, now=now - timedelta(days=1.5))
    t = ticket(4, "水电气维修", "阳台灯不亮", days_ago=1)
    ts.dispatch(t, sup, dept["engineering"].id, tech.id, None, now=now - timedelta(days=0.95))
    ts.pause(t, tech, "业主出差，约周六上门", now + timedelta(days=2), now=now - timedelta(days=0.9))
    t = ticket(5, "水电气维修", "入户门锁芯卡涩", days_ago=3)
    ts.dispatch(t, sup, dept["engineering"].id, tech.id, None, now=now - timedelta(days=2.9))
    ts.accept(t, tech, now=now - timedelta(days=2.8))
    ts.resolve(t, tech, "更换锁芯，已试用正常", now=now - timedelta(days=1.2))
    t = ticket(6, "环境卫生", "单元门口垃圾未清", days_ago=4, channel="wechat")
    ts.dispatch(t, sup, dept["environment"].id, None, None, now=now - timedelta(days=3.9))
    ts.accept(t, sup, now=now - timedelta(days=3.8))
    ts.resolve(t, sup, "已安排保洁清理", now=now - timedelta(days=3.5))
    ts.return_visit(t, stw, 5, "fixed", "业主满意", now=now - timedelta(days=2.5))
    ticket(7, "费用", "物业费能否按季度缴纳？", kind="inquiry", days_ago=0.2,
           reply_due=now + timedelta(hours=4))
    ticket(8, "绿化", "建议楼下增加绿篱", kind="suggestion", days_ago=5)  # never dispatched: overdue
    db.session.flush()
    outage = Outage(community_id=community_id, what="停水", starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(hours=3), script="市政管网维修，预计今天下午恢复供水，请提前储水。",
                    created_by_id=sup.id)
    outage.buildings = [buildings["3"], buildings["4"]]
    db.session.add(outage)
    return "工单9张（含超时、暂停、待回访、已回访），停水通知1条"
