"""Documents tell the truth (issue 15, items 1 and 2): one status function
(documents.service.status_of) answers for the public verification page, the gate, the lists and
the print; a change that alters what a printed document says reissues it with a new serial and
the old one verifies 已被取代, naming the new one.

The table test covers every state of every document kind at a frozen moment (moments.py
"fri-1750", Beijing 2026-12-04 17:50): the verification page's sentence, the gate's answer for
the kinds that go through the gate (pass, slip) and the print's watermark and seal."""
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from conftest import client_for, post
from moments import travel
from propsvc.core.models import Event
from propsvc.core.timefmt import site_today
from propsvc.documents import service
from propsvc.documents.models import DocKind, Document
from propsvc.extensions import db

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")

OWNER, LEAD, GUARD = "王业主", "李工长", "周保安"
UNIT = "3栋2单元1201"


def flat_text(pdf: bytes) -> str:
    """The PDF's text with all whitespace removed (the diagonal watermark comes out one
    character per line)."""
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return "".join(out.decode().split())


@pytest.fixture
def frozen():
    with travel("fri-1750", tick=False):
        yield date(2026, 12, 4)


@pytest.fixture
def world(app, make, frozen):
    """A community with an approved renovation (permit issued through the service), a worker who
    has paid, an approved extension request and an approved release slip; the staff."""
    from propsvc.renovation import services as reno
    from propsvc.renovation.models import Extension, Renovation, Worker
    from propsvc.slips.models import ReleaseSlip

    today = frozen
    c = make.community("东湖花园")
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201", status="occupied")
    make.person(u, name=OWNER)
    users = {r: make.user(r, communities=[c], name=GUARD if r == "guard" else None)
             for r in ("front_desk", "supervisor", "manager", "finance", "guard")}
    with app.app_context():
        from propsvc.auth.models import User

        manager = db.session.get(User, users["manager"].id)
        r = Renovation(community_id=c.id, unit_id=u.id, owner_person_id=None, applicant_name=OWNER,
                       applicant_role="owner", lead_company="美家装饰", lead_name=LEAD, lead_phone="13700001111",
                       scope="全屋翻新", starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=60))
        db.session.add(r)
        db.session.flush()
        reno.approve(r, manager, today)
        w = Worker(renovation_id=r.id, name="工人甲", id_number="110101199003071233", phone="13900001111",
                   trade="水电", valid_until=r.ends_on, receipt_no="SJ1", paid_at=r.approved_at)
        ext = Extension(renovation_id=r.id, requested_by=OWNER, requester_role="owner", reason="工期延误",
                        new_end=r.ends_on + timedelta(days=30), state="approved")
        s = ReleaseSlip(community_id=c.id, unit_id=u.id, applicant_role="owner", applicant_name=OWNER,
                        carrier_name="张搬运", carrier_id_number="110101199003071233", carrier_phone="13800001111",
                        items=[{"name": "双门冰箱", "qty": 1}], moving_on=today, sign_on_paper=True, state="approved")
        db.session.add_all([w, ext, s])
        db.session.commit()
        ids = {"community": c.id, "renovation": r.id, "worker": w.id, "extension": ext.id, "slip": s.id}
    return {"ids": ids, "users": users, "today": today}


def _objects(world):
    from propsvc.renovation.models import Extension, Renovation, Worker
    from propsvc.slips.models import ReleaseSlip

    ids = world["ids"]
    return {DocKind.PERMIT: db.session.get(Renovation, ids["renovation"]),
            DocKind.PASS: db.session.get(Worker, ids["worker"]),
            DocKind.EXTENSION: db.session.get(Extension, ids["extension"]),
            DocKind.SLIP: db.session.get(ReleaseSlip, ids["slip"])}


def _user(world, role):
    from propsvc.auth.models import User

    return db.session.get(User, world["users"][role].id)


DATA = {
    DocKind.PERMIT: {"unit": UNIT, "owner": OWNER, "lead_name": LEAD, "scope": "全屋翻新"},
    DocKind.PASS: {"name": "工人甲", "unit": UNIT, "trade": "水电"},
    DocKind.EXTENSION: {"unit": UNIT, "owner": OWNER, "reason": "工期延误"},
    DocKind.SLIP: {"unit": UNIT, "carrier_name": "张搬运", "items": [{"name": "双门冰箱", "qty": 1}]},
}

