"""The rules of a patrol run [D3]. Views call these; these never commit (the view commits
once). Every state change records an Event.

* start_patrol: a target (building, unit or area) of the community, an active checklist of the
  community, the local day (Asia/Shanghai); the same client key, or an open patrol of the same
  target and checklist today, gives back the patrol already started (a reload resumes it). A
  planned patrol whose window has closed (已漏巡) may still be started that day: it is a 补巡,
  recorded so (the events carry the planned window and the actual times; plans.makeup_of).
* tap: one result per item. The phone sends each tap with a random key, its device id and
  the device's next sequence number (kept in its localStorage). Every key is remembered
  (PatrolTap): a key seen before changes nothing and is answered "repeat" (or "stale" again).
  Of two taps from one device the higher sequence wins, whatever order they arrive in: a late
  original overtaken by a newer tap is answered "stale" and ignored. Taps without a sequence
  (plain form posts) and taps of different devices go in the server's order of arrival. The
  phone's clock is stored for the record and never compared: it may be hours off.
* finish: every active item has a result; each problem becomes a rectification ticket
  (Kind.PATROL) in the ordinary dispatch queue — no second workflow.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from flask import url_for
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..core.models import Event, utcnow
from ..core.roles import Role
from ..core.services import record
from ..core.timefmt import SITE_TZ
from ..extensions import db
from ..photos.services import StoredPhoto, open_photo
from ..registry.models import Building, Unit
from .models import (RESULT_LABELS, Checkpoint, ChecklistItem, ChecklistTemplate, ItemResult, Patrol, PatrolKind,
                     PatrolPlan, PatrolResult, PatrolTap, TargetType)
from .plans import makeup_of

MSG_FINISHED = "巡查已结束，不能再修改"
MSG_NOTE = "请填写问题说明。"
MSG_PHOTO = "此项有问题时需要拍照。"
NOTE_MAX = 500
AREA_MAX = 100
# The phone's clock, stored with a tap for the record (never used to order taps): a tap may
# be stamped a little in the future (clock drift); later than this it is stored as received.
# Further off than ABSURD it is refused: a wrong phone clock.
FUTURE_SKEW = timedelta(minutes=5)
ABSURD = timedelta(days=1)
DEVICE_MAX = 32
SEQ_MAX = 2**53 - 1  # what the phone's JavaScript counts exactly
MSG_SEQ = "点击序号不正确，请刷新页面后重试。"


class PatrolError(ValueError):
    """A refused step; the message (Chinese) is shown to the steward."""


class PatrolFinished(PatrolError):
    """The patrol is finished: nothing may change any more (HTTP 409)."""


class PatrolNotFound(PatrolError):
    """An item or checkpoint that is not part of this patrol or community (HTTP 404)."""


def _need(cond, message: str, exc=PatrolError) -> None:
    if not cond:
        raise exc(message)


def local_day(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(SITE_TZ).date()


# --- starting ----------------------------------------------------------------------------

def templates_for(community_id: int) -> list[ChecklistTemplate]:
    """The community's active checklists, in the order of the patrol kinds."""
    order = {k: i for i, k in enumerate(PatrolKind)}
    rows = db.session.scalars(select(ChecklistTemplate).where(
        ChecklistTemplate.community_id == community_id, ChecklistTemplate.active.is_(True)))
    return sorted(rows, key=lambda t: (order.get(t.kind, 99), t.id))


def patrol_by_client_key(key: str | None) -> Patrol | None:
    if not key:
        return None
    return db.session.scalar(select(Patrol).where(Patrol.client_key == key))


