"""Demo errands [F1]: parcels on the desk's shelves over the last ten days (some told, some
collected, a few overdue, one returned), letters to hand on and access-card requests in every
state. Everything goes through the same services as the pages, so every step is an Event."""
import random
from datetime import datetime, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..core.models import utcnow
from ..errands import services
from ..extensions import db
from ..registry.models import Building, Unit, UnitStatus

# (courier, tracking prefix, days ago, what happened: held | told | self | proxy | returned)
_PARCELS = [
    ("顺丰", "SF", 9, "held"), ("中通", "ZT", 8, "told"), ("京东", "JD", 6, "proxy"), ("圆通", "YT", 5, "self"),
    ("韵达", "YD", 4, "told"), ("邮政EMS", "EM", 3, "returned"), ("极兔", "JT", 2, "self"), ("顺丰", "SF", 2, "told"),
    ("申通", "ST", 1, "held"), ("京东", "JD", 1, "self"), ("中通", "ZT", 0, "held"), ("菜鸟", "CN", 0, "told"),
    ("德邦", "DP", 0, "held"), ("顺丰", "SF", 0, "proxy"),
]
# (kind, sender, days ago, what happened: pending | told | forwarded | returned)
_MAIL = [
    ("registered", "广州市番禺区人民法院", 3, "told"), ("letter", "中国银行信用卡中心", 2, "pending"),
    ("periodical", "南方日报", 1, "forwarded"), ("letter", None, 6, "returned"), ("registered", "市社保局", 0, "pending"),
]
# (kind, days ago, what happened: applied | paid | done | cancelled)
_CARDS = [("issue", 0, "applied"), ("replace", 1, "paid"), ("issue", 4, "done"), ("cancel", 2, "done"),
          ("replace", 3, "cancelled")]
_PROXIES = [("保姆 陈阿姨", "保姆代领"), ("邻居 1202 刘先生", "邻居代领，已电话确认")]


def seed_demo_errands(community_id: int, now=None) -> str:
    """Add demo parcels, letters and card requests to `community_id`. The caller commits."""
    now = now or utcnow()
    rng = random.Random(community_id * 4421)
    units = [u for u in db.session.scalars(select(Unit).join(Unit.building).where(
        Building.community_id == community_id).order_by(Unit.id)) if services.occupants(u)]
    if not units:
        return "没有登记住户的房屋，未添加演示代办。"
    lived_in = [u for u in units if u.status == UnitStatus.OCCUPIED] or units
    staff = [u for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
             if community_id in u.community_ids]
    desk = [u for u in staff if u.has_role("front_desk", "supervisor")] or [None]
    stewards = [u for u in staff if u.has_role("steward")] or desk
    finance = [u for u in staff if u.has_role("finance")] or desk

    def at(days: int) -> datetime:
        return now - timedelta(days=days, hours=rng.randrange(1, 8), minutes=rng.randrange(60))

    def tell(item, when, method=None):
        services.notify(item, rng.choice(stewards + desk), method or rng.choice(list(services.NOTICE_METHODS)),
                        rng.choice([None, "业主说下班来取", "已发取件码", None]), now=when)

    counts = {"parcels": 0, "mail": 0, "cards": 0}
    for i, (courier, prefix, days, fate) in enumerate(_PARCELS):
        unit = rng.choice(lived_in)
        person = services.occupants(unit)[0].person
        arrived = at(days)
        p = services.receive_parcel(community_id, services.ParcelIn(
            unit_id=unit.id, person_id=person.id, courier=courier, shelf=f"{'ABC'[i % 3]}-{i + 1:02d}",
            tracking_no=f"{prefix}{rng.randrange(10 ** 11, 10 ** 12)}",
            note="生鲜，请尽快取" if i == 4 else ("大件" if i == 12 else None)), rng.choice(desk), now=arrived)
        db.session.flush()
        if fate != "held":
            tell(p, arrived + timedelta(minutes=20), "sms")
            if days >= 5:
                tell(p, arrived + timedelta(days=3), "phone")
        later = min(now - timedelta(minutes=5), arrived + timedelta(hours=rng.randrange(3, 30)))
        if fate == "self":
            services.collect_parcel(p, rng.choice(desk), person.name, True, now=later)
        elif fate == "proxy":
            name, note = rng.choice(_PROXIES)
            services.collect_parcel(p, rng.choice(desk), name, False, note, now=later)
        elif fate == "returned":
            services.return_parcel(p, rng.choice(desk), "收件人拒收", now=later)
        counts["parcels"] += 1

    for kind, sender, days, fate in _MAIL:
        unit = rng.choice(lived_in)
        person = services.occupants(unit)[0].person
        received = at(days)
        m = services.receive_mail(community_id, services.MailIn(
            unit_id=unit.id, person_id=person.id, kind=kind, sender=sender,
            tracking_no=f"XA{rng.randrange(10 ** 8, 10 ** 9)}CN" if kind == "registered" else None), rng.choice(desk),
            now=received)
        db.session.flush()
        if fate in ("told", "forwarded"):
            tell(m, received + timedelta(hours=1))
        if fate == "forwarded":
            services.forward_mail(m, rng.choice(desk), person.name, now=received + timedelta(hours=5))
        elif fate == "returned":
            services.return_mail(m, rng.choice(desk), "查无此人，退回邮局", now=received + timedelta(days=2))
        counts["mail"] += 1

    for n, (kind, days, fate) in enumerate(_CARDS):
        unit = rng.choice(lived_in)
        person = rng.choice(services.occupants(unit)).person
        asked = at(days)
        card_no = f"MJ{rng.randrange(100000, 999999)}" if kind == "cancel" else None
        c = services.request_card(community_id, services.CardIn(
            unit_id=unit.id, person_id=person.id, kind=kind, card_no=card_no,
            note={"replace": "原卡丢失", "cancel": "租户搬离"}.get(kind)), rng.choice(desk), now=asked)
        db.session.flush()
        if fate in ("paid", "done") and services.needs_fee(c):
            services.pay_card(c, rng.choice(finance), f"SJ{asked:%Y%m%d}{n:02d}", now=asked + timedelta(minutes=15))
        if fate == "done":
            services.complete_card(c, rng.choice(desk), c.card_no or f"MJ{rng.randrange(100000, 999999)}",
                                   now=asked + timedelta(minutes=40))
            tell(c, asked + timedelta(hours=1), "wechat")
        elif fate == "cancelled":
            services.cancel_card(c, rng.choice(desk), "业主找到原卡，不再补办", now=asked + timedelta(hours=2))
        counts["cards"] += 1
    db.session.flush()
    return (f"已添加演示代办：快递{counts['parcels']}件、信件{counts['mail']}件、"
            f"门禁卡申请{counts['cards']}件。")
