"""Community events (社区活动) [F2]: the rules. Planning and revising an event, its states
(筹备 → 已发布 → 进行中 → 已结束 / 已取消, each change an Event), publishing (a notice through the
core.hooks.PUBLISH_NOTICE point; cancelling withdraws it and lists whom to tell), signing up per
home with capacity and a waiting list, check-in on the day with walk-ins, and the look back."""
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..core import hooks
from ..core.services import record
from ..core.timefmt import site_now, site_today, utcnow
from ..extensions import db
from ..registry.masking import mask_phone
from ..registry.models import Building, Unit
from ..registry.services import SearchError, parse_query, unit_conditions
from .models import AGE_LABELS, KIND_LABELS, CommunityEvent, EventSignup, EventState, SignupState

TITLE_MAX, PLACE_MAX, TEXT_MAX = 60, 60, 2000
CAPACITY_MAX = 2000
PEOPLE_MAX = 10          # one home signs up at most this many people
MAX_DAYS = 3             # an event lasts at most this long
OPENS = timedelta(hours=12)  # check-in (进行中) opens this long before the start
LINES_MAX = 30           # checklist and budget lines
MONEY_MAX = Decimal("1000000")
LIST_LIMIT = 100
LISTS = {"upcoming": "未开始", "running": "进行中", "past": "已结束"}
_PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}")


