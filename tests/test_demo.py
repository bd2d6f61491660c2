"""The demo data (`flask seed-demo`): a believable estate with valid ID and phone numbers, one
account per role, and never loaded twice."""
import pytest
from sqlalchemy import func, select

from conftest import login
from propsvc.auth import services as auth_services
from propsvc.auth.models import Department, User, UserRole, user_building
from propsvc.core.models import Event
from propsvc.core.roles import Role
from propsvc.extensions import db
from propsvc.demo import (COMMUNITY_NAME, DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_PIN, DemoExistsError,
                                   seed_demo)
from propsvc.registry.models import Building, Community, Occupancy, Person, Unit, UnitStatus
from propsvc.registry.validation import is_valid_id_number, is_valid_phone

MODELS = (Community, Building, Unit, Person, Occupancy, User, Event)


def counts() -> dict:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


@pytest.fixture
def seeded(app):
    """The demo, loaded in its own app context: tests read back what was committed."""
    with app.app_context():
        return seed_demo()


def test_demo_estate(seeded, ctx):
    assert COMMUNITY_NAME in seeded
    c = db.session.scalar(select(Community).where(Community.name == COMMUNITY_NAME))
    assert (c.code, c.stamp_name) == ("XAHB", "新澳花园北区物业服务中心")
    assert len(c.buildings) >= 6 and all(b.entrances == 2 and 11 <= b.floors <= 18 for b in c.buildings)
    units = list(db.session.scalars(select(Unit)))
    assert len(units) >= 300
    assert all(60 <= u.area <= 140 for u in units)
    assert all(int(u.number[:-2]) == u.floor and u.floor <= u.building.floors for u in units)
    by_status = {s: sum(u.status == s for u in units) for s in UnitStatus}
    assert all(by_status.values()), by_status  # every status occurs
    assert by_status[UnitStatus.OCCUPIED] > len(units) / 2
    # Vacant homes have nobody; every other home has exactly one owner.
    assert all(not u.occupancies for u in units if u.status == UnitStatus.VACANT)
    assert all(sum(o.role == "owner" for o in u.occupancies) == 1 for u in units if u.status != UnitStatus.VACANT)
    # The search box's example is a family at home.
    showcase = next(u for u in units if u.code == "3-2-1201")
    assert showcase.status == UnitStatus.OCCUPIED and len(showcase.current_occupancies()) >= 3


def test_demo_people_have_valid_numbers(seeded, ctx):
    people = list(db.session.scalars(select(Person)))
    assert len(people) > 500
    assert all(p.id_number and is_valid_id_number(p.id_number) for p in people)
    assert len({p.id_number for p in people}) == len(people)
    phones = [v for p in people for v in (p.phone, p.phone2) if v]
    assert phones and all(is_valid_phone(v) for v in phones)
    assert all(is_valid_phone(u.phone) for u in db.session.scalars(select(User)))
    owners = [p for p in people if any(o.role == "owner" for o in p.occupancies)]
    assert all(p.phone for p in owners)
    assert sum(bool(p.phone2) for p in owners) > len(owners) / 2  # [H2] two numbers for many owners


def test_demo_households(seeded, ctx):
    occ = list(db.session.scalars(select(Occupancy)))
    tenants = [o for o in occ if o.role == "tenant"]
    members = [o for o in occ if o.role == "member"]
    assert tenants and members
    assert all(o.unit.status == UnitStatus.OCCUPIED for o in tenants)
    assert {o.relation for o in members} == {"配偶", "子女", "父母"}
    assert all(o.is_current() for o in occ)  # nobody is dated in the future
    let_units = {o.unit_id for o in tenants}
    occupied = count(select(Unit.id).where(Unit.status == UnitStatus.OCCUPIED))
    assert 0.05 * occupied <= len(let_units) <= 0.2 * occupied


def test_demo_staff(seeded, ctx):
    for role in Role:
        users = count(select(UserRole.user_id).where(UserRole.role == role))
        assert users == (2 if role == Role.STEWARD else 1), role
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert set(users) == {a[0] for a in DEMO_ACCOUNTS}
    c = db.session.scalar(select(Community).where(Community.name == COMMUNITY_NAME))
    assert all(u.community_ids == {c.id} for u in users.values())
    dept = {u: users[u].department.code if users[u].department else None for u in users}
    assert dept["steward"] == dept["front_desk"] == dept["supervisor"] == "service"
    assert (dept["technician"], dept["guard"], dept["finance"]) == ("engineering", "security", "finance")
    # Each building belongs to one steward, and its homes name that steward [D2].
    links = db.session.execute(select(user_building.c.building_id, user_building.c.user_id)).all()
    assert len(links) == len(c.buildings) == len({b for b, _ in links})
    steward_of = dict(links)
    assert {users["steward"].id, users["steward2"].id} == set(steward_of.values())
    assert all(u.steward_id == steward_of[u.building_id] for u in db.session.scalars(select(Unit)))
    # PINs only for the kiosk roles.
    assert {u for u in users if users[u].pin_hash} == {"front_desk", "supervisor"}
    assert {a[0] for a in DEMO_ACCOUNTS if a[4]} == {"front_desk", "supervisor"}


