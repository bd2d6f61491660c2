"""Tickets (工单) and what hangs off them: categories, deadline policies, outages, callers, photos.

The timeline of a ticket is its Event rows (object_type "ticket"): every step, note, contact
and return visit is an Event, so the audit trail and the timeline are one record."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, String, Table, Text, UniqueConstraint, true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class Kind(StrEnum):
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    REPAIR = "repair"
    INQUIRY = "inquiry"
    ERRAND = "errand"
    PATROL = "patrol"  # a problem found on a patrol: rectification (整改)


KIND_LABELS = {Kind.COMPLAINT: "投诉", Kind.SUGGESTION: "建议", Kind.REPAIR: "报修", Kind.INQUIRY: "咨询",
               Kind.ERRAND: "委托代办", Kind.PATROL: "巡查整改"}
INTAKE_KINDS = [Kind.COMPLAINT, Kind.SUGGESTION, Kind.REPAIR, Kind.INQUIRY, Kind.ERRAND]


class Channel(StrEnum):
    PHONE = "phone"
    WALK_IN = "walk_in"
    WEB = "web"
    WRITTEN = "written"
    WECHAT = "wechat"
    PATROL = "patrol"  # found on a patrol (a rectification); never offered at intake


# The channels of intake (the form's choices); a rectification's channel is PATROL (巡查).
CHANNEL_LABELS = {Channel.PHONE: "电话", Channel.WALK_IN: "来访", Channel.WEB: "网页", Channel.WRITTEN: "书面",
                  Channel.WECHAT: "微信"}
PATROL_CHANNEL_LABEL = "巡查"


class Urgency(StrEnum):
    URGENT = "urgent"
    NORMAL = "normal"
    LOW = "low"


URGENCY_LABELS = {Urgency.URGENT: "紧急", Urgency.NORMAL: "一般", Urgency.LOW: "非紧急"}


class State(StrEnum):
    NEW = "new"                  # 待派单
    DISPATCHED = "dispatched"    # 已派单
    IN_PROGRESS = "in_progress"  # 处理中
    RESOLVED = "resolved"        # 待回访
    CLOSED = "closed"            # 已关闭


STATE_LABELS = {State.NEW: "待派单", State.DISPATCHED: "已派单", State.IN_PROGRESS: "处理中",
                State.RESOLVED: "待回访", State.CLOSED: "已关闭"}
OPEN_STATES = (State.NEW, State.DISPATCHED, State.IN_PROGRESS, State.RESOLVED)


class Outcome(StrEnum):
    FIXED = "fixed"
    PARTLY = "partly"
    NOT_FIXED = "not_fixed"


OUTCOME_LABELS = {Outcome.FIXED: "已解决", Outcome.PARTLY: "部分解决", Outcome.NOT_FIXED: "未解决"}

DEFAULT_CATEGORIES = [  # (name, department code)
    ("水电气维修", "engineering"), ("电梯故障", "engineering"), ("环境卫生", "environment"),
    ("安全", "security"), ("绿化", "environment"), ("停车", "security"), ("噪音/邻里", "service"),
    ("费用", "finance"), ("其他", "service"),
]


class AssignMode(StrEnum):
    SUPERVISOR = "supervisor"  # a supervisor dispatches each ticket
    GRAB = "grab"              # open for any technician of the department to accept


class Category(db.Model):
    __tablename__ = "ticket_category"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    assign_mode: Mapped[str] = mapped_column(String(16), default=AssignMode.SUPERVISOR)
    sort: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped["Department | None"] = relationship()  # noqa: F821


class SlaPolicy(db.Model):
    """Response and resolution deadlines of one urgency in one community, e.g. "2h" / "1d"."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("community_id", "urgency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    urgency: Mapped[str] = mapped_column(String(16))
    respond: Mapped[str] = mapped_column(String(16))
    resolve: Mapped[str] = mapped_column(String(16))
    working_time: Mapped[bool] = mapped_column(Boolean, default=True)


class WorkSchedule(db.Model):
    """A community's working hours [D1] and calendar exceptions."""

    __tablename__ = "work_schedule"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    periods: Mapped[str] = mapped_column(String(64), default="08:30-12:00,14:00-18:00")
    weekdays: Mapped[str] = mapped_column(String(7), default="01234")  # Monday (0) to Friday (4)
    tz: Mapped[str] = mapped_column(String(32), default="Asia/Shanghai")
    # Follow China's statutory holidays and make-up working days (调休) from the chinesecalendar
    # package; the community's Holiday rows override single days either way.
    statutory: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    @property
    def follows_statutory(self) -> bool:
        """On unless switched off (a row not yet flushed holds None: the default, on)."""
        return self.statutory is not False