class EventError(ValueError):
    """A rule an event or a sign-up breaks: `field` names the form field the message belongs
    next to; status 422 (bad input) or 409 (a step out of order)."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field, self.status = field, status


@dataclass
class EventIn:
    title: str = ""
    kind: str = "other"
    starts_at: datetime | None = None   # aware UTC
    ends_at: datetime | None = None
    place: str = ""
    capacity: int | None = None
    age_group: str = "all"
    building_ids: list[int] = field(default_factory=list)
    description: str = ""
    resources: str = ""   # lines: 事项 | 负责人 | 截止日期
    budget: str = ""      # lines: 项目 | 金额


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def _lines(text: str | None) -> list[list[str]]:
    rows = []
    for line in (text or "").replace("\r", "\n").split("\n"):
        if line.strip():
            rows.append([p.strip() for p in re.split(r"[|｜]", line)])
    return rows


def money(value: str, field_name: str, n: int) -> Decimal:
    raw = (value or "").replace("元", "").replace(",", "").replace("，", "").replace("¥", "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise EventError(field_name, f"第{n}行的金额不正确，请写成“项目 | 金额”，如：场地布置 | 300。") from None
    if not amount.is_finite() or amount < 0 or amount >= MONEY_MAX:
        raise EventError(field_name, f"第{n}行的金额不正确（0至100万元）。")
    return amount.quantize(Decimal("0.01"))


def parse_money_lines(text: str | None, field_name: str) -> list[dict]:
    """"项目 | 金额" lines → [{"item", "amount"}] (amount a string in yuan, two decimals)."""
    rows = _lines(text)
    if len(rows) > LINES_MAX:
        raise EventError(field_name, f"最多{LINES_MAX}行。")
    out = []
    for n, parts in enumerate(rows, 1):
        if len(parts) != 2 or not parts[0]:
            raise EventError(field_name, f"第{n}行请写成“项目 | 金额”，如：场地布置 | 300。")
        if len(parts[0]) > 40:
            raise EventError(field_name, f"第{n}行的项目名称最多40字。")
        out.append({"item": parts[0], "amount": str(money(parts[1], field_name, n))})
    return out


def parse_resources(text: str | None, old: list | None = None) -> list[dict]:
    """"事项 | 负责人 | 截止日期" lines → the checklist; a line already ticked stays ticked."""
    rows = _lines(text)
    if len(rows) > LINES_MAX:
        raise EventError("resources", f"最多{LINES_MAX}行。")
    done = {(r["item"], r["owner"]) for r in (old or []) if r.get("done")}
    out = []
    for n, parts in enumerate(rows, 1):
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise EventError("resources", f"第{n}行请写成“事项 | 负责人 | 截止日期”，如：音响设备 | 李工 | 2026-12-10。")
        due = ""
        if len(parts) == 3 and parts[2]:
            try:
                due = date.fromisoformat(parts[2].replace("/", "-")).isoformat()
            except ValueError:
                raise EventError("resources", f"第{n}行的截止日期不正确，请按“年-月-日”填写。") from None
        if len(parts[0]) > 40 or len(parts[1]) > 16:
            raise EventError("resources", f"第{n}行太长（事项最多40字，负责人最多16字）。")
        out.append({"item": parts[0], "owner": parts[1], "due": due, "done": (parts[0], parts[1]) in done})
    return out


def lines_text(rows: list[dict], keys: tuple[str, ...]) -> str:
    """The checklist or budget back as editable lines."""
    return "\n".join(" | ".join(str(r.get(k) or "") for k in keys).rstrip(" |") for r in rows or [])


def total(rows: list[dict]) -> Decimal:
    return sum((Decimal(r["amount"]) for r in rows or []), Decimal("0"))


# --- planning --------------------------------------------------------------------------------

def _checked(community_id: int, data: EventIn, now: datetime, old: CommunityEvent | None = None) -> dict:
    title, place = _text(data.title), _text(data.place)
    if not title:
        raise EventError("title", "请填写活动名称。")
    if len(title) > TITLE_MAX:
        raise EventError("title", f"活动名称最多{TITLE_MAX}字。")
    if data.kind not in KIND_LABELS:
        raise EventError("kind", "请选择活动类型。")
    if data.starts_at is None:
        raise EventError("starts_at", "请填写开始时间。")
    if data.ends_at is None:
        raise EventError("ends_at", "请填写结束时间。")
    if data.starts_at <= now:
        raise EventError("starts_at", "开始时间已过，请选择以后的时间。")
    if data.ends_at <= data.starts_at:
        raise EventError("ends_at", "结束时间须晚于开始时间。")
    if data.ends_at - data.starts_at > timedelta(days=MAX_DAYS):
        raise EventError("ends_at", f"一次活动最长{MAX_DAYS}天。")
    if not place:
        raise EventError("place", "请填写活动地点。")
    if len(place) > PLACE_MAX:
        raise EventError("place", f"活动地点最多{PLACE_MAX}字。")
    if data.capacity is None or not 1 <= data.capacity <= CAPACITY_MAX:
        raise EventError("capacity", f"人数上限须在1至{CAPACITY_MAX}之间。")
    if old is not None:
        taken = confirmed_people(old)
        if data.capacity < taken:
            raise EventError("capacity", f"已有{taken}人报名，人数上限不能少于{taken}。")
    if data.age_group not in AGE_LABELS:
        raise EventError("age_group", "请选择适合人群。")
    ids = sorted(set(data.building_ids or []))
    if ids:
        found = db.session.scalars(select(Building.id).where(Building.id.in_(ids),
                                                             Building.community_id == community_id)).all()
        if len(found) != len(ids):
            raise EventError("building_ids", "所选楼栋不属于本小区。")
    description = (data.description or "").replace("\r\n", "\n").strip()
    if len(description) > TEXT_MAX:
        raise EventError("description", f"活动介绍最多{TEXT_MAX}字。")
    return {"title": title, "kind": data.kind, "starts_at": data.starts_at, "ends_at": data.ends_at, "place": place,
            "capacity": data.capacity, "age_group": data.age_group, "building_ids": ids, "description": description,
            "resources": parse_resources(data.resources, old.resources if old else None),
            "budget": parse_money_lines(data.budget, "budget")}


def plan(community_id: int, actor, data: EventIn, now: datetime | None = None) -> CommunityEvent:
    """A new event in 筹备. EventError on bad input (an event in the past among them)."""
    now = now or utcnow()
    values = _checked(community_id, data, now)
    ev = CommunityEvent(community_id=community_id, public_code=secrets.token_urlsafe(9),
                        created_by_id=getattr(actor, "id", None), state=EventState.PLANNING, **values)
    db.session.add(ev)
    db.session.flush()
    record("event.planned", ev, actor=actor, title=ev.title, starts_at=ev.starts_at.isoformat(), capacity=ev.capacity)
    return ev


def revise(ev: CommunityEvent, actor, data: EventIn, now: datetime | None = None) -> list[str]:
    """Change a planned or published event: the same rules as planning, and the capacity never
    below the people already signed up. Returns the changed fields (an Event when any)."""
    now = now or utcnow()
    if ev.state not in (EventState.PLANNING, EventState.PUBLISHED):
        raise EventError("title", f"活动{ev.state_label}，不能再修改。", 409)
    values = _checked(ev.community_id, data, now, old=ev)
    changed = [k for k, v in values.items() if getattr(ev, k) != v]
    for k in changed:
        setattr(ev, k, values[k])
    if changed:
        record("event.revised", ev, actor=actor, changed=changed)
        if "capacity" in changed:
            move_up(ev, actor)
        if ev.state == EventState.PUBLISHED and set(changed) & NOTICE_FIELDS:
            _repost_notice(ev, actor, now)
    return changed


# What the notice says: a change to any of these takes the old notice down and posts a new one.
NOTICE_FIELDS = {"title", "kind", "starts_at", "ends_at", "place", "capacity", "age_group", "building_ids",
                 "description"}


def _post_notice(ev: CommunityEvent, actor, now: datetime) -> None:
    ev.notice_id = hooks.first(hooks.PUBLISH_NOTICE, ev.community_id, actor, title=ev.title, body=notice_body(ev),
                               building_ids=list(ev.building_ids or []), valid_from=site_today(now),
                               valid_until=site_today(ev.starts_at))
    record("event.notice_posted", ev, actor=actor, notice_id=ev.notice_id)


def _repost_notice(ev: CommunityEvent, actor, now: datetime) -> None:
    """A published event changed: its notice is withdrawn (活动信息已更新) and posted anew."""
    if ev.notice_id is not None:
        withdrawn = hooks.first(hooks.WITHDRAW_NOTICE, ev.notice_id, actor, "活动信息已更新，已重新发布")
        record("event.notice_withdrawn", ev, actor=actor, notice_id=ev.notice_id, withdrawn=bool(withdrawn))
    _post_notice(ev, actor, now)


def tick_resource(ev: CommunityEvent, actor, index: int) -> dict:
    """Tick (or untick) one line of the checklist."""
    if not 0 <= index < len(ev.resources or []):
        raise EventError("resources", "没有这一项。", 404)
    rows = [dict(r) for r in ev.resources]
    rows[index]["done"] = not rows[index].get("done")
    ev.resources = rows
    record("event.resource_ticked", ev, actor=actor, item=rows[index]["item"], done=rows[index]["done"])
    return rows[index]


# --- states ------------------------------------------------------------------------------------

def _move(ev: CommunityEvent, actor, to: EventState, allowed: tuple, action: str, **data) -> None:
    if ev.state not in allowed:
        raise EventError("state", f"活动{ev.state_label}，不能这样操作。", 409)
    was = ev.state
    ev.state = to
    record(action, ev, actor=actor, was=was, to=str(to), **data)


def notice_body(ev: CommunityEvent) -> str:
    start, end = site_now(ev.starts_at), site_now(ev.ends_at)
    when = f"{start.month}月{start.day}日 {start:%H:%M}至{end:%H:%M}" if start.date() == end.date() else \
        f"{start.month}月{start.day}日 {start:%H:%M}至{end.month}月{end.day}日 {end:%H:%M}"
    parts = ["尊敬的各位业主/住户：",
             f"管理处定于{when}在{ev.place}举办“{ev.title}”（{ev.kind_label}活动），"
             f"名额{ev.capacity}人，适合人群：{ev.age_label}。"]
    if ev.description:
        parts.append(ev.description)
    parts.append("欢迎到客服前台、自助终端报名，或请您的管家代为报名；名额满后登记为候补，有人取消时按顺序递补。")
    return "\n\n".join(parts)


def publish(ev: CommunityEvent, actor, now: datetime | None = None) -> CommunityEvent:
    """筹备 → 已发布: a notice (kind 社区活动) shown from today to the event's day, through the
    PUBLISH_NOTICE point (the notices area answers it, under its own rules)."""
    now = now or utcnow()
    if ev.state == EventState.PLANNING and ev.starts_at <= now:
        raise EventError("starts_at", "活动时间已过，不能发布；请先修改时间。")
    _move(ev, actor, EventState.PUBLISHED, (EventState.PLANNING,), "event.published")
    _post_notice(ev, actor, now)
    return ev


def start(ev: CommunityEvent, actor, now: datetime | None = None) -> CommunityEvent:
    """已发布 → 进行中: check-in opens (at most 12 hours before the start; sign-up has closed
    by then or closes at the start)."""
    now = now or utcnow()
    if ev.state == EventState.PUBLISHED and now < ev.starts_at - OPENS:
        raise EventError("state", "活动开始前12小时内才能开始签到。", 409)
    _move(ev, actor, EventState.RUNNING, (EventState.PUBLISHED,), "event.started")
    return ev


def close(ev: CommunityEvent, actor) -> CommunityEvent:
    """进行中 → 已结束 (the look back may be written)."""
    _move(ev, actor, EventState.CLOSED, (EventState.RUNNING,), "event.closed",
          attended=attended_people(ev), capacity=ev.capacity)
    return ev


def cancel(ev: CommunityEvent, actor, reason: str | None) -> list[EventSignup]:
    """筹备/已发布 → 已取消: the notice is withdrawn (WITHDRAW_NOTICE) and every home signed up
    (or waiting) is listed to be told; the Event names them. Returns those to tell."""
    reason = _text(reason)
    if not reason:
        raise EventError("reason", "请填写取消原因。")
    if len(reason) > 200:
        raise EventError("reason", "取消原因最多200字。")
    tell = [s for s in ev.signups if s.state != SignupState.CANCELLED]
    _move(ev, actor, EventState.CANCELLED, (EventState.PLANNING, EventState.PUBLISHED), "event.cancelled",
          reason=reason, told=[{"signup_id": s.id, "unit": s.unit_label, "name": s.name,
                                "phone": mask_phone(s.phone), "state": s.state} for s in tell])
    ev.cancel_reason = reason
    if ev.notice_id is not None:
        withdrawn = hooks.first(hooks.WITHDRAW_NOTICE, ev.notice_id, actor, f"活动取消：{reason}")
        record("event.notice_withdrawn", ev, actor=actor, notice_id=ev.notice_id, withdrawn=bool(withdrawn))
    return tell


def mark_told(s: EventSignup, actor) -> EventSignup:
    """The home was told (by phone or in person) that the event is cancelled."""
    if s.event.state != EventState.CANCELLED:
        raise EventError("state", "活动未取消，无需通知。", 409)
    if s.told_at is None:
        s.told_at = utcnow()
        record("event.told", s.event, actor=actor, signup_id=s.id, unit=s.unit_label)
    return s


# --- sign-up -----------------------------------------------------------------------------------

def _active(ev: CommunityEvent, state: str | None = None) -> list[EventSignup]:
    return [s for s in ev.signups if s.state != SignupState.CANCELLED and (state is None or s.state == state)]


def confirmed_people(ev: CommunityEvent) -> int:
    return sum(s.people for s in _active(ev, SignupState.CONFIRMED))


def waiting_people(ev: CommunityEvent) -> int:
    return sum(s.people for s in _active(ev, SignupState.WAITING))


def attended_people(ev: CommunityEvent) -> int:
    return sum(s.people for s in ev.signups if s.checked_in_at is not None and s.state != SignupState.CANCELLED)


def counts(ev: CommunityEvent) -> dict:
    return {"confirmed": confirmed_people(ev), "waiting": waiting_people(ev), "attended": attended_people(ev),
            "homes": len(_active(ev, SignupState.CONFIRMED)), "waiting_homes": len(_active(ev, SignupState.WAITING)),
            "left": max(ev.capacity - confirmed_people(ev), 0), "capacity": ev.capacity}


def _clean_person(name: str | None, people, phone: str | None, phone_required: bool = True) -> tuple[str, int, str]:
    name = _text(name)
    if not name:
        raise EventError("name", "请填写报名人姓名。")
    if len(name) > 32:
        raise EventError("name", "姓名最多32字。")
    if people is None or not 1 <= people <= PEOPLE_MAX:
        raise EventError("people", f"人数须在1至{PEOPLE_MAX}之间。")
    phone = re.sub(r"[\s]", "", phone or "")
    if phone or phone_required:
        if not _PHONE.fullmatch(phone):
            raise EventError("phone", "请填写11位手机号或带区号的固定电话。")
    return name, people, phone


def _unit(community_id: int, unit_id) -> Unit:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None or unit.building.community_id != community_id:
        raise EventError("unit_id", "请先查找并选择房屋。")
    return unit


def _taken(ev: CommunityEvent, unit_id: int) -> EventSignup | None:
    return next((s for s in _active(ev) if s.unit_id == unit_id), None)


def sign_up(ev: CommunityEvent, actor, *, unit_id, name: str, people, phone: str, channel: str = "desk",
            client_key: str | None = None, now: datetime | None = None) -> EventSignup:
    """One home signs up: confirmed while its people fit, else on the waiting list. Refused
    before publishing, once the event has begun, and for a home already signed up."""
    now = now or utcnow()
    if ev.state == EventState.PLANNING:
        raise EventError("unit_id", "活动尚未发布，暂不能报名。", 409)
    if ev.state == EventState.CANCELLED:
        raise EventError("unit_id", "活动已取消，不能报名。", 409)
    if ev.state != EventState.PUBLISHED or now >= ev.starts_at:
        raise EventError("unit_id", "活动已开始或已结束，不能再报名；当天到场的请在签到页按“现场加入”登记。", 409)
    unit = _unit(ev.community_id, unit_id)
    name, people, phone = _clean_person(name, people, phone)
    if (first := _taken(ev, unit.id)) is not None:
        raise EventError("unit_id", f"{unit.label}已报名（{first.name}，{first.state_label}），同一户不能重复报名。", 409)
    state = SignupState.CONFIRMED if confirmed_people(ev) + people <= ev.capacity and not _active(ev, SignupState.WAITING) \
        else SignupState.WAITING
    s = EventSignup(event=ev, unit_id=unit.id, name=name, people=people, phone=phone, state=state, channel=channel,
                    created_by_id=getattr(actor, "id", None), client_key=client_key or None)
    db.session.add(s)
    try:
        db.session.flush()
    except IntegrityError:  # a twin request signed the same home up a moment earlier
        db.session.rollback()
        raise EventError("unit_id", f"{unit.label}已报名，同一户不能重复报名。", 409) from None
    record("event.signed_up", ev, actor=actor, signup_id=s.id, unit=unit.label, people=people, state=str(state),
           channel=channel)
    return s


def move_up(ev: CommunityEvent, actor) -> list[EventSignup]:
    """Waiting homes move up, first come first served, while the next one's people fit."""
    moved = []
    free = ev.capacity - confirmed_people(ev)
    for s in _active(ev, SignupState.WAITING):
        if s.people > free:
            break
        s.state = SignupState.CONFIRMED
        free -= s.people
        moved.append(s)
        record("event.moved_up", ev, actor=actor, signup_id=s.id, unit=s.unit_label, people=s.people)
    return moved


