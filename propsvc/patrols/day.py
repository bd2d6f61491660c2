"""The steward's day, composed from tickets, patrols and the Event record:

* today_for(): the 今日 page, the steward's first screen on the phone — patrol progress against
  the quota, today's planned patrols, the ticket lists of 我的工单 (tickets.lists, reused),
  rectifications to recheck [D3] and vacant units due.
* briefing(): the morning briefing [D1] — yesterday per steward, what needs another department,
  what could not be solved and why, and today's priorities (BriefingNote).
* summary_draft(), save_summary(), summaries_for(): the daily summary [D4].

Plans and coverage come from propsvc.patrols.plans (another module): imported lazily, and a
section shows nothing while that module or function is missing.

Everything handed to templates and the PDF here is plain data (dataclasses of str/int/date,
or lists of them); ORM objects stay in this module, except the ticket lists of 今日, which
reuse the 我的工单 row format. Functions never commit; the view commits once."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload, selectinload

from ..auth.models import User, UserRole, user_building, user_community
from ..core import hooks
from ..core.models import Event, utcnow
from ..core.roles import Role
from ..core.services import record
from ..core.timefmt import day_bounds, localtime, site_today
from ..extensions import db
from ..registry.models import Building, Unit
from ..tickets import lists
from ..tickets.models import OPEN_STATES, OUTCOME_LABELS, Kind, State, Ticket
from ..tickets.services import CONTACT_METHODS, EVENT_LABELS, due_at, is_overdue
from .models import PATROL_KIND_LABELS, BriefingNote, DailySummary, ItemResult, Patrol, PatrolPlan, PatrolResult

WEEKDAYS = "一二三四五六日"
SUMMARY_MAX = 5000
PRIORITIES_MAX = 2000
SERVICE_DEPT = "service"  # 客服部: the stewards' own department


class DayError(ValueError):
    """Bad input; `field` names the form field the (Chinese) message belongs next to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- days ------------------------------------------------------------------------------

today_local = site_today


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日 周{WEEKDAYS[day.weekday()]}"


def parse_day(value: str | None, default: date, now: datetime | None = None, *,
              future_ok: bool = False) -> date:
    """A YYYY-MM-DD value, or `default` when none is given. DayError("day", …) when it is not
    a date, or lies in the future (unless future_ok)."""
    if not value:
        return default
    try:
        d = date.fromisoformat(value.strip())
    except ValueError:
        raise DayError("day", "日期格式不正确，请按 年-月-日 填写。") from None
    if not 2000 <= d.year <= 2100:
        raise DayError("day", "日期超出范围。")
    if not future_ok and d > today_local(now):
        raise DayError("day", "不能选择未来的日期。")
    return d


# --- the other module: plans and coverage (lazy) ---------------------------------------------

def _plans_fn(name: str):
    """plans.<name>, or None while the plans module (or that function) does not exist yet."""
    try:
        from . import plans
    except ImportError:
        return None
    return getattr(plans, name, None)


def _endpoint_url(endpoint: str, **values) -> str | None:
    """url_for(endpoint) when the route exists; a route with one path argument gets `ident`
    under whatever name it declares (patrols.run is /patrols/<id>)."""
    if endpoint not in current_app.view_functions:
        return None
    ident = values.pop("ident", None)
    if ident is not None:
        rule = next((r for r in current_app.url_map.iter_rules(endpoint) if r.arguments), None)
        if rule is None or len(rule.arguments) != 1:
            return None
        values[next(iter(rule.arguments))] = ident
    return url_for(endpoint, **values)


# --- places ----------------------------------------------------------------------------

def plan_target(p: PatrolPlan | Patrol) -> str:
    if p.unit is not None:
        return p.unit.label
    b = f"{p.building.number}栋" if p.building is not None else ""
    return (b + (p.area or "")) or "园区"


def _ticket_building(t: Ticket) -> int | None:
    return t.building_id or (t.unit.building_id if t.unit is not None else None)


