"""Ticket statistics and analysis [T8]: counts, time to resolve, deadlines kept, satisfaction,
recurring places and the same problem in the same stack of units; the CSV export.

Filters select tickets by their creation time in site days (Asia/Shanghai), kind, category and
building. Counts are SQL aggregates; the rest runs in Python over one query of plain rows (a few
thousand tickets a month). No database-specific date functions: both SQLite and PostgreSQL get
the same UTC bounds as parameters."""
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..core.forms import parse_id
from ..core.models import Event, utcnow
from ..core.spreadsheet import excel_csv
from ..core.timefmt import SITE_TZ, day_range, localtime, site_today
from ..extensions import db
from ..registry.models import Building, Unit
from .models import (
    KIND_LABELS, OUTCOME_LABELS, URGENCY_LABELS, Category, Kind, State, Ticket,
)

DEFAULT_DAYS = 30
MAX_DAYS = 366
RECUR_WINDOW = timedelta(days=30)   # recurring place: ≥ RECUR_MIN tickets within this window
RECUR_MIN = 3
STACK_WINDOW = timedelta(days=30)   # same stack: tickets this close in time …
STACK_FLOORS = 2                    # … on floors at most this far apart

# The building of a ticket: its own, or its unit's (a unit ticket normally has both).
BUILDING_ID = func.coalesce(Ticket.building_id, Unit.building_id)
NO_BUILDING = "未指定楼栋"


# --- filters ---------------------------------------------------------------------------

@dataclass
class Filters:
    start: date                    # first site day, inclusive
    end: date                      # last site day, inclusive
    kind: str | None = None
    category_id: int | None = None
    building_id: int | None = None
    errors: list[str] = field(default_factory=list)

    def utc_range(self) -> tuple[datetime, datetime]:
        """[start 00:00, the day after end 00:00) in site time, as aware UTC datetimes."""
        lo = datetime.combine(self.start, time.min, tzinfo=SITE_TZ).astimezone(timezone.utc)
        hi = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=SITE_TZ).astimezone(timezone.utc)
        return lo, hi

    def args(self) -> dict:
        """The filters as query arguments (for the CSV link)."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.kind:
            out["kind"] = self.kind
        if self.category_id:
            out["category_id"] = self.category_id
        if self.building_id:
            out["building_id"] = self.building_id
        return out


today_local = site_today


def _own(model, value: str | None, community_id: int):
    """The id of one of the community's categories or buildings; None when not given, False
    when it is not one of them."""
    if not value:
        return None
    ident = parse_id(value)
    if ident is None or db.session.scalar(select(model.id).where(
            model.id == ident, model.community_id == community_id)) is None:
        return False
    return ident


def parse_filters(args, community_id: int, now: datetime | None = None) -> Filters:
    """Filters from a GET form. Default: the last 30 site days up to today. A bad value is
    dropped with a message instead of failing the page."""
    start, end, errors = day_range(args, default_days=DEFAULT_DAYS, max_days=MAX_DAYS, now=now, verb="统计")
    kind = args.get("kind") or None
    if kind and kind not in KIND_LABELS:
        kind = None
        errors.append("类型不正确，已忽略。")
    category_id = _own(Category, args.get("category_id"), community_id)
    if category_id is False:
        category_id = None
        errors.append("类别不正确，已忽略。")
    building_id = _own(Building, args.get("building_id"), community_id)
    if building_id is False:
        building_id = None
        errors.append("楼栋不正确，已忽略。")
    return Filters(start, end, kind, category_id, building_id, errors)


def _conds(community_id: int, f: Filters) -> list:
    lo, hi = f.utc_range()
    conds = [Ticket.community_id == community_id, Ticket.created_at >= lo, Ticket.created_at < hi]
    if f.kind:
        conds.append(Ticket.kind == f.kind)
    if f.category_id:
        conds.append(Ticket.category_id == f.category_id)
    if f.building_id:
        conds.append(BUILDING_ID == f.building_id)
    return conds


def _filtered(stmt, community_id: int, f: Filters):
    return stmt.select_from(Ticket).outerjoin(Unit, Ticket.unit_id == Unit.id).where(*_conds(community_id, f))


# --- the analysis ----------------------------------------------------------------------

@dataclass
class Bar:
    label: str
    count: int


@dataclass
class Recurring:
    place: str
    count: int               # tickets at this place in the range
    window_count: int        # most tickets within any 30 days
    first: datetime
    last: datetime
    categories: list[str]
    tickets: list[tuple[int, str]]  # (id, serial)


@dataclass
class StackUnit:
    unit_id: int
    label: str
    floor: int
    count: int


@dataclass
class Stack:
    building: str
    entrance: int
    position: str            # the last two digits of the unit numbers, e.g. "01"
    category: str
    units: list[StackUnit]   # top floor first
    first: datetime
    last: datetime
    tickets: list[tuple[int, str]]

    @property
    def floors(self) -> list[int]:
        return [u.floor for u in self.units]

    @property
    def label(self) -> str:
        return f"{self.building}{self.entrance}单元 {self.position}户"


@dataclass
class Analysis:
    total: int
    by_category: list[Bar]
    by_building: list[Bar]
    by_urgency: list[Bar]
    by_kind: list[Bar]
    resolved: int
    median_hours: float | None
    on_time: int
    late_resolved: int
    late_open: int           # unresolved, not paused, past the resolution deadline
    visited: int
    avg_satisfaction: float | None
    recurring: list[Recurring]
    stacks: list[Stack]

    @property
    def deadline_base(self) -> int:
        return self.on_time + self.late_resolved + self.late_open

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.deadline_base if self.deadline_base else None


def format_hours(hours: float | None) -> str:
    """5.2 → "5.2 小时"; None → "—"."""
    return "—" if hours is None else f"{hours:.1f} 小时"


def format_share(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _bars(counts: dict, labels: dict, order: list | None = None) -> list[Bar]:
    keys = [k for k in (order or sorted(counts, key=lambda k: (-counts[k], str(labels.get(k, k))))) if counts.get(k)]
    return [Bar(str(labels.get(k, k)), counts[k]) for k in keys]


def _category_bars(counts: dict, labels: dict, sort_keys: dict) -> list[Bar]:
    """Counts by category, most first, then in the categories' own order (sort, id)."""
    return _bars(counts, labels, sorted(counts, key=lambda k: (-counts[k], sort_keys.get(k, (0, 0)))))