def _target(community_id: int, target_type: str, building_id, unit_id, area):
    """The checked target: (building, unit, area); refuses one of another community."""
    _need(target_type in set(TargetType), "请选择巡查对象：楼栋、房屋或区域。")
    building = unit = None
    area = (area or "").strip() or None
    if area is not None:
        _need(len(area) <= AREA_MAX, f"区域名称最多{AREA_MAX}字。")
    if target_type == TargetType.UNIT:
        unit = db.session.get(Unit, unit_id) if unit_id else None
        _need(unit is not None, "请选择要巡查的房屋。")
        _need(unit.building.community_id == community_id, "该房屋不属于本小区，不能巡查。")
        return unit.building, unit, None
    if building_id:
        building = db.session.get(Building, building_id)
        _need(building is not None and building.community_id == community_id, "该楼栋不属于本小区，不能巡查。")
    if target_type == TargetType.BUILDING:
        _need(building is not None, "请选择要巡查的楼栋。")
        return building, None, None
    _need(area is not None, "请填写巡查区域，如：北门车库、中心花园。")
    return building, None, area


def start_patrol(community_id: int, steward: User, template_id: int | None, target_type: str | None,
                 building_id: int | None = None, unit_id: int | None = None, area: str | None = None,
                 plan_id: int | None = None, client_key: str | None = None, now: datetime | None = None) -> Patrol:
    """Start a patrol (or give back the one this start already made: same key, or the same
    target and checklist still open today). A planned patrol takes its checklist and target
    from the plan."""
    now = now or utcnow()
    existing = patrol_by_client_key(client_key)
    if existing is not None:
        _need(existing.steward_id == steward.id and existing.community_id == community_id, "提交标识重复，请刷新页面。")
        return existing
    plan = None
    if plan_id:
        plan = db.session.get(PatrolPlan, plan_id)
        _need(plan is not None and plan.community_id == community_id, "巡查计划不存在。")
        _need(plan.active, "该巡查计划已停用。")
        _need(plan.steward_id == steward.id or steward.has_role(Role.SUPERVISOR, Role.MANAGER),
              "该巡查计划不是分派给您的。")
        template_id, target_type = plan.template_id, plan.target_type
        building_id, unit_id, area = plan.building_id, plan.unit_id, plan.area
    template = db.session.get(ChecklistTemplate, template_id) if template_id else None
    _need(template is not None and template.community_id == community_id, "请选择巡查表。")
    _need(template.active, "该巡查表已停用，请选择其他巡查表。")
    _need(bool(template.active_items), "该巡查表还没有检查项，请联系主管。")
    building, unit, area = _target(community_id, target_type, building_id, unit_id, area)
    day = local_day(now)

    def _is(col, value):
        return col.is_(None) if value is None else col == value

    if plan is not None:
        same = select(Patrol).where(Patrol.plan_id == plan.id, Patrol.steward_id == steward.id, Patrol.day == day)
    else:
        same = select(Patrol).where(
            Patrol.community_id == community_id, Patrol.steward_id == steward.id, Patrol.day == day,
            Patrol.finished_at.is_(None), Patrol.plan_id.is_(None), Patrol.template_id == template.id,
            Patrol.target_type == target_type, _is(Patrol.building_id, building.id if building else None),
            _is(Patrol.unit_id, unit.id if unit else None), _is(Patrol.area, area))
    open_one = db.session.scalars(same.order_by(Patrol.id.desc())).first()
    if open_one is not None:  # resume instead of a second run of the same round
        return open_one

    p = Patrol(community_id=community_id, template_id=template.id, plan_id=plan.id if plan else None,
               steward_id=steward.id, kind=template.kind, target_type=target_type,
               building_id=building.id if building else None, unit_id=unit.id if unit else None, area=area,
               day=day, started_at=now, client_key=(client_key or None) and client_key[:64])
    try:
        with db.session.begin_nested():  # add inside: beginning the savepoint flushes what is pending
            db.session.add(p)
            db.session.flush()
    except IntegrityError:  # the same start sent twice at once: the other request made it
        existing = patrol_by_client_key(client_key)
        if existing is None:
            raise
        return existing
    record("patrol.started", p, actor=steward, kind=p.kind, target=p.target_label, plan_id=p.plan_id,
           **_makeup_data(p)).at = now
    return p