# --- 今日 -------------------------------------------------------------------------------

@dataclass
class PlannedPatrol:
    title: str          # 楼栋单元 · 3栋
    window: str         # 09:00–11:00
    state: str          # todo / in_progress / done / missed
    state_label: str    # 待巡查 / 进行中 / 已完成 / 已漏巡, or 补巡中 / 已补巡
    url: str | None     # start, continue or make up; None when done
    action: str | None  # 开始 / 继续 / 补巡
    makeup: str = ""    # a 补巡: "计划 09:00–11:00 · 实际 14:05 开始"


@dataclass
class CoverageRow:
    steward_id: int | None
    name: str
    done: int           # buildings patrolled today
    quota: int
    buildings: list[str] = field(default_factory=list)  # which ones

    @property
    def met(self) -> bool:
        return self.quota > 0 and self.done >= self.quota


@dataclass
class VacantDue:
    label: str          # 3栋1单元301
    last: str           # "9天未巡，逾期2天" / "从未巡查"


@dataclass
class Today:
    day: date
    day_label: str
    coverage: list[CoverageRow] | None    # None: coverage not available; the user's row first
    patrols: list[PlannedPatrol] | None   # None: plans not available
    overdue: list[Ticket]
    assigned: list[Ticket]
    visits: list[Ticket]
    replies: list[Ticket]
    rechecks: list[Ticket]
    other_open: int                       # the rest of 我的工单, counted only
    vacant: list[VacantDue] | None
    notices: list[str]
    summary_state: str                    # 未填写 / 草稿 / 已提交
    own_coverage: CoverageRow | None = None
    patrol_counts: object | None = None   # plans.DayCounts of `patrols` (None: plans not available)
    handovers: list = field(default_factory=list)  # core.hooks.STEWARD_TODAY: (label, url) [D2]
    assessment: list = field(default_factory=list)  # core.hooks.STEWARD_ASSESSMENT: (label, url) [A3]

    @property
    def patrols_left(self) -> int:
        """Still to do today: to do, under way, a 补巡 under way (DayCounts.open)."""
        return sum(1 for p in self.patrols or () if p.state in ("todo", "in_progress"))


def _due_today(community_id: int, day: date, steward_id: int, now: datetime | None = None) -> list | None:
    due_on = _plans_fn("due_on")
    return None if due_on is None else due_on(community_id, day, steward_id=steward_id, now=now)


def planned_patrols(community_id: int, day: date, steward_id: int, now: datetime | None = None,
                    dues: list | None = None) -> list[PlannedPatrol] | None:
    """The steward's planned patrols of the day (plans.due_on), with a start/continue link; a
    patrol missed today (已漏巡) links to its late start, a 补巡 [D3]."""
    if dues is None:
        dues = _due_today(community_id, day, steward_id, now)
    if dues is None:
        return None
    out = []
    for d in dues:
        url = action = None
        if d.state == "todo":
            url, action = _endpoint_url("patrols.start", plan_id=d.plan.id), "开始"
        elif d.state == "in_progress" and d.patrol is not None:
            url, action = _endpoint_url("patrols.run", ident=d.patrol.id), "继续"
        elif getattr(d, "can_make_up", False):
            url, action = _endpoint_url("patrols.start", plan_id=d.plan.id), "补巡"
        record = getattr(d, "makeup_record", None)
        t = d.plan.template
        kind = PATROL_KIND_LABELS.get(t.kind, t.kind) if t is not None else "巡查"
        out.append(PlannedPatrol(
            title=f"{kind} · {plan_target(d.plan)}",
            window=f"{d.plan.window_start:%H:%M}–{d.plan.window_end:%H:%M}",
            state=d.state, state_label=d.state_label, url=url, action=action if url else None,
            makeup=record.label if record is not None else ""))
    order = {"in_progress": 0, "todo": 1, "missed": 2, "done": 3}
    out.sort(key=lambda p: order.get(p.state, 9))  # stable: by window within a state
    return out


