"""Patrols [D3]: checklist templates and their items, recurring plans, patrol runs with one
result per item, checkpoints, per-community coverage settings, daily summaries [D4] and the
supervisor's notes for the morning briefing [D1]."""
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class PatrolKind(StrEnum):
    EXTERIOR = "exterior"      # 外围
    BUILDING = "building"      # 楼栋单元
    VACANT = "vacant"          # 空置房
    RENOVATION = "renovation"  # 装修巡查
    FIRE = "fire"              # 消防
    GREENERY = "greenery"      # 绿化
    PARKING = "parking"        # 停车


PATROL_KIND_LABELS = {
    PatrolKind.EXTERIOR: "外围", PatrolKind.BUILDING: "楼栋单元", PatrolKind.VACANT: "空置房",
    PatrolKind.RENOVATION: "装修", PatrolKind.FIRE: "消防", PatrolKind.GREENERY: "绿化",
    PatrolKind.PARKING: "停车",
}


class TargetType(StrEnum):
    BUILDING = "building"
    UNIT = "unit"
    AREA = "area"


class ItemResult(StrEnum):
    OK = "ok"            # 正常
    PROBLEM = "problem"  # 有问题
    NA = "na"            # 不适用


RESULT_LABELS = {ItemResult.OK: "正常", ItemResult.PROBLEM: "有问题", ItemResult.NA: "不适用"}


class ChecklistTemplate(db.Model):
    __tablename__ = "checklist_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["ChecklistItem"]] = relationship(
        back_populates="template", order_by="ChecklistItem.sort, ChecklistItem.id")

    @property
    def kind_label(self) -> str:
        return PATROL_KIND_LABELS.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        """外围巡查表, or 消防 · 周检表 when the name does not say its kind."""
        return self.name if self.name.startswith(self.kind_label) else f"{self.kind_label} · {self.name}"

    @property
    def active_items(self) -> list["ChecklistItem"]:
        return [i for i in self.items if i.active]


class ChecklistItem(db.Model):
    """One line of a checklist. Never deleted once used: retired (active=False) instead, and
    each result keeps a copy of the item's text, so editing a template breaks no past record."""

    __tablename__ = "checklist_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_template.id"), index=True)
    text: Mapped[str] = mapped_column(String(100))
    sort: Mapped[int] = mapped_column(default=0)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=True)  # on a problem
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


class PatrolPlan(db.Model):
    """A recurring patrol a supervisor assigns: daily or on given weekdays, in a time window."""

    __tablename__ = "patrol_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_template.id"))
    steward_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(16))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    area: Mapped[str | None] = mapped_column(String(100))
    weekdays: Mapped[str] = mapped_column(String(7), default="0123456")  # Monday=0
    window_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    window_end: Mapped[time] = mapped_column(Time, default=time(11, 0))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[ChecklistTemplate] = relationship()
    steward: Mapped["User"] = relationship(foreign_keys=[steward_id])  # noqa: F821
    building: Mapped["Building | None"] = relationship()  # noqa: F821
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821


class Patrol(db.Model):
    """One patrol run of a target on a day, started on the steward's phone."""

    __tablename__ = "patrol"
    __table_args__ = (Index("ix_patrol_day", "community_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_template.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_plan.id"), index=True)
    steward_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_type: Mapped[str] = mapped_column(String(16))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    area: Mapped[str | None] = mapped_column(String(100))
    day: Mapped[date] = mapped_column(Date)  # local (Asia/Shanghai) date
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkpoint_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # proof of presence
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    template: Mapped[ChecklistTemplate] = relationship()
    plan: Mapped[PatrolPlan | None] = relationship()
    steward: Mapped["User"] = relationship(foreign_keys=[steward_id])  # noqa: F821
    building: Mapped["Building | None"] = relationship()  # noqa: F821
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    results: Mapped[list["PatrolResult"]] = relationship(back_populates="patrol", order_by="PatrolResult.id")

    @property
    def kind_label(self) -> str:
        return PATROL_KIND_LABELS.get(self.kind, self.kind)

    @property
    def target_label(self) -> str:
        if self.unit is not None:
            return self.unit.label
        b = f"{self.building.number}栋" if self.building is not None else ""
        return (b + (self.area or "")) or "园区"


class PatrolResult(db.Model):
    """The result of one item in one patrol: the newest tap wins, by the phone's own tap
    sequence (see PatrolTap), never by its clock; a key already seen changes nothing."""

    __tablename__ = "patrol_result"
    __table_args__ = (UniqueConstraint("patrol_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"))
    item_text: Mapped[str] = mapped_column(String(100))  # as it read when tapped
    result: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    photo_path: Mapped[str | None] = mapped_column(String(255))
    thumb_path: Mapped[str | None] = mapped_column(String(255))
    tapped_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the phone's time of the tap (shown, never compared)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    tap_key: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)  # rectification

    patrol: Mapped[Patrol] = relationship(back_populates="results")
    item: Mapped[ChecklistItem] = relationship()
    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821


class PatrolTap(db.Model):
    """Every tap key the server has answered for an item of a patrol, applied or not: a key
    seen before is a repeat (the phone's resend, or a late original overtaken by its resend)
    and never applies twice. device + seq are the phone's own order of its taps (a random id
    and a counter kept in its localStorage): a tap whose seq is not above the highest one
    already seen from that device for the item is stale and is ignored. A tap without them
    (a plain form post) goes in the server's order of arrival."""

    __tablename__ = "patrol_tap"
    __table_args__ = (UniqueConstraint("patrol_id", "item_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"))
    key: Mapped[str] = mapped_column(String(64))
    device: Mapped[str | None] = mapped_column(String(32))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[str] = mapped_column(String(16))
    tapped_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the phone's time, as stored on the result
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied: Mapped[bool] = mapped_column(Boolean)  # False: stale, a newer tap of the device was there first


class Checkpoint(db.Model):
    """A printed QR at a place; scanning it during a patrol records the steward was there."""

    __tablename__ = "patrol_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PatrolSettings(db.Model):
    """Coverage rules per community [D3]."""

    __tablename__ = "patrol_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    buildings_per_day: Mapped[int] = mapped_column(default=2)  # each steward must patrol
    vacant_every_days: Mapped[int] = mapped_column(default=7)  # each vacant unit checked


class DailySummary(db.Model):
    """A steward's end-of-day summary [D4]: drafted from the day's events, edited, submitted."""

    __tablename__ = "daily_summary"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    day: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821


class BriefingNote(db.Model):
    """The supervisor's priorities for the day, shown in the morning briefing [D1]."""

    __tablename__ = "briefing_note"
    __table_args__ = (UniqueConstraint("community_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    day: Mapped[date] = mapped_column(Date)
    priorities: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