def cancel_signup(s: EventSignup, actor) -> list[EventSignup]:
    """A home cancels: its places go to the waiting list (move_up). Returns who moved up."""
    if s.state == SignupState.CANCELLED:
        raise EventError("signup", "该报名已取消。", 409)
    if s.event.state not in (EventState.PUBLISHED, EventState.RUNNING) or s.checked_in_at is not None:
        raise EventError("signup", "活动已结束或已签到，不能取消报名。", 409)
    was = s.state
    s.state, s.cancelled_at = SignupState.CANCELLED, utcnow()
    record("event.signup_cancelled", s.event, actor=actor, signup_id=s.id, unit=s.unit_label, was=str(was))
    db.session.flush()
    return move_up(s.event, actor) if was == SignupState.CONFIRMED else []


def by_client_key(key: str | None) -> EventSignup | None:
    if not key:
        return None
    return db.session.scalar(select(EventSignup).where(EventSignup.client_key == key))


# --- on the day ----------------------------------------------------------------------------------

def _day_open(ev: CommunityEvent, now: datetime, actor) -> None:
    """Check-in opens 12 hours before the start: a published event starts at the first check-in."""
    if ev.state == EventState.PUBLISHED and now >= ev.starts_at - OPENS:
        start(ev, actor, now)
    if ev.state != EventState.RUNNING:
        raise EventError("q", "活动开始前12小时内才能签到。" if ev.state == EventState.PUBLISHED
                         else f"活动{ev.state_label}，不能签到。", 409)