class Holiday(db.Model):
    __tablename__ = "holiday"
    __table_args__ = (UniqueConstraint("community_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(32), default="")
    workday: Mapped[bool] = mapped_column(Boolean, default=False)  # a make-up working day (调休)


outage_building = Table(
    "outage_building",
    db.metadata,
    Column("outage_id", ForeignKey("outage.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("building.id", ondelete="CASCADE"), primary_key=True),
)


class Outage(db.Model):
    """A building-wide outage (停水/停电) a supervisor recorded, with what to tell callers."""

    __tablename__ = "outage"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    what: Mapped[str] = mapped_column(String(16))  # 停水, 停电, 停气, 其他
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    script: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buildings: Mapped[list["Building"]] = relationship(secondary=outage_building)  # noqa: F821
    calls: Mapped[list["Caller"]] = relationship(back_populates="outage", order_by="Caller.id")


class Ticket(db.Model):
    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("community_id", "serial"),
        Index("ix_ticket_queue", "community_id", "state"),
        Index("ix_ticket_created", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    serial: Mapped[str] = mapped_column(String(24))
    # A key the intake form carries, so a double tap or a resubmission creates nothing twice.
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("ticket_category.id"))
    urgency: Mapped[str] = mapped_column(String(16))
    # Where: a unit, or a common area (building + free text).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(100))
    # Who reported it (confidential for complaints [T9]).
    reporter_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    # What the handler is asked to do; a technician sees this, not a complaint's text [T9].
    task: Mapped[str | None] = mapped_column(Text)

    state: Mapped[str] = mapped_column(String(16), default=State.NEW)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    escalation: Mapped[int] = mapped_column(default=0)  # 0 none, 1 with the supervisor, 2 with the manager [T7]

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    # Deadlines [T2]; a pause stops the clock and moves them later when it ends.
    respond_due: Mapped[datetime] = mapped_column(UTCDateTime)
    resolve_due: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # after a delay [T4]
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pause_reason: Mapped[str | None] = mapped_column(String(100))
    pause_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_due: Mapped[datetime | None] = mapped_column(UTCDateTime)  # promised reply to a question [T6]
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # completion confirmed with the resident
    visit_due: Mapped[datetime | None] = mapped_column(UTCDateTime)  # return visit task [T5]
    satisfaction: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(default=0)
    outage_id: Mapped[int | None] = mapped_column(ForeignKey("outage.id"))

    category: Mapped[Category] = relationship()
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821
    building: Mapped["Building | None"] = relationship()  # noqa: F821
    department: Mapped["Department | None"] = relationship()  # noqa: F821
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id])  # noqa: F821
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    callers: Mapped[list["Caller"]] = relationship(back_populates="ticket", order_by="Caller.id")
    photos: Mapped[list["Photo"]] = relationship(back_populates="ticket", order_by="Photo.id")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def channel_label(self) -> str:
        # A rectification comes from a patrol, whatever older rows stored (they said walk_in).
        if self.kind == Kind.PATROL or self.channel == Channel.PATROL:
            return PATROL_CHANNEL_LABEL
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def urgency_label(self) -> str:
        return URGENCY_LABELS.get(self.urgency, self.urgency)

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def place(self) -> str:
        if self.unit is not None:
            return self.unit.label
        b = f"{self.building.number}栋" if self.building is not None else ""
        return (b + (self.location or "")) or "公共区域"

    @property
    def affected(self) -> int:
        """Households affected: the reporter and every caller attached later."""
        return 1 + len(self.callers)


class Caller(db.Model):
    """Another household reporting the same problem (attached instead of a duplicate ticket),
    or a call linked to an outage."""

    __tablename__ = "ticket_caller"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    outage_id: Mapped[int | None] = mapped_column(ForeignKey("outage.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket | None] = relationship(back_populates="callers")
    outage: Mapped[Outage | None] = relationship(back_populates="calls")
    unit: Mapped["Unit | None"] = relationship()  # noqa: F821


class Photo(db.Model):
    """A photo on a ticket, attached at one step of its timeline (the Event it came with)."""

    __tablename__ = "ticket_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    path: Mapped[str] = mapped_column(String(255))
    thumb_path: Mapped[str] = mapped_column(String(255))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="photos")
