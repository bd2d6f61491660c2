"""The rules of a ticket's life [T1]–[T9]. Views call these; these never commit (the view
commits once), except where noted. Every step records an Event: the ticket's timeline."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..auth.models import Department, User
from ..core.models import Event, utcnow
from ..core.roles import Role
from ..core.services import record
from ..extensions import db
from ..registry.models import Building, OccupantRole, Unit
from .calendar import DEFAULT_POLICIES, WorkCalendar, parse_periods
from .models import (
    DEFAULT_CATEGORIES, INTAKE_KINDS, OPEN_STATES, OUTCOME_LABELS, AssignMode, Caller, Category, Holiday, Kind,
    Outage, Outcome,
    Photo, SlaPolicy, State, Ticket, WorkSchedule,
)


class TicketError(ValueError):
    """An illegal step; the message (Chinese) is shown to the user."""


# --- who may do what -------------------------------------------------------------------

DESK_ROLES = frozenset({Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})
INTAKE_ROLES = frozenset({Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER})
DISPATCH_ROLES = frozenset({Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER})
HANDLER_ROLES = frozenset({Role.TECHNICIAN, Role.STEWARD, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.MANAGER})
FOLLOW_UP_ROLES = frozenset({Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER})


def _has(user: User, roles) -> bool:
    return bool(user.roles & {str(r) for r in roles})


def can_view(user: User, t: Ticket) -> bool:
    if t.community_id not in user.community_ids:
        return False
    if _has(user, DESK_ROLES):
        return True
    return t.assignee_id == user.id or (t.department_id is not None and t.department_id == user.department_id)


def sees_confidential(user: User, t: Ticket) -> bool:
    """[T9] Only handling roles see who complained and what a complaint says."""
    return t.kind != Kind.COMPLAINT or _has(user, DESK_ROLES)


def is_handler(user: User, t: Ticket) -> bool:
    return t.assignee_id == user.id or _has(user, SUPERVISORS)


# --- community settings ----------------------------------------------------------------

def ensure_defaults(community_id: int) -> None:
    """Categories, deadline policies and working hours for a community that has none yet.
    Tickets' part of setting up a community (core.hooks.COMMUNITY_SETUP)."""
    if db.session.scalar(select(func.count()).select_from(Category).where(Category.community_id == community_id)) == 0:
        depts = {d.code: d.id for d in db.session.scalars(select(Department))}
        for i, (name, dept) in enumerate(DEFAULT_CATEGORIES):
            db.session.add(Category(community_id=community_id, name=name, department_id=depts.get(dept), sort=i,
                                    assign_mode=AssignMode.SUPERVISOR))
    have = set(db.session.scalars(select(SlaPolicy.urgency).where(SlaPolicy.community_id == community_id)))
    for urgency, (respond, resolve, working) in DEFAULT_POLICIES.items():
        if urgency not in have:
            db.session.add(SlaPolicy(community_id=community_id, urgency=urgency, respond=respond, resolve=resolve,
                                     working_time=working))
    if db.session.get(WorkSchedule, community_id) is None:
        db.session.add(WorkSchedule(community_id=community_id))
    db.session.flush()


def calendar_for(community_id: int) -> WorkCalendar:
    """The community's working calendar [D1]: its hours and working weekdays (Monday to Friday
    by default), China's statutory holidays and make-up days unless switched off, and its own
    Holiday rows, which win over both (tickets.calendar)."""
    ws = db.session.get(WorkSchedule, community_id)
    rows = list(db.session.scalars(select(Holiday).where(Holiday.community_id == community_id)))
    kwargs = {}
    if ws is not None:
        kwargs = {"periods": parse_periods(ws.periods), "weekdays": frozenset(int(c) for c in ws.weekdays),
                  "tz": ws.tz, "statutory": ws.follows_statutory}
    return WorkCalendar(holidays=frozenset(h.day for h in rows if not h.workday),
                        extra_workdays=frozenset(h.day for h in rows if h.workday), **kwargs)


# A year's statutory days are announced late in the year before: warn this long ahead when the
# calendar data does not have the coming year yet (deadlines near the new year reach into it).
CALENDAR_WARN_AHEAD = timedelta(days=31)


@dataclass(frozen=True)
class CalendarWarning:
    year: int
    own_days: int  # days the community set by hand in that year (Holiday rows)

    @property
    def message(self) -> str:
        if self.own_days:
            return (f"{self.year} 年的法定节假日尚未收录：目前按本小区手动设置的 {self.own_days} 天和周一至周五计算，"
                    "国务院放假通知发布后请核对，或升级日历数据。")
        return f"{self.year} 年的法定节假日尚未收录，请在工作日历中手动设置或升级日历数据。"

    @property
    def urgent(self) -> bool:
        """Nothing set by hand for that year: shown on the supervisors' home and briefing too."""
        return not self.own_days


