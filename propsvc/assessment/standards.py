"""[A1] The seed's 物业管家每日工作内容 (BG-KF-0?5) as each community's standards: 单项不符合标准将给予
责任人10元/次行政考核."""
from sqlalchemy import select

from ..extensions import db
from .models import AssessmentStandard, Rule

# (code, slot, work, text, rule, non_working_days)
SEED_STANDARDS = (
    ("briefing", "7:55-8:10", "参加项目部晨会", "准时参加项目晨会", Rule.MANUAL, False),
    ("appearance", "7:55-8:10", "参加项目部晨会", "整理仪容仪表", Rule.MANUAL, False),
    ("patrol", "9:00-11:00", "巡查", "每日巡查楼栋数量符合要求", Rule.PATROL_BUILDINGS, False),
    ("patrol_record", "9:00-11:00", "巡查", "规范填写巡检记录表", Rule.MANUAL, False),
    ("repairs", "13:00-14:00", "处理报修问题", "及时处理报修并回访", Rule.TICKETS_ON_TIME, False),
    ("collection", "14:00-15:30", "催收费用", "完成当日催费任务", Rule.COLLECTION_ROUND, False),
    ("recheck", "15:30-16:10", "检查整改情况", "每日上报复检图片并说明整改情况", Rule.RECTIFICATION_RECHECK, False),
    ("summary", "16:30-17:00", "总结", "完整、准确地总结当日工作内容", Rule.SUMMARY_BY_17, False),
)
DEFAULT_AMOUNT_FEN = 1000  # 10元/次


def ensure_assessment_standards(community_id: int) -> None:
    """COMMUNITY_SETUP: the seed's standards, each only if missing (idempotent, flushes)."""
    have = set(db.session.scalars(select(AssessmentStandard.code)
                                  .where(AssessmentStandard.community_id == community_id)))
    for i, (code, slot, work, text, rule, nwd) in enumerate(SEED_STANDARDS):
        if code not in have:
            db.session.add(AssessmentStandard(community_id=community_id, code=code, slot=slot, work=work, text=text,
                                              rule=rule, non_working_days=nwd, amount_fen=DEFAULT_AMOUNT_FEN,
                                              sort=i))
    db.session.flush()


def standards_of(community_id: int, *, active: bool = True) -> list[AssessmentStandard]:
    stmt = select(AssessmentStandard).where(AssessmentStandard.community_id == community_id)
    if active:
        stmt = stmt.where(AssessmentStandard.active.is_(True))
    return list(db.session.scalars(stmt.order_by(AssessmentStandard.sort, AssessmentStandard.id)))