# Every state of every kind that can have it: "used" is for single-use documents (slips);
# "ended" and "replaced" for what belongs to a renovation (a slip is never reissued).
STATES = {
    DocKind.PERMIT: ("draft", "pending", "valid", "expired", "replaced", "revoked", "ended"),
    DocKind.PASS: ("draft", "pending", "valid", "expired", "replaced", "revoked", "ended"),
    DocKind.EXTENSION: ("draft", "pending", "valid", "expired", "replaced", "revoked", "ended"),
    DocKind.SLIP: ("draft", "pending", "valid", "used", "expired", "revoked"),
}
CASES = [(kind, state) for kind, states in STATES.items() for state in states]

LABELS = {"draft": "未生效", "pending": "未生效", "valid": "有效", "used": "已使用", "expired": "已过期",
          "replaced": "已被取代", "revoked": "已撤销", "ended": "已结束"}
WATERMARKS = {"draft": "草稿", "pending": None, "valid": None, "used": "已使用", "expired": "已过期",
              "replaced": "已被取代", "revoked": "作废", "ended": "已结束"}
SLIP_GATE = {"draft": "not_approved", "pending": "early", "valid": "valid", "used": "used", "expired": "expired",
             "revoked": "void"}


def put_in_state(app, world, kind: DocKind, state: str) -> dict:
    """A document of `kind` in `state`, reached the way the app reaches it. Returns its id, the
    new document's serial when it was replaced, and the dates used."""
    from propsvc.renovation import services as reno
    from propsvc.slips.models import ReleaseSlip

    today = world["today"]
    start, end = today - timedelta(days=10), today + timedelta(days=60)
    if state == "pending":
        start = today + timedelta(days=3)
    if state == "expired":
        start, end = today - timedelta(days=30), today - timedelta(days=1)
    if kind == DocKind.SLIP:
        start = end = {"pending": today + timedelta(days=3), "expired": today - timedelta(days=1)}.get(state, today)
    out = {"start": start, "end": end, "new_serial": None}
    with app.app_context():
        objs, manager = _objects(world), _user(world, "manager")
        if kind == DocKind.PERMIT:  # the renovation's own permit (issued at approval) is the one checked
            old = service.for_object(objs[kind], DocKind.PERMIT)
            db.session.delete(old)
            db.session.flush()
        doc = service.create(kind, objs[kind], DATA[kind], community_id=world["ids"]["community"],
                             valid_from=start, valid_until=end)
        if state != "draft":
            service.approve(doc, manager)
        if kind == DocKind.SLIP:
            s = objs[kind]
            s.document_id, s.moving_on = doc.id, start
            if state == "draft":
                s.state = "signed"
            if state == "used":
                s.released_at, s.released_by_id, s.released_by_name = doc.approved_at, world["users"]["guard"].id, GUARD
                service.mark_used(doc, _user(world, "guard"), at=s.released_at)
            if state == "revoked":
                s.state, s.closed_reason = "cancelled", "测试撤销"
        if state == "replaced":
            change = {"name": "工人乙"} if kind == DocKind.PASS else {"scope": "局部翻新"}
            out["new_serial"] = service.reissue(doc, manager, change, reason="测试换发").serial
        elif state == "revoked":
            service.revoke(doc, manager, "测试撤销")
        elif state == "ended":
            reno.finish(objs[DocKind.PERMIT], manager)
        db.session.commit()
        out["id"], out["serial"], out["code"] = doc.id, doc.serial, doc.code
    return out


def expected_sentence(kind, state, case) -> str:
    return {
        "draft": "尚未批准生效",
        "pending": f"自 {service.cn_date(case['start'])} 起生效",
        "valid": "当前有效",
        "used": f"由 {GUARD} 放行",
        "expired": f"有效期至 {service.cn_date(case['end'])}",
        "replaced": f"已由 {case['new_serial']} 取代，请以新证件为准",
        "revoked": "已作废" if kind == DocKind.SLIP else "已撤销",
        "ended": "装修已完工",
    }[state]


