"""Patrol plans, what is due each day, coverage [D3] and the search of patrol records.

Services only (no request objects): the admin pages, the steward's 今日 page and the morning
briefing call these.

- `due_on(community_id, day, steward_id=None, now=None)`: the planned patrols of a site day,
  each with its state: todo / in_progress / done / missed, and whether it is a 补巡 (make-up:
  started after its window closed); `day_counts` counts them for 今日 (see DayCounts).
- `planned_window`, `makeup_of`: a plan's window on a day; a patrol's 补巡 record (planned and
  actual times).
- `coverage(community_id, day, now=None)`: per steward, the distinct buildings patrolled that
  day against the quota, and the vacant units due a check.
- `parse_record_filters`, `search_records`, `records_csv`: the patrol records [item 9].

Days are site days (Asia/Shanghai); `now` is any aware datetime (naive is taken as UTC)."""
import math
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from ..auth.models import User, UserRole, user_building, user_community
from ..core.forms import parse_id
from ..core.roles import Role
from ..core.spreadsheet import cell, excel_csv
from ..core.timefmt import SITE_TZ, day_range, localtime, site_now, site_today
from ..extensions import db
from ..registry.models import Building, Unit, UnitStatus
from .models import (
    RESULT_LABELS, ItemResult, Patrol, PatrolKind, PatrolPlan, PatrolResult, PatrolSettings,
)

WEEKDAY_LABELS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
ALL_WEEKDAYS = "0123456"

DEFAULT_BUILDINGS_PER_DAY = 2
DEFAULT_VACANT_EVERY_DAYS = 7


# --- time helpers ------------------------------------------------------------------------

_local_now = site_now
local_today = site_today


def weekdays_label(weekdays: str) -> str:
    """'0123456' → 每天; '024' → 周一、周三、周五; '01234' → 工作日（周一至周五）."""
    days = "".join(sorted(set(weekdays or "")))
    if days == ALL_WEEKDAYS:
        return "每天"
    if days == "01234":
        return "周一至周五"
    if days == "56":
        return "周六、周日"
    return "、".join(WEEKDAY_LABELS[int(d)] for d in days if d.isdigit() and int(d) < 7) or "（未选）"


def plan_target_label(plan: PatrolPlan) -> str:
    if plan.target_type == "unit" and plan.unit is not None:
        return plan.unit.label
    if plan.target_type == "building" and plan.building is not None:
        return plan.building.label
    if plan.target_type == "area":
        return plan.area or "园区"
    return "—"


# --- who are the stewards ------------------------------------------------------------------

# A user's roles and communities load with the user (lazy="selectin"): lists of stewards, which
# filter on them in SQL and print names, leave them to load on use (two queries fewer each).
USER_ONLY = (lazyload(User.role_rows), lazyload(User.communities))


def stewards(community_id: int, active_only: bool = True) -> list[User]:
    """Users with the steward role who work in the community, by name."""
    stmt = (select(User).join(user_community, user_community.c.user_id == User.id)
            .where(user_community.c.community_id == community_id,
                   User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.STEWARD.value)))
            .options(*USER_ONLY)
            .order_by(User.name, User.id))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt))


# --- settings ------------------------------------------------------------------------------

def settings_for(community_id: int) -> PatrolSettings:
    """The community's coverage rules; defaults (not saved) when none are stored yet."""
    s = db.session.get(PatrolSettings, community_id)
    if s is None:
        s = PatrolSettings(community_id=community_id, buildings_per_day=DEFAULT_BUILDINGS_PER_DAY,
                           vacant_every_days=DEFAULT_VACANT_EVERY_DAYS)
    return s


# --- plans due on a day ----------------------------------------------------------------------

DUE_STATES = ("todo", "in_progress", "done", "missed")
DUE_STATE_LABELS = {"todo": "待巡查", "in_progress": "进行中", "done": "已完成", "missed": "已漏巡"}
# A 补巡 (make-up) is a planned patrol started after its window closed: under way, or done.
MAKEUP_LABELS = {"in_progress": "补巡中", "done": "已补巡"}


