"""Demo notices [F2]: a few realistic current ones (a water cut for buildings 3–4, a fire drill,
a reminder) and one coming up, published through the same service as the page (each an
Event), by the community's supervisor when there is one. The caller commits."""
from datetime import timedelta

from sqlalchemy import select

from ..auth.models import User
from ..core.timefmt import site_today, utcnow
from ..extensions import db
from ..notices import services
from ..notices.models import Notice
from ..registry.models import Building


def _cn(d) -> str:
    return f"{d.month}月{d.day}日"


def seed_demo_notices(community_id: int, now=None) -> str:
    """Add 3 current notices and 1 upcoming one to `community_id` (nothing when it already has
    notices). Returns a one-line summary."""
    now = now or utcnow()
    if db.session.scalar(select(Notice.id).where(Notice.community_id == community_id).limit(1)) is not None:
        return "已有公告，未添加演示公告。"
    today = site_today(now)
    tomorrow, saturday = today + timedelta(days=1), today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    buildings = {b.number: b.id for b in db.session.scalars(
        select(Building).where(Building.community_id == community_id))}
    staff = [u for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
             if community_id in u.community_ids]
    actor = next((u for u in staff if u.has_role("supervisor")), None)
    water_to = [buildings[n] for n in ("3", "4") if n in buildings]
    scope = "、".join(f"{n}栋" for n in ("3", "4") if n in buildings) or "部分楼栋"
    items = [
        dict(kind="notice", title=f"关于{scope}临时停水的通知", building_ids=water_to,
             valid_from=today, valid_until=tomorrow,
             body=(f"尊敬的各位业主/住户：\n\n因市政供水管网检修，定于{_cn(tomorrow)} 9:00至17:00对{scope}暂停供水，"
                   "请各位业主提前做好储水准备。\n\n停水期间请关闭家中水龙头，以免恢复供水时跑水；恢复供水后请先放水片刻，"
                   "待水质清澈后再使用。\n\n给您带来的不便，敬请谅解！如有疑问，请致电客服中心。")),
        dict(kind="event", title="冬季消防安全演练通知", building_ids=[], valid_from=today, valid_until=saturday,
             body=(f"尊敬的各位业主/住户：\n\n为提高小区居民的消防安全意识和自救能力，管理处定于{_cn(saturday)}（星期六）"
                   "上午10:00在小区中心广场举行消防安全演练，内容包括灭火器使用、楼道疏散和初期火灾扑救。\n\n"
                   "演练期间消防广播和警铃将短时鸣响，请勿惊慌。欢迎各位业主携家人参加。")),
        dict(kind="tip", title="温馨提示：楼道请勿堆放杂物", building_ids=[], valid_from=today - timedelta(days=3),
             valid_until=today + timedelta(days=27),
             body=("尊敬的各位业主/住户：\n\n楼道是消防安全通道，请勿在楼道、消防通道内堆放杂物、停放电动车或为电动车充电。"
                   "\n\n管理处将于近期开展楼道清理，请各位业主自行清理楼道内的个人物品。感谢您的配合！")),
        dict(kind="notice", title="关于清洗外墙玻璃的通知", building_ids=[], valid_from=today + timedelta(days=3),
             valid_until=today + timedelta(days=6),
             body="尊敬的各位业主/住户：\n\n管理处将安排专业公司清洗外墙玻璃，作业期间请关好窗户，高空作业区域请勿靠近。"),
    ]
    for item in items:
        services.publish(community_id, actor, today=today - timedelta(days=3), **item)
    current = sum(1 for i in items if i["valid_from"] <= today)
    return f"已添加演示公告{len(items)}条（展示中{current}条）。"
