"""The reveal of a confidential field, its audit, and cover (代班) [T9] [D2]."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..auth.models import User, user_building
from ..core import limits, scope
from ..core.forms import parse_id
from ..core.models import utcnow
from ..core.roles import Role
from ..core.services import record
from ..core.spreadsheet import excel_csv
from ..core.timefmt import day_bounds, localtime, site_today
from ..extensions import db
from ..registry.masking import mask_id, mask_phone
from ..registry.models import Building, Unit
from .models import Cover, RevealLog

REASON_MAX = 100
REASON_REQUIRED = "请填写查看原因（例如：联系业主确认上门时间），填写后再按“显示”。"
REASON_TOO_LONG = f"查看原因最多{REASON_MAX}个字。"
NOT_FOUND = "没有找到这条记录，可能已被删除。"
REMASK_SECONDS = 30


class RevealError(ValueError):
    """A refused reveal; `status` is the HTTP status, the message (Chinese) is shown."""

    def __init__(self, message: str, status: int = 400, field_error: bool = False):
        super().__init__(message)
        self.status = status
        self.field_error = field_error


def mask(sort: str, value: str | None) -> str:
    return mask_phone(value) if sort == scope.PHONE else mask_id(value)


def masked_value(kind: str, obj, attr: str) -> str:
    sort = scope.REVEAL[kind].fields[attr][0]
    return mask(sort, getattr(obj, attr, None))


@dataclass
class Revealed:
    kind: str
    obj: object
    attr: str
    value: str
    label: str
    subject: str
    log: RevealLog


def load(kind: str, ident: int, attr: str, community_id: int):
    rule = scope.REVEAL.get(kind)
    if rule is None or attr not in rule.fields:
        raise RevealError(NOT_FOUND, 404)
    obj = rule.load(ident)
    if obj is None or rule.community(obj) != community_id:
        raise RevealError(NOT_FOUND, 404)
    return obj


def reveal(user, kind: str, ident: int, attr: str, reason: str | None, *, community_id: int,
           session_id: int | None, day: date | None = None) -> Revealed:
    """The full value of one field, when the user's role and assignment allow it and a reason is
    given; writes the audit row and an Event (the caller commits). RevealError otherwise, with
    nothing written."""
    obj = load(kind, ident, attr, community_id)
    try:
        _, label = scope.check_reveal(user, kind, obj, attr, community_id, day)
    except scope.RevealRefused as e:
        raise RevealError(str(e), 403) from None
    reason = (reason or "").strip()
    if not reason:
        raise RevealError(REASON_REQUIRED, 422, field_error=True)
    if len(reason) > REASON_MAX:
        raise RevealError(REASON_TOO_LONG, 422, field_error=True)
    rule = scope.REVEAL[kind]
    units = [u for u in rule.units(obj) if u is not None]
    subject = (rule.subject(obj) or "")[:64]
    log = RevealLog(community_id=community_id, user_id=user.id, record_type=kind, record_id=obj.id,
                    subject=subject, unit_id=units[0].id if units else None, field=attr, reason=reason,
                    session_id=session_id if isinstance(session_id, int) else None, at=utcnow())
    db.session.add(log)
    record("personal_data.revealed", obj, community_id=community_id, actor=user, record_type=kind,
           field=attr, reason=reason, session_id=log.session_id)
    return Revealed(kind, obj, attr, getattr(obj, attr) or "", label, subject, log)


# --- the audit -------------------------------------------------------------------------

AUDIT_ROLES = (Role.SUPERVISOR, Role.MANAGER)
AUDIT_LIMIT = 500


@dataclass
class AuditFilters:
    start: date
    end: date
    user_id: int | None = None
    unit_q: str = ""
    errors: list[str] = field(default_factory=list)

    def args(self) -> dict:
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.user_id:
            out["user"] = self.user_id
        if self.unit_q:
            out["unit"] = self.unit_q
        return out


def parse_audit_filters(args, now=None) -> AuditFilters:
    from ..core.timefmt import day_range

    start, end, errors = day_range(args, default_days=7, max_days=366, now=now)
    uid = args.get("user", "")
    return AuditFilters(start, end, parse_id(uid), (args.get("unit") or "").strip()[:40], errors)


def _unit_ids(community_id: int, q: str) -> list[int] | None:
    """Units matching the unit box (3-2-1201, 3栋2单元1201, 1201 …) or None for no filter."""
    from ..registry.services import SearchError, parse_query, unit_conditions

    if not q:
        return None
    try:
        uq = parse_query(q)
    except SearchError:
        return []
    stmt = select(Unit.id).join(Unit.building).where(Building.community_id == community_id)
    if uq is None:
        return None  # nothing left after cleaning (spaces, a NUL): the box is empty
    conds = unit_conditions(uq)
    return [] if conds is None else list(db.session.scalars(stmt.where(*conds)))


def audit_rows(community_id: int, f: AuditFilters, limit: int | None = AUDIT_LIMIT) -> list[RevealLog]:
    lo, _ = day_bounds(f.start)
    _, hi = day_bounds(f.end)
    stmt = (select(RevealLog).where(RevealLog.community_id == community_id, RevealLog.at >= lo, RevealLog.at < hi)
            .order_by(RevealLog.at.desc(), RevealLog.id.desc()))
    if f.user_id:
        stmt = stmt.where(RevealLog.user_id == f.user_id)
    units = _unit_ids(community_id, f.unit_q)
    if units is not None:
        stmt = stmt.where(RevealLog.unit_id.in_(units or [-1]))
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def record_label(kind: str) -> str:
    rule = scope.REVEAL.get(kind)
    return rule.label if rule else kind


def field_label(kind: str, attr: str) -> str:
    rule = scope.REVEAL.get(kind)
    return rule.fields[attr][1] if rule and attr in rule.fields else attr


def audit_csv(rows: list[RevealLog]) -> str:
    """The audit as a spreadsheet: who looked at which field of whose record and why; never
    the value itself."""
    header = ["时间", "员工", "记录类别", "姓名", "房屋", "字段", "原因", "会话"]
    return excel_csv(header, [[
        localtime(r.at, "%Y-%m-%d %H:%M:%S"), r.user.name if r.user else "", record_label(r.record_type),
        r.subject, r.unit.label if r.unit else "", field_label(r.record_type, r.field), r.reason,
        r.session_id or "",
    ] for r in rows])


def audit_staff(community_id: int) -> list[User]:
    ids = select(RevealLog.user_id).where(RevealLog.community_id == community_id).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name, User.id)))


# --- cover (代班) ----------------------------------------------------------------------

COVER_ROLES = (Role.SUPERVISOR, Role.MANAGER)
MAX_COVER_DAYS = limits.COVER_MAX_DAYS


class CoverError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def stewards(community_id: int) -> list[User]:
    from ..auth.models import UserRole, user_community

    return list(db.session.scalars(
        select(User).join(user_community, user_community.c.user_id == User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(user_community.c.community_id == community_id, UserRole.role == Role.STEWARD, User.active.is_(True))
        .order_by(User.name, User.id).distinct()))


def grant_cover(actor, community_id: int, user_id: int, for_user_id: int, starts_on: date, ends_on: date,
                note: str | None = None, today: date | None = None) -> Cover:
    today = today or site_today()
    ids = {u.id for u in stewards(community_id)}
    if user_id not in ids:
        raise CoverError("请选择代班的管家。", "user_id")
    if for_user_id not in ids:
        raise CoverError("请选择被代班的管家。", "for_user_id")
    if user_id == for_user_id:
        raise CoverError("代班人和被代班人不能是同一人。", "for_user_id")
    if ends_on < starts_on:
        raise CoverError("结束日期不能早于开始日期。", "ends_on")
    if ends_on < today:
        raise CoverError("结束日期已过，无需代班。", "ends_on")
    if (ends_on - starts_on).days + 1 > MAX_COVER_DAYS:
        raise CoverError(f"一次代班最长{MAX_COVER_DAYS}天。", "ends_on")
    dup = db.session.scalar(select(Cover).where(
        Cover.community_id == community_id, Cover.user_id == user_id, Cover.for_user_id == for_user_id,
        Cover.starts_on == starts_on, Cover.ends_on == ends_on, Cover.ended_at.is_(None)))
    if dup is not None:  # a double submit: the same cover once
        return dup
    c = Cover(community_id=community_id, user_id=user_id, for_user_id=for_user_id, starts_on=starts_on,
              ends_on=ends_on, note=(note or "").strip()[:200] or None, granted_by_id=actor.id)
    db.session.add(c)
    db.session.flush()
    record("cover.granted", c, actor=actor, user_id=user_id, for_user_id=for_user_id,
           starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    return c


def end_cover(actor, community_id: int, cover_id: int) -> Cover:
    c = db.session.get(Cover, cover_id)
    if c is None or c.community_id != community_id:
        raise CoverError(NOT_FOUND)
    if c.ended_at is None:
        c.ended_at = utcnow()
        c.ended_by_id = actor.id
        record("cover.ended", c, actor=actor)
    return c


def cover_building_ids(user, community_id: int, day: date) -> set[int]:
    """Buildings `user` covers on `day` (site date) by a cover (代班) granted to them
    (core.hooks.ASSIGNED_BUILDINGS)."""
    absent = select(Cover.for_user_id).where(
        Cover.user_id == user.id, Cover.community_id == community_id, Cover.ended_at.is_(None),
        Cover.starts_on <= day, Cover.ends_on >= day)
    return set(db.session.scalars(select(user_building.c.building_id).where(user_building.c.user_id.in_(absent))))


def covers(community_id: int, today: date | None = None) -> list[Cover]:
    """Current and coming covers, then the last ended or past ones."""
    today = today or site_today()
    rows = list(db.session.scalars(select(Cover).where(Cover.community_id == community_id)
                                   .order_by(Cover.starts_on.desc(), Cover.id.desc()).limit(100)))
    return sorted(rows, key=lambda c: (not (c.ended_at is None and c.ends_on >= today), -c.id))
