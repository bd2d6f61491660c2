"""Demo data: the community 新澳花园北区 with ~500 homes, their owners, families and tenants,
and one staff account per role (`flask seed-demo`).

Everything is generated from `random.Random(2026)`, so two fresh databases get the same
people. Units, people and occupancies are inserted in bulk and committed once; seeding takes
about a second on SQLite, most of it hashing the staff passwords.
"""
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import click
from sqlalchemy import func, insert, or_, select

from ..core.roles import ROLE_LABELS, Role
from ..core.services import record
from ..extensions import db
from .models import Building, Community, Occupancy, OccupantRole, Person, Unit, UnitStatus
from .validation import id_check_digit

COMMUNITY_NAME = "新澳花园北区"
COMMUNITY_CODE = "XAHB"
STAMP_NAME = "新澳花园北区物业服务中心"
SIGN_LABEL = f"{STAMP_NAME}（盖章）"  # the signature line names the issuer the seal names
ADDRESS = "广州市番禺区新澳大道88号"

DEMO_PASSWORD = "propsvc2026"
DEMO_PIN = "1234"  # kiosk roles only (front desk, supervisor)

# username, name, role, department code, PIN, work phone
_STAFF = [
    ("steward", "李晓燕", Role.STEWARD, "service", None, "13711280451"),
    ("steward2", "陈志强", Role.STEWARD, "service", None, "13826470193"),
    ("front_desk", "黄丽娟", Role.FRONT_DESK, "service", DEMO_PIN, "020-84561230"),
    ("supervisor", "张伟明", Role.SUPERVISOR, "service", DEMO_PIN, "13902253876"),
    ("manager", "王建华", Role.MANAGER, None, None, "13560318842"),
    ("technician", "刘国栋", Role.TECHNICIAN, "engineering", None, "15920147736"),
    ("guard", "赵永强", Role.GUARD, "security", None, "18825069314"),
    ("finance", "周敏", Role.FINANCE, "finance", None, "13631482057"),
    ("admin", "吴俊杰", Role.ADMIN, None, None, "18676015528"),
]

# (username, name, role label, password, PIN or None): the accounts the README lists.
DEMO_ACCOUNTS: list[tuple[str, str, str, str, str | None]] = [
    (username, name, ROLE_LABELS[role], DEMO_PASSWORD, pin) for username, name, role, _dept, pin, _phone in _STAFF
]

# Floors of buildings 1..8; every building has 2 entrances and 2 homes per entrance per floor.
BUILDING_FLOORS = (18, 18, 18, 18, 17, 17, 11, 11)
ENTRANCES = 2
HOMES_PER_FLOOR = 2
# Which steward owns which buildings [D2].
STEWARD_BUILDINGS = {"steward": (1, 2, 3, 4), "steward2": (5, 6, 7, 8)}

# Shares of unit statuses; the rest are occupied. A tenth of occupied homes are let.
STATUS_SHARES = ((UnitStatus.VACANT, 0.12), (UnitStatus.DELIVERED, 0.08), (UnitStatus.RENOVATING, 0.05))
LET_SHARE = 0.10
# Always occupied, with a family: the example of the search box and the README.
SHOWCASE_UNIT = ("3", 2, "1201")

HANDOVER = date(2021, 6, 26)  # the estate's handover day (交房)
LATEST = date(2024, 12, 31)  # no date in the demo is later, so it reads the same whenever it is loaded