def analyse(community_id: int, f: Filters, now: datetime | None = None) -> Analysis:
    now = now or utcnow()
    cats = {c.id: c for c in db.session.scalars(select(Category).where(Category.community_id == community_id))}
    buildings = {b.id: b for b in db.session.scalars(select(Building).where(Building.community_id == community_id))}

    # Counts: one grouped query, summed per dimension.
    by_cat, by_bld, by_urg, by_kind = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    total = 0
    grouped = _filtered(select(Ticket.category_id, BUILDING_ID, Ticket.urgency, Ticket.kind, func.count(Ticket.id)),
                        community_id, f).group_by(Ticket.category_id, BUILDING_ID, Ticket.urgency, Ticket.kind)
    for cat_id, bld_id, urgency, kind, n in db.session.execute(grouped):
        total += n
        by_cat[cat_id] += n
        by_bld[bld_id] += n
        by_urg[urgency] += n
        by_kind[kind] += n
    cat_labels = {k: c.name for k, c in cats.items()}
    cat_sort = {k: (c.sort, c.id) for k, c in cats.items()}
    bld_labels = {k: b.label for k, b in buildings.items()} | {None: NO_BUILDING}
    bld_sort = {k: b.sort_key for k, b in buildings.items()}

    # Everything else from one list of plain rows.
    rows = db.session.execute(_filtered(select(
        Ticket.id, Ticket.serial, Ticket.created_at, Ticket.resolved_at, Ticket.resolve_due, Ticket.state,
        Ticket.paused_at, Ticket.unit_id, BUILDING_ID.label("building_id"), Ticket.location, Ticket.category_id,
        Unit.entrance, Unit.number, Unit.floor), community_id, f).order_by(Ticket.created_at, Ticket.id)).all()

    hours = [(r.resolved_at - r.created_at).total_seconds() / 3600 for r in rows if r.resolved_at is not None]
    on_time, late_resolved, late_open = _deadlines(rows, now)
    visited, avg = _satisfaction(community_id, f)
    return Analysis(
        total=total,
        by_category=_category_bars(by_cat, cat_labels, cat_sort),
        by_building=_bars(by_bld, bld_labels, sorted(by_bld, key=lambda k: (-by_bld[k], k is None,
                                                                         bld_sort.get(k, 0)))),
        by_urgency=_bars(by_urg, URGENCY_LABELS, list(URGENCY_LABELS)),
        by_kind=_bars(by_kind, KIND_LABELS, list(KIND_LABELS)),
        resolved=len(hours), median_hours=statistics.median(hours) if hours else None,
        on_time=on_time, late_resolved=late_resolved, late_open=late_open,
        visited=visited, avg_satisfaction=avg,
        recurring=recurring_places(rows, cats, buildings),
        stacks=stacks(rows, cats, buildings),
    )


