"""Demo registry: the community 新澳花园北区 with ~500 homes, their owners, families and tenants,
and one staff account per role (the first part of `flask seed-demo`, propsvc.demo).

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
from ..registry.models import Building, Community, Occupancy, OccupantRole, Person, Unit, UnitStatus
from ..registry.setup import setup_community
from ..registry.validation import id_check_digit

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
        from ..auth.services import ensure_departments

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
    # What the areas need in a new community (ticket categories, deadlines, working hours,
    # patrol checklists), as creating a community does: the first GET of the intake page finds
    # them rather than writing them.
    setup_community(community.id)
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


def demo_community_id() -> int:
    """The demo community's id (after seed_demo)."""
    return db.session.scalar(select(Community.id).where(Community.name == COMMUNITY_NAME))
