"""Notices (公告) [F2]: the rules. Publishing, revising and withdrawing (each an Event), the lists by
site day (current, upcoming, past), what the kiosk, the lock screen and a steward's 今日 show,
and the plain data a printed notice needs."""
import hashlib
import re
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..core import limits
from ..core.roles import Role
from ..core.services import record
from ..core.timefmt import site_today, utcnow
from ..extensions import db
from ..registry.models import Building, Community
from .models import NOTICE_KIND_LABELS, Notice, notice_building

TITLE_MAX = 60
BODY_MAX = 3000
MAX_DAYS = limits.NOTICE_MAX_DAYS  # a notice is shown at most a year
LIST_LIMIT = 100
LISTS = {"current": "展示中", "upcoming": "未开始", "past": "已结束"}


class NoticeError(ValueError):
    """A rule a notice breaks: `field` names the form field the message belongs next to."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field, self.status = field, status


# --- publishing --------------------------------------------------------------------------

def clean_body(text: str | None) -> str:
    """Plain text: unify line ends, strip trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def paragraphs(body: str) -> list[str]:
    """Blank lines separate paragraphs; single line breaks stay inside one (shown pre-wrapped)."""
    return [p.strip("\n") for p in re.split(r"\n\s*\n", body or "") if p.strip()]


def check_dates(valid_from: date | None, valid_until: date | None, today: date) -> None:
    if valid_from is None:
        raise NoticeError("valid_from", "请填写开始展示日期。")
    if valid_until is None:
        raise NoticeError("valid_until", "请填写结束展示日期。")
    if valid_until < valid_from:
        raise NoticeError("valid_until", "结束日期不能早于开始日期。")
    if valid_until < today:
        raise NoticeError("valid_until", "结束日期已过，公告不会再展示；请改为今天或以后的日期。")
    if (valid_until - valid_from).days + 1 > MAX_DAYS:
        raise NoticeError("valid_until", f"展示期最长{MAX_DAYS}天。")


def _checked(community_id: int, *, title: str, body: str, kind: str, building_ids: list[int] | None,
             valid_from: date | None, valid_until: date | None, today: date) -> tuple[str, str, list[Building]]:
    """The rules a notice's text, kind, dates and buildings must meet (publishing and revising):
    the cleaned title and body and the buildings (of this community only). NoticeError if not."""
    title = " ".join((title or "").split())
    body = clean_body(body)
    if not title:
        raise NoticeError("title", "请填写标题。")
    if len(title) > TITLE_MAX:
        raise NoticeError("title", f"标题最多{TITLE_MAX}字。")
    if not body:
        raise NoticeError("body", "请填写公告内容。")
    if len(body) > BODY_MAX:
        raise NoticeError("body", f"公告内容最多{BODY_MAX}字。")
    if kind not in NOTICE_KIND_LABELS:
        raise NoticeError("kind", "请选择公告类型。")
    check_dates(valid_from, valid_until, today)
    ids = sorted(set(building_ids or []))
    buildings = []
    if ids:
        buildings = list(db.session.scalars(
            select(Building).where(Building.id.in_(ids), Building.community_id == community_id)))
        if len(buildings) != len(ids):
            raise NoticeError("building_ids", "所选楼栋不属于本小区。")
    return title, body, buildings


def publish(community_id: int, actor, *, title: str, body: str, kind: str, building_ids: list[int] | None,
            valid_from: date | None, valid_until: date | None, client_key: str | None = None,
            today: date | None = None) -> Notice:
    """A new notice, shown from valid_from to valid_until (site dates, inclusive). Buildings of
    this community only; none means the whole community. NoticeError on bad input."""
    today = today or site_today()
    title, body, buildings = _checked(community_id, title=title, body=body, kind=kind, building_ids=building_ids,
                                      valid_from=valid_from, valid_until=valid_until, today=today)
    n = Notice(community_id=community_id, kind=kind, title=title, body=body, valid_from=valid_from,
               valid_until=valid_until, created_by_id=getattr(actor, "id", None), client_key=client_key or None)
    n.buildings = buildings
    db.session.add(n)
    db.session.flush()
    record("notice.published", n, community_id=community_id, actor=actor, title=title, kind=kind,
           buildings=_numbers(buildings), valid_from=valid_from.isoformat(),
           valid_until=valid_until.isoformat())
    return n


def changeable(n: Notice, today: date | None = None) -> bool:
    """Shown now or due later, and not withdrawn: may still be corrected or withdrawn."""
    return n.status(today or site_today()) in ("current", "upcoming")