def calendar_warnings(community_id: int, today=None) -> list[CalendarWarning]:
    """Years the statutory calendar does not know yet that this community's deadlines reach:
    this year, and next year from CALENDAR_WARN_AHEAD before it starts. Their dates count as
    Monday to Friday (the community's weekdays) plus its own Holiday rows, never as "every day
    a working day". None for a community that does not follow the statutory calendar."""
    from ..core.timefmt import site_today
    from .calendar import unknown_statutory_years

    ws = db.session.get(WorkSchedule, community_id)
    if ws is not None and not ws.follows_statutory:
        return []
    today = today or site_today()
    years = unknown_statutory_years(today, today + CALENDAR_WARN_AHEAD)
    out = []
    for year in years:
        own = db.session.scalar(select(func.count()).select_from(Holiday).where(
            Holiday.community_id == community_id, Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31)))
        out.append(CalendarWarning(year, own or 0))
    return out


# Who keeps the working calendar (the ticket settings): they are warned of an unknown year.
CALENDAR_KEEPERS = (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


def calendar_warnings_for(user, community_id: int) -> list[CalendarWarning]:
    """The warnings a calendar keeper sees on the home page and the briefing: years not known
    yet that nobody has set by hand (the settings page shows every warning)."""
    if not user.has_role(*CALENDAR_KEEPERS):
        return []
    return [w for w in calendar_warnings(community_id) if w.urgent]


STATUTORY_SHOWN_AHEAD = timedelta(days=120)  # statutory days listed on the settings page


def upcoming_statutory_days(community_id: int, today: date | None = None) -> list[tuple[date, str, bool]]:
    """The statutory holidays and make-up days of the coming STATUTORY_SHOWN_AHEAD that this
    community's deadlines use; none when it does not follow them (tickets.calendar)."""
    from ..core.timefmt import site_today
    from .calendar import statutory_days

    ws = db.session.get(WorkSchedule, community_id)
    if ws is not None and not ws.follows_statutory:
        return []
    today = today or site_today()
    return statutory_days(today, today + STATUTORY_SHOWN_AHEAD)


def policy_for(community_id: int, urgency: str) -> tuple[str, str, bool]:
    p = db.session.scalar(select(SlaPolicy).where(SlaPolicy.community_id == community_id, SlaPolicy.urgency == urgency))
    if p is None:
        return DEFAULT_POLICIES[urgency]
    return p.respond, p.resolve, p.working_time


def categories(community_id: int, active_only: bool = True) -> list[Category]:
    stmt = select(Category).where(Category.community_id == community_id).order_by(Category.sort, Category.id)
    if active_only:
        stmt = stmt.where(Category.active.is_(True))
    return list(db.session.scalars(stmt))


# --- intake ----------------------------------------------------------------------------

# [T2][T6] What the intake asks each kind: a field of another kind is neither shown, nor
# required, nor kept. Urgency sets a repair's or a complaint's deadlines (the others take the
# normal ones); photos show what is broken or wrong; a question is answered at once or gets a
# promised reply time.
URGENCY_KINDS = frozenset({Kind.REPAIR, Kind.COMPLAINT})
PHOTO_KINDS = frozenset({Kind.REPAIR, Kind.COMPLAINT, Kind.SUGGESTION})
ANSWER_NOW, ANSWER_LATER = "now", "later"
CONDITIONAL_FIELDS = frozenset({"urgency", "photos", "answer_now", "answer", "reply_due"})


def intake_fields(kind: str | None, answer_now: str | None) -> frozenset[str]:
    """The conditional intake fields (CONDITIONAL_FIELDS) that a request of this kind asks for;
    for a question, the answer or the promised reply time as it can be answered now or not."""
    out = set()
    if kind in URGENCY_KINDS:
        out.add("urgency")
    if kind in PHOTO_KINDS:
        out.add("photos")
    if kind == Kind.INQUIRY:
        out.add("answer_now")
        if answer_now == ANSWER_NOW:
            out.add("answer")
        elif answer_now == ANSWER_LATER:
            out.add("reply_due")
    return frozenset(out)


def intake_kinds_of(field: str) -> list[str]:
    """The intake kinds that ask for a conditional field (the form marks it with them)."""
    return [k for k in INTAKE_KINDS if field in intake_fields(k, ANSWER_NOW) | intake_fields(k, ANSWER_LATER)]


@dataclass
class Intake:
    kind: str
    channel: str
    category_id: int
    urgency: str
    description: str
    unit_id: int | None = None
    building_id: int | None = None
    location: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reply_due: datetime | None = None
    answer: str | None = None  # [T6] a question answered at once
    client_key: str | None = None


def owner_of(unit: Unit):
    """The unit's current owner (first one), to fill in the reporter."""
    for o in unit.current_occupancies():
        if o.role == OccupantRole.OWNER:
            return o.person
    return None


def find_by_client_key(key: str | None) -> Ticket | None:
    if not key:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.client_key == key))


