"""A whole site for the tests that walk the app (the authorization matrix, the form fuzzer, the
crawl): the demo community with every kind of record and one account per role, what the demo
leaves out (a patrol with a photo, a ticket photo, a holiday, a cover, a daily summary, a kiosk,
a spare account to administer and one of its sessions), and a second community with its own
unit, resident, ticket and an account holding every role (the "another community" column).

Built once per test module by the `full_site` fixture (conftest.py): a module that uses it
uses it in every test, and its data is wiped when the module ends."""
import io
import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from propsvc.extensions import db

PASSWORD = "secret-pass-1"  # the outsider's and the spare account's (conftest.PASSWORD)


def jpeg_bytes(seed: int = 1, size=(40, 30)) -> bytes:
    """A small real JPEG (what a phone would upload)."""
    from PIL import Image

    rng = random.Random(seed)
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    im.save(out, "JPEG")
    return out.getvalue()


@dataclass
class Site:
    community_id: int
    other_community_id: int
    password: str                      # the demo accounts' password
    users: dict[str, str]              # role -> demo username
    user_ids: dict[str, int]           # username -> id
    outsider: str                      # every role, in the other community only
    kiosk_token: str
    ids: dict[str, object]             # sample path values by argument name (community A)
    other: dict[str, int]              # community B's records (for cross-community values)
    extra: dict[str, object] = field(default_factory=dict)
    _holidays: itertools.count = field(default_factory=lambda: itertools.count(1))

    def sample(self, arg: str):
        value = self.ids[arg]
        return value(self) if callable(value) else value


def fresh_holiday(site: Site) -> int:
    """A new holiday each time: deleting one is a request that consumes its row."""
    from propsvc.tickets.models import Holiday

    with db.session.no_autoflush:
        h = Holiday(community_id=site.community_id, day=date(2031, 1, 1) + timedelta(days=next(site._holidays)),
                    name="测试假日")
        db.session.add(h)
        db.session.commit()
        return h.id