def check_in(s: EventSignup, actor, now: datetime | None = None) -> EventSignup:
    """One tap: the home has arrived. A waiting home is let in only when its people still fit."""
    now = now or utcnow()
    ev = s.event
    _day_open(ev, now, actor)
    if s.state == SignupState.CANCELLED:
        raise EventError("q", "该报名已取消。", 409)
    if s.checked_in_at is not None:
        return s
    if s.state == SignupState.WAITING:
        if attended_people(ev) + s.people > ev.capacity or confirmed_people(ev) + s.people > ev.capacity:
            raise EventError("q", "候补家庭尚未递补，现场已满，不能签到。", 409)
        s.state = SignupState.CONFIRMED
    s.checked_in_at = now
    record("event.checked_in", ev, actor=actor, signup_id=s.id, unit=s.unit_label, people=s.people)
    return s


def walk_in(ev: CommunityEvent, actor, *, unit_id, name: str, people, phone: str,
            client_key: str | None = None, now: datetime | None = None) -> EventSignup:
    """Someone who did not sign up arrives: added and checked in while the people present fit."""
    now = now or utcnow()
    _day_open(ev, now, actor)
    unit = _unit(ev.community_id, unit_id) if unit_id else None
    name, people, phone = _clean_person(name, people, phone, phone_required=False)
    if unit is not None and (first := _taken(ev, unit.id)) is not None:
        raise EventError("unit_id", f"{unit.label}已报名（{first.state_label}），请在名单中直接签到。", 409)
    if attended_people(ev) + people > ev.capacity:
        raise EventError("people", f"现场已有{attended_people(ev)}人，名额{ev.capacity}人，已满。")
    s = EventSignup(event=ev, unit_id=unit.id if unit else None, name=name, people=people, phone=phone,
                    state=SignupState.CONFIRMED, channel="walkin", checked_in_at=now,
                    created_by_id=getattr(actor, "id", None), client_key=client_key or None)
    db.session.add(s)
    db.session.flush()
    record("event.walked_in", ev, actor=actor, signup_id=s.id, unit=s.unit_label, people=people)
    return s