def _deadlines(rows, now: datetime) -> tuple[int, int, int]:
    """(resolved by the deadline, resolved after it, still open past it and not paused) of rows
    with resolved_at, resolve_due, state and paused_at."""
    on_time = late_resolved = late_open = 0
    for r in rows:
        if r.resolved_at is not None:
            # A delay's new expected time is no excuse: only the (pause-adjusted) deadline counts.
            if r.resolved_at <= r.resolve_due:
                on_time += 1
            else:
                late_resolved += 1
        elif r.state in (State.NEW, State.DISPATCHED, State.IN_PROGRESS) and r.paused_at is None \
                and r.resolve_due < now:
            late_open += 1
    return on_time, late_resolved, late_open


def _avg_hours(pairs) -> float | None:
    hours = [(b - a).total_seconds() / 3600 for a, b in pairs if a is not None and b is not None]
    return sum(hours) / len(hours) if hours else None


@dataclass
class PeriodFigures:
    """The tickets of a period as the manager's monthly report [A5] prints them; the same
    counts and shares as analyse() gives the analysis page, without its places and stacks."""
    total: int
    by_kind: list[Bar]
    by_category: list[Bar]
    on_time_share: float | None
    avg_response_hours: float | None   # created → accepted
    avg_resolve_hours: float | None    # created → resolved
    avg_satisfaction: float | None
    reopen_share: float | None         # tickets reopened at least once


def period_figures(community_id: int, f: Filters, now: datetime | None = None) -> PeriodFigures:
    """One query of the period's tickets (plus the categories' names and the return visits):
    the monthly report asks for two months at a time, and analyse() loaded every row's place."""
    now = now or utcnow()
    cats = {cid: (name, sort) for cid, name, sort in db.session.execute(
        select(Category.id, Category.name, Category.sort).where(Category.community_id == community_id))}
    rows = db.session.execute(_filtered(select(
        Ticket.kind, Ticket.category_id, Ticket.created_at, Ticket.responded_at, Ticket.resolved_at,
        Ticket.resolve_due, Ticket.state, Ticket.paused_at, Ticket.reopen_count), community_id, f)).all()
    by_kind, by_cat = defaultdict(int), defaultdict(int)
    for r in rows:
        by_kind[r.kind] += 1
        by_cat[r.category_id] += 1
    on_time, late_resolved, late_open = _deadlines(rows, now)
    base = on_time + late_resolved + late_open
    _visited, avg = _satisfaction(community_id, f) if rows else (0, None)
    return PeriodFigures(
        total=len(rows),
        by_kind=_bars(by_kind, KIND_LABELS, list(KIND_LABELS)),
        by_category=_category_bars(by_cat, {k: name for k, (name, _sort) in cats.items()},
                                   {k: (sort, k) for k, (_name, sort) in cats.items()}),
        on_time_share=on_time / base if base else None,
        avg_response_hours=_avg_hours((r.created_at, r.responded_at) for r in rows),
        avg_resolve_hours=_avg_hours((r.created_at, r.resolved_at) for r in rows),
        avg_satisfaction=avg,
        reopen_share=sum(1 for r in rows if r.reopen_count) / len(rows) if rows else None,
    )


def _satisfaction(community_id: int, f: Filters) -> tuple[int, float | None]:
    """Average satisfaction of the visited tickets: each ticket's latest return visit counts once
    (a visit that reopened the ticket still counts until the next visit replaces it)."""
    ids = _filtered(select(Ticket.id), community_id, f)
    visits = db.session.execute(
        select(Event.object_id, Event.data).where(
            Event.object_type == "ticket", Event.action == "ticket.visited", Event.community_id == community_id,
            Event.object_id.in_(ids.scalar_subquery())).order_by(Event.id)).all()
    latest = {}
    for ticket_id, data in visits:
        score = (data or {}).get("satisfaction")
        if isinstance(score, int):
            latest[ticket_id] = score
    if not latest:
        return 0, None
    return len(latest), sum(latest.values()) / len(latest)


def _unit_label(r, buildings) -> str:
    b = buildings.get(r.building_id)
    return f"{b.number if b else ''}栋{r.entrance}单元{r.number}"


def _place_of(r, buildings) -> tuple[tuple, str]:
    """The identity and label of a ticket's place: its unit, or building + location text."""
    if r.unit_id is not None:
        return ("unit", r.unit_id), _unit_label(r, buildings)
    text = " ".join((r.location or "").split())
    b = buildings.get(r.building_id)
    label = ((b.label if b else "") + text) or "公共区域"
    return ("area", r.building_id, text.casefold()), label