def build_site(app) -> Site:
    """Everything, committed. Run inside an app context."""
    from propsvc.auth.models import UserSession
    from propsvc.auth.services import create_user, register_kiosk
    from propsvc.cli import ensure_departments, find_community
    from propsvc.core.timefmt import site_today
    from propsvc.core.roles import Role
    from propsvc.documents.models import Document
    from propsvc.errands.models import CardRequest, MailItem, Parcel
    from propsvc.fees.models import Payment
    from propsvc.frontdesk.models import Visit
    from propsvc.notices.models import Notice
    from propsvc.patrols import day as patrol_day
    from propsvc.patrols import services as patrols
    from propsvc.patrols.models import ChecklistItem, Checkpoint, PatrolPlan
    from propsvc.photos.services import save_photo
    from propsvc.privacy.services import grant_cover
    from propsvc.demo import COMMUNITY_NAME, DEMO_PASSWORD, seed_demo, seed_demo_activity, seed_demo_areas
    from propsvc.demo.registry import _STAFF
    from propsvc.registry.models import Building, Community, Occupancy, Person, Unit, UnitStatus
    from propsvc.registry.setup import setup_community
    from propsvc.renovation.models import Extension, Renovation, Worker
    from propsvc.slips.models import ReleaseSlip
    from propsvc.tickets import services as ts
    from propsvc.tickets.models import Category, Kind, Outage, Ticket
    from propsvc.auth.models import User

    ensure_departments()
    seed_demo()
    cid = find_community(COMMUNITY_NAME).id
    seed_demo_activity(cid)
    seed_demo_areas(cid)
    users = {str(role): username for username, _n, role, *_ in _STAFF if username != "steward2"}
    by_name = {u.username: u for u in db.session.scalars(select(User))}
    steward, supervisor, tech = by_name["steward"], by_name["supervisor"], by_name["technician"]
    today = site_today()

    def first(stmt):
        obj = db.session.scalars(stmt.limit(1)).first()
        assert obj is not None, f"the demo has no row for {stmt}"
        return obj

    # A unit in the steward's buildings with its owner (reveal, unit pickers).
    own_buildings = [b.id for b in steward.buildings] if hasattr(steward, "buildings") else None
    unit_stmt = (select(Unit).join(Building).join(Occupancy, Occupancy.unit_id == Unit.id)
                 .where(Building.community_id == cid, Unit.status == UnitStatus.OCCUPIED, Occupancy.role == "owner")
                 .order_by(Unit.id))
    if own_buildings:
        unit_stmt = unit_stmt.where(Building.id.in_(own_buildings))
    unit = first(unit_stmt)
    owner = first(select(Person).join(Occupancy).where(Occupancy.unit_id == unit.id, Occupancy.role == "owner")
                  .order_by(Person.id))

    # The technician's own ticket (he sees it), with a photo on a note.
    ticket = first(select(Ticket).where(Ticket.community_id == cid, Ticket.assignee_id == tech.id,
                                        Ticket.kind != Kind.COMPLAINT).order_by(Ticket.id))
    stored = save_photo(io.BytesIO(jpeg_bytes(1)), folder=f"c{cid}/tickets")
    ev = ts.add_note(ticket, tech, "现场照片", False)
    photo = ts.attach_photos(ticket, ev, [stored], tech)[0]
    outage = first(select(Outage).where(Outage.community_id == cid))
    category = first(select(Category).where(Category.community_id == cid).order_by(Category.id))

    # A patrol by the steward, one item answered "problem" with a photo.
    plan = first(select(PatrolPlan).where(PatrolPlan.community_id == cid).order_by(PatrolPlan.id))
    building = first(select(Building).where(Building.community_id == cid).order_by(Building.sort_key))
    template = first(select(patrols.ChecklistTemplate).where(
        patrols.ChecklistTemplate.community_id == cid, patrols.ChecklistTemplate.kind == "building"))
    patrol = patrols.start_patrol(cid, steward, template.id, "building", building_id=building.id,
                                  client_key="fullsite-patrol")
    item = first(select(ChecklistItem).where(ChecklistItem.template_id == template.id).order_by(ChecklistItem.sort, ChecklistItem.id))
    shot = save_photo(io.BytesIO(jpeg_bytes(2)), folder=f"c{cid}/patrols")
    patrols.tap(patrol, steward, item.id, "problem", tapped_at=None, key="fullsite-tap", note="灯不亮", photo=shot)
    checkpoint = first(select(Checkpoint).where(Checkpoint.community_id == cid).order_by(Checkpoint.id))

    summary = patrol_day.save_summary(steward, cid, today, "今日巡查1栋，发现楼道灯不亮。", submit=True)
    cover = grant_cover(supervisor, cid, by_name["steward2"].id, steward.id, today, today + timedelta(days=1), "休假")
    _kiosk, kiosk_token = register_kiosk(cid, "前台1号机")

    spare = create_user(username="spare", name="备用员工", password=PASSWORD, roles=[Role.STEWARD],
                        communities=[db.session.get(Community, cid)])

    renovation = first(select(Renovation).join(Extension).where(Renovation.community_id == cid)
                       .order_by(Renovation.id))
    extension = first(select(Extension).where(Extension.renovation_id == renovation.id).order_by(Extension.id))
    worker = first(select(Worker).join(Renovation).where(Renovation.community_id == cid, Worker.paid_at.is_not(None),
                                                         Worker.photo_path.is_not(None)).order_by(Worker.id))
    document = first(select(Document).where(Document.community_id == cid).order_by(Document.id))
    slip = first(select(ReleaseSlip).where(ReleaseSlip.community_id == cid, ReleaseSlip.signature_path.is_not(None))
                 .order_by(ReleaseSlip.id))
    # The demo's renovations carry no attachment and its slips no written consent: add a photo of each.
    from propsvc.core.models import Event

    attachment = save_photo(io.BytesIO(jpeg_bytes(3)), folder=f"c{cid}/renovations")
    applied = first(select(Event).where(Event.object_type == "renovation", Event.object_id == renovation.id,
                                        Event.action == "renovation.applied"))
    # (Events are append-only for the app; the test data writes the table directly, as if applied so.)
    db.session.execute(Event.__table__.update().where(Event.__table__.c.id == applied.id).values(
        data={**(applied.data or {}), "attachments": [{"path": attachment.path, "thumb": attachment.thumb_path}]}))
    consent = save_photo(io.BytesIO(jpeg_bytes(4)), folder=f"c{cid}/slips")
    slip.consent_path = consent.path
    visit = first(select(Visit).where(Visit.community_id == cid).order_by(Visit.id))
    parcel = first(select(Parcel).where(Parcel.community_id == cid).order_by(Parcel.id))
    mail = first(select(MailItem).where(MailItem.community_id == cid).order_by(MailItem.id))
    card = first(select(CardRequest).where(CardRequest.community_id == cid).order_by(CardRequest.id))
    notice = first(select(Notice).where(Notice.community_id == cid).order_by(Notice.id))
    from propsvc.events.models import CommunityEvent, EventSignup

    open_event = first(select(CommunityEvent).where(CommunityEvent.community_id == cid,
                                                    CommunityEvent.state == "published").order_by(CommunityEvent.id))
    signup = first(select(EventSignup).where(EventSignup.event_id == open_event.id).order_by(EventSignup.id))
    held_event = first(select(CommunityEvent).where(CommunityEvent.community_id == cid,
                                                    CommunityEvent.state == "closed").order_by(CommunityEvent.id))
    shot = save_photo(io.BytesIO(jpeg_bytes(5)), folder=f"c{cid}/events")
    held_event.photos = [{"path": shot.path, "thumb": shot.thumb_path}]
    from propsvc.handover.models import HandoverBatch, HandoverCard

    handover_batch = first(select(HandoverBatch).where(HandoverBatch.community_id == cid).order_by(HandoverBatch.id))
    # The demo's agent card (JF0005): arrived with a 委托书 photo, owner file still to do.
    handover_card = first(select(HandoverCard).where(HandoverCard.batch_id == handover_batch.id,
                                                     HandoverCard.came_as == "agent"))
    db.session.commit()

    # The other community: its own unit, resident, category, ticket and an account with every role.
    other = Community(name="别的小区", code="OTHER", stamp_name="别的小区物业服务中心")
    db.session.add(other)
    db.session.flush()
    setup_community(other.id)
    ob = Building(community_id=other.id, number="1", sort_key=1, floors=6, entrances=1)
    db.session.add(ob)
    db.session.flush()
    ou = Unit(building_id=ob.id, entrance=1, number="101", floor=1, status=UnitStatus.OCCUPIED, area=80)
    db.session.add(ou)
    db.session.flush()
    op = Person(community_id=other.id, name="李外人", phone="13900001111", id_number="440106198506123457")
    db.session.add(op)
    db.session.flush()
    db.session.add(Occupancy(unit_id=ou.id, person_id=op.id, role="owner", since=date(2020, 1, 1)))
    outsider = create_user(username="outsider", name="外小区员工", password=PASSWORD, roles=list(Role),
                           communities=[other], pin="2468")
    db.session.flush()
    ocat = first(select(Category).where(Category.community_id == other.id).order_by(Category.id))
    oticket = ts.create_ticket(other.id, ts.Intake(kind="repair", channel="phone", category_id=ocat.id,
                                                   urgency="normal", description="外小区报修", unit_id=ou.id), outsider)
    db.session.commit()

    # One open session of the spare account (its id names a real row of another person's).
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    assert client.post("/login", data={"username": "spare", "password": PASSWORD, "csrf_token": token}).status_code == 303
    spare_session = db.session.scalar(select(UserSession.id).where(UserSession.user_id == spare.id))

    user_ids = {u.username: u.id for u in db.session.scalars(select(User))}
    ids = {
        "unit_id": unit.id, "person_id": owner.id, "ticket_id": ticket.id, "photo_id": photo.id,
        "outage_id": outage.id, "step": "note", "name": "description", "category_id": category.id,
        "urgency": "normal", "holiday_id": fresh_holiday, "template_id": template.id, "item_id": item.id,
        "plan_id": plan.id, "summary_id": summary.id, "patrol_id": patrol.id, "token": checkpoint.token,
        "checkpoint_id": checkpoint.id, "renovation_id": renovation.id, "extension_id": extension.id,
        "worker_id": worker.id, "doc_id": document.id, "code": document.code, "slip_id": slip.id,
        "visit_id": visit.id, "parcel_id": parcel.id, "mail_id": mail.id, "card_id": card.id,
        "notice_id": notice.id, "session_id": spare_session, "user_id": spare.id, "kind": "person",
        "record_id": owner.id, "attr": "phone", "cover_id": cover.id,
        "event_id": open_event.id, "signup_id": signup.id, "event_code": open_event.public_code, "no": 1,
        "batch_id": handover_batch.id, "handover_id": handover_card.id, "station": "fees",
        "payment_id": db.session.scalar(select(Payment.id).where(Payment.community_id == cid).order_by(Payment.id)),
    }
    return Site(
        community_id=cid, other_community_id=other.id, password=DEMO_PASSWORD, users=users, user_ids=user_ids,
        outsider="outsider", kiosk_token=kiosk_token, ids=ids,
        other={"unit_id": ou.id, "person_id": op.id, "ticket_id": oticket.id, "category_id": ocat.id,
               "building_id": ob.id, "user_id": outsider.id},
        extra={"building_id": building.id, "owner_name": owner.name, "renovation_photo": attachment.path,
               "unit_code": unit.code if hasattr(unit, "code") else None, "held_event_id": held_event.id},
    )
