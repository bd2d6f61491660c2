"""The front desk's visitor register [F1]: one row per visit (who, whom they visit, why,
when they arrived and when they were signed out)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class Visit(db.Model):
    """A visitor (or a party of visitors) at the gate or the desk, from arrival to sign-out."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_community_arrived", "community_id", "arrived_at"),
        Index("ix_visit_community_phone", "community_id", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    visitor_name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(18))
    purpose: Mapped[str] = mapped_column(String(16))          # see services.PURPOSES
    purpose_note: Mapped[str | None] = mapped_column(String(200))
    plate: Mapped[str | None] = mapped_column(String(12))
    party_size: Mapped[int] = mapped_column(default=1)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    signed_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    unit: Mapped["Unit"] = relationship()  # noqa: F821
    registered_by: Mapped["User | None"] = relationship(foreign_keys=[registered_by_id])  # noqa: F821
    signed_out_by: Mapped["User | None"] = relationship(foreign_keys=[signed_out_by_id])  # noqa: F821

    @property
    def on_site(self) -> bool:
        return self.left_at is None

    def __repr__(self) -> str:
        return f"<Visit {self.id} {self.visitor_name}>"
