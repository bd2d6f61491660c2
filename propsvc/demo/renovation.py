"""Demo renovations [R1]–[R7] on the demo site: every home marked 装修中 gets its approved
renovation and permit (a few past their end, so the board shows 已超期), with worker passes
paid at finance on three of them (one returned, one still unpaid), a first-renovation check,
an extension waiting for the manager, one extended with its fee paid, and a new application
waiting for approval on a handed-over home.

Everything goes through the area's services (renovation.services, renovation.pass_services),
so every step is an Event and the permits, extension documents and passes are real sealed
documents. Those services stamp "now"; afterwards each step's documents are moved back to the
day they would have been issued, so the prints read right. Events are never rewritten (they are
append-only): the history shows when the demo was loaded. Dates are relative to
`now` (the present: the pass services check periods and date passes by the real clock), and
the choices come from a fixed random seed. The caller commits."""
from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..core.timefmt import SITE_TZ, site_today, utcnow
from ..documents.models import Document
from ..extensions import db
from ..photos.services import save_photo
from ..registry.models import Building, OccupantRole, Unit, UnitStatus
from ..renovation import pass_services as ps
from ..renovation import services as rs
from ..renovation.models import Renovation
from .registry import _Generator

ACCOUNTS = ("front_desk", "steward", "supervisor", "manager", "finance")

# Renovation companies (made up); None: a self-employed crew without a company.
_COMPANIES = (
    "广州市雅居装饰工程有限公司", "广州番禺匠心家装有限公司", "广州市筑美装饰设计工程有限公司",
    "广州木之源装饰工程有限公司", "广州新居佳装饰有限公司", "广州市名匠装饰设计有限公司",
    "番禺区顺安装饰工作室", "广州市安居乐家居装饰有限公司", None,
)
# (scope, months): the planned period; None for the default 3 months [R1].
_SCOPES = (
    ("新房装修：水电改造、厨卫墙地砖铺贴、木工吊顶、墙面乳胶漆，安装橱柜和洁具", None),
    ("全屋硬装：水电改造，卫生间和阳台重做防水，全屋铺地砖", None),
    ("厨房、卫生间翻新：更换橱柜和洁具，重做防水，墙地砖重铺", None),
    ("客厅及卧室铺实木地板、墙面刷乳胶漆，不动水电", None),
    ("阳台封窗、铺砖，安装升降晾衣架", None),
    ("定制全屋衣柜、书柜，安装灯具和窗帘轨道", None),
    ("全屋水电改造，更换强弱电箱，卫生间重做防水", None),
    ("旧房翻新：铲除墙面重新批荡刷漆，更换室内门和地板", 4),
)
_EXTENSION_REASONS = ("定制橱柜延期到货，安装需顺延", "业主增加阳台改造项目，工期需延长")


