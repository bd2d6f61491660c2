"""Unit look-up (the reveal of confidential fields is privacy.services.reveal)."""
import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload

from ..auth.models import User
from ..core import scope
from ..core.forms import parse_id
from ..extensions import db
from .models import Building, Occupancy, Person, Unit

SEARCH_LIMIT = 30

# 3-2-1201, 3栋2单元1201, 3-1201 (building-number), 3栋1201
_UNIT_CODE = re.compile(r"^(?P<b>[0-9A-Za-z]+)\s*(?:-|栋|幢|号楼)\s*(?:(?P<e>\d+)\s*(?:-|单元)\s*)?(?P<n>[0-9A-Za-z]+)(?:室|号)?$")
_LOOKS_LIKE_CODE = re.compile(r"^[0-9A-Za-z\-\s栋幢号楼单元室]+$")
_DIGITS = re.compile(r"^\d+$")


class SearchError(ValueError):
    pass


@dataclass
class UnitQuery:
    building: str | None = None
    entrance: int | None = None
    number: str | None = None
    digits: str | None = None  # a bare number: unit number or a phone's last 4 digits
    name: str | None = None


def parse_query(q: str) -> UnitQuery | None:
    """Read what the clerk typed. Raises SearchError for a malformed unit number."""
    q = (q or "").strip()
    if not q:
        return None
    if len(q) > 40:
        raise SearchError("查询内容太长。")
    if _DIGITS.match(q):
        return UnitQuery(digits=q)
    m = _UNIT_CODE.match(q)
    if m:
        return UnitQuery(building=m["b"], entrance=int(m["e"]) if m["e"] else None, number=m["n"])
    if _LOOKS_LIKE_CODE.match(q) and any(ch.isdigit() for ch in q):
        raise SearchError("房号格式不正确，请按“栋-单元-房号”输入，如 3-2-1201。")
    return UnitQuery(name=q)


def search_units(community_id: int, q: str, user=None) -> list[Unit]:
    """Units matching `q`; a steward's (`user`) own and covered buildings first [D2]."""
    uq = parse_query(q)
    if uq is None:
        return []
    stmt = (
        select(Unit)
        .join(Unit.building)
        .where(Building.community_id == community_id)
        .options(contains_eager(Unit.building), selectinload(Unit.occupancies).selectinload(Occupancy.person))
        .order_by(*([scope.own_first(user, Building.id, community_id)] if user is not None else []),
                  Building.sort_key, Building.number, Unit.entrance, Unit.number)
        .limit(SEARCH_LIMIT)
    )
    if uq.number is not None:
        stmt = stmt.where(Building.number == uq.building, Unit.number == uq.number)
        if uq.entrance is not None:
            stmt = stmt.where(Unit.entrance == uq.entrance)
    else:
        people = select(Occupancy.unit_id).join(Occupancy.person).where(Person.community_id == community_id)
        if uq.digits is not None:
            conds = [Unit.number == uq.digits]
            if len(uq.digits) == 4:
                conds.append(Unit.id.in_(people.where(or_(Person.phone.like(f"%{uq.digits}"), Person.phone2.like(f"%{uq.digits}")))))
            elif len(uq.digits) >= 7:
                conds.append(Unit.id.in_(people.where(or_(Person.phone == uq.digits, Person.phone2 == uq.digits))))
            stmt = stmt.where(or_(*conds))
        else:
            stmt = stmt.where(Unit.id.in_(people.where(Person.name.contains(uq.name, autoescape=True))))
    return list(db.session.scalars(stmt).unique())


@dataclass
class UnitLookup:
    """What an intake form's unit look-up shows: the chosen unit, or the units a search found
    to choose from, or why the search could not run."""

    unit: Unit | None = None
    options: list[Unit] | None = None
    error: str | None = None


def unit_lookup(community_id: int, unit_id, q: str | None) -> UnitLookup:
    """The unit of an intake form: `unit_id` when it is one of this community's, else a search
    for `q` (an exact hit is chosen at once). Another community's unit counts as not chosen."""
    unit = None
    if parse_id(unit_id):
        unit = load_unit(parse_id(unit_id))
        if unit is not None and unit.building.community_id != community_id:
            unit = None
    if unit is not None or not q:
        return UnitLookup(unit, [])
    try:
        options = search_units(community_id, q)
    except SearchError as e:
        return UnitLookup(None, [], str(e))
    if len(options) == 1:
        return UnitLookup(options[0], [])
    return UnitLookup(None, options)


def load_unit(unit_id: int) -> Unit | None:
    return db.session.scalar(
        select(Unit)
        .where(Unit.id == unit_id)
        .options(selectinload(Unit.occupancies).selectinload(Occupancy.person), selectinload(Unit.building),
                 joinedload(Unit.steward).options(lazyload(User.role_rows), lazyload(User.communities)))
    )
