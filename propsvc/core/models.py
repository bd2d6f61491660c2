"""The append-only Event record that every area writes its state changes to."""
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, event
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Event(db.Model):
    """Who did what, when, on which object. Rows are never updated or deleted."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<Event {self.action} {self.object_type}#{self.object_id} by {self.actor_id}>"


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _events_are_append_only(session, _ctx, _instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError("Event rows are append-only")