def planned_window(plan: PatrolPlan, day: date) -> tuple[datetime, datetime]:
    """The plan's window on a site day, as aware datetimes (site time)."""
    return (datetime.combine(day, plan.window_start, tzinfo=SITE_TZ),
            datetime.combine(day, plan.window_end, tzinfo=SITE_TZ))


def started_late(plan: PatrolPlan | None, day: date, started_at: datetime) -> bool:
    """[D3] A planned patrol started after its window closed on its day is a 补巡 (make-up)."""
    return plan is not None and started_at > planned_window(plan, day)[1]


@dataclass
class MakeUp:
    """A 补巡: the planned window and the actual times, both kept on the page and the record."""

    planned_start: datetime
    planned_end: datetime
    started_at: datetime
    finished_at: datetime | None

    @property
    def planned_label(self) -> str:
        return f"计划 {localtime(self.planned_start, '%H:%M')}–{localtime(self.planned_end, '%H:%M')}"

    @property
    def actual_label(self) -> str:
        start = localtime(self.started_at, "%H:%M")
        if self.finished_at is None:
            return f"实际 {start} 开始"
        return f"实际 {start}–{localtime(self.finished_at, '%H:%M')}"

    @property
    def label(self) -> str:
        return f"{self.planned_label} · {self.actual_label}"


def makeup_of(patrol: Patrol) -> MakeUp | None:
    """The patrol's 补巡 record when it was started from a plan after the plan's window closed
    on the patrol's day; None for an unplanned patrol or one started in time."""
    plan = patrol.plan
    if plan is None or not started_late(plan, patrol.day, patrol.started_at):
        return None
    start, end = planned_window(plan, patrol.day)
    return MakeUp(start, end, patrol.started_at, patrol.finished_at)


@dataclass
class Due:
    """One planned patrol on one site day."""

    plan: PatrolPlan
    patrol: Patrol | None     # the patrol started for this plan that day (a finished one first)
    state: str                # todo | in_progress | done | missed
    day: date
    window_start: datetime    # aware, site time
    window_end: datetime      # aware, site time
    late: bool = False        # done, but finished after the window's end
    makeup: bool = False      # 补巡: started after the window's end (in_progress or done)
    can_make_up: bool = False  # missed today and never started: may still be started, as a 补巡

    @property
    def state_label(self) -> str:
        if self.makeup and self.state in MAKEUP_LABELS:
            return MAKEUP_LABELS[self.state]
        return DUE_STATE_LABELS[self.state]

    @property
    def makeup_record(self) -> MakeUp | None:
        return makeup_of(self.patrol) if self.makeup and self.patrol is not None else None

    @property
    def steward(self) -> User:
        return self.plan.steward

    @property
    def target_label(self) -> str:
        return plan_target_label(self.plan)

    @property
    def window_label(self) -> str:
        return f"{self.plan.window_start:%H:%M}–{self.plan.window_end:%H:%M}"


def plan_applies(plan: PatrolPlan, day: date) -> bool:
    """Active, on one of its weekdays, and not before it existed: a plan made today after its
    window has closed starts tomorrow, so it is never missed before it could be done."""
    if not plan.active or str(day.weekday()) not in (plan.weekdays or ""):
        return False
    if plan.created_at is None:
        return True
    made = plan.created_at.astimezone(SITE_TZ)
    if day < made.date():
        return False
    return not (day == made.date() and made.time() >= plan.window_end)