def _max_in_window(times: list[datetime], window: timedelta) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def recurring_places(rows, cats, buildings) -> list[Recurring]:
    """[T8] Places (a unit, or a common area: building + location text) with at least three
    tickets within 30 days."""
    groups, labels = defaultdict(list), {}
    for r in rows:
        key, label = _place_of(r, buildings)
        groups[key].append(r)
        labels.setdefault(key, label)
    out = []
    for key, rs in groups.items():
        if len(rs) < RECUR_MIN:
            continue
        rs.sort(key=lambda r: (r.created_at, r.id))
        best = _max_in_window([r.created_at for r in rs], RECUR_WINDOW)
        if best < RECUR_MIN:
            continue
        names = []
        for r in rs:
            name = cats[r.category_id].name if r.category_id in cats else "?"
            if name not in names:
                names.append(name)
        out.append(Recurring(labels[key], len(rs), best, rs[0].created_at, rs[-1].created_at, names,
                             [(r.id, r.serial) for r in rs]))
    out.sort(key=lambda x: (-x.window_count, -x.count, x.place))
    return out


def stacks(rows, cats, buildings) -> list[Stack]:
    """[T8] The same problem in the same stack: tickets of one category in units of one
    building and entrance whose numbers end in the same two digits (1201, 1101, 1001 …), on
    floors at most two apart, created within 30 days of each other (e.g. a leak running down
    a riser). Linked tickets form one stack; it is reported when it spans two floors or more."""
    groups = defaultdict(list)
    for r in rows:
        if r.unit_id is not None and r.number:
            groups[(r.building_id, r.entrance, str(r.number)[-2:], r.category_id)].append(r)
    out = []
    for (bld_id, entrance, position, cat_id), rs in groups.items():
        if len({r.floor for r in rs}) < 2:
            continue
        parent = list(range(len(rs)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i in range(len(rs)):
            for j in range(i + 1, len(rs)):
                a, b = rs[i], rs[j]
                if abs(a.floor - b.floor) <= STACK_FLOORS and abs(a.created_at - b.created_at) <= STACK_WINDOW:
                    parent[find(i)] = find(j)
        components = defaultdict(list)
        for i, r in enumerate(rs):
            components[find(i)].append(r)
        for comp in components.values():
            if len({r.floor for r in comp}) < 2:
                continue
            comp.sort(key=lambda r: (r.created_at, r.id))
            per_unit = {}
            for r in comp:
                su = per_unit.setdefault(r.unit_id, StackUnit(r.unit_id, _unit_label(r, buildings), r.floor, 0))
                su.count += 1
            b = buildings.get(bld_id)
            out.append(Stack(
                building=b.label if b else "", entrance=entrance, position=position,
                category=cats[cat_id].name if cat_id in cats else "?",
                units=sorted(per_unit.values(), key=lambda u: (-u.floor, u.label)),
                first=comp[0].created_at, last=comp[-1].created_at, tickets=[(r.id, r.serial) for r in comp]))
    out.sort(key=lambda s: (-len(s.units), -len(s.tickets), s.building, s.entrance, s.position))
    return out


# --- CSV export ------------------------------------------------------------------------

CSV_HEADER = ["单号", "登记时间", "类型", "来源", "类别", "紧急程度", "位置", "状态", "处理部门", "处理人",
              "响应时限", "完成时限", "完成时间", "满意度", "处理结果", "描述"]
COMPLAINT_TEXT = "（投诉内容保密）"


def _when(dt: datetime | None) -> str:
    return localtime(dt, "%Y-%m-%d %H:%M")


def export_rows(community_id: int, f: Filters):
    """The filtered tickets as CSV rows. [T9] No reporter name, phone or ID number; a
    complaint's text stays out."""
    stmt = _filtered(select(Ticket), community_id, f).options(
        selectinload(Ticket.category), selectinload(Ticket.unit).selectinload(Unit.building),
        selectinload(Ticket.building), selectinload(Ticket.department), selectinload(Ticket.assignee),
    ).order_by(Ticket.created_at, Ticket.id)
    for t in db.session.scalars(stmt):
        yield [
            t.serial, _when(t.created_at), t.kind_label, t.channel_label, t.category.name, t.urgency_label,
            t.place, t.state_label, t.department.name if t.department else "", t.assignee.name if t.assignee else "",
            _when(t.respond_due), _when(t.resolve_due), _when(t.resolved_at),
            t.satisfaction if t.satisfaction is not None else "", OUTCOME_LABELS.get(t.outcome, t.outcome or ""),
            COMPLAINT_TEXT if t.kind == Kind.COMPLAINT else t.description,
        ]


def export_csv(community_id: int, f: Filters) -> str:
    return excel_csv(CSV_HEADER, export_rows(community_id, f))