def version(n: Notice) -> str:
    """A fingerprint of what a notice says and when and where it shows: an edit form carries
    the one it started from, so a second editor's older form cannot silently undo the first."""
    text = "\x1f".join([n.kind, n.title, n.body, n.valid_from.isoformat(), n.valid_until.isoformat(),
                        ",".join(str(b.id) for b in n.buildings)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]



def _numbers(buildings) -> list[str]:
    """Building numbers in site order (a relationship's order is the database's whim)."""
    return [b.number for b in sorted(buildings, key=lambda b: (b.sort_key, b.number))]

def revise(n: Notice, actor, *, title: str, body: str, kind: str, building_ids: list[int] | None,
           valid_from: date | None, valid_until: date | None, based_on: str | None,
           today: date | None = None) -> list[str]:
    """Correct a notice that is shown or about to be (a typo, a new end date): the same rules as
    publishing. Returns the names of the fields that changed ([] when nothing did: no Event).
    The Event keeps what each changed field said before. NoticeError: 409 when the notice was
    withdrawn, has ended, or was changed by someone else since the form was opened."""
    today = today or site_today()
    if n.withdrawn_at is not None:
        raise NoticeError("title", "该公告已撤回，不能修改；如需展示请重新发布。", 409)
    if n.valid_until < today:
        raise NoticeError("title", "该公告已结束展示，不能修改。", 409)
    if based_on != version(n):
        raise NoticeError("title", "该公告刚被他人修改过，请查看最新内容后再改。", 409)
    title, body, buildings = _checked(n.community_id, title=title, body=body, kind=kind, building_ids=building_ids,
                                      valid_from=valid_from, valid_until=valid_until, today=today)
    before = {"kind": n.kind, "title": n.title, "body": n.body, "valid_from": n.valid_from.isoformat(),
              "valid_until": n.valid_until.isoformat(), "buildings": _numbers(n.buildings)}
    after = {"kind": kind, "title": title, "body": body, "valid_from": valid_from.isoformat(),
             "valid_until": valid_until.isoformat(), "buildings": _numbers(buildings)}
    changed = [k for k in before if before[k] != after[k]]
    if not changed:
        return []
    n.kind, n.title, n.body, n.valid_from, n.valid_until = kind, title, body, valid_from, valid_until
    n.buildings = buildings
    record("notice.revised", n, actor=actor, changed=changed, before={k: before[k] for k in changed},
           after={k: after[k] for k in changed if k != "body"})
    return changed


def revisions(n: Notice) -> list[dict]:
    """Who changed the notice and when, oldest first: [{"at", "by", "fields"}] in Chinese."""
    from ..auth.models import User
    from ..core.models import Event

    events = list(db.session.scalars(select(Event).where(
        Event.object_type == "notice", Event.object_id == n.id, Event.action == "notice.revised").order_by(Event.id)))
    names = dict(db.session.execute(select(User.id, User.name).where(
        User.id.in_({e.actor_id for e in events if e.actor_id}))).all()) if events else {}
    return [{"at": e.at, "by": names.get(e.actor_id, "系统"),
             "fields": "、".join(FIELD_LABELS.get(f, f) for f in (e.data or {}).get("changed", []))} for e in events]


FIELD_LABELS = {"kind": "类型", "title": "标题", "body": "内容", "valid_from": "开始日期", "valid_until": "结束日期",
                "buildings": "楼栋"}


def withdraw(n: Notice, actor, reason: str | None, today: date | None = None) -> Notice:
    """Take a notice down before its end (it stays in the past list, marked 已撤回)."""
    today = today or site_today()
    if n.withdrawn_at is not None:
        raise NoticeError("reason", "该公告已撤回。", 409)
    if n.valid_until < today:
        raise NoticeError("reason", "该公告已过期，无需撤回。", 409)
    reason = " ".join((reason or "").split())
    if not reason:
        raise NoticeError("reason", "请填写撤回原因。")
    if len(reason) > 200:
        raise NoticeError("reason", "撤回原因最多200字。")
    n.withdrawn_at, n.withdrawn_by_id, n.withdraw_reason = utcnow(), getattr(actor, "id", None), reason
    record("notice.withdrawn", n, actor=actor, reason=reason,
           was="upcoming" if today < n.valid_from else "current")
    return n


def publish_event_notice(community_id: int, actor, *, title: str, body: str, building_ids: list[int],
                         valid_from: date, valid_until: date) -> int:
    """core.hooks.PUBLISH_NOTICE: a community event's notice (kind 社区活动), under publish()'s rules."""
    return publish(community_id, actor, title=title, body=body, kind="event", building_ids=building_ids,
                   valid_from=valid_from, valid_until=valid_until, today=valid_from).id


def withdraw_by_id(notice_id: int, actor, reason: str) -> bool:
    """core.hooks.WITHDRAW_NOTICE: take a (cancelled event's) notice down; False if it is not up."""
    n = db.session.get(Notice, notice_id)
    if n is None or not changeable(n):
        return False
    withdraw(n, actor, reason[:200])
    return True


def by_client_key(key: str | None) -> Notice | None:
    if not key:
        return None
    return db.session.scalar(select(Notice).where(Notice.client_key == key))


# --- lists ---------------------------------------------------------------------------------

def _base(community_id: int):
    return (select(Notice).where(Notice.community_id == community_id)
            .options(selectinload(Notice.buildings)))


def listing(community_id: int, which: str = "current", today: date | None = None) -> list[Notice]:
    """current: shown today; upcoming: starts later; past: ended or withdrawn (newest first)."""
    today = today or site_today()
    stmt = _base(community_id)
    live = Notice.withdrawn_at.is_(None)
    if which == "upcoming":
        stmt = stmt.where(live, Notice.valid_from > today).order_by(Notice.valid_from, Notice.id)
    elif which == "past":
        stmt = stmt.where(or_(Notice.withdrawn_at.is_not(None), Notice.valid_until < today)).order_by(
            Notice.valid_until.desc(), Notice.id.desc())
    else:
        stmt = stmt.where(live, Notice.valid_from <= today, Notice.valid_until >= today).order_by(
            Notice.valid_from.desc(), Notice.id.desc())
    return list(db.session.scalars(stmt.limit(LIST_LIMIT)))


def counts(community_id: int, today: date | None = None) -> dict[str, int]:
    """How many notices each list has (for the tabs); small tables, three cheap counts."""
    today = today or site_today()
    live = Notice.withdrawn_at.is_(None)
    base = select(func.count()).select_from(Notice).where(Notice.community_id == community_id)
    return {
        "current": db.session.scalar(base.where(live, Notice.valid_from <= today, Notice.valid_until >= today)),
        "upcoming": db.session.scalar(base.where(live, Notice.valid_from > today)),
        "past": db.session.scalar(base.where(or_(~live, Notice.valid_until < today))),
    }


def current_count(user, community_id: int) -> tuple[str, int]:
    """公告's tile (core.nav): notices shown today (the 当前 list)."""
    return "今日公告", counts(community_id)["current"]


def current(community_id: int, today: date | None = None, building_ids: list[int] | None = None,
            limit: int = 20) -> list[Notice]:
    """The notices shown today. building_ids: only those for the whole community or concerning
    one of these buildings (a steward's own, for 今日); None: all of them (kiosk, lock screen)."""
    today = today or site_today()
    stmt = _base(community_id).where(Notice.withdrawn_at.is_(None), Notice.valid_from <= today,
                                     Notice.valid_until >= today)
    if building_ids is not None:
        targeted = exists().where(notice_building.c.notice_id == Notice.id)
        mine = exists().where(notice_building.c.notice_id == Notice.id,
                              notice_building.c.building_id.in_(building_ids or [-1]))
        stmt = stmt.where(or_(~targeted, mine))
    return list(db.session.scalars(stmt.order_by(Notice.valid_from.desc(), Notice.id.desc()).limit(limit)))


def for_steward(user, community_id: int, today: date | None = None) -> list[dict]:
    """今日: current notices for the whole community or the steward's buildings [D2]."""
    ids = [b.id for b in user.buildings if b.community_id == community_id]
    return board(community_id, today, building_ids=ids)


def board_for(community_id: int, user=None) -> list[dict]:
    """The notices other pages show (core.hooks.NOTICE_BOARD): a steward's 今日 gets
    for_steward, the home page and the kiosk's lock screen (no user) the community's board."""
    if user is not None and user.has_role(Role.STEWARD):
        return for_steward(user, community_id)
    return board(community_id)


def public_view(n: Notice) -> dict:
    """What a resident may see (the lock screen): no author, no internal notes."""
    return {"id": n.id, "title": n.title, "kind": n.kind, "kind_label": n.kind_label, "scope_label": n.scope_label,
            "paragraphs": paragraphs(n.body), "valid_from": n.valid_from, "valid_until": n.valid_until}


def board(community_id: int, today: date | None = None, building_ids: list[int] | None = None) -> list[dict]:
    """current() as public_view dicts, for the notice cards (templates/notices/_notices.html)."""
    return [public_view(n) for n in current(community_id, today, building_ids)]


# --- printing ------------------------------------------------------------------------------

def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def print_data(n: Notice, community: Community) -> dict:
    """Plain data for templates/notices/notice_pdf.html."""
    issuer = (community.stamp_name or community.name).strip()
    return {
        "title": n.title, "kind": n.kind_label, "scope": n.scope_label if n.buildings else "",
        "paragraphs": paragraphs(n.body), "community": community.name, "issuer": issuer,
        "date": cn_date(site_today(n.created_at)),
        "period": f"{cn_date(n.valid_from)}至{cn_date(n.valid_until)}",
        "withdrawn": n.withdrawn_at is not None,
        "stamp_name": community.stamp_name, "stamp_image": community.stamp_image,
    }