def _coverage(community_id: int, day: date, now: datetime | None = None, vacant: bool = True):
    fn = _plans_fn("coverage")
    return None if fn is None else fn(community_id, day, now=now, vacant=vacant)


def coverage_rows(cov) -> list[CoverageRow]:
    """plans.Coverage as plain rows, one per steward."""
    if cov is None:
        return []
    return [CoverageRow(s.steward.id, s.steward.name, s.done, s.quota, [b.label for b in s.buildings])
            for s in cov.stewards]


def vacant_due(cov, steward_id: int) -> list[VacantDue]:
    """The steward's vacant units due a check, from plans.coverage."""
    mine = cov.for_steward(steward_id) if cov is not None else None
    if mine is None:
        return []
    return [VacantDue(label=v.unit.label, last=v.label) for v in mine.vacant_due]


def rechecks_for(user: User, community_id: int) -> list[Ticket]:
    """[D3] Rectifications to recheck: patrol-finding tickets found on this steward's patrols,
    handled (state resolved) and waiting for the steward's recheck."""
    stmt = (select(Ticket).where(
        Ticket.community_id == community_id, Ticket.kind == Kind.PATROL, Ticket.state == State.RESOLVED,
        Ticket.id.in_(select(PatrolResult.ticket_id).join(Patrol, Patrol.id == PatrolResult.patrol_id)
                      .where(Patrol.steward_id == user.id, PatrolResult.ticket_id.is_not(None))))
        .options(selectinload(Ticket.category), selectinload(Ticket.unit).selectinload(Unit.building),
                 selectinload(Ticket.building))
        .order_by(Ticket.visit_due, Ticket.id))
    return list(db.session.scalars(stmt))


def summary_label(s: DailySummary | None) -> str:
    return "未填写" if s is None else "已提交" if s.submitted_at else "草稿"


def today_for(user: User, community_id: int, now: datetime | None = None) -> Today:
    now = now or utcnow()
    day = today_local(now)
    my = lists.my_lists(user, community_id, now)
    sections = {s.key: s.tickets for s in my.sections}
    rechecks = rechecks_for(user, community_id) if user.has_role(Role.STEWARD) else []
    recheck_ids = {t.id for t in rechecks}

    def drop(key):  # each ticket once: a recheck is listed as a recheck
        return [t for t in sections.get(key, []) if t.id not in recheck_ids]

    cov = _coverage(community_id, day, now)
    rows = coverage_rows(cov) if cov is not None else None
    own = next((r for r in rows or () if r.steward_id == user.id), None)
    if rows is not None:
        rows = ([own] if own else []) + [r for r in rows if r is not own]
        if not user.has_role(Role.SUPERVISOR, Role.MANAGER):
            rows = [own] if own else []
    dues = _due_today(community_id, day, user.id, now) if user.has_role(Role.STEWARD) else None
    counts = _plans_fn("day_counts")
    return Today(
        day=day, day_label=day_label(day), coverage=rows,
        patrols=planned_patrols(community_id, day, user.id, now, dues=dues) if dues is not None else None,
        patrol_counts=counts(dues) if dues is not None and counts is not None else None,
        overdue=drop("overdue"), assigned=drop("assigned"), visits=drop("visits"), replies=drop("replies"),
        rechecks=rechecks, other_open=len(drop("open")),
        vacant=vacant_due(cov, user.id) if cov is not None and user.has_role(Role.STEWARD) else None,
        notices=my.notices, summary_state=summary_label(get_summary(user.id, day)) if user.has_role(Role.STEWARD) else "",
        own_coverage=own,
        handovers=hooks.joined(hooks.STEWARD_TODAY, user, community_id, day) if user.has_role(Role.STEWARD) else [],
        assessment=hooks.joined(hooks.STEWARD_ASSESSMENT, user, community_id, day) if user.has_role(Role.STEWARD) else [],
    )


