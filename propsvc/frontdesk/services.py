"""Visitors [F1]: register a visit, who is on site now, sign-out, a day's list.

    register(community_id, VisitIn, actor, now=None) -> Visit      (VisitError on a bad unit)
    sign_out(community_id, visit_id, actor, now=None) -> SignOut   (race-safe, idempotent)
    on_site(community_id) -> list[Visit]
    day_visits(community_id, day) -> list[Visit];  day_counts(visits) -> dict
    last_visit_by_phone(community_id, phone) -> Visit | None
    csv_for_day(community_id, day) -> str   (phones and ID numbers masked [T9])

Every registration and sign-out is an Event (visit.registered, visit.signed_out)."""
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..core.models import utcnow
from ..core.services import record
from ..core.spreadsheet import excel_csv
from ..core.timefmt import day_bounds, localtime, site_today
from ..extensions import db
from ..registry.masking import mask_id, mask_phone
from ..registry.models import Building, Unit
from ..registry.validation import is_valid_id_number, is_valid_phone, normalize_id_number, normalize_phone
from .models import Visit

# 来访事由. The key is stored; the label is shown.
PURPOSES = {
    "family": "探亲访友",
    "delivery": "送货",
    "repair": "维修",
    "agent": "中介看房",
    "other": "其他",
}

MAX_PARTY = 50
DAY_LIMIT = 500  # rows on a day's list (a busy gate sees a few hundred)

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Loose but sane: province + letter + 5 characters (or 6 for new-energy plates), or 4 and a
# special last character (挂 trailer, 学 learner, 警 police, 港/澳 cross-border).
_PLATE_RE = re.compile(rf"^[{_PROVINCES}][A-Z](?:[A-Z0-9]{{5,6}}|[A-Z0-9]{{4}}[挂学警港澳])$")


def normalize_plate(value: str | None) -> str:
    """粤a·12345 / 粤A 12345 / 粤A-12345 → 粤A12345."""
    return re.sub(r"[\s·.\-]", "", value or "").upper()


def is_valid_plate(value: str | None) -> bool:
    return bool(_PLATE_RE.match(normalize_plate(value)))


class VisitError(ValueError):
    """A refusal with a Chinese message, the field it belongs to and an HTTP status."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass
class VisitIn:
    visitor_name: str
    phone: str
    unit_id: int
    purpose: str
    purpose_note: str | None = None
    id_number: str | None = None
    plate: str | None = None
    party_size: int = 1
    client_key: str | None = None


def find_by_client_key(key: str | None) -> Visit | None:
    if not key:
        return None
    return db.session.scalar(select(Visit).where(Visit.client_key == key))


def unit_of_community(community_id: int, unit_id: int | None) -> Unit | None:
    if not unit_id:
        return None
    return db.session.scalar(select(Unit).join(Unit.building).where(
        Unit.id == unit_id, Building.community_id == community_id).options(joinedload(Unit.building)))


def register(community_id: int, v: VisitIn, actor, now: datetime | None = None) -> Visit:
    """[F1] Record a visitor's arrival. The unit must be one of this community's."""
    now = now or utcnow()
    name = (v.visitor_name or "").strip()
    if not name or len(name) > 32:
        raise VisitError("请填写访客姓名（最多32字）。", field="visitor_name")
    phone = normalize_phone(v.phone)
    if not is_valid_phone(phone):
        raise VisitError("电话号码格式不正确。", field="phone")
    id_number = normalize_id_number(v.id_number) or None
    if id_number and not is_valid_id_number(id_number):
        raise VisitError("身份证号码不正确。", field="id_number")
    plate = normalize_plate(v.plate) or None
    if plate and not is_valid_plate(plate):
        raise VisitError("车牌号格式不正确。", field="plate")
    unit = unit_of_community(community_id, v.unit_id)
    if unit is None:
        raise VisitError("请选择本小区的房屋。", field="unit_id")
    if v.purpose not in PURPOSES:
        raise VisitError("请选择来访事由。", field="purpose")
    note = (v.purpose_note or "").strip() or None
    if v.purpose == "other" and not note:
        raise VisitError("事由为“其他”时请填写说明。", field="purpose_note")
    party = 1 if v.party_size is None else int(v.party_size)
    if not 1 <= party <= MAX_PARTY:
        raise VisitError(f"人数须在1至{MAX_PARTY}之间。", field="party_size")
    visit = Visit(
        community_id=community_id, unit_id=unit.id, visitor_name=name, phone=phone, id_number=id_number,
        purpose=v.purpose, purpose_note=note, plate=plate, party_size=party, arrived_at=now,
        registered_by_id=getattr(actor, "id", None), client_key=v.client_key or None)
    db.session.add(visit)
    db.session.flush()
    # The event says what happened without copying the visitor's numbers into the log.
    record("visit.registered", visit, actor=actor, community_id=community_id, unit=unit.label,
           purpose=v.purpose, party_size=visit.party_size, plate=visit.plate)
    return visit


@dataclass
class SignOut:
    visit: Visit
    done_now: bool           # False: someone had already signed them out
    by_name: str | None      # who signed them out (now or before)


def get_visit(community_id: int, visit_id: int) -> Visit | None:
    return db.session.scalar(select(Visit).where(Visit.id == visit_id, Visit.community_id == community_id)
                             .options(joinedload(Visit.unit).joinedload(Unit.building)))


def sign_out(community_id: int, visit_id: int, actor, now: datetime | None = None) -> SignOut | None:
    """[F1] One tap signs the visitor out. Race-safe and idempotent: a conditional UPDATE lets
    exactly one tap set the time; a later tap changes nothing and learns who did it, and when.
    None when there is no such visit in this community."""
    now = now or utcnow()
    visit = get_visit(community_id, visit_id)
    if visit is None:
        return None
    won = db.session.execute(
        update(Visit).where(Visit.id == visit.id, Visit.left_at.is_(None))
        .values(left_at=now, signed_out_by_id=getattr(actor, "id", None))
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(visit)
    if won == 1:
        record("visit.signed_out", visit, actor=actor, community_id=community_id,
               minutes=minutes_on_site(visit))
    return SignOut(visit=visit, done_now=won == 1, by_name=user_names({visit.signed_out_by_id}).get(
        visit.signed_out_by_id))


def minutes_on_site(visit: Visit, now: datetime | None = None) -> int:
    end = visit.left_at or now or utcnow()
    return max(0, int((end - visit.arrived_at).total_seconds() // 60))


def stayed_overnight(visit: Visit, today: date | None = None) -> bool:
    """Still on site although they arrived on an earlier day (site time): the desk should
    check whether they left without signing out, or stay with the household."""
    if visit.left_at is not None:
        return False
    return site_today(visit.arrived_at) < (today or site_today())


def duration_label(minutes: int) -> str:
    """95 → 1小时35分; 5 → 5分钟."""
    if minutes < 60:
        return f"{minutes}分钟"
    h, m = divmod(minutes, 60)
    if h >= 24:
        d, h = divmod(h, 24)
        return f"{d}天{h}小时"
    return f"{h}小时{m:02d}分"


def _listing():
    return select(Visit).options(joinedload(Visit.unit).joinedload(Unit.building))


def on_site(community_id: int) -> list[Visit]:
    """Arrived and not signed out, longest on site first."""
    return list(db.session.scalars(_listing().where(
        Visit.community_id == community_id, Visit.left_at.is_(None)).order_by(Visit.arrived_at, Visit.id)))


def on_site_count(user, community_id: int) -> tuple[str, int]:
    """访客's tile (core.nav): visitors arrived and not signed out."""
    n = db.session.scalar(select(func.count()).select_from(Visit).where(
        Visit.community_id == community_id, Visit.left_at.is_(None)))
    return "在场", n or 0