def create_ticket(community_id: int, data: Intake, actor: User, now: datetime | None = None) -> Ticket:
    """[T1][T2] Record a request with its channel, kind, category and urgency; the urgency
    sets the deadlines. A question answered at once [T6] is recorded with its answer (and no
    promised reply time). A repeated client_key returns the ticket already created."""
    existing = find_by_client_key(data.client_key)
    if existing is not None:
        return existing
    now = now or utcnow()
    category = db.session.get(Category, data.category_id)
    if category is None or category.community_id != community_id:
        raise TicketError("请选择类别。")
    unit = building = None
    if data.unit_id:
        unit = db.session.get(Unit, data.unit_id)
        if unit is None or unit.community_id != community_id:
            raise TicketError("房屋不存在。")
        building = unit.building
    elif data.building_id:
        building = db.session.get(Building, data.building_id)
        if building is None or building.community_id != community_id:
            raise TicketError("楼栋不存在。")
    elif not (data.location or "").strip():
        raise TicketError("请选择房屋，或填写公共区域位置。")
    person = owner_of(unit) if unit is not None else None
    answered_now = data.kind == Kind.INQUIRY and bool((data.answer or "").strip())
    cal = calendar_for(community_id)
    respond, resolve, working = policy_for(community_id, data.urgency)
    t = Ticket(
        community_id=community_id, serial="", client_key=data.client_key, kind=data.kind, channel=data.channel,
        category_id=category.id, urgency=data.urgency, unit_id=unit.id if unit else None,
        building_id=building.id if building else None, location=(data.location or "").strip() or None,
        reporter_person_id=person.id if person and not data.reporter_name else None,
        reporter_name=(data.reporter_name or (person.name if person else None)),
        reporter_phone=(data.reporter_phone or (person.phone if person else None)),
        description=data.description.strip(), state=State.NEW, created_by_id=actor.id, created_at=now,
        updated_at=now, respond_due=cal.add(now, respond, working), resolve_due=cal.add(now, resolve, working),
        reply_due=data.reply_due if data.kind == Kind.INQUIRY and not answered_now else None,
    )
    try:
        with db.session.begin_nested():  # add inside: the savepoint must cover the INSERT
            db.session.add(t)
            db.session.flush()
    except IntegrityError:
        # The same form sent twice at once: the other request created it.
        existing = find_by_client_key(data.client_key)
        if existing is None:
            raise
        return existing
    t.serial = f"{now.astimezone(ZoneInfo(cal.tz)):%y%m%d}-{t.id:04d}"
    record("ticket.created", t, actor=actor, kind=t.kind, channel=t.channel, urgency=t.urgency,
           category=category.name).at = now
    if answered_now:
        answer(t, actor, data.answer, now=now)
    if category.assign_mode == AssignMode.GRAB and category.department_id:
        _dispatch(t, actor, category.department_id, None, None, now, auto=True)
    return t


# --- the steps -------------------------------------------------------------------------

def _touch(t: Ticket, now: datetime) -> None:
    t.updated_at = now


def _step(t: Ticket, actor: User, action: str, now: datetime, **data) -> Event:
    _touch(t, now)
    ev = record(action, t, actor=actor, **{k: v for k, v in data.items() if v is not None})
    ev.at = now
    db.session.flush()
    return ev


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise TicketError(message)


def _dispatch(t, actor, department_id, assignee_id, task, now, auto=False):
    dept = db.session.get(Department, department_id)
    _need(dept is not None, "请选择部门。")
    assignee = None
    if assignee_id:
        assignee = db.session.get(User, assignee_id)
        _need(assignee is not None and t.community_id in assignee.community_ids and assignee.active,
              "该人员不在本小区。")
    t.state = State.DISPATCHED
    t.department_id = dept.id
    t.assignee_id = assignee.id if assignee else None
    if task:
        t.task = task.strip()
    return _step(t, actor, "ticket.dispatched", now, department=dept.name,
                 assignee=assignee.name if assignee else None, assignee_id=assignee.id if assignee else None,
                 auto=auto or None)


def dispatch(t: Ticket, actor: User, department_id: int, assignee_id: int | None = None, task: str | None = None,
             now: datetime | None = None) -> Event:
    """[T3] Name the responsible department or person; recorded so it can be tracked."""
    _need(_has(actor, DISPATCH_ROLES), "只有前台、主管或经理可以派单。")
    _need(t.state in (State.NEW, State.DISPATCHED), f"工单{t.state_label}，不能派单。")
    return _dispatch(t, actor, department_id, assignee_id, task, now or utcnow())