def patrol_progress(user: User, community_id: int, now: datetime | None = None) -> tuple[str, tuple[int, int]] | None:
    """今日's tile (core.nav): today's planned patrols done of planned, counted as 今日 counts them
    (plans.day_counts: a finished 补巡 is done, one bucket per patrol) over the patrols 今日 lists
    (a steward's own plans; everyone's for a supervisor); with no plans today, a steward's
    buildings patrolled against the daily quota. None when there is nothing to count."""
    now = now or utcnow()
    day = today_local(now)
    due_on, day_counts = _plans_fn("due_on"), _plans_fn("day_counts")
    steward_id = user.id if user.has_role(Role.STEWARD) else None
    due = due_on(community_id, day, steward_id=steward_id, now=now) if due_on is not None else []
    if due and day_counts is not None:
        counts = day_counts(due)
        return "今日巡查", (counts.done, counts.total)
    if steward_id is not None:
        own = next((r for r in coverage_rows(_coverage(community_id, day, now)) if r.steward_id == user.id), None)
        if own is not None and own.quota > 0:
            return "今日楼栋", (own.done, own.quota)
    return None


# --- stewards and their tickets ---------------------------------------------------------

def stewards_of(community_id: int) -> list[User]:
    """The active stewards working in the community, by department, then name."""
    stmt = (select(User).join(UserRole, UserRole.user_id == User.id)
            .join(user_community, user_community.c.user_id == User.id)
            .where(UserRole.role == Role.STEWARD, user_community.c.community_id == community_id,
                   User.active.is_(True))
            .options(joinedload(User.department), lazyload(User.role_rows), lazyload(User.communities))
            .order_by(User.name, User.id))
    return list(db.session.scalars(stmt).unique())


def _buildings_of(community_id: int, user_ids: list[int]) -> dict[int, list[Building]]:
    out: dict[int, list[Building]] = defaultdict(list)
    if not user_ids:
        return out
    rows = db.session.execute(
        select(user_building.c.user_id, Building).join(Building, Building.id == user_building.c.building_id)
        .where(user_building.c.user_id.in_(user_ids), Building.community_id == community_id)
        .order_by(Building.sort_key, Building.number))
    for uid, b in rows:
        out[uid].append(b)
    return out


class _Owners:
    """Whose ticket is it: the stewards owning its building [D2], or the steward of its unit."""

    def __init__(self, buildings: dict[int, list[Building]]):
        self.by_building: dict[int, set[int]] = defaultdict(set)
        for uid, bs in buildings.items():
            for b in bs:
                self.by_building[b.id].add(uid)

    def of(self, t: Ticket) -> set[int]:
        owners = set(self.by_building.get(_ticket_building(t), ()))
        if t.unit is not None and t.unit.steward_id:
            owners.add(t.unit.steward_id)
        return owners


def _load_tickets(*conds) -> list[Ticket]:
    stmt = (select(Ticket).where(*conds)
            # many-to-one: one joined query instead of a query per relation
            .options(joinedload(Ticket.category), joinedload(Ticket.department),
                     joinedload(Ticket.unit).joinedload(Unit.building), joinedload(Ticket.building))
            .order_by(Ticket.created_at, Ticket.id))
    return list(db.session.scalars(stmt))


# --- the morning briefing [D1] ------------------------------------------------------------

REASON_ACTIONS = ("ticket.delayed", "ticket.paused", "ticket.escalated", "ticket.reopened")


@dataclass
class TicketLine:
    id: int
    serial: str
    place: str
    category: str
    kind: str
    state: str
    department: str
    due: str
    reason: str = ""


@dataclass
class ProblemLine:
    place: str
    item: str
    note: str
    ticket: str       # the rectification ticket's serial, if one was made


@dataclass
class StewardDay:
    user_id: int
    name: str
    buildings: list[str]
    received: int
    resolved: int
    overdue: int
    patrols_done: int
    patrols_planned: int | None     # None: plans not available
    patrols_missed: int | None
    coverage: str                   # "2/3栋" or ""
    problems: list[ProblemLine]
    other_dept: list[TicketLine]
    unsolved: list[TicketLine]
    summary: str                    # 已提交 / 草稿 / 未填写