def _makeup_data(p: Patrol) -> dict:
    """[D3] A 补巡 is recorded as such, with the planned window it missed and the actual times."""
    m = makeup_of(p)
    if m is None:
        return {}
    return {"makeup": True, "planned_start": m.planned_start.isoformat(), "planned_end": m.planned_end.isoformat(),
            "started_at": m.started_at.isoformat(),
            "finished_at": m.finished_at.isoformat() if m.finished_at else None}


def open_patrols(community_id: int, steward: User, now: datetime | None = None) -> list[Patrol]:
    """The steward's patrols of today, unfinished first (to resume), then finished ones."""
    rows = db.session.scalars(select(Patrol).where(
        Patrol.community_id == community_id, Patrol.steward_id == steward.id,
        Patrol.day == local_day(now)).order_by(Patrol.started_at.desc(), Patrol.id.desc()))
    return sorted(rows, key=lambda p: p.finished_at is not None)


def patrol_for_plan(plan: PatrolPlan, steward: User, now: datetime | None = None) -> Patrol | None:
    return db.session.scalars(select(Patrol).where(
        Patrol.plan_id == plan.id, Patrol.steward_id == steward.id, Patrol.day == local_day(now))
        .order_by(Patrol.id.desc())).first()


# --- tapping -----------------------------------------------------------------------------

class TapStatus(StrEnum):
    """What became of a tap; the phone is told (X-Tap-Status) and can tell them apart."""
    SAVED = "saved"    # applied now: the item's result is this tap
    REPEAT = "repeat"  # this key was applied before (the first answer was lost): nothing changed
    STALE = "stale"    # a newer tap of the same device was there first: ignored, never applied


@dataclass
class TapOutcome:
    status: TapStatus
    result: PatrolResult | None  # the item's result as it stands afterwards


def _lock(patrol: Patrol) -> None:
    """Serialise the taps and the finish of one patrol, and read the patrol afresh under the
    lock: on PostgreSQL the patrol row FOR UPDATE; SQLite needs nothing, a writing request
    holds the database's write lock from its first statement (BEGIN IMMEDIATE, see engine)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return
    db.session.scalars(select(Patrol).where(Patrol.id == patrol.id).with_for_update()
                       .execution_options(populate_existing=True)).one()


def _tap_time(tapped_at: datetime | None, patrol: Patrol, now: datetime) -> datetime:
    """The phone's time of the tap, within reason (see FUTURE_SKEW, ABSURD)."""
    if tapped_at is None:
        return now
    _need(tapped_at.tzinfo is not None, "点击时间缺少时区。")
    _need(min(patrol.started_at, now) - ABSURD < tapped_at < now + ABSURD,
          "手机时间不正确，请校准手机的日期和时间后重试。")
    return min(tapped_at, now + FUTURE_SKEW)


def _order(device: str | None, seq: int | None) -> tuple[str | None, int | None]:
    """The phone's own order of its taps: both or neither."""
    device = (device or "").strip() or None
    _need((device is None) == (seq is None), MSG_SEQ)
    if device is not None:
        _need(len(device) <= DEVICE_MAX and device.isascii() and device.replace("-", "").isalnum(), MSG_SEQ)
        _need(0 < seq <= SEQ_MAX, MSG_SEQ)
    return device, seq