@pytest.mark.parametrize("kind, state", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_doc_status_table(app, world, client, kind, state):
    """Every state × every kind: status_of, the verification page, the gate, the print."""
    case = put_in_state(app, world, kind, state)
    today = world["today"]
    with app.app_context():
        doc = db.session.get(Document, case["id"])
        st = service.status_of(doc, today)
        assert st.code == state and service.status(doc, today) == state
        label = "已作废" if (kind, state) == (DocKind.SLIP, "revoked") else LABELS[state]
        assert st.label == label and st.valid == (state == "valid")
        # The print asks the same function: a watermark with the state unless it is in force,
        # and the seal only then.
        with app.test_request_context():
            ctx = service.print_context(doc, today)
        mark = WATERMARKS[state]
        assert (ctx["watermark"] or {}).get("main") == mark
        if state == "replaced":
            assert case["new_serial"] in ctx["watermark"]["sub"]
        assert bool(str(ctx["seal"])) == (state in ("valid", "pending"))
        assert ctx["doc"]["status"] == state

    # The public verification page: one clear sentence for the state.
    html = client.get(f"/v/{case['code']}").get_data(as_text=True)
    assert f'data-status="{state}"' in html and f"<strong>{label}</strong>" in html
    assert expected_sentence(kind, state, case) in html
    assert "测试撤销" not in html  # a revocation's free-text reason stays off the public page

    # The gate, for the kinds a guard checks.
    if kind in (DocKind.PASS, DocKind.SLIP):
        guard = client_for(app, world["users"]["guard"])
        html = guard.get("/renovations/gate/check", query_string={"q": case["serial"]}).get_data(as_text=True)
        if kind == DocKind.PASS:
            want = "unknown" if state == "draft" else state
            assert f'data-status="{want}"' in html
            if state not in ("draft", "valid"):  # refused with the reason
                reason = {"pending": "起生效", "expired": "已超过有效期", "replaced": case["new_serial"],
                          "revoked": "测试撤销", "ended": "装修已完工"}[state]
                assert reason in html and label in html
        else:
            assert f'data-status="{SLIP_GATE[state]}"' in html
            assert ("确认放行" in html) == (state == "valid")
            if state == "used":
                assert GUARD in html


# --- the rules behind the table, through the app's own steps --------------------------------

def _events(app, action):
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


@needs_poppler
def test_r_extension_reissues_permit_with_new_end_date(app, world, client):
    """An approved extension reissues the permit with the new end: the old serial verifies
    已被取代 naming the new one, the new permit prints the new end date, the old one prints the
    已被取代 watermark; the extension's own document is issued too."""
    from propsvc.renovation import services as reno
    from propsvc.renovation.models import Renovation

    with app.app_context():
        r = db.session.get(Renovation, world["ids"]["renovation"])
        old = service.for_object(r, DocKind.PERMIT)
        old_id, old_code, old_end = old.id, old.code, r.ends_on
        new_end = r.ends_on + timedelta(days=20)
        ext = reno.request_extension(r, _user(world, "front_desk"), name=OWNER, role="owner", reason="材料未到",
                                     new_end=new_end)
        reno.review_extension(r, ext, _user(world, "supervisor"), agree=True)
        ext_doc = reno.approve_extension(r, ext, _user(world, "manager"), agree=True)
        db.session.commit()
        new = service.for_object(r, DocKind.PERMIT)
        assert new.id != old_id and new.valid_until == new_end and service.status(new) == "valid"
        assert db.session.get(Document, old_id).replaced_by_id == new.id
        assert ext_doc is not None and ext_doc.kind == DocKind.EXTENSION and ext_doc.data["permit_serial"] == new.serial
        new_serial, new_id = new.serial, new.id
        new_pdf = flat_text(service.pdf(new))
        old_pdf = flat_text(service.pdf(db.session.get(Document, old_id)))
    html = client.get(f"/v/{old_code}").get_data(as_text=True)
    assert f"<strong>已被取代</strong>：本证件已由 {new_serial} 取代，请以新证件为准" in html
    assert service.cn_date(new_end) in new_pdf and service.cn_date(old_end) not in new_pdf
    assert "已被取代" in old_pdf and new_serial in old_pdf
    [ev] = _events(app, "document.reissued")
    assert ev.object_id == new_id and ev.data["changed"] == ["ends_on", "period"]
    assert _events(app, "renovation.extended")[0].data["permit"] == new_serial


@needs_poppler
def test_expired_permit_prints_watermark(app, world):
    """A permit past its end prints 已过期 large and diagonal, and no seal."""
    with app.app_context():
        from propsvc.renovation.models import Renovation

        permit = service.for_object(db.session.get(Renovation, world["ids"]["renovation"]), DocKind.PERMIT)
        later = permit.valid_until + timedelta(days=1)
        stamp = permit.data["_issue"]["stamp_name"]
        expired = flat_text(service.pdf(permit, today=later))
        valid = flat_text(service.pdf(permit, today=world["today"]))
    assert "已过期" in expired and "已过期" not in valid
    assert stamp in valid  # the seal's text only on the valid print


def test_r_slip_release_marks_its_document_used(app, world, client):
    """The gate's release marks the slip's document used in the same transaction: /v/ then says
    已使用 with when and by whom, and a second check at the gate is refused."""
    case = put_in_state(app, world, DocKind.SLIP, "valid")
    guard = client_for(app, world["users"]["guard"])
    assert post(guard, f"/renovations/gate/slips/{world['ids']['slip']}/release").status_code == 200
    with app.app_context():
        doc = db.session.get(Document, case["id"])
        assert doc.used_by_name == GUARD and doc.used_at is not None
        assert service.status(doc) == "used"
    assert len(_events(app, "document.used")) == 1
    html = client.get(f"/v/{case['code']}").get_data(as_text=True)
    assert "<strong>已使用</strong>" in html and f"由 {GUARD} 放行" in html
    html = guard.get("/renovations/gate/check", query_string={"q": case["serial"]}).get_data(as_text=True)
    assert 'data-status="used"' in html and "确认放行" not in html


def test_r_finished_renovation_ends_permit_pass_and_extension(app, world, client):
    """完工 ends every document of the renovation still in force: they verify 已结束 and the
    gate refuses the pass."""
    from propsvc.renovation import services as reno
    from propsvc.renovation.models import Renovation

    pas = put_in_state(app, world, DocKind.PASS, "valid")
    ext = put_in_state(app, world, DocKind.EXTENSION, "valid")
    with app.app_context():
        r = db.session.get(Renovation, world["ids"]["renovation"])
        permit = service.for_object(r, DocKind.PERMIT)
        reno.finish(r, _user(world, "manager"))
        db.session.commit()
        codes = [permit.code, pas["code"], ext["code"]]
        assert {service.status(d) for d in reno.all_documents_of(r)} == {"ended"}
    for code in codes:
        html = client.get(f"/v/{code}").get_data(as_text=True)
        assert "<strong>已结束</strong>" in html and "装修已完工" in html
    assert len(_events(app, "document.ended")) == 3
    guard = client_for(app, world["users"]["guard"])
    html = guard.get("/renovations/gate/check", query_string={"q": pas["serial"]}).get_data(as_text=True)
    assert 'data-status="ended"' in html and 'data-status="valid"' not in html


def test_r_extended_pass_is_reissued_not_mutated(app, world, client):
    """Extending passes reissues them: the printed card's document keeps its end date and
    verifies 已被取代 naming the new card."""
    from propsvc.renovation import pass_services as ps
    from propsvc.renovation.models import Renovation, Worker

    case = put_in_state(app, world, DocKind.PASS, "valid")
    with app.app_context():
        r = db.session.get(Renovation, world["ids"]["renovation"])
        r.ends_on = r.ends_on + timedelta(days=30)
        db.session.get(Worker, world["ids"]["worker"]).valid_until = case["end"] - timedelta(days=1)
        [new] = ps.extend_passes(r, _user(world, "front_desk"))
        db.session.commit()
        old = db.session.get(Document, case["id"])
        assert old.valid_until == case["end"] and old.replaced_by_id == new.id and new.valid_until == r.ends_on
        new_serial = new.serial
    html = client.get(f"/v/{case['code']}").get_data(as_text=True)
    assert f"已由 {new_serial} 取代" in html


def test_r_returned_pass_is_revoked_with_the_reason(app, world):
    from propsvc.renovation import pass_services as ps
    from propsvc.renovation.models import Worker

    case = put_in_state(app, world, DocKind.PASS, "valid")
    with app.app_context():
        ps.return_pass(db.session.get(Worker, world["ids"]["worker"]), "TK1", _user(world, "finance"))
        db.session.commit()
        st = service.status_of(db.session.get(Document, case["id"]))
    assert st.code == "revoked" and st.reason == "已退证" and "已退证" in st.explained
    guard = client_for(app, world["users"]["guard"])
    html = guard.get("/renovations/gate/check", query_string={"q": case["serial"]}).get_data(as_text=True)
    assert 'data-status="revoked"' in html and "已退证" in html


def test_r_corrected_worker_name_reissues_the_pass(app, world, client):
    """更正姓名 on the worker page: front desk or supervisor; the pass is reissued with the new
    name (the old one 已被取代), an event is recorded; bad input is a Chinese message, not a 500."""
    case = put_in_state(app, world, DocKind.PASS, "valid")
    wid, rid = world["ids"]["worker"], world["ids"]["renovation"]
    desk = client_for(app, world["users"]["front_desk"])
    page = desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert "更正姓名" in page and f"/renovations/workers/{wid}/name" in page
    # Not for finance or the guard; not without the CSRF token.
    assert post(client_for(app, world["users"]["finance"]), f"/renovations/workers/{wid}/name",
                {"name": "工人乙"}).status_code == 403
    assert desk.post(f"/renovations/workers/{wid}/name", data={"name": "工人乙"}).status_code == 400
    resp = post(desk, f"/renovations/workers/{wid}/name", {"name": "  "})
    assert resp.status_code == 422 and "请填写更正后的姓名" in resp.get_data(as_text=True)
    resp = post(desk, f"/renovations/workers/{wid}/name", {"name": "工人甲"})
    assert resp.status_code == 422 and "姓名没有变化" in resp.get_data(as_text=True)

    resp = post(desk, f"/renovations/workers/{wid}/name", {"name": "工人乙"})
    assert resp.status_code == 303
    with app.app_context():
        from propsvc.renovation.models import Worker

        w = db.session.get(Worker, wid)
        new = service.for_object(w, DocKind.PASS)
        assert w.name == "工人乙" and new.id != case["id"] and new.data["name"] == "工人乙"
        assert db.session.get(Document, case["id"]).data["name"] == "工人甲"  # the printed one is not touched
        new_serial = new.serial
    html = client.get(f"/v/{case['code']}").get_data(as_text=True)
    assert f"已由 {new_serial} 取代" in html
    [ev] = _events(app, "worker.renamed")
    assert ev.data["before"] == "工人甲" and ev.data["after"] == "工人乙" and ev.data["serial"] == new_serial
    guard = client_for(app, world["users"]["guard"])
    html = guard.get("/renovations/gate/check", query_string={"q": case["serial"]}).get_data(as_text=True)
    assert 'data-status="replaced"' in html and new_serial in html
    html = guard.get("/renovations/gate/check", query_string={"q": new_serial}).get_data(as_text=True)
    assert 'data-status="valid"' in html and "工人乙" in html


def test_reissue_refuses_a_document_no_longer_in_force(app, world):
    case = put_in_state(app, world, DocKind.PASS, "revoked")
    with app.app_context():
        doc = db.session.get(Document, case["id"])
        with pytest.raises(service.DocumentError, match="不能换发"):
            service.reissue(doc, None, {"name": "x"}, reason="测试")
        with pytest.raises(service.DocumentError, match="换发原因"):
            service.reissue(doc, None, {"name": "x"}, reason=" ")


def test_status_pages_show_the_one_status(app, world):
    """The renovation page and the slip's page show status_of's label (one table, no copies)."""
    case = put_in_state(app, world, DocKind.SLIP, "expired")
    with app.app_context():
        from propsvc.slips.models import ReleaseSlip

        s = db.session.get(ReleaseSlip, world["ids"]["slip"])
        s.moving_on = case["start"]
        db.session.commit()
    desk = client_for(app, world["users"]["front_desk"])
    html = desk.get(f"/slips/{world['ids']['slip']}").get_data(as_text=True)
    assert 'data-status="expired"' in html and "已过期" in html
    html = desk.get("/slips?state=all").get_data(as_text=True)
    assert 'data-status="expired"' in html
    html = desk.get(f"/renovations/{world['ids']['renovation']}").get_data(as_text=True)
    assert 'data-status="valid"' in html and "有效" in html
    assert site_today() == world["today"]