@dataclass
class Team:
    name: str
    stewards: list[StewardDay]


@dataclass
class Briefing:
    day: date
    day_label: str
    meeting_day: date
    meeting_label: str
    teams: list[Team]
    totals: dict[str, int]
    priorities: str
    priorities_by: str
    priorities_at: str

    def plain(self) -> dict:
        """As nested dicts, for render_pdf."""
        return asdict(self)


def _line(t: Ticket, reason: str = "") -> TicketLine:
    due = due_at(t)
    return TicketLine(id=t.id, serial=t.serial, place=t.place, category=t.category.name, kind=t.kind_label,
                      state=t.state_label + ("（暂停）" if t.paused_at else ""),
                      department=(t.department.name if t.department else "未派单")
                      + ({1: " · 已上报主管", 2: " · 已上报经理"}.get(t.escalation, "")),
                      due=localtime(due) if due else "", reason=reason)


def _last_reasons(ticket_ids: list[int]) -> dict[int, str]:
    """Each ticket's last delay / pause / escalation / reopening, as "延期：原因"."""
    if not ticket_ids:
        return {}
    rows = db.session.scalars(select(Event).where(
        Event.object_type == "ticket", Event.object_id.in_(ticket_ids), Event.action.in_(REASON_ACTIONS))
        .order_by(Event.at, Event.id))
    out = {}
    for e in rows:
        text = (e.data or {}).get("text")
        if text:
            out[e.object_id] = f"{EVENT_LABELS.get(e.action, e.action)}：{text}"
    return out


def briefing_note(community_id: int, meeting_day: date) -> BriefingNote | None:
    return db.session.scalar(select(BriefingNote).where(BriefingNote.community_id == community_id,
                                                        BriefingNote.day == meeting_day))


