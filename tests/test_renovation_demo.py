"""The demo renovations (propsvc.demo.renovation) [R1]–[R7]: on top of `flask seed-demo`, every
home marked 装修中 has its approved renovation and permit, the board shows some past their end,
workers are paid / unpaid / returned, a pass passes the gate, one application and one extension
wait for the manager; made through the services (Events), and never added twice."""
import time

import pytest
from sqlalchemy import func, select

from conftest import login
from propsvc.core.models import Event
from propsvc.core.timefmt import site_today
from propsvc.documents import service as docs
from propsvc.documents.models import DocKind
from propsvc.extensions import db
from propsvc.demo import COMMUNITY_NAME, DEMO_PASSWORD, seed_demo
from propsvc.registry.models import Community, Unit, UnitStatus
from propsvc.registry.validation import is_valid_id_number, is_valid_phone
from propsvc.renovation import pass_services as ps
from propsvc.renovation import services as rs
from propsvc.demo.renovation import seed_demo_renovations
from propsvc.renovation.models import Extension, ExtensionState, Inspection, Renovation, RenovationState, Worker


@pytest.fixture
def demo(app):
    """The demo site with its renovations, committed; yields (community id, summary, seconds)."""
    with app.app_context():
        seed_demo()
        cid = db.session.scalar(select(Community.id).where(Community.name == COMMUNITY_NAME))
        started = time.perf_counter()
        summary = seed_demo_renovations(cid)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
    return cid, summary, seconds


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_r7_demo_renovations_fill_the_board_and_the_passes(demo, ctx):
    cid, summary, seconds = demo
    print(f"seed_demo_renovations: {seconds:.2f}s — {summary}")
    assert summary.startswith("已添加演示装修") and seconds < 5
    today = site_today()

    # Every home marked 装修中 has its approved renovation with a sealed permit; nothing else is 装修中.
    renovating = set(db.session.scalars(select(Unit.id).where(Unit.status == UnitStatus.RENOVATING)))
    approved = list(db.session.scalars(select(Renovation).where(Renovation.state == RenovationState.APPROVED)))
    assert len(renovating) >= 20 and {r.unit_id for r in approved} == renovating
    assert all(docs.status(docs.for_object(r, DocKind.PERMIT), r.starts_on) == "valid" for r in approved)
    assert all(is_valid_id_number(r.lead_id_number) and is_valid_phone(r.lead_phone) for r in approved)

    # The board [R7]: every approved one, a few past their end, none with a phone or ID number.
    rows = [row for b in rs.board(cid) for f in b["floors"] for row in f["rows"]]
    assert len(rows) == len(approved)
    overdue = [row for row in rows if row["overdue"]]
    assert 2 <= len(overdue) <= 6 and all(row["days_over"] > 0 for row in overdue)
    assert any(not row["started"] for row in rows)  # one starts in a few days

    # One application waiting, on a handed-over home (still 已交付 until approved).
    pending = list(db.session.scalars(select(Renovation).where(Renovation.state == RenovationState.APPLIED)))
    assert len(pending) == 1 and pending[0].unit.status == UnitStatus.DELIVERED
    assert pending[0].starts_on > today

    # [R2] one first-renovation check; [R6] one extension waiting for the manager, one done.
    assert count(Inspection) == 1
    exts = list(db.session.scalars(select(Extension).order_by(Extension.id)))
    waiting = [e for e in exts if e.state == ExtensionState.REVIEWED]
    assert len(waiting) == 1 and waiting[0].renovation.ends_on < today  # asked for after its end
    done = [e for e in exts if e.state == ExtensionState.APPROVED]
    assert len(done) == 1 and done[0].fee_receipt_no and done[0].renovation.ends_on == done[0].new_end
    assert docs.for_object(done[0], DocKind.EXTENSION) is not None

    # [R3]–[R5] workers: paid with a receipt and a pass, one returned, one not yet paid.
    workers = list(db.session.scalars(select(Worker).order_by(Worker.id)))
    states = [row.state for row in ps.rows_for(workers)]
    assert states.count("issued") >= 3 and states.count("returned") == 1 and states.count("unpaid") == 1
    assert len({w.renovation_id for w in workers}) in (2, 3)
    assert all(w.receipt_no for w in workers if w.paid_at) and all(w.photo_path for w in workers)
    back = next(w for w in workers if w.returned_at)
    assert back.refund_receipt_no and docs.status(ps.pass_of(back)) == "revoked"

    # The gate finds the pass named in the summary valid, and a returned one revoked.
    serial = summary.rsplit(" ", 1)[-1].rstrip("。")
    assert ps.check_pass(cid, serial).status == "valid"
    assert ps.check_pass(cid, ps.pass_of(back).serial).status == "revoked"

    # Every step is an Event (written when the demo is loaded: events are never rewritten).
    actions = set(db.session.scalars(select(Event.action).where(Event.object_type.in_(("renovation", "worker")))))
    assert {"renovation.applied", "renovation.approved", "renovation.inspected", "renovation.extension_reviewed",
            "renovation.extended", "worker.registered", "worker.paid", "pass.issued", "worker.returned"} <= actions


def test_r7_demo_renovations_are_added_once(demo, ctx):
    cid = demo[0]
    before = (count(Renovation), count(Worker), count(Event))
    assert seed_demo_renovations(cid) == "演示装修已存在，未重复添加。"
    db.session.commit()
    assert (count(Renovation), count(Worker), count(Event)) == before


def test_r7_demo_pages_show_the_renovations(demo, app):
    def as_(username):
        client = app.test_client()
        login(client, username, DEMO_PASSWORD)
        return client

    board = as_("supervisor").get("/renovations/board")
    assert board.status_code == 200 and "已超期" in board.text
    desk = as_("finance").get("/renovations/workers")
    assert desk.status_code == 200 and "待缴费" in desk.text
    serial = demo[1].rsplit(" ", 1)[-1].rstrip("。")
    gate = as_("guard").get("/renovations/gate/check", query_string={"q": serial})
    assert gate.status_code == 200 and "有效" in gate.text
    manager = as_("manager")
    with app.app_context():
        ids = list(db.session.scalars(select(Renovation.id).order_by(Renovation.id)))
        pending = db.session.scalar(select(Renovation).where(Renovation.state == RenovationState.APPLIED))
        pending_unit = pending.unit.label
    assert pending_unit in manager.get("/renovations", query_string={"state": "applied"}).text
    for rid in ids:  # every renovation's page and its workers open
        assert manager.get(f"/renovations/{rid}").status_code == 200
        assert manager.get(f"/renovations/{rid}/workers").status_code == 200


def test_r7_demo_renovations_need_the_demo_accounts(app, make):
    c = make.community("别的小区")
    make.unit(make.building(c), status="renovating")
    with app.app_context():
        assert seed_demo_renovations(c.id).startswith("未添加演示装修：缺少演示账号")
        assert count(Renovation) == 0 and count(Event) == 0