def tap(patrol: Patrol, steward: User, item_id: int, result: str, *, tapped_at: datetime | None, key: str,
        note: str | None = None, photo: StoredPhoto | None = None, device: str | None = None,
        seq: int | None = None, now: datetime | None = None) -> TapOutcome:
    """Record one tap (see the module's notes on the order of taps). The outcome says whether
    it was applied now, was a repeat of a key already seen, or was stale."""
    now = now or utcnow()
    _lock(patrol)
    _need(patrol.finished_at is None, MSG_FINISHED, PatrolFinished)
    _need(patrol.steward_id == steward.id, "只能修改自己的巡查。", PatrolNotFound)
    item = db.session.get(ChecklistItem, item_id)
    _need(item is not None and item.template_id == patrol.template_id, "检查项不存在。", PatrolNotFound)
    _need(result in set(ItemResult), "请选择：正常、有问题或不适用。")
    key = (key or "").strip()
    _need(0 < len(key) <= 64, "缺少提交标识，请刷新页面后重试。")
    device, seq = _order(device, seq)
    at = _tap_time(tapped_at, patrol, now)
    note = (note or "").strip() or None

    existing = db.session.scalar(select(PatrolResult).where(
        PatrolResult.patrol_id == patrol.id, PatrolResult.item_id == item.id))
    # This key, and the taps of this device, already seen for the item (one query: a few rows).
    mine = PatrolTap.key == key if device is None else or_(PatrolTap.key == key, PatrolTap.device == device)
    known = db.session.execute(select(PatrolTap.key, PatrolTap.applied, PatrolTap.device, PatrolTap.seq).where(
        PatrolTap.patrol_id == patrol.id, PatrolTap.item_id == item.id, mine)).all()
    seen = next((k for k in known if k.key == key), None)
    if seen is not None:
        return TapOutcome(TapStatus.REPEAT if seen.applied else TapStatus.STALE, existing)
    if existing is not None and existing.tap_key == key:  # a result stored before keys were remembered
        return TapOutcome(TapStatus.REPEAT, existing)

    def remember(applied: bool) -> None:
        db.session.add(PatrolTap(patrol_id=patrol.id, item_id=item.id, key=key, device=device, seq=seq,
                                 result=result, tapped_at=at, received_at=now, applied=applied))

    if device is not None and any(k.device == device and k.seq >= seq for k in known):
        remember(False)  # overtaken by a newer tap of this device: never applied
        db.session.flush()
        return TapOutcome(TapStatus.STALE, existing)

    if result == ItemResult.PROBLEM:
        _need(note is not None, MSG_NOTE)
        _need(len(note) <= NOTE_MAX, f"问题说明最多{NOTE_MAX}字。")
        had_photo = existing is not None and existing.photo_path is not None
        _need(photo is not None or had_photo or not item.photo_required, MSG_PHOTO)
    values = {"result": result, "item_text": item.text, "tapped_at": at, "received_at": now, "tap_key": key}
    if result == ItemResult.PROBLEM:
        values["note"] = note
    if photo is not None:
        values["photo_path"], values["thumb_path"] = photo.path, photo.thumb_path

    previous = existing.result if existing is not None else None
    if existing is None:
        r = PatrolResult(patrol_id=patrol.id, item_id=item.id, **values)
        db.session.add(r)
    else:
        r = existing
        for name, value in values.items():
            setattr(r, name, value)
    remember(True)
    db.session.flush()
    ev = record("patrol.tapped", patrol, actor=steward, item_id=item.id, result=result, previous=previous,
                tapped_at=at.isoformat(), key=key, device=device, seq=seq, photo=bool(photo) or None)
    ev.at = now
    return TapOutcome(TapStatus.SAVED, r)


# --- the page's state --------------------------------------------------------------------

@dataclass
class Row:
    item_id: int
    text: str
    photo_required: bool
    active: bool  # counts towards the progress (a retired item keeps a result it already had)
    result: PatrolResult | None

    @property
    def label(self) -> str:
        return RESULT_LABELS.get(self.result.result, "") if self.result else ""


@dataclass
class RunState:
    patrol: Patrol
    rows: list[Row]
    done: int
    total: int

    @property
    def missing(self) -> int:
        return self.total - self.done

    @property
    def problems(self) -> list[Row]:
        return [r for r in self.rows if r.result is not None and r.result.result == ItemResult.PROBLEM]


def resume_state(patrol: Patrol) -> RunState:
    """What the checklist page shows: each item with its stored result. A finished patrol
    shows its results as they read when tapped (a later template edit changes nothing); an
    open one shows the checklist's active items with their current text."""
    results = {r.item_id: r for r in patrol.results}
    rows = []
    for it in patrol.template.items:
        r = results.get(it.id)
        if patrol.finished_at is not None:
            if r is not None:
                rows.append(Row(it.id, r.item_text, it.photo_required, True, r))
        elif it.active or r is not None:
            rows.append(Row(it.id, it.text if it.active else r.item_text, it.photo_required, it.active, r))
    counted = [r for r in rows if r.active]
    return RunState(patrol, rows, sum(1 for r in counted if r.result is not None), len(counted))