def briefing(community_id: int, day: date, now: datetime | None = None) -> Briefing:
    """[D1] The briefing held on the morning after `day`: `day`'s work per steward, what is
    overdue now and why, what waits on another department, and the priorities for the
    meeting day (the BriefingNote of day + 1)."""
    now = now or utcnow()
    lo, hi = day_bounds(day)
    stewards = stewards_of(community_id)
    ids = [u.id for u in stewards]
    buildings = _buildings_of(community_id, ids)
    owners = _Owners(buildings)

    received: dict[int, set[int]] = defaultdict(set)
    for t in _load_tickets(Ticket.community_id == community_id, Ticket.created_at >= lo, Ticket.created_at < hi):
        for uid in owners.of(t) | ({t.created_by_id} if t.created_by_id else set()):
            received[uid].add(t.id)

    done_ids = set(db.session.scalars(select(Event.object_id).where(
        Event.community_id == community_id, Event.object_type == "ticket", Event.at >= lo, Event.at < hi,
        Event.action.in_(("ticket.resolved", "ticket.closed")))))
    resolved: dict[int, set[int]] = defaultdict(set)
    if done_ids:
        for t in _load_tickets(Ticket.id.in_(done_ids)):
            for uid in owners.of(t) | ({t.assignee_id} if t.assignee_id else set()):
                resolved[uid].add(t.id)

    open_tickets = _load_tickets(Ticket.community_id == community_id, Ticket.state.in_(OPEN_STATES))
    overdue = [t for t in open_tickets if is_overdue(t, now)]
    reasons = _last_reasons([t.id for t in overdue])
    unsolved: dict[int, list[TicketLine]] = defaultdict(list)
    for t in overdue:
        for uid in owners.of(t) | ({t.assignee_id} if t.assignee_id in ids else set()):
            unsolved[uid].append(_line(t, reasons.get(t.id) or (f"暂停：{t.pause_reason}" if t.pause_reason
                                                                  else "未登记原因")))
    other: dict[int, list[TicketLine]] = defaultdict(list)
    for t in open_tickets:  # still being worked on: a resolved one waits for the steward's visit
        if t.state == State.RESOLVED:
            continue
        if t.escalation > 0 or (t.department is not None and t.department.code != SERVICE_DEPT):
            for uid in owners.of(t):
                other[uid].append(_line(t))

    patrols = list(db.session.scalars(
        select(Patrol).where(Patrol.community_id == community_id, Patrol.day == day, Patrol.steward_id.in_(ids))
        .options(selectinload(Patrol.results).joinedload(PatrolResult.ticket),
                 joinedload(Patrol.unit).joinedload(Unit.building), joinedload(Patrol.building))
        .order_by(Patrol.started_at, Patrol.id))) if ids else []
    done: dict[int, int] = defaultdict(int)
    problems: dict[int, list[ProblemLine]] = defaultdict(list)
    for p in patrols:
        if p.finished_at is not None:
            done[p.steward_id] += 1
        for r in p.results:
            if r.result == ItemResult.PROBLEM:
                problems[p.steward_id].append(ProblemLine(place=plan_target(p), item=r.item_text, note=r.note or "",
                                                          ticket=r.ticket.serial if r.ticket else ""))

    planned: dict[int, list] | None = None
    due_on = _plans_fn("due_on")
    if due_on is not None:
        planned = defaultdict(list)
        for d in due_on(community_id, day, now=now):
            planned[d.plan.steward_id].append(d.state)
    cov = {r.steward_id: r for r in coverage_rows(_coverage(community_id, day, now, vacant=False))}

    summaries = {s.user_id: s for s in db.session.scalars(select(DailySummary).where(
        DailySummary.community_id == community_id, DailySummary.day == day))}

    teams: dict[str, list[StewardDay]] = defaultdict(list)
    for u in stewards:
        c = cov.get(u.id)
        s = summaries.get(u.id)
        teams[u.department.name if u.department else "客服管家"].append(StewardDay(
            user_id=u.id, name=u.name, buildings=[b.label for b in buildings.get(u.id, [])],
            received=len(received[u.id]), resolved=len(resolved[u.id]), overdue=len(unsolved[u.id]),
            patrols_done=done[u.id],
            patrols_planned=len(planned[u.id]) if planned is not None else None,
            patrols_missed=sum(1 for st in planned[u.id] if st == "missed") if planned is not None else None,
            coverage=f"{c.done}/{c.quota}栋" if c is not None and c.quota else "",
            problems=problems[u.id], other_dept=other[u.id], unsolved=unsolved[u.id],
            summary=summary_label(s)))

    meeting = day + timedelta(days=1)
    note = briefing_note(community_id, meeting)
    by = db.session.get(User, note.updated_by_id) if note is not None and note.updated_by_id else None
    def distinct(per: dict) -> int:  # a ticket in two stewards' rows counts once in the total
        return len(set().union(*(per[uid] for uid in ids)))

    totals = {"received": distinct(received), "resolved": distinct(resolved),
              "overdue": len({line.id for uid in ids for line in unsolved[uid]}),
              "patrols_done": sum(done[uid] for uid in ids), "problems": sum(len(problems[uid]) for uid in ids)}
    return Briefing(
        day=day, day_label=day_label(day), meeting_day=meeting, meeting_label=day_label(meeting),
        teams=[Team(name, sds) for name, sds in sorted(teams.items())], totals=totals,
        priorities=note.priorities if note else "", priorities_by=by.name if by else "",
        priorities_at=localtime(note.updated_at) if note else "")


def _created(obj, reload):
    """Insert `obj` (one per day by a unique key); when a concurrent request inserted it first,
    that row instead."""
    try:
        with db.session.begin_nested():  # add inside: begin_nested() flushes what is pending first
            db.session.add(obj)
            db.session.flush()
    except IntegrityError:
        found = reload()
        if found is None:
            raise
        return found
    return obj


