"""我的工单: the lists a steward, technician, supervisor or front-desk clerk works from today.

* Steward [D2]: the open tickets of the buildings they own (User.buildings, and units whose
  steward they are), split into what is overdue, the return visits due by the end of today [T5],
  the promised replies due by the end of today [T6], and the rest.
* Technician: the tickets assigned to them that are not closed, and their department's
  dispatched tickets nobody has accepted yet (to grab).
* Supervisor: the tickets assigned to them.
* Front desk: the community's return visits and promised replies due by the end of today.

Each ticket appears once, in the first section that claims it."""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..core.models import utcnow
from ..core.roles import Role
from ..core.timefmt import SITE_TZ
from ..core import scope
from ..extensions import db
from ..registry.models import Unit
from .models import OPEN_STATES, Kind, State, Ticket
from .services import due_at, is_overdue

FAR = datetime.max.replace(tzinfo=timezone.utc)


@dataclass
class Section:
    key: str
    title: str
    empty: str
    tickets: list[Ticket] = field(default_factory=list)
    grab: bool = False  # offer 接单 on each ticket


@dataclass
class MyLists:
    sections: list[Section]
    notices: list[str]          # e.g. "no buildings assigned": said once, above the sections
    buildings: list[str]        # the steward's buildings, for the heading
    open_total: int = 0         # open tickets in those buildings


def end_of_today(now: datetime | None = None) -> datetime:
    """The first instant of tomorrow, site time, in UTC: "due today" means before this."""
    today = (now or utcnow()).astimezone(SITE_TZ).date()
    return datetime.combine(today + timedelta(days=1), time.min, tzinfo=SITE_TZ).astimezone(timezone.utc)


def due_of(t: Ticket) -> tuple[str, datetime | None]:
    """What the list shows as the ticket's next deadline, with its name."""
    if t.state == State.RESOLVED:
        return ("复检" if t.kind == Kind.PATROL else "回访"), t.visit_due
    if t.kind == Kind.INQUIRY and t.replied_at is None and t.reply_due is not None:
        return "答复", t.reply_due
    if t.state in (State.NEW, State.DISPATCHED):
        return "响应", t.respond_due
    if t.expected_at is not None:
        return "预计完成", t.expected_at
    return "完成", t.resolve_due


def _load(*conds) -> list[Ticket]:
    stmt = (select(Ticket).outerjoin(Unit, Ticket.unit_id == Unit.id).where(*conds)
            .options(selectinload(Ticket.category), selectinload(Ticket.unit).selectinload(Unit.building),
                     selectinload(Ticket.building))
            .order_by(Ticket.created_at, Ticket.id))
    return list(db.session.scalars(stmt))


def _by(attr):
    return lambda t: (getattr(t, attr) or FAR, t.id)


def _by_due(t: Ticket):
    return (due_at(t) or FAR, t.id)


def steward_tickets(user: User, community_id: int) -> list[Ticket]:
    """[D2] Open tickets in the steward's buildings (and those covered today, 代班), or in
    units they are the steward of."""
    bids = sorted(scope.assigned_building_ids(user, community_id))
    return _load(Ticket.community_id == community_id, Ticket.state.in_(OPEN_STATES),
                 or_(Ticket.building_id.in_(bids), Unit.building_id.in_(bids), Unit.steward_id == user.id))


def _visit_due(t: Ticket, eod: datetime) -> bool:
    return t.state == State.RESOLVED and t.visit_due is not None and t.visit_due < eod


def _reply_due(t: Ticket, eod: datetime) -> bool:
    return (t.kind == Kind.INQUIRY and t.replied_at is None and t.state != State.CLOSED
            and t.reply_due is not None and t.reply_due < eod)


def my_lists(user: User, community_id: int, now: datetime | None = None) -> MyLists:
    now = now or utcnow()
    eod = end_of_today(now)
    sections: list[Section] = []
    notices: list[str] = []
    buildings = sorted((b for b in user.buildings if b.community_id == community_id), key=lambda b: b.sort_key)
    open_total = 0
    seen: set[int] = set()

    def claim(tickets, key=None) -> list[Ticket]:
        out = [t for t in tickets if t.id not in seen]
        seen.update(t.id for t in out)
        return sorted(out, key=key or _by_due)

    if user.has_role(Role.STEWARD):
        mine = steward_tickets(user, community_id)
        open_total = len(mine)
        visits = claim([t for t in mine if _visit_due(t, eod)], _by("visit_due"))
        replies = claim([t for t in mine if _reply_due(t, eod)], _by("reply_due"))
        overdue = claim([t for t in mine if is_overdue(t, now)])
        rest = claim(mine)
        if not buildings:
            notices.append("您还没有分管楼栋，请联系主管设置。")
        sections += [
            Section("overdue", "已超时", "没有超时的工单。", overdue),
            Section("visits", "今日待回访", "今天没有要回访的工单。", visits),
            Section("replies", "今日待答复", "今天没有约定答复的咨询。", replies),
            Section("open", "其他未完成", "没有其他未完成的工单。", rest),
        ]
    if user.has_role(Role.FRONT_DESK) and not user.has_role(Role.STEWARD):
        open_ = _load(Ticket.community_id == community_id, Ticket.state.in_(OPEN_STATES),
                      or_(Ticket.state == State.RESOLVED, Ticket.kind == Kind.INQUIRY))
        sections += [
            Section("replies", "今日待答复", "今天没有约定答复的咨询。",
                    claim([t for t in open_ if _reply_due(t, eod)], _by("reply_due"))),
            Section("visits", "今日待回访", "今天没有要回访的工单。",
                    claim([t for t in open_ if _visit_due(t, eod)], _by("visit_due"))),
        ]
    if user.has_role(Role.TECHNICIAN, Role.SUPERVISOR, Role.STEWARD):
        assigned = claim(_load(Ticket.community_id == community_id, Ticket.assignee_id == user.id,
                               Ticket.state != State.CLOSED),
                         key=lambda t: (t.state == State.RESOLVED, due_at(t) or FAR, t.id))
        if assigned or not user.has_role(Role.STEWARD):  # a steward's own work is above already
            sections.append(Section("assigned", "派给我的", "没有派给您的工单。", assigned))
    if user.has_role(Role.TECHNICIAN):
        grab = []
        if user.department_id is not None:
            grab = claim(_load(Ticket.community_id == community_id, Ticket.state == State.DISPATCHED,
                               Ticket.assignee_id.is_(None), Ticket.department_id == user.department_id),
                         key=lambda t: (t.urgency != "urgent", t.respond_due, t.id))
        else:
            notices.append("您还没有所属部门，看不到部门待接单，请联系主管设置。")
        sections.append(Section("grab", "部门待接单", "没有待接的工单。", grab, grab=True))
    return MyLists(sections, notices, [b.label for b in buildings], open_total)


# --- counts for 首页's tiles (core.nav) --------------------------------------------------------

def dispatch_count(user: User, community_id: int) -> tuple[str, int]:
    """派单队列: the community's new tickets waiting to be dispatched (the queue's first group)."""
    n = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.community_id == community_id, Ticket.state == State.NEW))
    return "待派单", n or 0


def mine_count(user: User, community_id: int) -> tuple[str, int]:
    """我的工单: the tickets the person's lists hold today (each once), as the page lists them."""
    return "待办", sum(len(s.tickets) for s in my_lists(user, community_id).sections)