def find_signups(ev: CommunityEvent, q: str | None) -> tuple[list[EventSignup], str | None]:
    """The sign-ups for the check-in search: by unit (the registry's normaliser: 3-2-1201,
    3栋2单元1201, full-width…), a name, or a phone's last 4 digits. Error: a Chinese sentence."""
    active = [s for s in ev.signups if s.state != SignupState.CANCELLED]
    try:
        uq = parse_query(q)
    except SearchError as e:
        return [], str(e)
    if uq is None:
        return active, None
    conds = unit_conditions(uq)
    if conds is not None:
        ids = set(db.session.scalars(select(Unit.id).join(Unit.building).where(
            Building.community_id == ev.community_id, *conds)))
        found = [s for s in active if s.unit_id in ids]
        if uq.digits is not None and len(uq.digits) == 4:
            found += [s for s in active if s.phone.endswith(uq.digits) and s not in found]
        return found, None
    return [s for s in active if uq.name in s.name], None


# --- look back -----------------------------------------------------------------------------------

def parse_scores(text: str | None) -> list[int]:
    parts = [p for p in re.split(r"[\s,，、;；]+", (text or "").strip()) if p]
    if len(parts) > 200:
        raise EventError("satisfaction", "最多200个评分。")
    scores = []
    for p in parts:
        if not p.isdigit() or not 1 <= int(p) <= 5:
            raise EventError("satisfaction", "评分为1至5分，用逗号或空格隔开，如：5, 4, 5。")
        scores.append(int(p))
    return scores


