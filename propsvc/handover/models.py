"""Handover day (交房) [H1]-[H4]: models.

A HandoverBatch is what a manager opens: the buildings handed over, the handover days, the
opening hours, the stations of the site [H4] (editable, each with the staff who man it) and the
items handed out [H3]. The sales office's buyers' list becomes one HandoverCard per unit: the
buyers as the sales list gives them (names, ID numbers, phones: confidential [T9], shown masked),
the contract and the transfer-slip (交房传递单) number the owner brings [H1]. The card then
carries the arrival (who came: the owner, or an agent with a power of attorney), the owner file
[H2] and the progress through the stations, until the unit is handed over (已交房) or refused.
"""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class CardState(StrEnum):
    EXPECTED = "expected"        # on the sales list, not arrived yet (未到)
    ARRIVED = "arrived"          # identity checked, going through the stations (办理中)
    HANDED_OVER = "handed_over"  # keys in hand (已交房)
    REFUSED = "refused"          # the owner refused to take the keys (拒收), followed up


CARD_STATE_LABELS = {CardState.EXPECTED: "未到", CardState.ARRIVED: "办理中",
                     CardState.HANDED_OVER: "已交房", CardState.REFUSED: "拒收"}


class HandoverBatch(db.Model):
    __tablename__ = "handover_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    building_ids: Mapped[list] = mapped_column(JSON, default=list)
    days: Mapped[list] = mapped_column(JSON, default=list)          # ISO dates, sorted
    opens: Mapped[str] = mapped_column(String(5), default="08:30")  # local HH:MM
    closes: Mapped[str] = mapped_column(String(5), default="17:30")
    # [{"key": "agreements", "name": "协议签订处", "staff_ids": [3, 4]}, …] in the site's order.
    stations: Mapped[list] = mapped_column(JSON, default=list)
    items: Mapped[list] = mapped_column(JSON, default=list)        # names of the items handed out [H3]
    # The inspection checklist [H4]: {"rooms": [...], "items": [...]} (editable per batch).
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cards: Mapped[list["HandoverCard"]] = relationship(back_populates="batch", order_by="HandoverCard.id")

    @property
    def first_day(self) -> date | None:
        return date.fromisoformat(self.days[0]) if self.days else None

    @property
    def last_day(self) -> date | None:
        return date.fromisoformat(self.days[-1]) if self.days else None

    def station(self, key: str) -> dict | None:
        return next((s for s in self.stations if s.get("key") == key), None)


class HandoverCard(db.Model):
    """One unit of a batch, from the sales list to 已交房 (or 拒收)."""

    __tablename__ = "handover_card"
    __table_args__ = (UniqueConstraint("batch_id", "unit_id"), UniqueConstraint("batch_id", "slip_no"),
                      Index("ix_handover_card_batch_state", "batch_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("handover_batch.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    slip_no: Mapped[str] = mapped_column(String(32))        # 交房传递单号
    contract_no: Mapped[str | None] = mapped_column(String(32))
    # From the sales list: [{"name": …, "id_number": …, "phone": …}, …] (confidential [T9]).
    buyers: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default=CardState.EXPECTED)
    # An optional appointment: a handover day and half-day (am | pm), from the sales list.
    appointment_day: Mapped[date | None] = mapped_column(Date)
    appointment_half: Mapped[str | None] = mapped_column(String(2))
    # Arrival [H1]: the owner in person (which buyer), or an agent with a power of attorney.
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    came_as: Mapped[str | None] = mapped_column(String(16))  # owner | agent
    owner_name: Mapped[str | None] = mapped_column(String(64))  # the buyer who came, or who signed the 委托书
    agent_name: Mapped[str | None] = mapped_column(String(64))
    agent_id_number: Mapped[str | None] = mapped_column(String(18))
    agent_relation: Mapped[str | None] = mapped_column(String(16))
    poa_photo: Mapped[str | None] = mapped_column(String(255))  # the signed 委托书
    # Owner file [H2]: the household register and the owner's signature.
    phones: Mapped[list] = mapped_column(JSON, default=list)
    members: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "relation", "id_type", "id_number", "photo"}]
    vehicles: Mapped[list] = mapped_column(JSON, default=list)  # plates, optional
    emergency_name: Mapped[str | None] = mapped_column(String(64))
    emergency_phone: Mapped[str | None] = mapped_column(String(20))
    file_signature: Mapped[str | None] = mapped_column(String(255))
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stations [H4]: {"agreements": {"by_id": 3, "by_name": "…", "at": "ISO"}, …}
    done: Mapped[dict] = mapped_column(JSON, default=dict)
    # What the keys, fees and items stations recorded.
    fees: Mapped[dict] = mapped_column(JSON, default=dict)    # {"due_fen": 0, "paid_fen": 0, "receipt": ""}
    keys: Mapped[dict] = mapped_column(JSON, default=dict)    # {"sets": [{"kind", "count"}], "meters": [{"kind", "reading", "photo"}]}
    wechat_steward: Mapped[str | None] = mapped_column(String(64))
    # The inspection record [H4]: {"signature": path, "signed_at": ISO, "by_name": …}; its defects below.
    inspection: Mapped[dict] = mapped_column(JSON, default=dict)
    handed_over_on: Mapped[date | None] = mapped_column(Date)
    refused_reason: Mapped[str | None] = mapped_column(String(500))
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    batch: Mapped[HandoverBatch] = relationship(back_populates="cards")
    unit: Mapped["Unit"] = relationship()  # noqa: F821
    defects: Mapped[list["HandoverDefect"]] = relationship(order_by="HandoverDefect.id")

    @property
    def state_label(self) -> str:
        return CARD_STATE_LABELS.get(self.state, self.state)

    @property
    def buyer_names(self) -> str:
        return "、".join(b.get("name", "") for b in self.buyers)


class HandoverDefect(db.Model):
    """A quality defect found walking the unit with the owner [H4]; it becomes a 返修 ticket."""

    __tablename__ = "handover_defect"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("handover_card.id"), index=True)
    room: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    photos: Mapped[list] = mapped_column(JSON, default=list)
    ticket_id: Mapped[int | None] = mapped_column()  # the 返修 ticket (tickets area; no FK import)
    ticket_serial: Mapped[str | None] = mapped_column(String(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
