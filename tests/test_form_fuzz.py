"""Every form, fuzzed (hypothesis): posted to each route that uses it, signed in with a role that
may, with a valid CSRF token and the page's own one-time key. Whatever the fields hold, the
server never answers 5xx, and a refused submission (4xx, or the form again with its messages)
writes nothing: the row count of every table is unchanged.

The forms and their routes are tests/form_targets.py; the strategies tests/formfuzz.py. `make
test` runs the "ci" profile (a few examples per form and route, deterministic); `make fuzz` the
"long" one. Findings are collected over all examples of a form and reported together."""
import importlib
import pkgutil
from datetime import timedelta

import pytest
from flask_wtf import FlaskForm
from hypothesis import example, given, settings
from sqlalchemy import func, select

import propsvc
from conftest import GENERATED, backend_of, csrf_token
from form_targets import BASE, DEFAULTS, FORMS, T
from formfuzz import (MISSING, ErrorLog, Finding, Submission, explicit_examples, field_specs, fresh_key, key_of, now_local,
                      profile_name, refused, row_counts, submissions, today_plus, unbound_fields)
from fullsite import PASSWORD
from propsvc.core.idempotency import issue_key
from propsvc.extensions import db


def all_forms() -> dict[str, type]:
    for mod in pkgutil.walk_packages(propsvc.__path__, "propsvc."):
        importlib.import_module(mod.name)
    found, todo = {}, [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("propsvc."):
                found[f"{sub.__module__}.{sub.__name__}"] = sub
    return found


FORM_CLASSES = all_forms()
FUZZED = sorted(name for name, entry in FORMS.items() if not isinstance(entry, BASE))


def test_every_form_has_a_route(app, full_site):  # full_site: this module keeps its data
    """A new form fails here until tests/form_targets.py says where it is posted (so it gets fuzzed)."""
    missing = sorted(set(FORM_CLASSES) - set(FORMS))
    assert not missing, ("these forms have no entry in tests/form_targets.py: add the route(s) that use each, the "
                         "role that posts it and a valid submission: " + ", ".join(missing))
    stale = sorted(set(FORMS) - set(FORM_CLASSES))
    assert not stale, "tests/form_targets.py names forms that no longer exist: " + ", ".join(stale)
    posts = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    wrong = [f"{name} -> {t.endpoint}" for name in FUZZED for t in FORMS[name] if t.endpoint not in posts]
    assert not wrong, "these targets are not POST routes: " + ", ".join(wrong)


# --- records in the state a step needs ----------------------------------------------------------

def _user(username):
    from propsvc.auth.models import User

    return db.session.scalar(select(User).where(User.username == username))


def _ticket(site, kind="repair", to=None):
    from propsvc.tickets import services as ts

    sup = _user("supervisor")
    t = ts.create_ticket(site.community_id, ts.Intake(kind=kind, channel="phone", category_id=site.ids["category_id"],
                                                      urgency="normal", description="测试工单",
                                                      unit_id=site.ids["unit_id"]), _user("front_desk"))
    if to in ("progress", "resolved"):
        from propsvc.auth.models import Department

        dept = db.session.scalar(select(Department).where(Department.code == "service"))
        ts.dispatch(t, sup, dept.id, sup.id, None)
        ts.accept(t, sup)
    if to == "resolved":
        ts.resolve(t, sup, "已处理")
    db.session.commit()
    return {"ticket_id": t.id}


def _free_unit(site):
    """An occupied home of community A with no renovation yet, and its owner's name."""
    from propsvc.registry.models import Building, Occupancy, Person, Unit
    from propsvc.renovation.models import Renovation

    return db.session.execute(
        select(Unit.id, Person.name).join(Building).join(Occupancy, Occupancy.unit_id == Unit.id)
        .join(Person, Person.id == Occupancy.person_id)
        .where(Building.community_id == site.community_id, Occupancy.role == "owner",
               Unit.id.not_in(select(Renovation.unit_id)), Unit.status == "occupied")
        .order_by(Unit.id.desc()).limit(1)).one()


def _renovation(site, to="applied"):
    from decimal import Decimal

    from propsvc.core.timefmt import site_today
    from propsvc.renovation import services as rs

    unit_id, owner = _free_unit(site)
    r = rs.apply(site.community_id, rs.Application(
        unit_id=unit_id, applicant_name=owner, applicant_role="owner", lead_name="李工", lead_phone="13800138000",
        lead_id_number="110101199003071233", scope="墙面刷漆", starts_on=site_today() + timedelta(days=1)),
        _user("front_desk"))
    out = {"renovation_id": r.id}
    if to != "applied":
        rs.approve(r, _user("manager"))
    if to.startswith("extension"):
        fee = Decimal("100") if to == "extension:fee" else Decimal("0")
        ext = rs.request_extension(r, _user("supervisor"), name=owner, role="owner", reason="工期延误",
                                   new_end=r.ends_on + timedelta(days=30), fee=fee)
        db.session.flush()
        if to != "extension:requested":
            rs.review_extension(r, ext, _user("supervisor"), agree=True)
        if to == "extension:fee":
            rs.approve_extension(r, ext, _user("manager"), agree=True)
        out["extension_id"] = ext.id
    if to.startswith("worker"):
        import io

        from fullsite import jpeg_bytes
        from propsvc.photos.services import save_photo
        from propsvc.renovation import pass_services as ps

        photo = save_photo(io.BytesIO(jpeg_bytes(7)), folder=f"c{site.community_id}/workers")
        w = ps.register_worker(r, ps.Registration(applicant_name="李工", applicant_role="lead", name="张工人",
                                                  id_number="110101199003071233", phone="13800138000", trade="水电",
                                                  valid_until=None), photo, _user("front_desk"))
        db.session.flush()
        if to == "worker:paid":
            ps.pay_and_issue(w, f"R{w.id:06d}", _user("finance"))
        out = {"worker_id": w.id}
    db.session.commit()
    return out


def _slip(site, to="pending"):
    from propsvc.core.timefmt import site_today
    from propsvc.slips import services as ss

    s, _files = ss.register(site.community_id, ss.SlipInput(
        unit_id=site.ids["unit_id"], applicant_role="owner", applicant_name=site.extra["owner_name"],
        carrier_name="赵师傅", carrier_id_number="110101199003071233", carrier_phone="13800138000",
        items=[("旧沙发", 1)], moving_on=site_today() + timedelta(days=1)), _user("front_desk"))
    if to == "signed":
        ss.sign(s, _user("supervisor"))
    db.session.commit()
    return {"slip_id": s.id}


def _errand(site, kind, paid=False):
    from propsvc.errands import services as es

    desk, unit_id, person_id = _user("front_desk"), site.ids["unit_id"], site.ids["person_id"]
    if kind == "parcel":
        item = es.receive_parcel(site.community_id, es.ParcelIn(unit_id=unit_id, courier="顺丰", shelf="A-01",
                                                                person_id=person_id), desk)
    elif kind == "mail":
        item = es.receive_mail(site.community_id, es.MailIn(unit_id=unit_id, kind="letter", person_id=person_id), desk)
    else:
        item = es.request_card(site.community_id, es.CardIn(unit_id=unit_id, person_id=person_id, kind="replace"),
                               desk)
        db.session.flush()
        if paid:
            es.pay_card(item, desk, f"MJ{item.id:05d}")
    db.session.commit()
    return {f"{kind}_id": item.id}


def _event(site, to="published"):
    from datetime import datetime, timezone

    from propsvc.events import services as evs

    now = datetime.now(timezone.utc)
    boss = _user("supervisor")
    starts = now + (timedelta(hours=1) if to in ("running", "closed") else timedelta(days=2))  # check-in: 12 h before
    ev = evs.plan(site.community_id, boss, evs.EventIn(
        title="测试活动", kind="festival", starts_at=starts, ends_at=starts + timedelta(hours=2),
        place="会所", capacity=50), now=now)
    if to != "planning":
        evs.publish(ev, boss, now=now)
    if to in ("running", "closed"):
        evs.start(ev, boss)
    if to == "closed":
        evs.close(ev, boss)
    db.session.commit()
    return {"event_id": ev.id}


def _handover(site, to="expected"):
    """A new card of the demo batch on a new vacant unit (building 88), in the state `to`; or
    ("batch") a new batch over building 88, whose unit 88-1-101 the import target lists."""
    import io as _io

    from fullsite import jpeg_bytes  # noqa: F401
    from propsvc.handover import services as hs
    from propsvc.handover.models import HandoverBatch, HandoverCard
    from propsvc.registry.models import Building, Unit

    cid = site.community_id
    b = db.session.scalar(select(Building).where(Building.community_id == cid, Building.number == "88"))
    if b is None:
        b = Building(community_id=cid, number="88", sort_key=88, floors=30, entrances=1)
        db.session.add(b)
        db.session.flush()
        db.session.add(Unit(building_id=b.id, entrance=1, number="101", floor=1, status="vacant"))
        db.session.flush()
    desk, mgr = _user("front_desk"), _user("manager")
    if to == "batch":
        from propsvc.core.timefmt import site_today

        batch = hs.create_batch(cid, "测试批次", [b.id], [site_today()], "08:30", "17:30", mgr)
        db.session.commit()
        return {"batch_id": batch.id}
    batch = db.session.get(HandoverBatch, site.ids["batch_id"])
    if b.id not in batch.building_ids:
        batch.building_ids = [*batch.building_ids, b.id]
    n = db.session.scalar(select(func.count(Unit.id)).where(Unit.building_id == b.id)) + 101
    u = Unit(building_id=b.id, entrance=1, number=str(n), floor=n // 100, status="vacant")
    db.session.add(u)
    db.session.flush()
    card = HandoverCard(community_id=cid, batch_id=batch.id, unit_id=u.id, slip_no=f"FZ{u.id}",
                        buyers=[{"name": "周测试", "id_number": "110101199003071233", "phone": "13800138000"}])
    db.session.add(card)
    db.session.flush()
    if to != "expected":
        hs.arrive(card, hs.Arrival(came_as="owner", id_number="110101199003071233"), desk)
    if to in ("filed", "ready"):
        from PIL import Image, ImageDraw
        import base64

        im = Image.new("RGBA", (320, 140), (0, 0, 0, 0))
        ImageDraw.Draw(im).line([(20, 100), (80, 30), (140, 110), (290, 90)], fill=(0, 0, 0, 255), width=3)
        buf = _io.BytesIO()
        im.save(buf, "PNG")
        hs.save_owner_file(card, hs.OwnerFile(phones=["13800138000", "13900139000"], emergency_name="周父",
                                              emergency_phone="13700137000",
                                              signature="data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()), desk)
    if to == "ready":
        for st in batch.stations:
            hs.mark_done(card, st["key"], desk)
    db.session.commit()
    return {"batch_id": batch.id, "handover_id": card.id, "slip": card.slip_no}


FRESH = {
    "event:planning": lambda site: _event(site, "planning"),
    "event:published": lambda site: _event(site),
    "event:running": lambda site: _event(site, "running"),
    "event:closed": lambda site: _event(site, "closed"),
    "handover:batch": lambda site: _handover(site, "batch"),
    "handover:expected": lambda site: _handover(site),
    "handover:arrived": lambda site: _handover(site, "arrived"),
    "handover:filed": lambda site: _handover(site, "filed"),
    "handover:ready": lambda site: _handover(site, "ready"),
    "renovation:applied": lambda site: _renovation(site),
    "renovation:approved": lambda site: _renovation(site, "approved"),
    "extension:requested": lambda site: _renovation(site, "extension:requested"),
    "extension:reviewed": lambda site: _renovation(site, "extension:reviewed"),
    "extension:fee": lambda site: _renovation(site, "extension:fee"),
    "worker:unpaid": lambda site: _renovation(site, "worker:unpaid"),
    "worker:paid": lambda site: _renovation(site, "worker:paid"),
    "slip:pending": lambda site: _slip(site),
    "slip:signed": lambda site: _slip(site, "signed"),
    "parcel": lambda site: _errand(site, "parcel"),
    "mail": lambda site: _errand(site, "mail"),
    "card": lambda site: _errand(site, "card"),
    "card:paid": lambda site: _errand(site, "card", paid=True),
    "ticket:new": lambda site: _ticket(site),
    "ticket:progress": lambda site: _ticket(site, to="progress"),
    "ticket:resolved": lambda site: _ticket(site, to="resolved"),
    "ticket:inquiry": lambda site: _ticket(site, kind="inquiry"),
    "ticket:patrol": lambda site: _ticket(site, kind="patrol", to="resolved"),
}


def _pick(site, name):
    """A record of community A in the state a target needs (looked up once per module)."""
    from propsvc.auth.models import Department
    from propsvc.errands.models import Parcel
    from propsvc.notices.models import Notice
    from propsvc.registry.models import Building, Occupancy, Person, Unit
    from propsvc.renovation.models import Extension, Renovation, Worker
    from propsvc.slips.models import ReleaseSlip
    from propsvc.tickets.models import State, Ticket

    cid = site.community_id
    kind, _, which = name.partition(":")
    if kind == "department":
        return db.session.scalar(select(Department.id).where(Department.code == which))
    if kind == "ticket":
        return db.session.scalar(select(Ticket.id).where(Ticket.community_id == cid, Ticket.state != State.CLOSED)
                                 .order_by(Ticket.id))
    if kind in ("unit", "owner_name"):
        busy = select(Renovation.unit_id)
        unit_id, owner_name = db.session.execute(
            select(Unit.id, Person.name).join(Building).join(Occupancy, Occupancy.unit_id == Unit.id)
            .join(Person, Person.id == Occupancy.person_id)
            .where(Building.community_id == cid, Occupancy.role == "owner", Unit.id.not_in(busy),
                   Unit.status == "occupied").order_by(Unit.id.desc()).limit(1)).one()
        return unit_id if kind == "unit" else owner_name
    if kind in ("renovation", "new_end", "lead_name"):
        state = "approved" if which == "approved" else which
        r = db.session.scalars(select(Renovation).where(Renovation.community_id == cid, Renovation.state == state)
                               .order_by(Renovation.first_renovation.desc(), Renovation.id)).first()
        if kind == "new_end":
            return (r.ends_on + timedelta(days=30)).isoformat()
        return r.id if kind == "renovation" else r.lead_name
    if kind == "extension":
        stmt = select(Extension).join(Renovation).where(Renovation.community_id == cid)
        if which != "any":
            stmt = stmt.where(Extension.state == which)
        e = db.session.scalars(stmt.order_by(Extension.id)).first()
        return (e.renovation_id, e.id) if e else (site.ids["renovation_id"], site.ids["extension_id"])
    if kind == "worker":
        paid = Worker.paid_at.is_not(None) if which == "paid" else Worker.paid_at.is_(None)
        return db.session.scalar(select(Worker.id).join(Renovation).where(
            Renovation.community_id == cid, paid, Worker.returned_at.is_(None)).order_by(Worker.id))
    if kind == "slip":
        return db.session.scalar(select(ReleaseSlip.id).where(ReleaseSlip.community_id == cid,
                                                              ReleaseSlip.state == which).order_by(ReleaseSlip.id))
    if kind == "parcel":
        return db.session.scalar(select(Parcel.id).where(Parcel.community_id == cid, Parcel.closed_at.is_(None))
                                 .order_by(Parcel.id))
    if kind == "notice":
        from propsvc.core.timefmt import site_today

        today = site_today()
        return db.session.scalar(select(Notice.id).where(Notice.community_id == cid, Notice.withdrawn_at.is_(None),
                                                         Notice.valid_until >= today).order_by(Notice.id))
    raise KeyError(name)


class Fuzz:
    """One per module and database: signed-in clients per role, the records targets need, and
    what was found."""

    def __init__(self, app, site):
        self.app, self.site = app, site
        self.clients, self.picks, self.fresh = {}, {}, {}
        self.counter = 0
        self.log = ErrorLog()
        self.stats = {"profile": profile_name(), "forms": set(), "targets": 0, "examples": 0, "accepted": 0,
                      "refused": 0, "errors": 0, "keys_issued": 0}

    # the context the table's callables see
    def n(self) -> int:
        self.counter += 1
        return self.counter

    def key(self) -> str:
        """A one-time key as the server issues it into a form (for targets whose page has none)."""
        return issue_key(app=self.app)

    def pick(self, name):
        if name not in self.picks:
            with self.app.app_context():
                self.picks[name] = _pick(self.site, name)
                db.session.remove()
            assert self.picks[name] is not None, f"the site has no record for {name!r}"
        return self.picks[name]

    def client(self, role: str, again: bool = False):
        if role in self.clients and not again:
            return self.clients[role]
        from propsvc.auth.services import KIOSK_COOKIE, create_user
        from propsvc.core.roles import Role
        from propsvc.registry.models import Community

        c = self.app.test_client()
        if role == "kiosk":
            c.set_cookie(KIOSK_COOKIE, self.site.kiosk_token)
        if role not in ("anon", "kiosk"):
            if role.startswith("own:"):
                username = f"fzown{self.n()}"
                with self.app.app_context():
                    create_user(username=username, name="模糊测试员", password=PASSWORD, roles=[Role(role[4:])],
                                pin="2468", communities=[db.session.get(Community, self.site.community_id)])
                    db.session.commit()
                    db.session.remove()
                password = PASSWORD
            else:
                username, password = self.site.users[role], self.site.password
            resp = c.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(c)})
            assert resp.status_code == 303, (role, resp.status_code)
        c.csrf = csrf_token(c)
        self.clients[role] = c
        return c

    def path_args(self, target: T, form_name: str) -> dict:
        from flask import current_app

        rule = next(r for r in current_app.url_map.iter_rules() if r.endpoint == target.endpoint)
        values = {a: self.site.sample(a) for a in rule.arguments if a not in target.args}
        values.update({k: v(self) if callable(v) else v for k, v in target.args.items()})
        if target.fresh:
            key = (form_name, target.endpoint)
            if self.fresh.get(key) is None:
                self.fresh[key] = FRESH[target.fresh](self.site)
            values.update(self.fresh[key])
        return values

    def baseline(self, form_cls, target: T, prefix: str) -> dict:
        """A valid submission (values may still be callables: evaluated per example)."""
        pre = f"{prefix}-" if prefix else ""
        data = {}
        for spec in field_specs(form_cls, prefix, []):
            if spec.kind == "list-index":
                continue
            short = spec.name[len(pre):]
            if short in target.valid:
                data[spec.name] = target.valid[short]
            elif spec.kind == "list-entry":
                continue  # only the rows the target names
            elif short in DEFAULTS:
                data[spec.name] = DEFAULTS[short]
            else:
                data[spec.name] = type_default(form_cls, short, spec.kind)
        for short, value in target.valid.items():  # fields the view reads without a form field
            if pre + short not in data and short not in data:
                data[short] = value
        return data

    def example(self, form_name: str, target: T, sub: Submission, findings: list, baseline: bool = False):
        from flask import url_for

        with self.app.app_context():
            args = self.path_args(target, form_name)
            with self.app.test_request_context():
                url = url_for(target.endpoint, **args)
                page_args = {k: v for k, v in args.items()}
                page = target.page or target.endpoint
                page_url = url_for(page, **{k: v for k, v in page_args.items()
                                            if k in _rule_args(self.app, page)}) if _has_get(self.app, page) else None
            db.session.remove()
        prefix = target.prefix.format(**args)
        pre = f"{prefix}-" if prefix else ""
        client = self.client(target.role)
        data = {k: (v(self) if callable(v) else v) for k, v in sub.data.items()}
        fields = dict(unbound_fields(FORM_CLASSES[form_name]))
        html = client.get(page_url).get_data(as_text=True) if page_url is not None and target.from_page else None
        for name in target.from_page:
            if name != "client_key" and name not in fields:
                continue  # a form without this hidden field (a version) has nothing to read from its page
            # the one-time key is rendered by form_key() without the form's prefix
            posted = name if name == "client_key" else pre + name
            value = key_of(html, posted) if html is not None else None
            if value is None:
                self.stats["keys_issued"] += 1
                value = self.key()
            data[posted] = value
        data["csrf_token"] = client.csrf
        with self.app.app_context():
            before = row_counts(db)
        resp = client.post(url, data=Submission(data).payload())
        with self.app.app_context():
            after = row_counts(db)
        label = f"{form_name.removeprefix('propsvc.')} -> POST {url} as {target.role}"
        self.stats["examples"] += 1
        if resp.status_code >= 500:
            self.stats["errors"] += 1
            findings.append(Finding(label, "5xx", f"{resp.status_code} {self.log.take()}", sub.changed, data))
            return resp
        if refused(resp):
            self.stats["refused"] += 1
            changed = {t: after[t] - before[t] for t in after if after[t] != before[t]}
            if changed and not target.refusal_writes:
                findings.append(Finding(label, "partial write", f"refused with {resp.status_code} but wrote {changed}",
                                        sub.changed, data))
            if baseline:
                findings.append(Finding(label, "baseline refused", f"{resp.status_code}: {_errors(resp)}", (), {}))
        else:
            self.stats["accepted"] += 1
            if target.fresh:
                self.fresh[(form_name, target.endpoint)] = None  # the step used the record up: the next example gets a new one
            if target.ends_session:
                self.client(target.role, again=True)
        return resp


def _rule_args(app, endpoint) -> set:
    return next(r.arguments for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _has_get(app, endpoint) -> bool:
    return any("GET" in r.methods for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _errors(resp) -> str:
    import re

    html = resp.get_data(as_text=True)
    found = re.findall(r'class="[^"]*\berror\b[^"]*"[^>]*>([^<]+)<', html) or re.findall(r"<h1[^>]*>([^<]+)<", html)
    return "; ".join(dict.fromkeys(found))[:300]


def type_default(form_cls, short: str, kind: str):
    from formfuzz import _choices

    if kind == "text":
        return "测试"
    if kind == "date":
        return today_plus(7)
    if kind == "datetime":
        return now_local(days=1)
    if kind == "time":
        return "09:00"
    if kind == "decimal":
        return "10"
    if kind == "integer":
        return "1"
    if kind == "choice":
        unbound = dict(unbound_fields(form_cls)).get(short)
        choices = _choices(unbound) if unbound is not None else []
        return next((c for c in choices if c), "")
    if kind == "id":
        return ""
    return MISSING  # bool unchecked, multi and files not sent


@pytest.fixture(scope="module")
def fuzz(app, full_site):
    from propsvc.auth.services import create_user
    from propsvc.core.roles import Role
    from propsvc.registry.models import Community

    with app.app_context():  # the account the sign-in forms are fuzzed with
        create_user(username="fuzzdesk", name="模糊前台", password=PASSWORD, roles=[Role.FRONT_DESK], pin="2468",
                    communities=[db.session.get(Community, full_site.community_id)])
        db.session.commit()
        db.session.remove()
    f = Fuzz(app, full_site)
    f.log.install(app)
    yield f
    f.log.remove(app)
    GENERATED.setdefault("fuzz", {})[backend_of(app)] = f.stats


@pytest.mark.parametrize("form_name", FUZZED)
def test_fuzz_form(app, full_site, fuzz, form_name):
    form_cls = FORM_CLASSES[form_name]
    o = full_site.other
    ids = [str(full_site.ids["unit_id"]), str(o["unit_id"]), str(o["person_id"]), str(o["ticket_id"]),
           str(o["user_id"]), str(o["category_id"])]
    findings = []
    fuzz.stats["forms"].add(form_name)
    for target in FORMS[form_name]:
        fuzz.stats["targets"] += 1
        prefix_probe = target.prefix.format(**{k: 0 for k in _format_names(target.prefix)}) if target.prefix else ""
        specs = field_specs(form_cls, prefix_probe, ids)
        extra = {s.name: s for s in specs}
        for short, values in target.edges.items():
            from hypothesis import strategies as st

            name = (prefix_probe + "-" if prefix_probe else "") + short
            extra[name].edges = extra[name].edges | st.sampled_from(values)
        base = fuzz.baseline(form_cls, target, prefix_probe)
        if prefix_probe != target.prefix:  # a prefix with the record's id: the real one is known per example
            real = target.prefix.format(**_probe_args(app, fuzz, target, form_name))
            base = {k.replace(prefix_probe + "-", real + "-", 1): v for k, v in base.items()}
            for s in specs:
                s.name = s.name.replace(prefix_probe + "-", real + "-", 1)
        fuzz.example(form_name, target, Submission(dict(base)), findings, baseline=True)

        def run(sub):
            fuzz.example(form_name, target, sub, findings)

        run = given(submissions(base, specs))(run)
        for sub in explicit_examples(base, specs):
            run = example(sub)(run)
        settings(settings.get_profile(profile_name()))(run)()
    distinct = {}
    for f in findings:
        distinct.setdefault((f.target, f.kind, f.detail.split(" at ")[-1] if f.kind == "5xx" else f.detail), f)
    if distinct:
        pytest.fail(f"{form_name}: {len(findings)} findings, {len(distinct)} distinct:\n  " + "\n  ".join(
            f.line() for f in distinct.values()), pytrace=False)


def _format_names(prefix: str) -> list[str]:
    import string

    return [name for _lit, name, _spec, _conv in string.Formatter().parse(prefix) if name]


def _probe_args(app, fuzz, target, form_name) -> dict:
    with app.app_context():
        with app.test_request_context():
            args = fuzz.path_args(target, form_name)
        db.session.remove()
    return args
