"""Renovations [R1]–[R7]: the application and its permit, the first-renovation inspection,
workers and their passes with the fees paid to finance, extensions."""
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class RenovationState(StrEnum):
    APPLIED = "applied"      # 待审批
    APPROVED = "approved"    # 已批准 (permit issued; unit 装修中)
    REJECTED = "rejected"    # 已驳回
    FINISHED = "finished"    # 已完工


RENOVATION_STATE_LABELS = {RenovationState.APPLIED: "待审批", RenovationState.APPROVED: "装修中",
                           RenovationState.REJECTED: "已驳回", RenovationState.FINISHED: "已完工"}


class Renovation(db.Model):
    __tablename__ = "renovation"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    owner_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    applicant_name: Mapped[str] = mapped_column(String(64))  # owner or renovation lead [R4]
    applicant_role: Mapped[str] = mapped_column(String(16))  # owner | lead
    lead_company: Mapped[str | None] = mapped_column(String(100))
    lead_name: Mapped[str] = mapped_column(String(64))
    lead_phone: Mapped[str] = mapped_column(String(20))
    lead_id_number: Mapped[str | None] = mapped_column(String(18))
    scope: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # default starts_on + 3 months [R1]
    first_renovation: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default=RenovationState.APPLIED)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    unit: Mapped["Unit"] = relationship()  # noqa: F821
    workers: Mapped[list["Worker"]] = relationship(back_populates="renovation", order_by="Worker.id")
    extensions: Mapped[list["Extension"]] = relationship(back_populates="renovation", order_by="Extension.id")

    @property
    def state_label(self) -> str:
        return RENOVATION_STATE_LABELS.get(self.state, self.state)


class Inspection(db.Model):
    """The first-renovation check with the owner [R2]: each point OK or a defect with a photo,
    and that the owner was told the rules and the neighbours' renovations."""

    __tablename__ = "renovation_inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    renovation_id: Mapped[int] = mapped_column(ForeignKey("renovation.id"), unique=True)
    results: Mapped[dict] = mapped_column(JSON, default=dict)  # point -> {"ok": bool, "note": str, "photo": path}
    rules_told: Mapped[bool] = mapped_column(Boolean, default=False)
    neighbours_told: Mapped[bool] = mapped_column(Boolean, default=False)
    steward_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Worker(db.Model):
    """A worker on a renovation [R3][R4]; the pass is a Document issued after the fees [R5]."""

    __tablename__ = "renovation_worker"

    id: Mapped[int] = mapped_column(primary_key=True)
    renovation_id: Mapped[int] = mapped_column(ForeignKey("renovation.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    trade: Mapped[str | None] = mapped_column(String(32))
    photo_path: Mapped[str | None] = mapped_column(String(255))
    thumb_path: Mapped[str | None] = mapped_column(String(255))
    valid_until: Mapped[date] = mapped_column(Date)
    deposit: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("100"))
    card_fee: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("5"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_no: Mapped[str | None] = mapped_column(String(32))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # pass returned, deposit refunded
    refund_receipt_no: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    renovation: Mapped[Renovation] = relationship(back_populates="workers")


class ExtensionState(StrEnum):
    REQUESTED = "requested"  # 待工程审核
    REVIEWED = "reviewed"    # 待经理审批
    APPROVED = "approved"    # 已批准 (fee paid if any; end date moved)
    REJECTED = "rejected"


class Extension(db.Model):
    """An extension request [R6]: owner or lead asks, engineering reviews, the manager approves,
    finance records any fee, then the end date moves."""

    __tablename__ = "renovation_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    renovation_id: Mapped[int] = mapped_column(ForeignKey("renovation.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requester_role: Mapped[str] = mapped_column(String(16))  # owner | lead
    reason: Mapped[str] = mapped_column(String(500))
    new_end: Mapped[date] = mapped_column(Date)
    fee: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    fee_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fee_receipt_no: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=ExtensionState.REQUESTED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    renovation: Mapped[Renovation] = relationship(back_populates="extensions")


class RenovationSettings(db.Model):
    """Per-community amounts [R5] (the source: deposit 100 元, card fee 5 元 per person)."""

    __tablename__ = "renovation_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    deposit: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("100"))
    card_fee: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("5"))
    default_months: Mapped[int] = mapped_column(default=3)  # [R1]
