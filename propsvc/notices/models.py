"""Notices (公告) [F2]: publish, show on the kiosk home and 今日, print A4: models.

A notice concerns the whole community (no buildings) or the buildings linked to it, and is
shown from valid_from to valid_until (site dates, inclusive) unless withdrawn earlier."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class NoticeKind(StrEnum):
    NOTICE = "notice"  # 通知
    EVENT = "event"    # 社区活动
    TIP = "tip"        # 温馨提示


NOTICE_KIND_LABELS = {NoticeKind.NOTICE: "通知", NoticeKind.EVENT: "社区活动", NoticeKind.TIP: "温馨提示"}

notice_building = Table(
    "notice_building",
    db.metadata,
    Column("notice_id", ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("building.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Notice(db.Model):
    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_community_dates", "community_id", "valid_until", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    kind: Mapped[str] = mapped_column(String(16), default=NoticeKind.NOTICE)
    title: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)  # plain text; blank lines separate paragraphs
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(String(200))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    buildings: Mapped[list["Building"]] = relationship(  # noqa: F821
        secondary=notice_building, order_by="Building.sort_key")
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821

    @property
    def kind_label(self) -> str:
        return NOTICE_KIND_LABELS.get(self.kind, self.kind)

    @property
    def scope_label(self) -> str:
        """全体住户, or 3栋、4栋."""
        if not self.buildings:
            return "全体住户"
        return "、".join(f"{b.number}栋" for b in self.buildings)

    def status(self, today: date) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        if today < self.valid_from:
            return "upcoming"
        if today > self.valid_until:
            return "past"
        return "current"


NOTICE_STATUS_LABELS = {"current": "展示中", "upcoming": "未开始", "past": "已过期", "withdrawn": "已撤回"}