# Surnames, the common ones repeated by rough frequency.
_SURNAMES = (
    "王" * 9 + "李" * 9 + "张" * 8 + "刘" * 7 + "陈" * 9 + "杨" * 4 + "黄" * 7 + "赵" * 3 + "吴" * 4 + "周" * 3
    + "徐" * 2 + "孙" * 2 + "马" * 2 + "朱" * 2 + "胡" * 2 + "郭" * 2 + "何" * 3 + "高" * 2 + "林" * 4 + "罗" * 3
    + "郑" * 2 + "梁" * 4 + "谢" * 2 + "宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢钟谭陆汪范"
    + "金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严覃戴莫孔汤欧区麦冼"
)
_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文海东峰成亮晨博轩航锦荣振彬耀"
_FEMALE = "芳娜敏静丽艳娟霞秀玲燕萍红婷雪琳颖慧莹倩洁琴梅丹蕾薇欣怡佳悦晓嘉雨诗思萱涵桂凤美"
# Places of household registration: mostly Guangdong (44xxxx), some from neighbouring provinces.
_AREAS_GD = ("440103", "440104", "440105", "440106", "440111", "440112", "440113", "440114", "440115",
             "440303", "440304", "440305", "440306", "440402", "440604", "440605", "440606", "441302",
             "441900", "442000", "440981", "445102")
_AREAS_OTHER = ("430102", "430602", "431002", "360102", "450103", "350102", "510104", "420102", "362502",
                "452501", "433101", "511302")
_MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
                    "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
                    "181", "182", "183", "185", "186", "187", "188", "189", "191", "193", "198", "199")
# Unit areas (㎡) of the two layouts of each entrance, by building: the same layout stacks on every floor.
_LAYOUTS = ((89.56, 126.38), (76.82, 98.64), (118.20, 139.75), (65.40, 88.16), (92.33, 108.70),
            (60.85, 79.90), (132.47, 101.06), (71.28, 95.52))


class DemoExistsError(click.ClickException):
    """The demo is already loaded (or its usernames are taken): nothing was written.
    A ClickException so that `flask seed-demo` prints the message, not a traceback."""


@dataclass
class _Resident:
    """A generated person before insertion."""
    name: str
    surname: str
    male: bool
    born: date
    id_number: str
    area: str
    phone: str | None = None
    phone2: str | None = None


