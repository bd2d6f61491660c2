"""Community → Building → Unit, and the people linked to units by a role."""
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..core.timefmt import site_today
from ..extensions import db


class UnitStatus(StrEnum):
    VACANT = "vacant"
    DELIVERED = "delivered"
    RENOVATING = "renovating"
    OCCUPIED = "occupied"


UNIT_STATUS_LABELS = {
    UnitStatus.VACANT: "空置",
    UnitStatus.DELIVERED: "已交付",
    UnitStatus.RENOVATING: "装修中",
    UnitStatus.OCCUPIED: "已入住",
}


class OccupantRole(StrEnum):
    OWNER = "owner"
    TENANT = "tenant"
    MEMBER = "member"


OCCUPANT_ROLE_LABELS = {
    OccupantRole.OWNER: "业主",
    OccupantRole.TENANT: "租户",
    OccupantRole.MEMBER: "家属",
}


class Community(db.Model):
    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    address: Mapped[str | None] = mapped_column(String(200))
    # Documents (permits, slips) carry the community's seal: its text, or a configured image.
    stamp_name: Mapped[str | None] = mapped_column(String(64))
    stamp_image: Mapped[str | None] = mapped_column(String(255))
    # The label of the signature line the seal is pressed on (管理处（盖章）); blank: the seal's
    # own text + （盖章）, so the line and the seal always name the same issuer.
    sign_label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buildings: Mapped[list["Building"]] = relationship(
        back_populates="community", order_by="Building.sort_key"
    )

    @property
    def community_id(self) -> int:
        """A community belongs to itself: its own events (core.services.record) and any
        `community_id` check treat it like every other record."""
        return self.id

    @property
    def seal_text(self) -> str:
        """The text of the generated seal: stamp_name, else the community's name."""
        return (self.stamp_name or "").strip() or self.name

    @property
    def sign_line(self) -> str:
        """The signature line's label printed under the seal (see sign_label)."""
        return (self.sign_label or "").strip() or f"{self.seal_text}（盖章）"

    def __repr__(self) -> str:
        return f"<Community {self.name}>"


class Building(db.Model):
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    # Numeric order for "2" < "10"; set from number.
    sort_key: Mapped[int] = mapped_column(default=0)
    floors: Mapped[int] = mapped_column(default=1)
    entrances: Mapped[int] = mapped_column(default=1)

    community: Mapped[Community] = relationship(back_populates="buildings")
    units: Mapped[list["Unit"]] = relationship(back_populates="building")

    @property
    def label(self) -> str:
        return f"{self.number}栋"

    def __repr__(self) -> str:
        return f"<Building {self.number}>"


class Unit(db.Model):
    """One home, e.g. 3栋2单元1201 (code 3-2-1201)."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("building_id", "entrance", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    entrance: Mapped[int] = mapped_column(default=1)
    floor: Mapped[int]
    number: Mapped[str] = mapped_column(String(16), index=True)
    area: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    status: Mapped[str] = mapped_column(String(16), default=UnitStatus.VACANT)
    steward_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)

    building: Mapped[Building] = relationship(back_populates="units")
    steward: Mapped["User | None"] = relationship()  # noqa: F821
    occupancies: Mapped[list["Occupancy"]] = relationship(
        back_populates="unit", order_by="Occupancy.id"
    )

    @property
    def community_id(self) -> int:
        return self.building.community_id

    @property
    def code(self) -> str:
        return f"{self.building.number}-{self.entrance}-{self.number}"

    @property
    def label(self) -> str:
        return f"{self.building.number}栋{self.entrance}单元{self.number}"

    @property
    def status_label(self) -> str:
        return UNIT_STATUS_LABELS.get(self.status, self.status)

    def current_occupancies(self, today: date | None = None) -> list["Occupancy"]:
        return [o for o in self.occupancies if o.is_current(today)]

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Person(db.Model):
    """An owner, tenant or household member. ID number and phones are confidential [T9]."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    phone2: Mapped[str | None] = mapped_column(String(20))
    photo: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occupancies: Mapped[list["Occupancy"]] = relationship(back_populates="person")

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


class Occupancy(db.Model):
    """A person's link to a unit with a role, from `since` until `until` (open-ended if None)."""

    __tablename__ = "occupancy"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    relation: Mapped[str | None] = mapped_column(String(32))
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)

    unit: Mapped[Unit] = relationship(back_populates="occupancies")
    person: Mapped[Person] = relationship(back_populates="occupancies")

    @property
    def role_label(self) -> str:
        return OCCUPANT_ROLE_LABELS.get(self.role, self.role)

    def is_current(self, today: date | None = None) -> bool:
        today = today or site_today()
        return (self.since is None or self.since <= today) and (self.until is None or self.until >= today)