def row_of(patrol: Patrol, item_id: int) -> Row | None:
    return next((r for r in resume_state(patrol).rows if r.item_id == item_id), None)


# --- finishing: rectification tickets [D3] ------------------------------------------------

CATEGORY_RULES: list[tuple[tuple[str, ...], str]] = [  # first match wins
    (("消防", "灭火器", "应急", "疏散", "安全出口", "防火门", "动火", "飞线", "报警"), "安全"),
    (("电梯",), "电梯故障"),
    (("漏水", "渗水", "渗漏", "积水", "水电表", "地漏", "管道", "防水", "照明", "灯", "浇灌", "井盖"), "水电气维修"),
    (("车辆", "停放", "停车", "车位", "道闸", "车库"), "停车"),
    (("绿化", "草坪", "花木", "苗木", "树木", "毁绿", "绿地"), "绿化"),
    (("卫生", "垃圾", "小广告", "乱张贴", "杂物", "涂画", "异味", "虫害"), "环境卫生"),
]
KIND_CATEGORY = {PatrolKind.FIRE: "安全", PatrolKind.GREENERY: "绿化", PatrolKind.PARKING: "停车"}
FALLBACK_CATEGORY = "其他"


def category_for(community_id: int, item_text: str, kind: str):
    """The community's ticket category for a finding: by the item's words, else by the
    patrol kind, else 其他, else the first active category."""
    from ..tickets.services import categories

    cats = {c.name: c for c in categories(community_id)}
    wanted = [name for words, name in CATEGORY_RULES if any(w in item_text for w in words)]
    wanted += [KIND_CATEGORY.get(kind, FALLBACK_CATEGORY), FALLBACK_CATEGORY]
    for name in wanted:
        if name in cats:
            return cats[name]
    _need(bool(cats), "本小区还没有工单类别，请联系主管设置。")
    return next(iter(cats.values()))


def _photo_of(r: PatrolResult) -> StoredPhoto | None:
    """The result's stored photo, described as the ticket's photo rows need it."""
    if not r.photo_path:
        return None
    try:
        from PIL import Image

        full = open_photo(r.photo_path)
        with Image.open(full) as im:
            w, h = im.size
        size = full.stat().st_size
    except (FileNotFoundError, OSError):
        return None
    return StoredPhoto(path=r.photo_path, thumb_path=r.thumb_path or r.photo_path, width=w, height=h, size=size,
                       sha256="")


def _rectification(patrol: Patrol, r: PatrolResult, steward: User, now: datetime):
    from ..tickets import services as tickets
    from ..tickets.models import Channel, Kind, Urgency

    cat = category_for(patrol.community_id, r.item_text, patrol.kind)
    t = tickets.create_ticket(patrol.community_id, tickets.Intake(
        kind=Kind.PATROL, channel=Channel.PATROL, category_id=cat.id, urgency=Urgency.NORMAL,
        description=f"巡查发现：{r.item_text}：{r.note or ''}",
        unit_id=patrol.unit_id, building_id=None if patrol.unit_id else patrol.building_id,
        location=patrol.area or (None if (patrol.unit_id or patrol.building_id) else patrol.target_label),
        reporter_name=steward.name, reporter_phone=steward.phone or None,
        client_key=f"patrol-result-{r.id}"), steward, now=now)
    stored = _photo_of(r)
    if stored is not None and not t.photos:
        ev = db.session.scalar(select(Event).where(Event.object_type == "ticket", Event.object_id == t.id,
                                                   Event.action == "ticket.created"))
        tickets.attach_photos(t, ev, [stored], steward)
    r.ticket_id = t.id
    return t


