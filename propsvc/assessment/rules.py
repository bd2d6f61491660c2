"""[A2] How each standard is measured from the work already recorded. One function per rule:
(ctx, standard, steward) -> (status, evidence lines). Reads patrols and tickets directly: the
allowed arrow assessment -> patrols, tickets (ARCHITECTURE.md): an assessment reads recorded work.
The collection round belongs to fees, which answers core.hooks.COLLECTION_ROUND when installed."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_, select

from ..auth.services import own_building_ids
from ..core import hooks
from ..core.models import Event
from ..core.timefmt import SITE_TZ, day_bounds, localtime
from ..extensions import db
from ..patrols.models import DailySummary, Patrol, PatrolResult, PatrolSettings
from ..registry.models import Building, Unit
from ..tickets.calendar import WorkCalendar
from ..tickets.models import Kind, Ticket
from ..tickets.services import calendar_for
from .models import AssessmentStandard, Rule, Status

SUMMARY_DEADLINE = time(17, 0)


@dataclass
class DayContext:
    community_id: int
    day: date
    calendar: WorkCalendar
    lo: datetime = None
    hi: datetime = None
    buildings: dict = field(default_factory=dict)  # id -> label

    def __post_init__(self):
        self.lo, self.hi = day_bounds(self.day)
        self.buildings = {b.id: f"{b.number}栋" for b in db.session.scalars(
            select(Building).where(Building.community_id == self.community_id))}

    @property
    def working(self) -> bool:
        return self.calendar.is_working_day(self.day)


def late_label(ctx: DayContext, due: datetime, actual: datetime) -> str:
    """How late, on the clock and in working time (the deadlines' calendar)."""
    secs = int((actual - due).total_seconds())
    d, rest = divmod(max(secs, 0), 86400)
    h, m = rest // 3600, rest % 3600 // 60
    clock = (f"{d}天" if d else "") + (f"{h}小时" if h else "") + (f"{m}分钟" if m and not d else "")
    work_h = ctx.calendar.working_seconds_between(due, actual) / 3600
    return f"晚{clock or '不到1分钟'}（工作时间{work_h:.1f}小时）"


def patrol_buildings(ctx: DayContext, std: AssessmentStandard, steward) -> tuple[str, list[str]]:
    quota = std.quota
    if quota is None:
        s = db.session.get(PatrolSettings, ctx.community_id)
        quota = s.buildings_per_day if s is not None else 2
    patrols = list(db.session.scalars(
        select(Patrol).where(Patrol.community_id == ctx.community_id, Patrol.steward_id == steward.id,
                             Patrol.day == ctx.day, Patrol.finished_at.is_not(None),
                             Patrol.building_id.is_not(None))
        .order_by(Patrol.started_at, Patrol.id)))  # ties by id: the evidence never reorders
    seen: dict[int, Patrol] = {}
    for p in patrols:
        seen.setdefault(p.building_id, p)
    names = [f"{ctx.buildings.get(b, b)}（巡查#{p.id} {localtime(p.finished_at, '%H:%M')}完成）"
             for b, p in seen.items()]
    head = f"巡查楼栋 {len(seen)}/{quota}"
    evidence = [head + ("：" + "、".join(names) if names else "：当日无完成的楼栋巡查")]
    return (Status.MET if len(seen) >= quota else Status.MISSED), evidence


def _steward_tickets(ctx: DayContext, steward, *conds) -> list[Ticket]:
    own = own_building_ids(steward, ctx.community_id)
    if not own:
        return []
    unit_ids = select(Unit.id).where(Unit.building_id.in_(own))
    return list(db.session.scalars(
        select(Ticket).where(Ticket.community_id == ctx.community_id,
                             or_(Ticket.building_id.in_(own), Ticket.unit_id.in_(unit_ids)), *conds)
        .order_by(Ticket.id)))


def _event_at(ticket_id: int, action: str) -> datetime | None:
    return db.session.scalar(select(Event.at).where(Event.object_type == "ticket", Event.object_id == ticket_id,
                                                    Event.action == action).order_by(Event.at.desc(), Event.id.desc()).limit(1))


def tickets_on_time(ctx: DayContext, std: AssessmentStandard, steward) -> tuple[str, list[str]]:
    """Every ticket of the steward's buildings due that day (to be resolved, or its return visit)
    was done by its deadline (computed by the working calendar [T2]/[T5])."""
    due = lambda col: and_(col >= ctx.lo, col < ctx.hi)  # noqa: E731
    tickets = _steward_tickets(ctx, steward, Ticket.kind.not_in((Kind.PATROL, Kind.DEFECT)),
                               or_(due(Ticket.resolve_due), due(Ticket.visit_due)))
    if not tickets:
        return Status.NA, ["当日无到期工单"]
    ok, evidence = True, []
    for t in tickets:
        if t.resolve_due is not None and ctx.lo <= t.resolve_due < ctx.hi:
            if t.resolved_at is None:
                ok = False
                evidence.append(f"工单{t.serial}：完成时限 {localtime(t.resolve_due)}，至当日结束未完成")
            elif t.resolved_at > t.resolve_due:
                ok = False
                evidence.append(f"工单{t.serial}：完成时限 {localtime(t.resolve_due)}，"
                                f"{localtime(t.resolved_at)} 完成，{late_label(ctx, t.resolve_due, t.resolved_at)}")
            else:
                evidence.append(f"工单{t.serial}：按期完成（{localtime(t.resolved_at)}）")
        if t.visit_due is not None and ctx.lo <= t.visit_due < ctx.hi:
            visited = _event_at(t.id, "ticket.visited")
            if visited is None:
                ok = False
                evidence.append(f"工单{t.serial}：回访时限 {localtime(t.visit_due)}，未回访")
            elif visited > t.visit_due:
                ok = False
                evidence.append(f"工单{t.serial}：回访时限 {localtime(t.visit_due)}，"
                                f"{localtime(visited)} 回访，{late_label(ctx, t.visit_due, visited)}")
            else:
                evidence.append(f"工单{t.serial}：按期回访（{localtime(visited)}）")
    return (Status.MET if ok else Status.MISSED), evidence


def rectification_recheck(ctx: DayContext, std: AssessmentStandard, steward) -> tuple[str, list[str]]:
    """Rectifications found on the steward's patrols and resolved by the end of the day are
    rechecked on site with a photo (tickets.recheck requires one) the same day [D3]."""
    ids = select(PatrolResult.ticket_id).join(Patrol, Patrol.id == PatrolResult.patrol_id).where(
        Patrol.steward_id == steward.id, PatrolResult.ticket_id.is_not(None))
    tickets = list(db.session.scalars(select(Ticket).where(
        Ticket.id.in_(ids), Ticket.kind == Kind.PATROL, Ticket.resolved_at >= ctx.lo,
        Ticket.resolved_at < ctx.hi).order_by(Ticket.id)))
    if not tickets:
        return Status.NA, ["当日无待复检的整改"]
    ok, evidence = True, []
    for t in tickets:
        ev = db.session.scalar(select(Event).where(
            Event.object_type == "ticket", Event.object_id == t.id, Event.action == "ticket.rechecked",
            Event.at >= t.resolved_at).order_by(Event.at, Event.id).limit(1))
        at = _photo_time(ev) if ev is not None else None
        if at is None:
            ok = False
            evidence.append(f"整改{t.serial}：{localtime(t.resolved_at)} 完成，未复检")
        elif at >= ctx.hi:
            ok = False
            evidence.append(f"整改{t.serial}：复检图片 {localtime(at)} 上报，"
                            f"{late_label(ctx, ctx.hi, at)}（须当日上报）")
        else:
            evidence.append(f"整改{t.serial}：{localtime(at, '%H:%M')} 拍照复检")
    return (Status.MET if ok else Status.MISSED), evidence


def _photo_time(ev: Event) -> datetime:
    """When the recheck photo was taken: an offline recheck synced later carries its taken_at
    (ISO, aware); otherwise the Event's time."""
    taken = (ev.data or {}).get("taken_at")
    if taken:
        try:
            t = datetime.fromisoformat(taken)
            if t.tzinfo is not None and t <= ev.at:
                return t
        except ValueError:
            pass
    return ev.at


def summary_by_17(ctx: DayContext, std: AssessmentStandard, steward) -> tuple[str, list[str]]:
    s = db.session.scalar(select(DailySummary).where(DailySummary.user_id == steward.id,
                                                     DailySummary.day == ctx.day))
    deadline = datetime.combine(ctx.day, SUMMARY_DEADLINE, tzinfo=SITE_TZ)
    if s is None or s.submitted_at is None:
        return Status.MISSED, ["未提交当日总结"]
    if s.submitted_at > deadline:
        return Status.MISSED, [f"当日总结 {localtime(s.submitted_at)} 提交，{late_label(ctx, deadline, s.submitted_at)}"]
    return Status.MET, [f"当日总结 {localtime(s.submitted_at, '%H:%M')} 提交"]


def collection_round(ctx: DayContext, std: AssessmentStandard, steward) -> tuple[str, list[str]]:
    """Answered by fees (core.hooks.COLLECTION_ROUND); no answer (no round drawn that day, or
    no fees area installed): not applicable."""
    answer = hooks.first(hooks.COLLECTION_ROUND, steward, ctx.community_id, ctx.day)
    if answer is None:
        return Status.NA, ["当日没有催费任务"]
    met, evidence = answer
    return (Status.MET if met else Status.MISSED), list(evidence)


RULES = {
    Rule.PATROL_BUILDINGS: patrol_buildings,
    Rule.TICKETS_ON_TIME: tickets_on_time,
    Rule.RECTIFICATION_RECHECK: rectification_recheck,
    Rule.SUMMARY_BY_17: summary_by_17,
    Rule.COLLECTION_ROUND: collection_round,
}