def save_priorities(community_id: int, meeting_day: date, text: str, actor: User,
                    now: datetime | None = None) -> BriefingNote:
    """The supervisor's priorities for the meeting day; each save is an Event."""
    now = now or utcnow()
    text = (text or "").strip()
    if len(text) > PRIORITIES_MAX:
        raise DayError("priorities", f"今日重点最多{PRIORITIES_MAX}字。")
    note = briefing_note(community_id, meeting_day) or _created(
        BriefingNote(community_id=community_id, day=meeting_day),
        lambda: briefing_note(community_id, meeting_day))
    note.priorities, note.updated_by_id, note.updated_at = text, actor.id, now
    db.session.flush()
    record("briefing.noted", note, actor=actor, day=meeting_day.isoformat(), text=text).at = now
    return note


# --- the daily summary [D4] ---------------------------------------------------------------

SKIP_IN_TICKET_LINES = ("ticket.visited", "ticket.contacted")


def _ticket_head(t: Ticket) -> str:
    return f"{t.serial} {t.place} {t.category.name}"


def summary_draft(user: User, community_id: int, day: date, now: datetime | None = None) -> str:
    """[D4] A draft of the day's summary from the day's Events by this user (tickets created
    and handled, return visits, contacts with owners) and the patrols they did. Places and
    categories only: no complaint contents or owners' details [T9]."""
    lo, hi = day_bounds(day)
    events = list(db.session.scalars(select(Event).where(
        Event.actor_id == user.id, Event.community_id == community_id, Event.object_type == "ticket",
        Event.at >= lo, Event.at < hi).order_by(Event.at, Event.id)))
    tickets = {t.id: t for t in _load_tickets(Ticket.id.in_({e.object_id for e in events}))} if events else {}
    per_ticket: dict[int, list[str]] = {}
    created, visits, contacts = set(), [], []
    visited = {e.object_id for e in events if e.action == "ticket.visited"}
    for e in events:
        t = tickets.get(e.object_id)
        if t is None:
            continue
        if e.action == "ticket.created":
            created.add(t.id)
        if e.action == "ticket.visited":
            d = e.data or {}
            visits.append(f"· {_ticket_head(t)}：满意度 {d.get('satisfaction', '—')} 分，"
                          f"{OUTCOME_LABELS.get(d.get('outcome'), d.get('outcome') or '')}")
        elif e.action == "ticket.contacted":
            d = e.data or {}
            contacts.append(f"· {_ticket_head(t)}：{CONTACT_METHODS.get(d.get('method'), d.get('method') or '')}"
                            f"（{localtime(e.at, '%H:%M')}）")
        if e.action in SKIP_IN_TICKET_LINES or (e.action == "ticket.closed" and t.id in visited):
            continue  # listed under 回访 / 联系业主 (a satisfied visit closes the ticket)
        labels = per_ticket.setdefault(t.id, [])
        label = EVENT_LABELS.get(e.action, e.action)
        if label not in labels:
            labels.append(label)

    handled = [tid for tid in per_ticket if tid not in created]
    out = [f"{day_label(day)} 工作总结（{user.name}）", ""]
    out.append(f"一、工单：登记 {len(created)} 单，跟进处理 {len(handled)} 单")
    out += [f"· {_ticket_head(tickets[tid])}：{'、'.join(labels)}" for tid, labels in per_ticket.items()] or ["· 无"]
    out.append(f"二、回访：{len(visits)} 次")
    out += visits or ["· 无"]
    out.append(f"三、联系业主：{len(contacts)} 次")
    out += contacts or ["· 无"]

    patrols = list(db.session.scalars(
        select(Patrol).where(Patrol.community_id == community_id, Patrol.steward_id == user.id, Patrol.day == day)
        .options(selectinload(Patrol.results).joinedload(PatrolResult.ticket),
                 joinedload(Patrol.unit).joinedload(Unit.building), joinedload(Patrol.building))
        .order_by(Patrol.started_at, Patrol.id)))
    finished = [p for p in patrols if p.finished_at is not None]
    problems = [(p, r) for p in patrols for r in p.results if r.result == ItemResult.PROBLEM]
    out.append(f"四、巡查：完成 {len(finished)} 次，发现问题 {len(problems)} 项")
    for p in patrols:
        n = sum(1 for r in p.results if r.result == ItemResult.PROBLEM)
        out.append(f"· {p.kind_label} {plan_target(p)}：{len(p.results)} 项，问题 {n} 项"
                   + ("" if p.finished_at else "（未完成）"))
        for r in p.results:
            if r.result == ItemResult.PROBLEM:
                out.append(f"  - {r.item_text}{'：' + r.note if r.note else ''}"
                           + (f"（整改单 {r.ticket.serial}）" if r.ticket else ""))
    if not patrols:
        out.append("· 无")

    late = [t for t in lists.steward_tickets(user, community_id) if is_overdue(t, now)]
    out.append(f"五、未办结：超时工单 {len(late)} 单")
    out += [f"· {_ticket_head(t)}（{t.state_label}）" for t in late[:10]] or ["· 无"]
    if len(late) > 10:
        out.append(f"· 另有 {len(late) - 10} 单")
    out += hooks.joined(hooks.SUMMARY_LINES, user, community_id, day)  # other areas' work (fees: 催费)
    out += ["六、明日计划：", "· "]
    return "\n".join(out)