# Who may open any patrol of the community (read-only); a steward opens their own.
PATROL_READERS = (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


def may_open(user: User, patrol: Patrol) -> bool:
    return patrol.steward_id == user.id or user.has_role(*PATROL_READERS)


@dataclass
class Origin:
    """Where a rectification ticket came from [D3]: the patrol, the item found wrong (with the
    steward's note), the checkpoint scanned on that patrol, and whether it was a 补巡."""

    patrol: Patrol
    result: PatrolResult
    checkpoint: str | None
    makeup: object | None  # plans.MakeUp


def ticket_origin(ticket_id: int, user: User) -> tuple[Origin, str | None] | None:
    """core.hooks.TICKET_ORIGIN: a rectification's origin and, for those who may open the
    patrol, the link to the item found wrong."""
    origin = rectification_origin(ticket_id)
    if origin is None:
        return None
    url = (url_for("patrols.run", patrol_id=origin.patrol.id, _anchor=f"i{origin.result.item_id}")
           if may_open(user, origin.patrol) else None)
    return origin, url


def rectification_origin(ticket_id: int) -> Origin | None:
    r = db.session.scalar(select(PatrolResult).where(PatrolResult.ticket_id == ticket_id))
    if r is None:
        return None
    p = r.patrol
    checkpoint = None
    if p.checkpoint_at is not None:
        ev = db.session.scalar(select(Event).where(Event.object_type == "patrol", Event.object_id == p.id,
                                                   Event.action == "patrol.checkpoint").order_by(Event.id))
        checkpoint = (ev.data or {}).get("checkpoint") if ev is not None else None
    return Origin(p, r, checkpoint, makeup_of(p))


def finish(patrol: Patrol, steward: User, now: datetime | None = None) -> list:
    """Finish the patrol: every active item must have a result. Each problem becomes a
    rectification ticket (巡查整改) in the dispatch queue. Returns those tickets."""
    now = now or utcnow()
    _lock(patrol)  # no tap slips in between the check below and the finish
    _need(patrol.finished_at is None, MSG_FINISHED, PatrolFinished)
    _need(patrol.steward_id == steward.id, "只能结束自己的巡查。", PatrolNotFound)
    state = resume_state(patrol)
    _need(state.missing == 0, f"还有 {state.missing} 项未检查，请全部检查后再完成巡查。")
    tickets = []
    for row in state.problems:
        if row.result.ticket_id is None:
            tickets.append(_rectification(patrol, row.result, steward, now))
    patrol.finished_at = now
    db.session.flush()
    record("patrol.finished", patrol, actor=steward, items=state.total, problems=len(state.problems),
           tickets=[t.id for t in tickets], **_makeup_data(patrol)).at = now
    return tickets


# --- proof of presence -----------------------------------------------------------------------

def scan_checkpoint(community_id: int, steward: User, token: str,
                    now: datetime | None = None) -> tuple[Checkpoint, Patrol | None]:
    """A scanned checkpoint QR stamps the steward's open patrol of that building (or area)
    today. Returns the checkpoint and the stamped patrol (None when there is none open)."""
    now = now or utcnow()
    cp = db.session.scalar(select(Checkpoint).where(Checkpoint.token == (token or "")[:32]))
    _need(cp is not None and cp.active and cp.community_id == community_id, "巡查点不存在。", PatrolNotFound)
    candidates = list(db.session.scalars(select(Patrol).where(
        Patrol.community_id == community_id, Patrol.steward_id == steward.id, Patrol.day == local_day(now),
        Patrol.finished_at.is_(None)).order_by(Patrol.started_at.desc(), Patrol.id.desc())))
    if cp.building_id is not None:
        candidates = [p for p in candidates if p.building_id == cp.building_id]
    else:
        candidates = [p for p in candidates if p.target_type == TargetType.AREA and p.area
                      and (cp.name in p.area or p.area in cp.name)]
    if not candidates:
        return cp, None
    p = candidates[0]
    if p.checkpoint_at is None:
        p.checkpoint_at = now
        record("patrol.checkpoint", p, actor=steward, checkpoint_id=cp.id, checkpoint=cp.name).at = now
    return cp, p