def _portrait(rng: random.Random) -> io.BytesIO:
    """A plain one-inch photo: head and shoulders on a light blue background."""
    w, h = 295, 413
    im = Image.new("RGB", (w, h), (67 + rng.randrange(20), 142 + rng.randrange(20), 219))
    d = ImageDraw.Draw(im)
    skin = rng.choice(((236, 200, 170), (224, 184, 150), (214, 170, 135)))
    shirt = rng.choice(((40, 48, 64), (250, 250, 250), (70, 90, 120), (120, 120, 120)))
    d.ellipse((w // 2 - 95, h - 130, w // 2 + 95, h + 110), fill=shirt)          # shoulders
    d.rectangle((w // 2 - 24, h - 175, w // 2 + 24, h - 118), fill=skin)         # neck
    d.ellipse((w // 2 - 62, 88, w // 2 + 62, 258), fill=skin)                     # face
    d.chord((w // 2 - 66, 72, w // 2 + 66, 200), 180, 360, fill=(25, 22, 20))    # hair
    for x in (w // 2 - 26, w // 2 + 26):
        d.ellipse((x - 6, 166, x + 6, 176), fill=(30, 30, 30))                    # eyes
    d.line((w // 2 - 18, 222, w // 2 + 18, 222), fill=(150, 80, 70), width=3)      # mouth
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    buf.seek(0)
    return buf


class _Backdate:
    """Moves the documents one service call issued "now" to `at` (Events stay as written)."""

    def __init__(self, community_id: int):
        self.community_id = community_id
        self.doc_mark = self._max(Document.id)

    @staticmethod
    def _max(col) -> int:
        return db.session.scalar(select(func.max(col))) or 0

    def __call__(self, at: datetime) -> None:
        db.session.flush()
        db.session.execute(update(Document).where(Document.id > self.doc_mark,
                                                  Document.community_id == self.community_id)
                           .values(created_at=at, approved_at=at).execution_options(synchronize_session=False))
        self.doc_mark = self._max(Document.id)


def seed_demo_renovations(community_id: int, now=None) -> str:
    """Add the demo renovations to `community_id`; nothing when it already has renovations or
    the demo accounts are missing. Returns a one-line summary."""
    now = now or utcnow()
    today = site_today(now)
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(ACCOUNTS)))
             if community_id in u.community_ids}
    if len(users) < len(ACCOUNTS):
        missing = "、".join(a for a in ACCOUNTS if a not in users)
        return f"未添加演示装修：缺少演示账号（{missing}）。"
    if db.session.scalar(select(Renovation.id).where(Renovation.community_id == community_id).limit(1)):
        return "演示装修已存在，未重复添加。"
    desk, steward, sup, mgr, fin = (users[a] for a in ACCOUNTS)

    def units_with(status: str) -> list[Unit]:
        return list(db.session.scalars(
            select(Unit).join(Unit.building)
            .where(Building.community_id == community_id, Unit.status == status)
            .options(selectinload(Unit.building), selectinload(Unit.occupancies))
            .order_by(Building.sort_key, Building.number, Unit.entrance, Unit.floor, Unit.number)))

    renovating = units_with(UnitStatus.RENOVATING)
    if not renovating:
        return "未添加演示装修：没有装修中的房屋。"
    rng = random.Random(2611)
    gen = _Generator(rng)
    stamp = _Backdate(community_id)

    def at(day: date, hour: int = 10) -> datetime:
        """A working-hours moment of `day` (site time), never after now."""
        moment = datetime.combine(day, time(hour, rng.randrange(60)), SITE_TZ)
        return min(moment, now - timedelta(minutes=5))

    def has_owner(u: Unit) -> bool:
        return any(o.role == OccupantRole.OWNER and o.is_current(today) for o in u.occupancies)

    def lead() -> dict:
        p = gen.person(male=rng.random() < 0.9, born_from=1968, born_to=1993)
        return {"lead_name": p.name, "lead_phone": gen.mobile(), "lead_id_number": p.id_number,
                "lead_company": rng.choice(_COMPANIES)}

    def application(u: Unit, starts_on: date, *, months=None, scope=None) -> rs.Application:
        text, default_months = scope or rng.choice(_SCOPES)
        months = months if months is not None else default_months
        details = lead()
        owners = rs.owners_of(u, today)
        by_owner = bool(owners) and rng.random() < 0.5
        return rs.Application(
            unit_id=u.id, applicant_role="owner" if by_owner else "lead",
            applicant_name=owners[0].name if by_owner else details["lead_name"],
            scope=text, starts_on=starts_on,
            ends_on=rs.add_months(starts_on, months) if months else None, **details)

    def approved(u: Unit, starts_on: date, **kw) -> Renovation:
        applied_on = starts_on - timedelta(days=rng.randint(5, 10))
        r = rs.apply(community_id, application(u, starts_on, **kw), desk)
        r.created_at = at(applied_on, 9)
        stamp(r.created_at)
        approved_on = min(applied_on + timedelta(days=rng.randint(1, 3)), today)
        rs.approve(r, mgr, today=approved_on)
        r.approved_at = at(approved_on, 15)
        stamp(r.approved_at)
        return r

    # Who starts when: a few past their end [R7], one extended, one starting next week, three
    # with workers on site, one just begun (its first check done); the rest spread over 4 months.
    order = list(renovating)
    rng.shuffle(order)
    plan: dict[str, list[Unit]] = {"overdue": order[:4], "extended": order[4:5], "upcoming": order[5:6],
                                   "crews": order[6:9], "inspected": order[9:10], "rest": order[10:]}
    made: list[Renovation] = []
    for u in plan["overdue"]:
        made.append(approved(u, today - timedelta(days=rng.randint(98, 125)), months=3))
    overdue = list(made)
    extended = [approved(u, today - timedelta(days=rng.randint(100, 110)), months=3) for u in plan["extended"]]
    upcoming = [approved(u, today + timedelta(days=3)) for u in plan["upcoming"]]
    crews = [approved(u, today - timedelta(days=days), months=3)
             for u, days in zip(plan["crews"], (18, 33, 47))]
    inspected = [approved(u, today - timedelta(days=2), scope=_SCOPES[0]) for u in plan["inspected"]]
    rest = [approved(u, today - timedelta(days=rng.randint(5, 80)), months=3) for u in plan["rest"]]
    made += extended + upcoming + crews + inspected + rest

    # [R2] The first-renovation check with the owner, the day work began.
    for r in inspected:
        points = {k: rs.PointResult(ok=True) for k in rs.INSPECTION_POINTS}
        points["latches"] = rs.PointResult(ok=True, note="主卧窗户锁扣略松，已提醒业主留意")
        rs.record_inspection(r, steward, points, rules_told=True, neighbours_told=True)
        stamp(at(r.starts_on, 9))

    # [R6] One extension approved and its fee paid (the end moved); one waiting for the manager.
    for r in extended:
        asked = r.ends_on - timedelta(days=6)
        ext = rs.request_extension(r, desk, name=r.lead_name, role="lead", reason=_EXTENSION_REASONS[0],
                                   new_end=rs.add_months(r.ends_on, 1), fee=Decimal("200"))
        ext.created_at = at(asked, 10)
        stamp(ext.created_at)
        rs.review_extension(r, ext, sup, agree=True, note="现场核实，橱柜未到货属实")
        stamp(at(asked + timedelta(days=1), 11))
        rs.approve_extension(r, ext, mgr, agree=True, today=asked + timedelta(days=2))
        stamp(at(asked + timedelta(days=2), 16))
        rs.pay_extension_fee(r, ext, fin, f"SJ{asked + timedelta(days=3):%y%m%d}201",
                             today=asked + timedelta(days=3))
        ext.fee_paid_at = at(asked + timedelta(days=3), 10)
        stamp(ext.fee_paid_at)
    for waiting in overdue[:1]:
        asked = min(waiting.ends_on + timedelta(days=2), today - timedelta(days=2))
        ext = rs.request_extension(waiting, desk, name=waiting.lead_name, role="lead",
                                   reason=_EXTENSION_REASONS[1], new_end=today + timedelta(days=30),
                                   fee=Decimal("300"))
        ext.created_at = at(asked, 10)
        stamp(ext.created_at)
        rs.review_extension(waiting, ext, sup, agree=True, note="已超期，同意延期并按规定收取延期费")
        stamp(at(asked + timedelta(days=1), 14))

    # [R3]–[R5] Workers and their passes on the three renovations with crews on site.
    registered = paid = returned = unpaid = 0
    receipt = 100
    valid_serial = None
    crew_plan = (("水电", "泥瓦", "杂工"), ("木工", "油漆"), ("防水",))
    for r, trades in zip(crews, crew_plan):
        for i, trade in enumerate(trades):
            p = gen.person(male=trade != "油漆" or rng.random() < 0.5, born_from=1970, born_to=2000)
            photo = save_photo(_portrait(rng), folder=f"c{community_id}/workers")
            later = r is crews[1] and trade == "油漆"  # registered this morning, not yet at finance
            on = today if later else r.starts_on + timedelta(days=1 + 2 * i)
            w = ps.register_worker(r, ps.Registration(
                applicant_name=r.lead_name, applicant_role="lead", name=p.name, id_number=p.id_number,
                phone=gen.mobile(), trade=trade, valid_until=None), photo, desk, today=today)
            w.created_at = at(on, 9)
            stamp(w.created_at)
            registered += 1
            if later:
                unpaid += 1
                continue
            receipt += 1
            ps.record_payment(w, f"SJ{on:%y%m%d}{receipt:03d}", fin, paid_at=at(on, 10))
            ps.issue_pass(w, fin).valid_from = on  # issued the day it was paid
            stamp(at(on, 10))
            paid += 1
            if valid_serial is None:
                valid_serial = ps.pass_of(w).serial
            if trade == "杂工":  # the odd-job man finished his part and brought the pass back
                back = min(on + timedelta(days=10), today)
                ps.return_pass(w, f"TK{back:%y%m%d}{receipt:03d}", fin)
                w.returned_at = ps.pass_of(w).revoked_at = at(back, 16)
                stamp(w.returned_at)
                returned += 1

    # [R1] A new application on a handed-over home, waiting for the manager.
    pending = 0
    delivered = [u for u in units_with(UnitStatus.DELIVERED) if has_owner(u)]
    if delivered:
        u = delivered[len(delivered) // 2]
        r = rs.apply(community_id, application(u, today + timedelta(days=7), scope=_SCOPES[0]), desk)
        r.created_at = at(today - timedelta(days=1), 10)
        stamp(r.created_at)
        pending = 1

    db.session.flush()
    late = sum(1 for r in made if r.ends_on < today)
    return (f"已添加演示装修{len(made) + pending}户：装修中{len(made)}（已超期{late}，"
            f"待批延期{min(1, len(overdue))}）、待审批{pending}；装修工人{registered}人（已发证{paid - returned}、"
            f"已退证{returned}、待缴费{unpaid}），可在门岗查验出入证 {valid_serial}。")