def accept(t: Ticket, actor: User, now: datetime | None = None) -> Event:
    """Race-safe: of two handlers accepting at once, exactly one wins (a conditional UPDATE);
    the other is told who has it."""
    now = now or utcnow()
    _need(_has(actor, HANDLER_ROLES), "只有处理人员可以接单。")
    if t.state != State.DISPATCHED:
        if t.assignee is not None and t.state == State.IN_PROGRESS:
            raise TicketError(f"已被{t.assignee.name}接单。")
        raise TicketError(f"工单{t.state_label}，不能接单。")
    _need(t.assignee_id in (None, actor.id), f"此单已派给{t.assignee.name if t.assignee else '他人'}。")
    _need(t.assignee_id == actor.id or actor.department_id == t.department_id or _has(actor, SUPERVISORS),
          "此单不属于您的部门。")
    won = db.session.execute(
        update(Ticket)
        .where(Ticket.id == t.id, Ticket.state == State.DISPATCHED,
               or_(Ticket.assignee_id.is_(None), Ticket.assignee_id == actor.id))
        .values(state=State.IN_PROGRESS, assignee_id=actor.id, updated_at=now,
                responded_at=func.coalesce(Ticket.responded_at, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        holder = db.session.get(Ticket, t.id)
        name = holder.assignee.name if holder and holder.assignee else "他人"
        raise TicketError(f"已被{name}接单。")
    db.session.refresh(t)
    return _step(t, actor, "ticket.accepted", now)


def add_note(t: Ticket, actor: User, text: str, public: bool, now: datetime | None = None) -> Event:
    """[T4] A progress note; says plainly whether the owner will see it."""
    _need(t.state != State.CLOSED, "工单已关闭。")
    _need(bool(text and text.strip()), "请填写内容。")
    return _step(t, actor, "ticket.note", now or utcnow(), text=text.strip(), public=bool(public))


def delay(t: Ticket, actor: User, reason: str, expected_at: datetime, owner_told: bool,
          now: datetime | None = None) -> Event:
    """[T4] Work is delayed: the reason, the new expected time, and whether the owner was told."""
    now = now or utcnow()
    _need(t.state in (State.DISPATCHED, State.IN_PROGRESS), f"工单{t.state_label}，不能登记延期。")
    _need(bool(reason and reason.strip()), "请填写延期原因。")
    _need(expected_at > now, "新的预计完成时间应晚于现在。")
    t.expected_at = expected_at
    return _step(t, actor, "ticket.delayed", now, text=reason.strip(), expected_at=expected_at.isoformat(),
                 owner_told=bool(owner_told), public=True)


def pause(t: Ticket, actor: User, reason: str, until: datetime | None, now: datetime | None = None) -> Event:
    """Stop the clock with a named reason (e.g. the owner is not home until the appointment)."""
    now = now or utcnow()
    _need(t.state in (State.NEW, State.DISPATCHED, State.IN_PROGRESS), f"工单{t.state_label}，不能暂停。")
    _need(t.paused_at is None, "工单已暂停。")
    _need(bool(reason and reason.strip()), "请填写暂停原因。")
    t.paused_at, t.pause_reason, t.pause_until = now, reason.strip(), until
    return _step(t, actor, "ticket.paused", now, text=reason.strip(), until=until.isoformat() if until else None)


def resume(t: Ticket, actor: User, now: datetime | None = None) -> Event:
    """Restart the clock; the deadlines move later by the (working) time spent paused."""
    now = now or utcnow()
    _need(t.paused_at is not None, "工单未暂停。")
    cal = calendar_for(t.community_id)
    _r, _s, working = policy_for(t.community_id, t.urgency)
    paused = (cal.working_seconds_between(t.paused_at, now) if working
              else int((now - t.paused_at).total_seconds()))
    if t.responded_at is None:
        t.respond_due = cal.extend(t.respond_due, paused, working)
    t.resolve_due = cal.extend(t.resolve_due, paused, working)
    t.paused_at = t.pause_reason = t.pause_until = None
    return _step(t, actor, "ticket.resumed", now, paused_seconds=paused)


def escalate(t: Ticket, actor: User, memo: str, now: datetime | None = None) -> Event:
    """[T7] Beyond the steward's power: a work memo (with photos) goes to the supervisor;
    the supervisor confirms it and passes it to the manager."""
    now = now or utcnow()
    _need(t.state != State.CLOSED, "工单已关闭。")
    _need(bool(memo and memo.strip()), "请填写工作函内容。")
    if t.escalation == 0:
        t.escalation = 1
        return _step(t, actor, "ticket.escalated", now, text=memo.strip(), to="supervisor")
    if t.escalation == 1:
        _need(_has(actor, SUPERVISORS), "工作函已提交主管，等待主管确认。")
        t.escalation = 2
        return _step(t, actor, "ticket.escalated", now, text=memo.strip(), to="manager")
    raise TicketError("工作函已提交经理。")


def resolve(t: Ticket, actor: User, text: str, now: datetime | None = None) -> Event:
    now = now or utcnow()
    _need(t.state == State.IN_PROGRESS, f"工单{t.state_label}，不能标记完成。" if t.state != State.DISPATCHED
          else "请先接单，再标记完成。")
    _need(is_handler(actor, t), "只有接单人或主管可以标记完成。")
    _need(bool(text and text.strip()), "请填写处理结果。")
    t.state = State.RESOLVED
    t.resolved_at = now
    t.paused_at = t.pause_reason = t.pause_until = None
    t.visit_due = calendar_for(t.community_id).add(now, "1d", True)
    return _step(t, actor, "ticket.resolved", now, text=text.strip(), public=True)


def confirm_completion(t: Ticket, actor: User, text: str | None = None, now: datetime | None = None) -> Event:
    """[T5] Completion confirmed with the resident."""
    now = now or utcnow()
    _need(t.state == State.RESOLVED, "工单尚未完成，不能确认。")
    _need(_has(actor, FOLLOW_UP_ROLES), "只有管家、前台或主管可以确认。")
    t.confirmed_at = now
    return _step(t, actor, "ticket.confirmed", now, text=(text or "").strip() or None)


def return_visit(t: Ticket, actor: User, satisfaction: int, outcome: str, comment: str | None,
                 now: datetime | None = None) -> Event:
    """[T5] The return visit records satisfaction 1–5 and the outcome; not fixed reopens it."""
    now = now or utcnow()
    _need(t.state == State.RESOLVED, "工单尚未完成，不能回访。")
    _need(_has(actor, FOLLOW_UP_ROLES), "只有管家、前台或主管可以回访。")
    _need(satisfaction in (1, 2, 3, 4, 5), "满意度为1到5分。")
    _need(outcome in set(Outcome), "请选择处理结果。")
    t.satisfaction, t.outcome = satisfaction, outcome
    ev = _step(t, actor, "ticket.visited", now, satisfaction=satisfaction, outcome=outcome,
               text=(comment or "").strip() or None)
    if outcome == Outcome.NOT_FIXED:
        reopen(t, actor, "回访未解决，重新处理", now=now)
    else:
        t.state = State.CLOSED
        t.closed_at = now
        _step(t, actor, "ticket.closed", now)
    return ev


# patrols: the steward's recheck of a rectification ticket [D3] -------------------------------
RECHECK_OUTCOMES = (Outcome.FIXED, Outcome.NOT_FIXED)


def recheck(t: Ticket, actor: User, outcome: str, text: str | None, has_photo: bool,
            now: datetime | None = None) -> Event:
    """[D3] A patrol finding, resolved, is rechecked on site with a photo: fixed closes it,
    not fixed sends it back to be handled again."""
    now = now or utcnow()
    _need(t.kind == Kind.PATROL, "只有巡查整改工单需要复检。")
    _need(t.state == State.RESOLVED, "工单尚未完成，不能复检。")
    _need(_has(actor, FOLLOW_UP_ROLES), "只有管家、前台或主管可以复检。")
    _need(outcome in RECHECK_OUTCOMES, "请选择复检结果。")
    _need(has_photo, "复检需要拍照：请拍摄整改后的现场照片。")
    t.outcome = outcome
    ev = _step(t, actor, "ticket.rechecked", now, outcome=outcome, text=(text or "").strip() or None)
    if outcome == Outcome.NOT_FIXED:
        reopen(t, actor, "复检未整改完成，重新处理", now=now)
    else:
        t.state, t.closed_at = State.CLOSED, now
        _step(t, actor, "ticket.closed", now)
    return ev
# -------------------------------------------------------------------------------------------


def reopen(t: Ticket, actor: User, reason: str, now: datetime | None = None) -> Event:
    now = now or utcnow()
    _need(t.state in (State.RESOLVED, State.CLOSED), "工单未完成，无需重新打开。")
    cal = calendar_for(t.community_id)
    _respond, resolve_spec, working = policy_for(t.community_id, t.urgency)
    t.state = State.DISPATCHED if t.department_id else State.NEW
    t.resolved_at = t.confirmed_at = t.visit_due = t.closed_at = None
    t.satisfaction = t.outcome = None
    t.reopen_count += 1
    t.resolve_due = cal.add(now, resolve_spec, working)
    return _step(t, actor, "ticket.reopened", now, text=reason)


def answer(t: Ticket, actor: User, text: str, public: bool = True, now: datetime | None = None) -> Event:
    """[T6] The promised reply to a question; an answered inquiry waits for its return visit."""
    now = now or utcnow()
    _need(t.kind == Kind.INQUIRY, "只有咨询工单需要答复。")
    _need(t.replied_at is None, "已答复。")
    _need(bool(text and text.strip()), "请填写答复内容。")
    t.replied_at = now
    return _step(t, actor, "ticket.answered", now, text=text.strip(), public=public)


def promise_reply(t: Ticket, actor: User, reply_due: datetime, now: datetime | None = None) -> Event:
    """[T6] A question that cannot be answered at once gets a promised reply time."""
    now = now or utcnow()
    _need(t.kind == Kind.INQUIRY and t.replied_at is None, "只有未答复的咨询可以约定答复时间。")
    _need(reply_due > now, "约定答复时间应晚于现在。")
    t.reply_due = reply_due
    return _step(t, actor, "ticket.reply_promised", now, reply_due=reply_due.isoformat(), public=True)


def close(t: Ticket, actor: User, reason: str, now: datetime | None = None) -> Event:
    now = now or utcnow()
    _need(_has(actor, SUPERVISORS), "只有主管或经理可以直接关闭工单。")
    _need(t.state != State.CLOSED, "工单已关闭。")
    _need(bool(reason and reason.strip()), "请填写关闭原因。")
    t.state, t.closed_at = State.CLOSED, now
    return _step(t, actor, "ticket.closed", now, text=reason.strip())


CONTACT_METHODS = {"phone": "电话", "sms": "短信", "wechat": "微信"}


def contact(t: Ticket, actor: User, method: str, text: str, now: datetime | None = None) -> Event:
    """[T4] Each contact with the owner is recorded."""
    _need(owner_facing(t), "巡查整改工单没有报事业主，无需记录联系业主。")
    _need(method in CONTACT_METHODS, "请选择联系方式。")
    _need(bool(text and text.strip()), "请填写联系内容。")
    return _step(t, actor, "ticket.contacted", now or utcnow(), method=method, text=text.strip(), public=True)


def attach_caller(t: Ticket, actor: User, *, unit_id: int | None, name: str | None, phone: str | None,
                  channel: str, now: datetime | None = None) -> Caller:
    """Look before you create: one more affected household on an open ticket, not a duplicate."""
    now = now or utcnow()
    _need(t.state in OPEN_STATES, "工单已关闭，请新建工单。")
    c = Caller(ticket_id=t.id, unit_id=unit_id, name=name, phone=phone, channel=channel, created_by_id=actor.id,
               created_at=now)
    db.session.add(c)
    _step(t, actor, "ticket.caller_added", now, unit_id=unit_id, channel=channel)
    return c


def link_to_outage(outage: Outage, actor: User, *, unit_id: int | None, name: str | None, phone: str | None,
                   channel: str, now: datetime | None = None) -> Caller:
    now = now or utcnow()
    c = Caller(outage_id=outage.id, unit_id=unit_id, name=name, phone=phone, channel=channel,
               created_by_id=actor.id, created_at=now)
    db.session.add(c)
    db.session.flush()
    record("outage.call_linked", outage, actor=actor, unit_id=unit_id, channel=channel)
    return c


def attach_photos(t: Ticket, ev: Event, stored, actor: User) -> list[Photo]:
    photos = [Photo(community_id=t.community_id, ticket_id=t.id, event_id=ev.id, path=s.path,
                    thumb_path=s.thumb_path, width=s.width, height=s.height, size=s.size,
                    uploaded_by_id=actor.id) for s in stored]
    db.session.add_all(photos)
    db.session.flush()
    return photos


# --- reading ---------------------------------------------------------------------------

def creation_event(t: Ticket) -> Event | None:
    return db.session.scalar(select(Event).where(Event.object_type == "ticket", Event.object_id == t.id,
                                                 Event.action == "ticket.created"))


def timeline(t: Ticket) -> list[Event]:
    return list(db.session.scalars(
        select(Event).where(Event.object_type == "ticket", Event.object_id == t.id).order_by(Event.at, Event.id)))


def open_tickets_near(community_id: int, unit_id: int | None = None, building_id: int | None = None,
                      phone: str | None = None, limit: int = 10) -> list[Ticket]:
    """The unit's and building's open tickets, or the caller's, shown before creating one."""
    conds = []
    if unit_id:
        conds.append(Ticket.unit_id == unit_id)
    if building_id:
        conds.append(Ticket.building_id == building_id)
    if phone:
        conds.append(Ticket.reporter_phone == phone)
    if not conds:
        return []
    stmt = (select(Ticket).where(Ticket.community_id == community_id, Ticket.state.in_(OPEN_STATES), or_(*conds))
            .options(selectinload(Ticket.unit).selectinload(Unit.building), selectinload(Ticket.callers))
            .order_by(Ticket.created_at.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def outages_for(community_id: int, building_id: int | None, now: datetime | None = None) -> list[Outage]:
    """Outages in force (or announced) for this building now."""
    now = now or utcnow()
    stmt = select(Outage).where(Outage.community_id == community_id, Outage.ends_at >= now,
                                Outage.starts_at <= now + timedelta(days=1))
    outages = list(db.session.scalars(stmt))
    if building_id:
        outages = [o for o in outages if any(b.id == building_id for b in o.buildings)]
    return outages


def due_at(t: Ticket) -> datetime | None:
    """The deadline that matters in the ticket's current state."""
    if t.state in (State.NEW, State.DISPATCHED):
        return t.respond_due
    if t.state == State.IN_PROGRESS:
        return t.expected_at or t.resolve_due
    if t.state == State.RESOLVED:
        return t.visit_due
    return None


def is_overdue(t: Ticket, now: datetime | None = None) -> bool:
    if t.paused_at is not None:
        return False
    due = due_at(t)
    return due is not None and due < (now or utcnow())


def owner_facing(t: Ticket) -> bool:
    """A ticket someone reported: the owner is told (texts to copy) and contacts are recorded.
    A rectification (巡查整改) was found by a steward on a patrol: no owner reported it, so it has
    neither the texts nor 记录联系业主; its page shows the patrol it came from and its recheck."""
    return t.kind != Kind.PATROL


def available_steps(user: User, t: Ticket) -> list[str]:
    """The steps to offer this user now (the step functions still check everything)."""
    steps = []
    desk, sup = _has(user, DESK_ROLES), _has(user, SUPERVISORS)
    if t.state in (State.NEW, State.DISPATCHED) and _has(user, DISPATCH_ROLES):
        steps.append("dispatch")
    if (t.state == State.DISPATCHED and _has(user, HANDLER_ROLES) and t.assignee_id in (None, user.id)
            and (t.assignee_id == user.id or user.department_id == t.department_id or sup)):
        steps.append("accept")
    if t.state == State.IN_PROGRESS and is_handler(user, t):
        steps += ["resolve", "delay"]
    if t.kind == Kind.INQUIRY and t.replied_at is None and t.state != State.CLOSED and desk:
        steps += ["answer", "promise"]
    if t.state != State.CLOSED:
        steps.append("note")
    if t.state in (State.NEW, State.DISPATCHED, State.IN_PROGRESS):
        steps.append("resume" if t.paused_at else "pause")
    if t.state == State.RESOLVED and _has(user, FOLLOW_UP_ROLES) and t.kind == Kind.PATROL:
        steps.append("recheck")  # patrols: a rectification is rechecked on site, not visited [D3]
    elif t.state == State.RESOLVED and _has(user, FOLLOW_UP_ROLES):
        if t.confirmed_at is None:
            steps.append("confirm")
        steps.append("visit")
    if t.state != State.CLOSED and (t.escalation == 0 or (t.escalation == 1 and sup)):
        steps.append("escalate")
    if desk and t.state != State.CLOSED and owner_facing(t):
        steps.append("contact")
    if sup and t.state != State.CLOSED:
        steps.append("close")
    return steps


EVENT_LABELS = {
    "ticket.created": "登记", "ticket.dispatched": "派单", "ticket.accepted": "接单", "ticket.note": "跟进",
    "ticket.delayed": "延期", "ticket.paused": "暂停计时", "ticket.resumed": "恢复计时",
    "ticket.escalated": "工作函上报", "ticket.resolved": "完成", "ticket.confirmed": "住户确认完成",
    "ticket.visited": "回访", "ticket.reopened": "重新打开", "ticket.closed": "关闭", "ticket.answered": "答复",
    "ticket.reply_promised": "约定答复时间", "ticket.contacted": "联系业主", "ticket.caller_added": "关联来电",
    "ticket.rechecked": "复检",  # patrols [D3]
}


# --- what the clerk is told after a step: what happened, and what comes next ----------------

ON_SITE_KINDS = (Kind.REPAIR, Kind.PATROL)  # the response is someone on site (到场)


def _respond_word(t: Ticket) -> str:
    return "到场" if t.kind in ON_SITE_KINDS else "响应"


def next_step(t: Ticket, now: datetime | None = None) -> str:
    """What comes next for the ticket in its state, with the deadline that matters (due_at)."""
    from ..core.timefmt import when_label

    due = when_label(due_at(t), now)
    by = f"{due} 前" if due else ""
    who = " ".join(x for x in ((t.department.name if t.department else ""), (t.assignee.name if t.assignee else "")) if x)
    if t.state == State.NEW:
        return f"等待派单，{by}{_respond_word(t)}" if by else "等待派单"
    if t.state == State.DISPATCHED:
        return f"等待 {who or '处理人'} 接单" + (f"，{by}{_respond_word(t)}" if by else "")
    if t.state == State.IN_PROGRESS:
        return f"{who or '处理人'} 处理中" + (f"，{by}完成" if by else "")
    if t.state == State.RESOLVED:
        if t.kind == Kind.PATROL:
            return f"等待巡查管家{(' ' + by) if by else ''}复检"
        return f"请{(' ' + by) if by else ''}回访住户"
    return "工单已关闭，无需再处理"


def step_message(ev: Event | None, t: Ticket, now: datetime | None = None) -> str:
    """The sentence shown after a step: what happened and what comes next, e.g.
    已派给 工程部 刘国栋，16:30 前到场。 Never a bare label."""
    from ..core.timefmt import when_label

    d = (ev.data if ev is not None else None) or {}
    nxt = next_step(t, now)
    match ev.action if ev is not None else "":
        case "ticket.created":
            done = f"已登记工单 {t.serial}"
            if t.replied_at is not None:  # a question answered on the spot [T6]
                done += "，并记录了当场答复"
            elif t.kind == Kind.INQUIRY and t.reply_due is not None:
                done += f"，约定 {when_label(t.reply_due, now)} 前答复"
            if t.state == State.DISPATCHED:  # a 部门抢单 category: sent to its department at once
                return f"{done}，已派给 {t.department.name} 抢单，{when_label(due_at(t), now)} 前须有人接单。"
            return f"{done}；{nxt}。" if "，" in done else f"{done}，{nxt}。"
        case "ticket.dispatched":
            due = when_label(due_at(t), now)
            if d.get("assignee"):
                return f"已派给 {d.get('department')} {d.get('assignee')}，{due} 前{_respond_word(t)}。"
            return f"已派给 {d.get('department')}（部门内抢单），{due} 前须有人接单。"
        case "ticket.accepted":
            return f"已接单，请在 {when_label(due_at(t), now)} 前处理完成。"
        case "ticket.note":
            said = "进展已记录，业主可以看到" if d.get("public") else "内部记录已保存，业主看不到"
            return f"{said}；{nxt}。"
        case "ticket.delayed":
            told = "已告知业主" if d.get("owner_told") else "请记得告知业主新的时间"
            return f"已登记延期，新的预计完成时间 {when_label(t.expected_at, now)}；{told}。"
        case "ticket.paused":
            return f"已暂停计时（{d.get('text', '')}）；恢复计时后，时限按暂停的时间顺延。"
        case "ticket.resumed":
            return f"已恢复计时，时限已顺延；{nxt}。"
        case "ticket.escalated":
            if d.get("to") == "manager":
                return "工作函已确认并上报经理，等待经理处理。"
            return "工作函已上报主管，等待主管确认后报经理。"
        case "ticket.resolved":
            return f"已标记完成；{nxt}。"
        case "ticket.confirmed":
            return f"住户已确认完成；{nxt}。"
        case "ticket.visited":
            if t.state == State.CLOSED:
                return (f"回访已记录（满意度 {d.get('satisfaction')} 分，{OUTCOME_LABELS.get(d.get('outcome'), '')}），"
                        "工单已关闭。")
            return f"回访未解决，工单已重新打开；{nxt}。"
        case "ticket.answered":
            return f"已答复咨询；{nxt}。"
        case "ticket.reply_promised":
            return f"已约定 {when_label(t.reply_due, now)} 前答复，届时会出现在“今日待答复”里。"
        case "ticket.contacted":
            return f"已记录{CONTACT_METHODS.get(d.get('method'), '')}联系业主；{nxt}。"
        case "ticket.closed":
            return "工单已关闭，无需再处理。"
        case "ticket.rechecked":
            if t.state == State.CLOSED:
                return "复检通过，整改工单已关闭。"
            return f"复检未通过，工单已重新打开；{nxt}。"
        case "ticket.reopened":
            return f"工单已重新打开；{nxt}。"
    return f"{EVENT_LABELS.get(ev.action, '操作') if ev is not None else '操作'}已保存；{nxt}。"


def message_texts(t: Ticket) -> dict[str, str]:
    """Ready-made texts for telling the owner, filled with the ticket's facts (copied by hand;
    nothing is sent from here)."""
    from ..core.timefmt import localtime

    who = t.reporter_name or "业主"
    base = f"{who}您好，您反映的{t.place}“{t.category.name}”问题（单号{t.serial}）"
    texts = {"received": f"{base}已收到，我们将尽快安排处理。"}
    if t.department is not None:
        texts["dispatched"] = f"{base}已安排{t.department.name}处理{('，处理人' + t.assignee.name) if t.assignee else ''}。"
    if t.expected_at is not None:
        texts["delayed"] = f"{base}处理需要延期，预计{localtime(t.expected_at, '%m月%d日%H:%M')}前完成，给您带来不便敬请谅解。"
    if t.resolved_at is not None:
        texts["resolved"] = f"{base}已处理完成，如仍有问题请随时联系我们。"
    return texts


MESSAGE_LABELS = {"received": "已受理", "dispatched": "已派单", "delayed": "延期", "resolved": "已完成"}


# --- tickets other areas open (core.hooks.OPEN_TICKET) ------------------------------------------

def open_ticket_for(community_id: int, request: dict, actor: User) -> dict | None:
    """Answer core.hooks.OPEN_TICKET: open a ticket for work another area found (a handover
    defect [H4] → kind 返修), in the category named by the hint (else 水电气维修, else 其他), with
    its photos; the ticket machinery (deadlines, dispatch, return visit) applies from here."""
    from .models import Channel, Urgency

    cats = {c.name: c for c in categories(community_id)}
    cat = next((cats[n] for n in (request.get("category"), "水电气维修", "其他") if n in cats),
               next(iter(cats.values()), None))
    if cat is None:
        raise TicketError("本小区还没有工单类别，请联系主管设置。")
    kind = Kind.DEFECT if request.get("kind") == "defect" else Kind.REPAIR
    t = create_ticket(community_id, Intake(
        kind=kind, channel=Channel.WALK_IN, category_id=cat.id, urgency=request.get("urgency") or Urgency.NORMAL,
        description=f"【{request.get('source') or '其他区域'}】{request.get('description') or ''}"[:1000],
        unit_id=request.get("unit_id"), reporter_name=request.get("reporter_name") or actor.name,
        client_key=request.get("client_key")), actor)
    photos = list(request.get("photos") or [])
    if photos and not t.photos:
        ev = db.session.scalar(select(Event).where(Event.object_type == "ticket", Event.object_id == t.id,
                                                   Event.action == "ticket.created"))
        attach_photos(t, ev, photos, actor)
    return {"id": t.id, "serial": t.serial}


def open_fee_dispute(community_id: int, unit_id: int, text: str, actor, client_key: str | None = None) -> int:
    """core.hooks.FEE_DISPUTE [D4]: a dispute raised on a fee-collection contact becomes a
    complaint ticket in the 费用 category (else the first one); returns the ticket's id."""
    cats = list(db.session.scalars(select(Category).where(Category.community_id == community_id)
                                   .order_by(Category.sort, Category.id)))
    cat = next((c for c in cats if c.name == "费用"), cats[0] if cats else None)
    if cat is None:
        raise TicketError("请先设置工单类别。")
    t = create_ticket(community_id, Intake(kind=Kind.COMPLAINT, channel="phone", category_id=cat.id,
                                           urgency="normal", description=text, unit_id=unit_id,
                                           client_key=client_key), actor)
    return t.id


def ticket_facts(community_id: int, ticket_id: int, user=None) -> dict | None:
    """core.hooks.TICKET_FACTS: a ticket's unit, kind, serial and state (for a paid repair);
    None when it is not in the community or `user` (when given) may not open it (can_view)."""
    t = db.session.get(Ticket, ticket_id) if 0 < ticket_id < 2**31 else None
    if t is None or t.community_id != community_id or (user is not None and not can_view(user, t)):
        return None
    return {"unit_id": t.unit_id, "kind": t.kind, "serial": t.serial, "state": t.state}