def look_back(ev: CommunityEvent, actor, *, summary: str, satisfaction: str, costs: str,
              photos: list[dict] | None = None) -> CommunityEvent:
    """The closed event's look back: a short summary, a few satisfaction scores, the costs
    (against the budget), photos (added to those already there)."""
    if ev.state != EventState.CLOSED:
        raise EventError("summary", "活动结束后才能填写总结。", 409)
    summary = (summary or "").replace("\r\n", "\n").strip()
    if len(summary) > 600:
        raise EventError("summary", "总结最多600字（一页打印）。")
    ev.summary = summary
    ev.satisfaction = parse_scores(satisfaction)
    ev.costs = parse_money_lines(costs, "costs")
    if photos:
        ev.photos = [*(ev.photos or []), *photos][:12]
    record("event.looked_back", ev, actor=actor, scores=len(ev.satisfaction), cost=str(total(ev.costs)),
           photos=len(ev.photos or []))
    return ev


def satisfaction_average(ev: CommunityEvent) -> str:
    s = ev.satisfaction or []
    return f"{sum(s) / len(s):.1f}" if s else "—"


# --- lists and views -----------------------------------------------------------------------------

def listing(community_id: int, which: str = "upcoming") -> list[CommunityEvent]:
    stmt = select(CommunityEvent).where(CommunityEvent.community_id == community_id).options(
        selectinload(CommunityEvent.signups))
    if which == "running":
        stmt = stmt.where(CommunityEvent.state == EventState.RUNNING).order_by(CommunityEvent.starts_at)
    elif which == "past":
        stmt = stmt.where(CommunityEvent.state.in_((EventState.CLOSED, EventState.CANCELLED))).order_by(
            CommunityEvent.starts_at.desc())
    else:
        stmt = stmt.where(CommunityEvent.state.in_((EventState.PLANNING, EventState.PUBLISHED))).order_by(
            CommunityEvent.starts_at)
    return list(db.session.scalars(stmt.limit(LIST_LIMIT)))


