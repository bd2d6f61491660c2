"""Demo fees [D4]: the last three months' bills for every unit, most paid at finance (one
overpaid, one reversed), older arrears from the finance system for a few units, and the
steward's contacts of yesterday (a promise for today among them). Written through the fees
services, so every step is an Event."""
import random
from datetime import timedelta

from sqlalchemy import select

from ..auth.models import User
from ..core.models import utcnow
from ..core.timefmt import site_today
from ..extensions import db
from ..fees import services
from ..fees.models import Bill, ChargeItem
from ..registry.models import Building, Unit


def _months_back(day, n):
    y, m = day.year, day.month - n
    while m <= 0:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}"


def seed_demo_fees(community_id: int, now=None) -> str:
    now = now or utcnow()
    today = site_today(now)
    rng = random.Random(19)
    services.ensure_fee_defaults(community_id)
    finance = db.session.scalar(select(User).where(User.username == "finance"))
    steward = db.session.scalar(select(User).where(User.username == "steward"))
    for n in (2, 1, 0):
        services.generate_month(community_id, _months_back(today, n), finance)
    units = list(db.session.scalars(select(Unit).join(Building).where(Building.community_id == community_id)
                                    .order_by(Unit.id)))
    water = db.session.scalar(select(ChargeItem).where(ChargeItem.community_id == community_id,
                                                       ChargeItem.name == "水费"))
    paid = 0
    for i, u in enumerate(units):
        if rng.random() < 0.08 and water is not None:  # older arrears from the finance system
            db.session.add(Bill(community_id=community_id, unit_id=u.id, item_id=water.id,
                                period=_months_back(today, rng.choice((5, 8, 14))),
                                amount_fen=rng.randint(2000, 9000), source="imported"))
            continue
        if rng.random() < 0.7:
            due = services.unit_due(u.id)
            if due <= 0:
                continue
            extra = 5000 if i % 37 == 0 else 0
            services.record_payment(community_id, u, finance, receipt_no=f"SJ{today:%y%m}{i:05d}",
                                    method=rng.choice(("wechat", "alipay", "cash", "card", "transfer")),
                                    paid_on=today - timedelta(days=rng.randint(0, 20)), amount_fen=due + extra,
                                    today=today)
            paid += 1
    db.session.flush()
    contacts = 0
    if steward is not None:
        owing = services.arrears(community_id, today, services.steward_buildings(steward, community_id, today))
        for k, a in enumerate(sorted(owing, key=lambda a: a.oldest)[:4]):
            unit = db.session.get(Unit, a.unit_id)
            result = "promise" if k == 0 else ("unreachable" if k % 2 else "refuse")
            services.record_contact(community_id, unit, steward, method="phone", result=result,
                                    promised_on=today if result == "promise" else None,
                                    note="对停车管理不满" if result == "refuse" else None, now=now - timedelta(days=1))
            contacts += 1
        # A batch of notices for the units that owe most, one of them delivered.
        top = sorted(owing, key=lambda a: -a.due_fen)[:5]
        if top:
            services.issue_notices(community_id, [a.unit_id for a in top], finance, today=today)
            services.record_contact(community_id, db.session.get(Unit, top[0].unit_id), steward, method="notice",
                                    result="delivered", now=now - timedelta(hours=1))
            contacts += 1
    return f"收费：近三个月账单，{paid} 户已缴，{contacts} 条催费记录。"