def due_on(community_id: int, day: date, steward_id: int | None = None, now: datetime | None = None) -> list[Due]:
    """The community's active plans that apply on `day` (its weekday is in plan.weekdays), each
    with the patrol started for it that day and a state:

    - done: a patrol with this plan_id on that day is finished (`late` if after the window);
    - missed: not done, and the day is past, or `now` is past the window's end on that day —
      except a patrol already under way on the day itself, which stays in_progress;
    - in_progress: a patrol was started and not finished;
    - todo: otherwise.

    A patrol started after the window's end on its day (a missed plan started late) is a 补巡:
    `makeup` is set, and its state is in_progress, then done, like any other — never missed
    again that day.

    Sorted by window start, steward, plan id. `steward_id` limits to one steward's plans."""
    local_now = _local_now(now)
    today = local_now.date()
    stmt = (select(PatrolPlan).where(PatrolPlan.community_id == community_id, PatrolPlan.active.is_(True))
            .options(joinedload(PatrolPlan.template), joinedload(PatrolPlan.steward).options(*USER_ONLY),
                     joinedload(PatrolPlan.building), joinedload(PatrolPlan.unit).joinedload(Unit.building)))
    if steward_id is not None:
        stmt = stmt.where(PatrolPlan.steward_id == steward_id)
    plans = [p for p in db.session.scalars(stmt) if plan_applies(p, day)]
    if not plans:
        return []
    patrols: dict[int, Patrol] = {}
    for p in db.session.scalars(select(Patrol).where(Patrol.community_id == community_id, Patrol.day == day,
                                                     Patrol.plan_id.in_([pl.id for pl in plans]))
                                .order_by(Patrol.started_at, Patrol.id)):
        have = patrols.get(p.plan_id)
        # a finished patrol wins; among unfinished ones, the latest started
        if have is None or have.finished_at is None:
            patrols[p.plan_id] = p
    out = []
    for plan in plans:
        start, end = planned_window(plan, day)
        patrol = patrols.get(plan.id)
        late = False
        if patrol is not None and patrol.finished_at is not None:
            state = "done"
            late = patrol.finished_at > end
        elif day < today:
            state = "missed"
        elif patrol is not None and day == today:
            state = "in_progress"
        elif day == today and local_now > end:
            state = "missed"
        elif patrol is not None:  # a future day (a patrol started ahead of time)
            state = "in_progress"
        else:
            state = "todo"
        makeup = patrol is not None and state in MAKEUP_LABELS and patrol.started_at > end
        out.append(Due(plan=plan, patrol=patrol, state=state, day=day, window_start=start, window_end=end,
                       late=late, makeup=makeup, can_make_up=state == "missed" and patrol is None and day == today))
    out.sort(key=lambda d: (d.plan.window_start, d.plan.steward.name if d.plan.steward else "",
                            d.plan.steward_id, d.plan.id))
    return out


@dataclass
class DayCounts:
    """What 今日 counts of the planned patrols, one bucket per state, so the counts and the list
    never disagree: total == done + open + missed.

    - done: finished, in time, late or as a 补巡 (已完成, 已补巡);
    - open: still to do today: not started with the window open, or under way, a 补巡 under way
      included (待巡查, 进行中, 补巡中);
    - missed: the window closed and never started (已漏巡); each can still be started today, and
      then moves to open as a 补巡;
    - made_up: of done + open, how many are 补巡 (shown beside, never added)."""

    total: int = 0
    done: int = 0
    open: int = 0
    missed: int = 0
    made_up: int = 0


def day_counts(dues: list[Due]) -> DayCounts:
    c = DayCounts(total=len(dues))
    for d in dues:
        if d.state == "done":
            c.done += 1
        elif d.state == "missed":
            c.missed += 1
        else:
            c.open += 1
        c.made_up += d.makeup
    return c


# --- coverage [D3] ---------------------------------------------------------------------------

@dataclass
class VacantDue:
    """A vacant unit due a check: never checked, or last checked `days_since` days ago."""

    unit: Unit
    last_day: date | None
    days_since: int | None    # None: never checked
    every: int                # the community's rule (days)

    @property
    def never(self) -> bool:
        return self.last_day is None

    @property
    def overdue(self) -> bool:
        """Past the day it was due (due today is not yet overdue)."""
        return self.days_since is None or self.days_since > self.every

    @property
    def overdue_days(self) -> int | None:
        return None if self.days_since is None else max(self.days_since - self.every, 0)

    @property
    def label(self) -> str:
        if self.days_since is None:
            return "从未巡查"
        if self.days_since == self.every:
            return f"{self.days_since}天未巡，今天应巡"
        return f"{self.days_since}天未巡，逾期{self.days_since - self.every}天"