def test_demo_accounts_can_sign_in(app, seeded):
    client = app.test_client()
    assert login(client, "steward", DEMO_PASSWORD).status_code == 303
    html = client.get("/units?q=3-2-1201").get_data(as_text=True)
    assert "新澳花园北区" in html and "3栋2单元1201" in html
    with app.app_context():
        c = db.session.scalar(select(Community).where(Community.name == COMMUNITY_NAME))
        kiosk, _token = auth_services.register_kiosk(c.id, "前台1号机")
        assert auth_services.authenticate("front_desk", DEMO_PIN, kiosk=kiosk) is not None
        assert auth_services.authenticate("supervisor", DEMO_PIN, kiosk=kiosk) is not None


def test_second_run_creates_nothing(seeded, ctx):
    before = counts()
    with pytest.raises(DemoExistsError, match="已存在"):
        seed_demo()
    db.session.rollback()
    assert counts() == before


def test_taken_username_refuses_before_writing(ctx):
    auth_services.create_user(username="admin", name="原管理员", password="another-pass-1", roles=[Role.ADMIN])
    db.session.commit()
    before = counts()
    with pytest.raises(DemoExistsError, match="admin"):
        seed_demo()
    db.session.rollback()
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(Department)) == 0  # not even these


def test_cli_seed_demo_if_empty(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "已创建演示小区" in first.output
    with app.app_context():
        before = counts()
        assert before["Community"] == 1 and before["Unit"] >= 300
        assert db.session.scalar(select(func.count()).select_from(Department)) == 5
        from propsvc.patrols.models import PatrolPlan
        from propsvc.tickets.models import Outage, Ticket

        states = set(db.session.scalars(select(Ticket.state)))
        assert {"new", "dispatched", "in_progress", "resolved", "closed"} <= states  # a lived-in demo
        assert db.session.scalar(select(func.count()).select_from(PatrolPlan)) == 6
        assert db.session.scalar(select(func.count()).select_from(Outage)) == 1
        # the front desk's day: notices, visitors (some still on site), errands, slips in every state
        from propsvc.errands.models import CardRequest, MailItem, Parcel
        from propsvc.frontdesk.models import Visit
        from propsvc.notices.models import Notice
        from propsvc.slips.models import ReleaseSlip

        for model in (Notice, Visit, Parcel, MailItem, CardRequest):
            assert db.session.scalar(select(func.count()).select_from(model)) >= 2, model
        assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.left_at.is_(None))) >= 1
        assert len(set(db.session.scalars(select(ReleaseSlip.state)))) >= 4
        from propsvc.renovation.models import Renovation

        assert db.session.scalar(select(func.count()).select_from(Renovation)) >= 20  # the board is not empty
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "跳过" in again.output
    forced = runner.invoke(args=["seed-demo"])
    assert forced.exit_code != 0 and "已存在" in forced.output
    with app.app_context():
        assert counts() == before


def test_demo_activity_has_checkpoints_to_print(app):
    """`make run` shows five checkpoints (巡查点) whose QR sheets print, each created as an Event."""
    from propsvc.patrols.models import Checkpoint
    from propsvc.demo import seed_demo_activity

    with app.app_context():
        seed_demo()
        cid = db.session.scalar(select(Community.id).where(Community.name == COMMUNITY_NAME))
        assert "巡查点5个" in seed_demo_activity(cid)
        cps = list(db.session.scalars(select(Checkpoint)))
        assert len(cps) == 5 and len({c.token for c in cps}) == 5 and all(c.community_id == cid for c in cps)
        assert count(select(Event).where(Event.action == "checkpoint.created")) == 5
        cp_id = cps[0].id
        db.session.remove()
    client = app.test_client()
    assert login(client, "supervisor", DEMO_PASSWORD).status_code == 303
    resp = client.get(f"/patrols/checkpoints/{cp_id}/qr.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
