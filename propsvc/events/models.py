"""Community events (社区活动) [F2]: models.

An event (CommunityEvent: `Event` is the audit record of core) is planned (筹备), published
(已发布: a notice and a poster), runs on the day (进行中: check-in), and ends (已结束, with a
look back) or is cancelled (已取消). Residents sign up per home (EventSignup): confirmed while
the people fit the capacity, else on the waiting list; a cancelled sign-up frees its places."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class EventState(StrEnum):
    PLANNING = "planning"
    PUBLISHED = "published"
    RUNNING = "running"
    CLOSED = "closed"
    CANCELLED = "cancelled"


STATE_LABELS = {EventState.PLANNING: "筹备", EventState.PUBLISHED: "已发布", EventState.RUNNING: "进行中",
                EventState.CLOSED: "已结束", EventState.CANCELLED: "已取消"}

KIND_LABELS = {"festival": "节日庆祝", "family": "亲子", "arts": "文艺", "health": "健康讲座",
               "volunteer": "志愿", "other": "其他"}

AGE_LABELS = {"all": "不限", "children": "儿童（含家长陪同）", "youth": "青少年", "adults": "成年人",
              "seniors": "老年人"}


class SignupState(StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


SIGNUP_LABELS = {SignupState.CONFIRMED: "已报名", SignupState.WAITING: "候补", SignupState.CANCELLED: "已取消"}
CHANNEL_LABELS = {"desk": "前台", "kiosk": "自助终端", "steward": "管家代报", "walkin": "现场加入"}


class CommunityEvent(db.Model):
    __tablename__ = "community_event"
    __table_args__ = (Index("ix_community_event_starts", "community_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    title: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(60))
    capacity: Mapped[int] = mapped_column(Integer)  # people
    age_group: Mapped[str] = mapped_column(String(16), default="all")
    building_ids: Mapped[list] = mapped_column(JSON, default=list)  # [] = the whole community
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"item", "owner", "due" (ISO date or ""), "done"}]: resources and staff needed
    resources: Mapped[list] = mapped_column(JSON, default=list)
    budget: Mapped[list] = mapped_column(JSON, default=list)  # [{"item", "amount" (str, yuan)}]
    costs: Mapped[list] = mapped_column(JSON, default=list)   # the same, what was spent
    state: Mapped[str] = mapped_column(String(16), default=EventState.PLANNING)
    public_code: Mapped[str] = mapped_column(String(24), unique=True)  # the poster's QR: /events/p/<code>
    notice_id: Mapped[int | None] = mapped_column(Integer)  # the notice publishing made (notices area)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    satisfaction: Mapped[list] = mapped_column(JSON, default=list)  # scores 1–5 from a few attendees
    photos: Mapped[list] = mapped_column(JSON, default=list)  # [{"path", "thumb"}] (propsvc.photos)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    signups: Mapped[list["EventSignup"]] = relationship(back_populates="event", order_by="EventSignup.id")

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def age_label(self) -> str:
        return AGE_LABELS.get(self.age_group, self.age_group)


class EventSignup(db.Model):
    """One home's sign-up. At most one that is not cancelled per home and event (a partial
    unique index on both databases)."""

    __tablename__ = "event_signup"
    __table_args__ = (
        Index("uq_event_signup_unit", "event_id", "unit_id", unique=True,
              sqlite_where=text("state != 'cancelled'"), postgresql_where=text("state != 'cancelled'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("community_event.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))  # None: a walk-in from outside
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20), default="")  # shown masked only
    people: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default=SignupState.CONFIRMED)
    channel: Mapped[str] = mapped_column(String(16), default="desk")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # told the event was cancelled
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    event: Mapped[CommunityEvent] = relationship(back_populates="signups")
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821

    @property
    def state_label(self) -> str:
        return SIGNUP_LABELS.get(self.state, self.state)

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def unit_label(self) -> str:
        return self.unit.label if self.unit is not None else "外来"
