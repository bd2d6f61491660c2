"""Front-desk errands [F1]: parcels held at the desk (快递代收), mail forwarding (信件转递) and
access-card requests (门禁卡). Each item has a state; every time the resident is told is an
ErrandNotice row (several allowed, the last one is shown)."""
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class ParcelState(StrEnum):
    HELD = "held"            # 待领取
    NOTIFIED = "notified"    # 已通知
    COLLECTED = "collected"  # 已领取
    RETURNED = "returned"    # 已退回


class MailState(StrEnum):
    PENDING = "pending"      # 待转递
    NOTIFIED = "notified"    # 已通知
    FORWARDED = "forwarded"  # 已转交
    RETURNED = "returned"    # 已退回


class CardState(StrEnum):
    APPLIED = "applied"      # 已申请
    PAID = "paid"            # 已缴费
    DONE = "done"            # 已办结
    CANCELLED = "cancelled"  # 已取消


class Parcel(db.Model):
    """A parcel held at the desk for a unit's resident, from arrival to collection or return."""

    __tablename__ = "parcel"
    __table_args__ = (
        Index("ix_parcel_community_state", "community_id", "state"),
        Index("ix_parcel_community_arrived", "community_id", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recipient_name: Mapped[str] = mapped_column(String(64))
    recipient_phone: Mapped[str | None] = mapped_column(String(20))
    courier: Mapped[str] = mapped_column(String(16))
    tracking_no: Mapped[str | None] = mapped_column(String(40))
    shelf: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(200))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    state: Mapped[str] = mapped_column(String(16), default=ParcelState.HELD)
    collector_name: Mapped[str | None] = mapped_column(String(64))
    collector_is_recipient: Mapped[bool | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # collected or returned
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # handed over / returned by
    close_note: Mapped[str | None] = mapped_column(String(200))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    unit: Mapped["Unit"] = relationship()  # noqa: F821


class MailItem(db.Model):
    """A letter, registered mail or periodical for a unit, until it is handed on or returned."""

    __tablename__ = "mail_item"
    __table_args__ = (Index("ix_mail_item_community_state", "community_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recipient_name: Mapped[str] = mapped_column(String(64))
    recipient_phone: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))  # services.MAIL_KINDS
    sender: Mapped[str | None] = mapped_column(String(64))
    tracking_no: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    state: Mapped[str] = mapped_column(String(16), default=MailState.PENDING)
    handed_to: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    close_note: Mapped[str | None] = mapped_column(String(200))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    unit: Mapped["Unit"] = relationship()  # noqa: F821


class CardRequest(db.Model):
    """An access-card request for an occupant: issue, replace or cancel; the fee (if any) is
    paid before the card is issued."""

    __tablename__ = "card_request"
    __table_args__ = (Index("ix_card_request_community_state", "community_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # issue | replace | cancel
    fee: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    card_no: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default=CardState.APPLIED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    receipt_no: Mapped[str | None] = mapped_column(String(32))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # done or cancelled
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    close_note: Mapped[str | None] = mapped_column(String(200))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    unit: Mapped["Unit"] = relationship()  # noqa: F821


class ErrandNotice(db.Model):
    """One time the resident was told about an item: how, by whom, when."""

    __tablename__ = "errand_notice"
    __table_args__ = (Index("ix_errand_notice_item", "item_type", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    item_type: Mapped[str] = mapped_column(String(16))  # parcel | mail | card
    item_id: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))  # services.NOTICE_METHODS
    note: Mapped[str | None] = mapped_column(String(200))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class ErrandSettings(db.Model):
    """Per-community figures: card fees and when a held parcel counts as overdue."""

    __tablename__ = "errand_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    card_fee_issue: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("20"))
    card_fee_replace: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("30"))
    parcel_overdue_days: Mapped[int] = mapped_column(default=7)