@dataclass
class StewardCoverage:
    steward: User
    quota: int
    buildings: list[Building]            # distinct buildings patrolled that day (finished patrols)
    vacant_due: list[VacantDue] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.buildings)

    @property
    def met(self) -> bool:
        return self.done >= self.quota

    @property
    def missing(self) -> int:
        return max(self.quota - self.done, 0)

    @property
    def percent(self) -> int:
        return 100 if self.quota <= 0 else min(100, round(self.done * 100 / self.quota))


@dataclass
class Coverage:
    day: date
    buildings_per_day: int
    vacant_every_days: int
    stewards: list[StewardCoverage]
    unassigned_vacant: list[VacantDue]   # vacant units due whose owning steward is not known

    def for_steward(self, steward_id: int) -> StewardCoverage | None:
        return next((s for s in self.stewards if s.steward.id == steward_id), None)

    @property
    def vacant_due_count(self) -> int:
        return sum(len(s.vacant_due) for s in self.stewards) + len(self.unassigned_vacant)


def buildings_patrolled(community_id: int, day: date) -> dict[int, set[int]]:
    """{steward_id: {building_id}} of the finished patrols of `day`: a building target, or a
    unit target in that building."""
    building = func.coalesce(Patrol.building_id, Unit.building_id)
    rows = db.session.execute(
        select(Patrol.steward_id, building).select_from(Patrol).outerjoin(Unit, Unit.id == Patrol.unit_id)
        .where(Patrol.community_id == community_id, Patrol.day == day, Patrol.finished_at.is_not(None),
               building.is_not(None)).distinct())
    out: dict[int, set[int]] = {}
    for steward_id, building_id in rows:
        out.setdefault(steward_id, set()).add(building_id)
    return out


def vacant_units_due(community_id: int, day: date, every: int) -> list[VacantDue]:
    """Vacant units of the community whose last finished vacant-unit patrol (on or before `day`)
    is `every` days old or more, or that were never checked. Never-checked first, then the
    longest unchecked."""
    last = (select(Patrol.unit_id, func.max(Patrol.day).label("last_day"))
            .where(Patrol.community_id == community_id, Patrol.kind == PatrolKind.VACANT.value,
                   Patrol.finished_at.is_not(None), Patrol.unit_id.is_not(None), Patrol.day <= day)
            .group_by(Patrol.unit_id).subquery())
    rows = db.session.execute(
        select(Unit, last.c.last_day).join(Unit.building).outerjoin(last, last.c.unit_id == Unit.id)
        .where(Building.community_id == community_id, Unit.status == UnitStatus.VACANT.value)
        .options(selectinload(Unit.building))
        .order_by(Building.sort_key, Building.number, Unit.entrance, Unit.floor, Unit.number))
    out = []
    for unit, last_day in rows:
        days = None if last_day is None else (day - last_day).days
        if days is None or days >= every:
            out.append(VacantDue(unit=unit, last_day=last_day, days_since=days, every=every))
    out.sort(key=lambda v: (v.days_since is not None, -(v.days_since or 0)))
    return out


def _building_stewards(community_id: int, steward_ids: set[int]) -> dict[int, int]:
    """{building_id: steward_id}: the steward owning each building (the lowest id when several)."""
    rows = db.session.execute(
        select(user_building.c.building_id, user_building.c.user_id).join(
            Building, Building.id == user_building.c.building_id)
        .where(Building.community_id == community_id).order_by(user_building.c.user_id))
    out: dict[int, int] = {}
    for building_id, user_id in rows:
        if user_id in steward_ids:
            out.setdefault(building_id, user_id)
    return out


