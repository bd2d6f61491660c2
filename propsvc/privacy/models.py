"""The reveal audit log and cover (代班) periods."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class RevealLog(db.Model):
    """One look at a full phone or ID number: who, when, whose record, which field, why, from
    which session. Append-only in practice: nothing edits or deletes these rows."""

    __tablename__ = "reveal_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(16))   # person, visitor, worker, ... (core.scope.REVEAL)
    record_id: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(64))        # whose record: the person's name
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    field: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(200))
    # The server-side session row of the sign-in (session["sid"]); no foreign key on purpose.
    session_id: Mapped[int | None] = mapped_column(Integer)

    user = relationship("User")
    unit = relationship("Unit")


class Cover(db.Model):
    """代班: `user` covers `for_user`'s buildings from starts_on to ends_on (site dates,
    inclusive), granted by a supervisor; ended early by setting ended_at."""

    __tablename__ = "cover"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    for_user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    user = relationship("User", foreign_keys=[user_id])
    for_user = relationship("User", foreign_keys=[for_user_id])
    granted_by = relationship("User", foreign_keys=[granted_by_id])

    def active_on(self, day: date) -> bool:
        return self.ended_at is None and self.starts_on <= day <= self.ends_on
