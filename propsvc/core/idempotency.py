"""Submission keys: a form carries a random key; the first request that claims it acts,
any repeat (a double tap, a resend after a dropped connection) is recognised and does nothing."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .models import UTCDateTime, utcnow


class SubmissionKey(db.Model):
    __tablename__ = "submission_key"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def claim(key: str | None) -> bool:
    """True if this key is new (go ahead); False if it was already used. No key: go ahead."""
    if not key:
        return True
    if db.session.get(SubmissionKey, key) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SubmissionKey(key=key[:64]))
            db.session.flush()
    except IntegrityError:
        return False
    return True