def get_summary(user_id: int, day: date) -> DailySummary | None:
    return db.session.scalar(select(DailySummary).where(DailySummary.user_id == user_id, DailySummary.day == day))


def save_summary(user: User, community_id: int, day: date, text: str, submit: bool,
                 now: datetime | None = None) -> DailySummary:
    """Save the steward's summary; `submit` hands it in ("summary.submitted"), otherwise it is
    kept as a draft ("summary.saved"). A submitted summary stays submitted (its first time
    kept): a later save is a correction, recorded as another Event."""
    now = now or utcnow()
    text = (text or "").replace("\r\n", "\n").strip()
    if day > today_local(now):
        raise DayError("day", "不能填写未来日期的总结。")
    if submit and not text:
        raise DayError("text", "请填写总结内容后再提交。")
    if len(text) > SUMMARY_MAX:
        raise DayError("text", f"总结最多{SUMMARY_MAX}字。")
    s = get_summary(user.id, day) or _created(DailySummary(community_id=community_id, user_id=user.id, day=day),
                                              lambda: get_summary(user.id, day))
    corrected = s.submitted_at is not None
    s.text, s.updated_at = text, now
    if submit or corrected:
        s.submitted_at = s.submitted_at or now
    db.session.flush()
    if submit or corrected:
        record("summary.submitted", s, actor=user, day=day.isoformat(), text=text,
               corrected=corrected or None).at = now
    else:
        record("summary.saved", s, actor=user, day=day.isoformat(), length=len(text)).at = now
    return s


@dataclass
class SummaryRow:
    user_id: int
    name: str
    state: str            # 已提交 / 草稿 / 未填写
    submitted_at: str
    updated_at: str
    summary_id: int | None


def summaries_for(community_id: int, day: date) -> list[SummaryRow]:
    """[D4] Who has and who has not submitted the day's summary: not submitted first."""
    rows = {s.user_id: s for s in db.session.scalars(select(DailySummary).where(
        DailySummary.community_id == community_id, DailySummary.day == day))}
    out = []
    for u in stewards_of(community_id):
        s = rows.get(u.id)
        out.append(SummaryRow(
            user_id=u.id, name=u.name,
            state=summary_label(s),
            submitted_at=localtime(s.submitted_at) if s is not None else "",
            updated_at=localtime(s.updated_at) if s is not None else "",
            summary_id=s.id if s is not None else None))
    out.sort(key=lambda r: (r.state == "已提交", r.name))
    return out