def list_counts(community_id: int) -> dict[str, int]:
    rows = dict(db.session.execute(select(CommunityEvent.state, func.count()).where(
        CommunityEvent.community_id == community_id).group_by(CommunityEvent.state)).all())
    return {"upcoming": rows.get("planning", 0) + rows.get("published", 0), "running": rows.get("running", 0),
            "past": rows.get("closed", 0) + rows.get("cancelled", 0)}


def upcoming_count(user, community_id: int) -> tuple[str, int]:
    """活动's tile (core.nav): events not yet held."""
    return "待举办", list_counts(community_id)["upcoming"]


def by_code(code: str | None) -> CommunityEvent | None:
    if not code or len(code) > 24:
        return None
    return db.session.scalar(select(CommunityEvent).where(CommunityEvent.public_code == code))


def when_label(ev: CommunityEvent) -> str:
    start, end = site_now(ev.starts_at), site_now(ev.ends_at)
    first = f"{start.year}年{start.month}月{start.day}日 {start:%H:%M}"
    return f"{first}–{end:%H:%M}" if start.date() == end.date() else f"{first} 至 {end.month}月{end.day}日 {end:%H:%M}"


def audience_label(ev: CommunityEvent) -> str:
    if not ev.building_ids:
        return "全体住户"
    numbers = db.session.scalars(select(Building.number).where(Building.id.in_(ev.building_ids))
                                 .order_by(Building.sort_key, Building.number)).all()
    return "、".join(f"{n}栋" for n in numbers)


def public_view(ev: CommunityEvent) -> dict:
    """What anyone may see (the poster's QR): no names, no phones, no internal lists."""
    c = counts(ev)
    return {"title": ev.title, "kind": ev.kind_label, "when": when_label(ev), "place": ev.place,
            "audience": audience_label(ev), "age": ev.age_label, "capacity": ev.capacity, "left": c["left"],
            "state": ev.state, "state_label": ev.state_label, "description": ev.description,
            "cancel_reason": ev.cancel_reason if ev.state == EventState.CANCELLED else None}
