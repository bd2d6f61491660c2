"""Assessment standards (per community) and each steward's evaluated day [A1]-[A3]."""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class Rule:
    """How a standard is measured (assessment.rules). MANUAL: the supervisor marks it by hand."""

    PATROL_BUILDINGS = "patrol_buildings"      # buildings patrolled >= quota
    TICKETS_ON_TIME = "tickets_on_time"        # the day's tickets resolved and visited within deadline
    RECTIFICATION_RECHECK = "rectification_recheck"  # rectifications rechecked with a photo the same day
    SUMMARY_BY_17 = "summary_by_17"            # daily summary submitted before 17:00
    COLLECTION_ROUND = "collection_round"      # the day's collection round (fees, through a hook)
    MANUAL = "manual"                          # 仪容仪表, 晨会 (no attendance record)


RULE_LABELS = {
    Rule.PATROL_BUILDINGS: "巡查楼栋数 ≥ 定额",
    Rule.TICKETS_ON_TIME: "当日工单按期完成并回访",
    Rule.RECTIFICATION_RECHECK: "整改当日拍照复检",
    Rule.SUMMARY_BY_17: "17:00 前提交当日总结",
    Rule.COLLECTION_ROUND: "完成当日催费任务",
    Rule.MANUAL: "主管人工评定",
}


class Status:
    MET = "met"
    MISSED = "missed"
    NA = "na"  # not applicable that day (non-working day, nothing to measure, no answer)


STATUS_LABELS = {Status.MET: "达标", Status.MISSED: "未达标", Status.NA: "不适用"}


class Decision:
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAIVED = "waived"


DECISION_LABELS = {Decision.PENDING: "待审核", Decision.CONFIRMED: "已确认", Decision.WAIVED: "已免除"}


class AssessmentStandard(db.Model):
    """One line of 物业管家每日工作内容: slot, 工作内容, 工作标准, how it is measured, amount per miss."""

    __tablename__ = "assessment_standard"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # stable key of the seeded line
    slot: Mapped[str] = mapped_column(String(16))  # 9:00-11:00
    work: Mapped[str] = mapped_column(String(32))  # 巡查
    text: Mapped[str] = mapped_column(String(100))  # 每日巡查楼栋数量符合要求
    rule: Mapped[str] = mapped_column(String(32))
    quota: Mapped[int | None]  # patrol_buildings: None = the patrol settings' buildings_per_day
    non_working_days: Mapped[bool] = mapped_column(Boolean, default=False)
    amount_fen: Mapped[int] = mapped_column(default=1000)  # 10元/次
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort: Mapped[int] = mapped_column(default=0)

    @property
    def rule_label(self) -> str:
        return RULE_LABELS.get(self.rule, self.rule)


class AssessmentResult(db.Model):
    """A steward's day against one standard: met / missed with evidence, then the review."""

    __tablename__ = "assessment_result"
    __table_args__ = (UniqueConstraint("standard_id", "steward_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("assessment_standard.id"), index=True)
    steward_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(8))
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # lines: which patrol, which ticket, how late
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(16))  # misses only: pending/confirmed/waived
    reason: Mapped[str | None] = mapped_column(Text)  # the confirmation's or waiver's reason
    amount_fen: Mapped[int] = mapped_column(default=0)  # what a confirmed miss costs (0 otherwise)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appeal_note: Mapped[str | None] = mapped_column(Text)
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    standard: Mapped[AssessmentStandard] = relationship()
    steward: Mapped["User"] = relationship(foreign_keys=[steward_id])  # noqa: F821

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS.get(self.decision or "", "")


class AssessmentMonth(db.Model):
    """A community's closed month: no appeal, no re-evaluation after closing [A3]."""

    __tablename__ = "assessment_month"
    __table_args__ = (UniqueConstraint("community_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # 2026-11
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
