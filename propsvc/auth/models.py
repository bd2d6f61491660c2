"""Staff: departments, users with roles, the communities and buildings they work in, kiosks."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..core.roles import ROLE_LABELS, Role
from ..extensions import db
from ..registry.models import Building, Community

user_community = Table(
    "user_community",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", ForeignKey("community.id", ondelete="CASCADE"), primary_key=True),
)

# The buildings a steward owns [D2].
user_building = Table(
    "user_building",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("building.id", ondelete="CASCADE"), primary_key=True),
)


class Department(db.Model):
    """客服部, 工程部, 环境部, 秩序部, 财务部."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)


DEFAULT_DEPARTMENTS = [
    ("service", "客服部"),
    ("engineering", "工程部"),
    ("environment", "环境部"),
    ("security", "秩序部"),
    ("finance", "财务部"),
]


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    password_hash: Mapped[str] = mapped_column(String(256))
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    communities: Mapped[list[Community]] = relationship(secondary=user_community, lazy="selectin")
    buildings: Mapped[list[Building]] = relationship(secondary=user_building)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    @roles.setter
    def roles(self, values) -> None:
        self.role_rows = [UserRole(role=Role(v).value) for v in sorted(set(values))]

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS[Role(r)] for r in sorted(self.roles)]

    @property
    def community_ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.communities)

    def has_role(self, *roles) -> bool:
        return bool(self.roles & {str(r) for r in roles})

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Kiosk(db.Model):
    """A shared front-desk PC, recognised by a long-lived cookie holding a token."""

    __tablename__ = "kiosk"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community] = relationship()


class UserSession(db.Model):
    """One sign-in, kept on the server [T9]. The browser's signed cookie holds the row's id
    ("sid") and a random token whose hash is stored here; a request is signed in only while its
    row is open (not ended, not idle past the limit measured from last_seen_at)."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk.id"))
    device: Mapped[str] = mapped_column(String(128), default="")
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()
    kiosk: Mapped[Kiosk | None] = relationship()
    community: Mapped[Community | None] = relationship()
