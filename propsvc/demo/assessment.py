"""Demo assessment [A1]-[A3]: a month of history so a new user sees real scorecards. For the 30
days before today, both stewards' recorded work (building patrols, the daily summary; a few days
short of the quota or late), then the nightly evaluation of each day (assessment.services), the
supervisor's review of last month (confirmed, one waived for sick leave) and its close. Patrols
and summaries are written as rows (a finished day's record, as a synced phone leaves it)."""
import random
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from ..assessment import services
from ..assessment.models import Decision, Status
from ..auth.models import User
from ..core.models import utcnow
from ..core.timefmt import SITE_TZ, site_today
from ..extensions import db
from ..patrols.models import ChecklistTemplate, DailySummary, Patrol, PatrolSettings
from ..registry.models import Building
from ..tickets.services import calendar_for
from .registry import STEWARD_BUILDINGS

DAYS = 30


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=SITE_TZ).astimezone(timezone.utc)


def seed_demo_assessment(community_id: int, now=None) -> str:
    now = now or utcnow()
    rng = random.Random(20)
    today = site_today(now)
    cal = calendar_for(community_id)
    users = {u.username: u for u in db.session.scalars(select(User))}
    sup = users["supervisor"]
    tpl = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.community_id == community_id,
                                                            ChecklistTemplate.kind == "building"))
    buildings = {b.sort_key: b for b in db.session.scalars(select(Building).where(Building.community_id == community_id))}
    settings = db.session.get(PatrolSettings, community_id)
    quota = settings.buildings_per_day if settings is not None else 2
    days = [today - timedelta(days=n) for n in range(DAYS, 0, -1)]
    for day in days:
        if not cal.is_working_day(day):
            continue
        for username, numbers in STEWARD_BUILDINGS.items():
            steward = users[username]
            todo = [buildings[n] for n in numbers if n in buildings][:quota]
            if rng.random() < 0.12:
                todo = todo[:-1]  # one building short of the quota
            for i, b in enumerate(todo):
                start = _at(day, 9, 5 + 25 * i)
                db.session.add(Patrol(community_id=community_id, template_id=tpl.id, steward_id=steward.id,
                                      kind="building", target_type="building", building_id=b.id, day=day,
                                      started_at=start, finished_at=start + timedelta(minutes=20)))
            late = rng.random() < 0.1
            db.session.add(DailySummary(community_id=community_id, user_id=steward.id, day=day,
                                        text="巡查楼栋，处理报修并回访，跟进整改。",
                                        submitted_at=_at(day, 17, 20) if late else _at(day, 16, 45),
                                        updated_at=_at(day, 16, 40)))
    db.session.flush()
    for day in days:
        services.evaluate_day(community_id, day, now=now)
    # Last month reviewed and closed; this month's misses wait for the supervisor.
    this_month = services.month_of(today)
    # (the first days of a month leave last month open: month end is run a few days later)
    months = sorted({services.month_of(d) for d in days} - {this_month}) if today.day > 3 else []
    reviewed = 0
    for month in months:
        misses = [r for r in services.month_results(community_id, month) if r.status == Status.MISSED]
        for i, r in enumerate(misses):
            if i == 0:
                services.waive(r.id, community_id, sup, "病假（已提交假条）", now=now)
            else:
                services.confirm(r.id, community_id, sup, now=now)
            reviewed += 1
        services.close_month(community_id, month, sup, now=now)
    pending = sum(1 for r in services.month_results(community_id, this_month) if r.decision == Decision.PENDING)
    return f"已添加考核记录：{DAYS}天的评估，已审核 {reviewed} 项，本月待审核 {pending} 项"
