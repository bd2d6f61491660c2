"""Demo patrols [D3]: a daily building patrol and an evening round of the estate for both
stewards (planned by the supervisor a month ago), and five checkpoints (巡查点) with their QR
sheets to print. The caller commits."""
import secrets
from datetime import time, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..core.models import utcnow
from ..core.services import record
from ..extensions import db
from ..patrols.models import ChecklistTemplate, Checkpoint, PatrolPlan
from ..registry.models import Building


def seed_demo_patrols(community_id: int, now=None) -> str:
    """Patrol plans and checkpoints; returns what was added (part of seed_demo_activity's line)."""
    now = now or utcnow()
    user = {u.username: u for u in db.session.scalars(select(User))}
    tpl = {t.kind: t for t in db.session.scalars(
        select(ChecklistTemplate).where(ChecklistTemplate.community_id == community_id))}
    buildings = {b.number: b for b in db.session.scalars(select(Building).where(Building.community_id == community_id))}

    for steward, numbers in (("steward", ("1", "2")), ("steward2", ("5", "6"))):
        for n in numbers:
            db.session.add(PatrolPlan(community_id=community_id, template_id=tpl["building"].id,
                                      steward_id=user[steward].id, target_type="building",
                                      building_id=buildings[n].id, window_start=time(9, 0), window_end=time(11, 0),
                                      created_by_id=user["supervisor"].id, created_at=now - timedelta(days=30)))
        db.session.add(PatrolPlan(community_id=community_id, template_id=tpl["exterior"].id,
                                  steward_id=user[steward].id, target_type="area", area="园区外围",
                                  window_start=time(16, 0), window_end=time(17, 0),
                                  created_by_id=user["supervisor"].id, created_at=now - timedelta(days=30)))

    # Checkpoints with their QR sheets to print (巡查点): patrols record a scan of them.
    for name, number in (("1栋大堂", "1"), ("3栋大堂", "3"), ("5栋大堂", "5"), ("中心花园", None), ("地下车库入口", None)):
        cp = Checkpoint(community_id=community_id, name=name, building_id=buildings[number].id if number else None,
                        token=secrets.token_urlsafe(12))
        db.session.add(cp)
        db.session.flush()
        record("checkpoint.created", cp, actor=user["supervisor"], name=name)
    return "巡查计划6项，巡查点5个"