def coverage(community_id: int, day: date, now: datetime | None = None, *, vacant: bool = True) -> Coverage:
    """Coverage on `day` [D3]: per steward of the community, the distinct buildings patrolled
    (finished patrols with a building, or a unit in that building) against buildings_per_day,
    and the vacant units due a check (see vacant_units_due), each under its owning steward
    (Unit.steward_id, else the steward owning the building). `now` is accepted for symmetry
    with due_on; the figures are those of the patrols finished so far. vacant=False: the
    buildings only (no vacant units listed: the morning briefing prints none)."""
    del now
    s = settings_for(community_id)
    quota = s.buildings_per_day if s.buildings_per_day is not None else DEFAULT_BUILDINGS_PER_DAY
    every = s.vacant_every_days or DEFAULT_VACANT_EVERY_DAYS
    people = stewards(community_id)
    ids = {u.id for u in people}
    done = buildings_patrolled(community_id, day)
    all_ids = set().union(*done.values()) if done else set()
    buildings = {b.id: b for b in db.session.scalars(select(Building).where(Building.id.in_(all_ids)))} if all_ids else {}
    by_building = _building_stewards(community_id, ids)
    per = {u.id: StewardCoverage(
        steward=u, quota=quota,
        buildings=sorted((buildings[b] for b in done.get(u.id, ()) if b in buildings),
                         key=lambda b: (b.sort_key, b.number)))
        for u in people}
    unassigned = []
    for v in vacant_units_due(community_id, day, every) if vacant else ():
        owner = v.unit.steward_id if v.unit.steward_id in ids else by_building.get(v.unit.building_id)
        if owner in per:
            per[owner].vacant_due.append(v)
        else:
            unassigned.append(v)
    return Coverage(day=day, buildings_per_day=quota, vacant_every_days=every,
                    stewards=[per[u.id] for u in people], unassigned_vacant=unassigned)


# --- pagination --------------------------------------------------------------------------------

@dataclass
class Page:
    """One page of a query's rows. `number` is 1-based and clamped to the pages there are."""

    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.number * self.per_page, self.total)


def page_number(value) -> int:
    """A ?page= value as a page number (1 when missing or not a small positive integer)."""
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1


def paginate(stmt, number: int, per_page: int = 50) -> Page:
    """Run `stmt` (a select with its ordering) for one page; counts the rows first."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, number), pages)
    items = list(db.session.scalars(stmt.limit(per_page).offset((number - 1) * per_page)))
    return Page(items=items, number=number, per_page=per_page, total=total)


# --- patrol records [item 9] -------------------------------------------------------------------

RECORDS_PER_PAGE = 50
RECORDS_DEFAULT_DAYS = 7
RECORDS_MAX_DAYS = 366
RESULT_FILTERS = {"": "全部", "problem": "有问题", "ok": "全部正常", "unfinished": "未完成"}


@dataclass
class RecordFilters:
    start: date
    end: date
    steward_id: int | None = None
    building_id: int | None = None
    result: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    def args(self, **over) -> dict:
        """As query arguments (CSV link, pages), without the defaults."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.steward_id:
            out["steward_id"] = self.steward_id
        if self.building_id:
            out["building_id"] = self.building_id
        if self.result:
            out["result"] = self.result
        out.update(over)
        return {k: v for k, v in out.items() if v not in (None, "")}


def _id(value) -> int | None:
    return parse_id(str(value or ""))


def parse_record_filters(args, community_id: int, *, own_steward_id: int | None = None,
                         now: datetime | None = None) -> RecordFilters:
    """Filters from the GET form. Default: the last 7 site days. A bad value is dropped with a
    message instead of failing the page. `own_steward_id`: the viewer may see only their own
    patrols (a steward), whatever the form says."""
    start, end, errors = day_range(args, default_days=RECORDS_DEFAULT_DAYS, max_days=RECORDS_MAX_DAYS, now=now)
    steward_id = _id(args.get("steward_id"))
    if args.get("steward_id") and (steward_id is None or steward_id not in {u.id for u in stewards(community_id, False)}):
        steward_id = None
        errors.append("管家不正确，已忽略。")
    if own_steward_id is not None:
        steward_id = own_steward_id
    building_id = _id(args.get("building_id"))
    if args.get("building_id") and (building_id is None or db.session.scalar(
            select(Building.id).where(Building.id == building_id, Building.community_id == community_id)) is None):
        building_id = None
        errors.append("楼栋不正确，已忽略。")
    result = args.get("result") or ""
    if result not in RESULT_FILTERS:
        result = ""
        errors.append("结果条件不正确，已忽略。")
    return RecordFilters(start, end, steward_id, building_id, result, page_number(args.get("page")), errors)