def day_visits(community_id: int, day: date) -> list[Visit]:
    """Visits that arrived on `day` (site time), newest first."""
    lo, hi = day_bounds(day)
    return list(db.session.scalars(_listing().where(
        Visit.community_id == community_id, Visit.arrived_at >= lo, Visit.arrived_at < hi)
        .order_by(Visit.arrived_at.desc(), Visit.id.desc()).limit(DAY_LIMIT)))


def day_counts(visits: list[Visit]) -> dict:
    by_purpose = {label: 0 for label in PURPOSES.values()}
    for v in visits:
        by_purpose[PURPOSES.get(v.purpose, v.purpose)] = by_purpose.get(PURPOSES.get(v.purpose, v.purpose), 0) + 1
    return {
        "visits": len(visits),
        "people": sum(v.party_size for v in visits),
        "on_site": sum(1 for v in visits if v.left_at is None),
        "left": sum(1 for v in visits if v.left_at is not None),
        "vehicles": sum(1 for v in visits if v.plate),
        "by_purpose": {k: n for k, n in by_purpose.items() if n},
    }


def user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def last_visit_by_phone(community_id: int, phone: str | None) -> Visit | None:
    """The latest visit with this phone in this community (to offer its name and plate)."""
    if not phone:
        return None
    return db.session.scalar(_listing().where(Visit.community_id == community_id, Visit.phone == phone)
                             .order_by(Visit.arrived_at.desc(), Visit.id.desc()).limit(1))


def csv_for_day(community_id: int, day: date) -> str:
    """A day's visitors; phones and ID numbers masked like on every page [T9]."""
    visits = sorted(day_visits(community_id, day), key=lambda v: (v.arrived_at, v.id))
    names = user_names({v.registered_by_id for v in visits} | {v.signed_out_by_id for v in visits})
    header = ["到访时间", "离开时间", "停留", "访客姓名", "电话", "身份证号", "人数", "到访房屋", "事由", "说明",
              "车牌", "登记人", "签离人"]
    rows = [[
        localtime(v.arrived_at, "%Y-%m-%d %H:%M"), localtime(v.left_at, "%Y-%m-%d %H:%M"),
        duration_label(minutes_on_site(v)) if v.left_at else "在访", v.visitor_name,
        mask_phone(v.phone), mask_id(v.id_number), v.party_size, v.unit.label,
        PURPOSES.get(v.purpose, v.purpose), v.purpose_note or "", v.plate or "",
        names.get(v.registered_by_id, ""), names.get(v.signed_out_by_id, ""),
    ] for v in visits]
    return excel_csv(header, rows)
