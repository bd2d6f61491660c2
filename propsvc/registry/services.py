"""Unit look-up (the reveal of confidential fields is privacy.services.reveal)."""
import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload

from ..auth.models import User
from ..core import scope
from ..core.forms import parse_id
from ..core.normalize import QueryTooLong, clean_query
from ..extensions import db
from .models import Building, Occupancy, Person, Unit
from .query import UnitCode, UnitCodeError, parse_unit_query

SEARCH_LIMIT = 30

_DIGITS = re.compile(r"^\d+$")
# A phone typed with spaces or dashes (138 1234 5678, 020-1234-5678): searched as digits.
_PHONE = re.compile(r"1\d{10}|0\d{9,11}")


class SearchError(ValueError):
    pass


@dataclass
class UnitQuery:
    """What a unit search asks for: a unit code (whole or in part: building, entrance and/or
    number), or a bare number (a unit number or a phone's last 4 digits), or a name."""

    building: str | None = None
    entrance: int | None = None
    number: str | None = None
    digits: str | None = None  # a bare number: unit number or a phone's last 4 digits
    name: str | None = None

    @property
    def is_code(self) -> bool:
        return self.building is not None or self.entrance is not None or self.number is not None

    @property
    def label(self) -> str:
        """The code as the app writes it (3栋2单元1201, 3栋2单元), "" for a number or a name."""
        return UnitCode(self.building, self.entrance, self.number).label if self.is_code else ""


def parse_query(q: str | None) -> UnitQuery | None:
    """Read what the clerk typed, through the one normaliser (core.normalize.clean_query and
    registry.query: full-width, IME dashes, 栋/单元/室, #, /, Chinese numerals; NUL and control
    characters dropped). None when nothing is left to search for. Raises SearchError (a Chinese
    sentence) for a query too long or a unit code that cannot be read."""
    try:
        text = clean_query(q)
    except QueryTooLong as e:
        raise SearchError(str(e)) from None
    if not text:
        return None
    if _DIGITS.match(text):
        return UnitQuery(digits=text)
    compact = re.sub(r"[\s\-]", "", text)
    if compact.isdigit() and _PHONE.fullmatch(compact):
        return UnitQuery(digits=compact)
    try:
        code = parse_unit_query(text)
    except UnitCodeError as e:
        raise SearchError(str(e)) from None
    if code is not None:
        return UnitQuery(building=code.building, entrance=code.entrance, number=code.number)
    return UnitQuery(name=text)


def unit_conditions(uq: UnitQuery) -> list | None:
    """The WHERE conditions on Building and Unit for a unit code (whole or in part) or a bare
    number (the home's number); every unit picker and filter narrows with these (join
    Unit.building first). None for a name: the caller searches its own name column."""
    if uq.digits is not None:
        return [Unit.number == uq.digits]
    if not uq.is_code:
        return None
    conds = []
    if uq.building is not None:
        conds.append(Building.number == uq.building)
    if uq.entrance is not None:
        conds.append(Unit.entrance == uq.entrance)
    if uq.number is not None:
        conds.append(Unit.number == uq.number)
    return conds


def search_units(community_id: int, q: "str | UnitQuery | None", user=None) -> list[Unit]:
    """Units matching `q` (typed text, or what parse_query made of it); a steward's (`user`) own
    and covered buildings first [D2]. Nothing for an empty query (not every unit)."""
    uq = q if isinstance(q, UnitQuery) else parse_query(q)
    if uq is None:
        return []
    stmt = (
        select(Unit)
        .join(Unit.building)
        .where(Building.community_id == community_id)
        .options(contains_eager(Unit.building), selectinload(Unit.occupancies).selectinload(Occupancy.person))
        .order_by(*([scope.own_first(user, Building.id, community_id)] if user is not None else []),
                  Building.sort_key, Building.number, Unit.entrance, Unit.floor, Unit.number)
        .limit(SEARCH_LIMIT)
    )
    if uq.is_code:
        stmt = stmt.where(*unit_conditions(uq))
    else:
        people = select(Occupancy.unit_id).join(Occupancy.person).where(Person.community_id == community_id)
        if uq.digits is not None:
            conds = unit_conditions(uq)  # the home's number, or a phone's digits:
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
    unit, uid = None, parse_id(unit_id)
    if uid is not None:
        unit = load_unit(uid)
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


# --- the community's seal ------------------------------------------------------------------

SEAL_FIELDS = {"stamp_name": "印章文字", "sign_label": "签章行文字"}


def save_seal(community, actor, *, stamp_name: str, sign_label: str | None) -> dict[str, dict[str, str]]:
    """Set the text of the community's seal and the label of the signature line it is pressed on
    (issue 15): documents approved from now on freeze them (documents.service._issue_facts);
    drafts reprint with them at once. A blank sign_label follows the seal (its text + （盖章））.
    Returns what changed ({"stamp_name": {"old", "new"}}), also recorded in a
    `community.seal_changed` Event; nothing changed: no Event."""
    new = {"stamp_name": (stamp_name or "").strip() or None, "sign_label": (sign_label or "").strip() or None}
    changes = {}
    for key, value in new.items():
        old = getattr(community, key)
        if (old or None) != value:
            changes[key] = {"old": old or "", "new": value or ""}
            setattr(community, key, value)
    if changes:
        from ..core.services import record

        record("community.seal_changed", community, actor=actor, **changes)
    return changes