_HAS_PROBLEM = exists().where(PatrolResult.patrol_id == Patrol.id, PatrolResult.result == ItemResult.PROBLEM.value)


def _filtered(stmt, community_id: int, f: RecordFilters):
    stmt = stmt.where(Patrol.community_id == community_id, Patrol.day >= f.start, Patrol.day <= f.end)
    if f.steward_id:
        stmt = stmt.where(Patrol.steward_id == f.steward_id)
    if f.building_id:
        stmt = stmt.where(or_(Patrol.building_id == f.building_id,
                              Patrol.unit_id.in_(select(Unit.id).where(Unit.building_id == f.building_id))))
    if f.result == "problem":
        stmt = stmt.where(_HAS_PROBLEM)
    elif f.result == "ok":
        stmt = stmt.where(Patrol.finished_at.is_not(None), ~_HAS_PROBLEM)
    elif f.result == "unfinished":
        stmt = stmt.where(Patrol.finished_at.is_(None))
    return stmt


@dataclass
class RecordRow:
    patrol: Patrol
    items: int       # results recorded
    problems: int

    @property
    def finished(self) -> bool:
        return self.patrol.finished_at is not None

    @property
    def makeup(self) -> MakeUp | None:
        return makeup_of(self.patrol)


def search_records(community_id: int, f: RecordFilters, per_page: int = RECORDS_PER_PAGE) -> Page:
    """One page of the matching patrols, newest first; items are RecordRow."""
    stmt = _filtered(select(Patrol), community_id, f).order_by(Patrol.day.desc(), Patrol.started_at.desc(),
                                                               Patrol.id.desc())
    page = paginate(stmt.options(selectinload(Patrol.steward), selectinload(Patrol.building), selectinload(Patrol.plan),
                                 selectinload(Patrol.unit).selectinload(Unit.building)), f.page, per_page)
    ids = [p.id for p in page.items]
    counts = {}
    if ids:
        problem = func.sum(case((PatrolResult.result == ItemResult.PROBLEM.value, 1), else_=0))
        counts = {pid: (n, int(k or 0)) for pid, n, k in db.session.execute(
            select(PatrolResult.patrol_id, func.count(), problem).where(PatrolResult.patrol_id.in_(ids))
            .group_by(PatrolResult.patrol_id))}
    page.items = [RecordRow(p, *counts.get(p.id, (0, 0))) for p in page.items]
    return page


CSV_HEADER = ["日期", "管家", "巡查类型", "巡查对象", "检查项", "结果", "备注", "点选时间", "整改工单"]


csv_cell = cell


def record_rows(community_id: int, f: RecordFilters):
    """One row per item result of the matching patrols, oldest first."""
    patrol_ids = _filtered(select(Patrol.id), community_id, f)
    stmt = (select(PatrolResult).join(PatrolResult.patrol).where(PatrolResult.patrol_id.in_(patrol_ids))
            .options(selectinload(PatrolResult.patrol).options(
                         selectinload(Patrol.steward), selectinload(Patrol.building),
                         selectinload(Patrol.unit).selectinload(Unit.building)),
                     selectinload(PatrolResult.ticket))
            .order_by(Patrol.day, Patrol.started_at, Patrol.id, PatrolResult.id))
    for r in db.session.scalars(stmt):
        p = r.patrol
        yield [p.day.isoformat(), p.steward.name if p.steward else "", p.kind_label, p.target_label, r.item_text,
               RESULT_LABELS.get(r.result, r.result), r.note or "", localtime(r.tapped_at, "%Y-%m-%d %H:%M:%S"),
               r.ticket.serial if r.ticket is not None else ""]


def records_csv(community_id: int, f: RecordFilters) -> str:
    return excel_csv(CSV_HEADER, record_rows(community_id, f))


__all__ = [
    "Coverage", "DayCounts", "Due", "MakeUp", "Page", "day_counts", "makeup_of", "planned_window", "started_late", "RecordFilters", "RecordRow", "StewardCoverage", "VacantDue", "coverage",
    "due_on", "local_today", "paginate", "parse_record_filters", "records_csv", "search_records", "settings_for",
    "stewards",
]