class _Generator:
    """Names, ID numbers and phone numbers, each unique, from one seeded random source."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()

    def area(self) -> str:
        return self.rng.choice(_AREAS_GD) if self.rng.random() < 0.75 else self.rng.choice(_AREAS_OTHER)

    def birthday(self, first_year: int, last_year: int) -> date:
        start, end = date(first_year, 1, 1), min(date(last_year, 12, 31), LATEST)
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def id_number(self, area: str, born: date, male: bool) -> str:
        while True:
            seq = self.rng.randrange(0, 100) * 10 + self.rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
            first17 = f"{area}{born:%Y%m%d}{seq:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def landline(self) -> str:
        return f"020-{self.rng.choice('2384')}{self.rng.randrange(10 ** 7):07d}"

    def person(self, *, male: bool, born_from: int, born_to: int, surname: str | None = None,
               area: str | None = None, mobile: float = 1.0, second: float = 0.0) -> _Resident:
        rng = self.rng
        surname = surname or rng.choice(_SURNAMES)
        chars = _MALE if male else _FEMALE
        given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
        born = self.birthday(born_from, born_to)
        area = area or self.area()
        p = _Resident(name=surname + given, surname=surname, male=male, born=born, area=area,
                 id_number=self.id_number(area, born, male))
        if rng.random() < mobile:
            p.phone = self.mobile()
            if rng.random() < second:  # [H2] the household register asks for two numbers
                p.phone2 = self.landline() if rng.random() < 0.15 else self.mobile()
        return p


def _household(gen: _Generator, status: str, let: bool) -> list[tuple[_Resident, str, str | None, date]]:
    """The people of one home as (person, role, relation, since)."""
    rng = gen.rng
    since = HANDOVER if rng.random() < 0.85 else gen.birthday(2022, 2024)  # a few resales
    male = rng.random() < 0.6
    owner = gen.person(male=male, born_from=1955, born_to=1995, mobile=1.0, second=0.75)
    people = [(owner, str(OccupantRole.OWNER), None, since)]
    if status == UnitStatus.DELIVERED:
        return people  # handed over, nobody lives there yet
    if status == UnitStatus.RENOVATING:
        if rng.random() < 0.5:
            spouse = gen.person(male=not male, born_from=owner.born.year - 4, born_to=owner.born.year + 4,
                                mobile=0.95, second=0.1)
            people.append((spouse, str(OccupantRole.MEMBER), "配偶", since))
        return people
    if let:  # the owner lives elsewhere; the tenant (and partner) are registered
        tenant_since = gen.birthday(2023, 2024)
        tenant = gen.person(male=rng.random() < 0.55, born_from=1980, born_to=2000, mobile=1.0, second=0.2)
        people.append((tenant, str(OccupantRole.TENANT), None, tenant_since))
        if rng.random() < 0.4:
            partner = gen.person(male=not tenant.male, born_from=tenant.born.year - 3, born_to=tenant.born.year + 3,
                                 mobile=1.0)
            people.append((partner, str(OccupantRole.TENANT), "配偶", tenant_since))
        return people

    # Occupied by the owner's family.
    father_surname = owner.surname
    youngest_parent = owner.born.year
    if owner.born.year < 1998 and rng.random() < 0.78:
        spouse = gen.person(male=not male, born_from=owner.born.year - 4, born_to=owner.born.year + 4,
                            mobile=0.95, second=0.1)
        people.append((spouse, str(OccupantRole.MEMBER), "配偶", since))
        if spouse.male:
            father_surname = spouse.surname
        youngest_parent = max(youngest_parent, spouse.born.year)
        first_child = youngest_parent + 24
        for i in range(rng.choices((0, 1, 2), weights=(25, 50, 25))[0]):
            start = first_child + 3 * i
            if start > LATEST.year:
                break
            child = gen.person(male=rng.random() < 0.52, born_from=start, born_to=min(start + 8, LATEST.year),
                               surname=father_surname, area=owner.area, mobile=0.0)
            if child.born.year <= 2008:  # old enough for a phone of their own
                child.phone = gen.mobile()
            people.append((child, str(OccupantRole.MEMBER), "子女", max(since, child.born)))
    if owner.born.year >= 1965 and rng.random() < 0.15:  # a parent lives with them
        parent_male = rng.random() < 0.4
        parent = gen.person(male=parent_male, born_from=max(owner.born.year - 34, 1935),
                            born_to=owner.born.year - 22, surname=owner.surname if parent_male else None,
                            area=owner.area, mobile=0.6)
        people.append((parent, str(OccupantRole.MEMBER), "父母", since))
    return people


def _refuse_if_loaded() -> None:
    if db.session.scalar(select(Community.id).where(
            or_(Community.name == COMMUNITY_NAME, Community.code == COMMUNITY_CODE))) is not None:
        raise DemoExistsError(f"演示小区“{COMMUNITY_NAME}”已存在，未重复创建。")
    from ..auth.models import User

    usernames = [a[0] for a in DEMO_ACCOUNTS]
    taken = sorted(db.session.scalars(select(User.username).where(func.lower(User.username).in_(usernames))))
    if taken:
        raise DemoExistsError(f"用户名已被占用：{'、'.join(taken)}；未创建演示数据。")


def _departments() -> dict:
    from ..auth.models import DEFAULT_DEPARTMENTS, Department

    found = {d.code: d for d in db.session.scalars(select(Department))}
    if any(code not in found for code, _ in DEFAULT_DEPARTMENTS):
        from ..cli import ensure_departments

        ensure_departments()
        found = {d.code: d for d in db.session.scalars(select(Department))}
    return found


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.scalars(stmt, rows))


def seed_demo() -> str:
    """Load the demo community, its homes and people, and the staff accounts; commit once.
    Raises DemoExistsError (writing nothing) when the demo community or usernames exist."""
    from ..auth.services import create_user

    _refuse_if_loaded()
    departments = _departments()
    rng = random.Random(2026)
    gen = _Generator(rng)

    community = Community(name=COMMUNITY_NAME, code=COMMUNITY_CODE, address=ADDRESS, stamp_name=STAMP_NAME,
                          sign_label=SIGN_LABEL)
    db.session.add(community)
    buildings = [Building(community=community, number=str(i), sort_key=i, floors=floors, entrances=ENTRANCES)
                 for i, floors in enumerate(BUILDING_FLOORS, start=1)]
    db.session.add_all(buildings)
    db.session.flush()

    users = {}
    for username, name, role, dept, pin, phone in _STAFF:
        users[username] = create_user(username=username, name=name, password=DEMO_PASSWORD, pin=pin,
                                      roles=[role], communities=[community], phone=phone,
                                      department=departments[dept] if dept else None)
    steward_of = {}
    for username, numbers in STEWARD_BUILDINGS.items():
        users[username].buildings = [buildings[n - 1] for n in numbers]
        steward_of.update({n: users[username].id for n in numbers})

    # Homes, with their statuses shuffled over the estate.
    homes, keys = [], []
    for b, layout in zip(buildings, _LAYOUTS):
        for entrance in range(1, b.entrances + 1):
            for floor in range(1, b.floors + 1):
                for pos in range(1, HOMES_PER_FLOOR + 1):
                    homes.append({"building_id": b.id, "entrance": entrance, "floor": floor,
                                  "number": f"{floor}{pos:02d}", "area": Decimal(str(layout[pos - 1])),
                                  "steward_id": steward_of[b.sort_key]})
                    keys.append((b.number, entrance, f"{floor}{pos:02d}"))
    statuses = []
    for status, share in STATUS_SHARES:
        statuses += [str(status)] * round(len(homes) * share)
    statuses += [str(UnitStatus.OCCUPIED)] * (len(homes) - len(statuses))
    rng.shuffle(statuses)
    showcase = keys.index(SHOWCASE_UNIT)
    if statuses[showcase] != UnitStatus.OCCUPIED:
        swap = statuses.index(str(UnitStatus.OCCUPIED))
        statuses[showcase], statuses[swap] = statuses[swap], statuses[showcase]
    for home, status in zip(homes, statuses):
        home["status"] = status
    occupied = [i for i, s in enumerate(statuses) if s == UnitStatus.OCCUPIED and i != showcase]
    let = set(rng.sample(occupied, round(len(occupied) * LET_SHARE)))

    unit_ids = _insert_returning_ids(Unit, homes)

    households = []  # (unit id, person, role, relation, since)
    for i, (unit_id, status) in enumerate(zip(unit_ids, statuses)):
        if status == UnitStatus.VACANT:
            continue
        people = _household(gen, status, i in let)
        while i == showcase and len(people) < 3:  # the example home shows a whole family
            people = _household(gen, status, False)
        households += [(unit_id, *entry) for entry in people]

    person_ids = _insert_returning_ids(Person, [
        {"community_id": community.id, "name": p.name, "id_number": p.id_number, "phone": p.phone,
         "phone2": p.phone2} for _unit, p, _role, _rel, _since in households])
    db.session.execute(insert(Occupancy), [
        {"unit_id": unit_id, "person_id": person_id, "role": role, "relation": relation, "since": since}
        for (unit_id, _p, role, relation, since), person_id in zip(households, person_ids)])

    counts = {str(s): statuses.count(str(s)) for s in UnitStatus}
    roles = [role for _u, _p, role, _rel, _s in households]
    # Ticket categories, deadline policies and working hours, so that the first GET of the
    # intake page finds them rather than writing them.
    from ..tickets.services import ensure_defaults

    ensure_defaults(community.id)
    record("demo.seeded", community, community_id=community.id, buildings=len(buildings), units=len(unit_ids),
           people=len(person_ids), tenants=roles.count(OccupantRole.TENANT), staff=len(users))
    db.session.commit()
    return (
        f"已创建演示小区“{COMMUNITY_NAME}”：{len(buildings)}栋楼、{len(unit_ids)}户"
        f"（已入住{counts[UnitStatus.OCCUPIED]}、已交付{counts[UnitStatus.DELIVERED]}、"
        f"装修中{counts[UnitStatus.RENOVATING]}、空置{counts[UnitStatus.VACANT]}），"
        f"住户{len(person_ids)}人（业主{roles.count(OccupantRole.OWNER)}、家属{roles.count(OccupantRole.MEMBER)}、"
        f"租户{roles.count(OccupantRole.TENANT)}），员工账号{len(users)}个，密码 {DEMO_PASSWORD}。"
    )


def seed_demo_activity(community_id: int, now=None) -> str:
    """A few days of work on the demo site, so every page has something to show: patrol plans
    for both stewards, five checkpoints (巡查点) to print, tickets in every state (one overdue, one paused, one waiting for its
    return visit, one closed with a score), an inquiry with a promised reply, and an outage.
    Goes through the same services as the pages do, so every step is an Event."""
    from datetime import time, timedelta

    from sqlalchemy import select

    from ..auth.models import Department, User
    from ..core.models import utcnow
    from ..patrols.models import ChecklistTemplate, PatrolPlan
    from ..tickets import services as ts
    from ..tickets.models import Category, Outage

    now = now or utcnow()
    user = {u.username: u for u in db.session.scalars(select(User))}
    dept = {d.code: d for d in db.session.scalars(select(Department))}
    cat = {c.name: c for c in db.session.scalars(select(Category).where(Category.community_id == community_id))}
    tpl = {t.kind: t for t in db.session.scalars(
        select(ChecklistTemplate).where(ChecklistTemplate.community_id == community_id))}
    units = {u.code: u for u in db.session.scalars(select(Unit).join(Unit.building).where(
        Building.community_id == community_id, Unit.status == UnitStatus.OCCUPIED))}
    some = sorted(units)[:: max(1, len(units) // 12)][:12]
    buildings = {b.number: b for b in db.session.scalars(select(Building).where(Building.community_id == community_id))}

    for steward, numbers in (("steward", ("1", "2")), ("steward2", ("5", "6"))):
        for n in numbers:
            db.session.add(PatrolPlan(community_id=community_id, template_id=tpl["building"].id,
                                      steward_id=user[steward].id, target_type="building",
                                      building_id=buildings[n].id, window_start=time(9, 0), window_end=time(11, 0),
                                      created_by_id=user["supervisor"].id, created_at=now - timedelta(days=30)))
        db.session.add(PatrolPlan(community_id=community_id, template_id=tpl["exterior"].id,
                                  steward_id=user[steward].id, target_type="area", area="园区外围",
                                  window_start=time(16, 0), window_end=time(17, 0),
                                  created_by_id=user["supervisor"].id, created_at=now - timedelta(days=30)))

    # Checkpoints with their QR sheets to print (巡查点): patrols record a scan of them.
    import secrets

    from ..patrols.models import Checkpoint

    for name, number in (("1栋大堂", "1"), ("3栋大堂", "3"), ("5栋大堂", "5"), ("中心花园", None), ("地下车库入口", None)):
        cp = Checkpoint(community_id=community_id, name=name, building_id=buildings[number].id if number else None,
                        token=secrets.token_urlsafe(12))
        db.session.add(cp)
        db.session.flush()
        record("checkpoint.created", cp, actor=user["supervisor"], name=name)

    desk, sup, tech, stw = user["front_desk"], user["supervisor"], user["technician"], user["steward"]

    def ticket(code, category, text, *, kind="repair", urgency="normal", days_ago=1.0, **extra):
        return ts.create_ticket(community_id, ts.Intake(
            kind=kind, channel=extra.pop("channel", "phone"), category_id=cat[category].id, urgency=urgency,
            description=text, unit_id=units[some[code]].id, **extra), desk, now=now - timedelta(days=days_ago))

    ticket(0, "水电气维修", "卫生间地漏返水", days_ago=0.05)
    ticket(1, "电梯故障", "2号电梯运行有异响", urgency="urgent", days_ago=0.02)
    t = ticket(2, "噪音/邻里", "楼上夜间装修噪音", kind="complaint", days_ago=0.5)
    ts.dispatch(t, sup, dept["service"].id, stw.id, "上门沟通，提醒装修时间规定", now=now - timedelta(days=0.45))
    t = ticket(3, "水电气维修", "厨房水管渗水", days_ago=2)
    ts.dispatch(t, sup, dept["engineering"].id, None, None, now=now - timedelta(days=1.95))
    ts.accept(t, tech, now=now - timedelta(days=1.9))
    ts.delay(t, tech, "等待角阀配件到货", now + timedelta(days=1), True, now=now - timedelta(days=1.5))
    t = ticket(4, "水电气维修", "阳台灯不亮", days_ago=1)
    ts.dispatch(t, sup, dept["engineering"].id, tech.id, None, now=now - timedelta(days=0.95))
    ts.pause(t, tech, "业主出差，约周六上门", now + timedelta(days=2), now=now - timedelta(days=0.9))
    t = ticket(5, "水电气维修", "入户门锁芯卡涩", days_ago=3)
    ts.dispatch(t, sup, dept["engineering"].id, tech.id, None, now=now - timedelta(days=2.9))
    ts.accept(t, tech, now=now - timedelta(days=2.8))
    ts.resolve(t, tech, "更换锁芯，已试用正常", now=now - timedelta(days=1.2))
    t = ticket(6, "环境卫生", "单元门口垃圾未清", days_ago=4, channel="wechat")
    ts.dispatch(t, sup, dept["environment"].id, None, None, now=now - timedelta(days=3.9))
    ts.accept(t, sup, now=now - timedelta(days=3.8))
    ts.resolve(t, sup, "已安排保洁清理", now=now - timedelta(days=3.5))
    ts.return_visit(t, stw, 5, "fixed", "业主满意", now=now - timedelta(days=2.5))
    ticket(7, "费用", "物业费能否按季度缴纳？", kind="inquiry", days_ago=0.2,
           reply_due=now + timedelta(hours=4))
    ticket(8, "绿化", "建议楼下增加绿篱", kind="suggestion", days_ago=5)  # never dispatched: overdue
    db.session.flush()
    outage = Outage(community_id=community_id, what="停水", starts_at=now - timedelta(hours=1),
                    ends_at=now + timedelta(hours=3), script="市政管网维修，预计今天下午恢复供水，请提前储水。",
                    created_by_id=sup.id)
    outage.buildings = [buildings["3"], buildings["4"]]
    db.session.add(outage)
    db.session.commit()
    return "已添加演示工作数据：巡查计划6项，巡查点5个，工单9张（含超时、暂停、待回访、已回访），停水通知1条。"


def seed_demo_areas(community_id: int, now=None) -> str:
    """The renovations (permits, passes) and the front desk's day (notices, visitors,
    parcels/letters/cards, release slips), each written through its area's services (so every
    step is an Event). Commits once."""
    from ..errands.demo import seed_demo_errands
    from ..frontdesk.demo import seed_demo_visitors
    from ..notices.demo import seed_demo_notices
    from ..renovation.demo import seed_demo_renovations
    from ..slips.demo import seed_demo_slips

    lines = [seed(community_id, now=now) for seed in (seed_demo_renovations, seed_demo_notices, seed_demo_visitors,
                                                      seed_demo_errands, seed_demo_slips)]
    db.session.commit()
    return "\n".join(line for line in lines if line)
