"""Worker passes [R3]–[R5]: registering on an approved renovation by the owner or the lead,
validity within the renovation, the fees to finance before the pass, the pass card PDF and
returning the pass. Renovations are made straight with the models (the application flow has
its own tests)."""
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from conftest import Factory, client_for, post
from propsvc.registry.validation import id_check_digit

OWNER, LEAD = "王建国", "赵志强"
WORKER_PHONE = "13912345678"


def ident(n: int) -> str:
    """A valid 18-character ID number, one per n."""
    first17 = f"11010119900307{n:03d}"
    return first17 + id_check_digit(first17)


def jpeg(color="red", size=(600, 800)) -> io.BytesIO:
    buf = io.BytesIO()
    img = Image.effect_noise(size, 40).convert("RGB")
    img.paste(Image.new("RGB", (200, 200), color), (100, 100))
    img.save(buf, "JPEG", quality=90)
    buf.seek(0)
    return buf


@pytest.fixture
def site(app, make):
    c = make.community("新澳花园")
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201", status="renovating")
    owner = make.person(u, name=OWNER)
    users = {r: make.user(r, communities=[c]) for r in
             ("front_desk", "steward", "supervisor", "manager", "finance", "guard", "technician")}
    return {"community": c, "building": b, "unit": u, "owner": owner, "users": users}


def renovation(app, site, state="approved", starts=-10, ends=80, unit=None) -> int:
    from propsvc.extensions import db
    from propsvc.renovation.models import Renovation

    today = date.today()
    with app.app_context():
        r = Renovation(community_id=site["community"].id, unit_id=(unit or site["unit"]).id,
                       owner_person_id=site["owner"].id, applicant_name=OWNER, applicant_role="owner",
                       lead_company="美家装饰", lead_name=LEAD, lead_phone="13700001111", scope="全屋翻新",
                       starts_on=today + timedelta(days=starts), ends_on=today + timedelta(days=ends), state=state)
        db.session.add(r)
        db.session.commit()
        return r.id


def ends_on(app, rid) -> date:
    from propsvc.extensions import db
    from propsvc.renovation.models import Renovation

    with app.app_context():
        return db.session.get(Renovation, rid).ends_on


def register(client, rid, n=1, photo="jpeg", **over):
    data = {"applicant_role": "lead", "applicant_name": LEAD, "name": f"工人{n}", "id_number": ident(n),
            "phone": WORKER_PHONE, "trade": "水电", "client_key": f"k-{rid}-{n}-{id(over)}"}
    if photo == "jpeg":
        data["photo"] = (jpeg(), "IMG_0001.jpg", "image/jpeg")
    elif photo is not None:
        data["photo"] = photo
    data.update(over)
    return post(client, f"/renovations/{rid}/workers/new", data, content_type="multipart/form-data")


def workers(app, rid=None):
    from propsvc.extensions import db
    from propsvc.renovation.models import Worker

    with app.app_context():
        stmt = select(Worker).order_by(Worker.id)
        if rid is not None:
            stmt = stmt.where(Worker.renovation_id == rid)
        out = list(db.session.scalars(stmt))
        for w in out:
            db.session.expunge(w)
        return out


def events(app, action):
    from propsvc.core.models import Event
    from propsvc.extensions import db

    with app.app_context():
        out = list(db.session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))
        for e in out:
            db.session.expunge(e)
        return out


def pass_doc(app, worker_id):
    from propsvc.documents import service
    from propsvc.documents.models import DocKind
    from propsvc.extensions import db
    from propsvc.renovation.models import Worker

    with app.app_context():
        doc = service.for_object(db.session.get(Worker, worker_id), DocKind.PASS)
        if doc is not None:
            db.session.expunge(doc)
        return doc


def pay(client, worker_id, receipt="SJ0001"):
    return post(client, f"/renovations/workers/{worker_id}/pay", {"receipt_no": receipt})


def uploads(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- [R3] ------------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["applied", "rejected", "finished"])
def test_r3_pass_needs_approved_renovation(app, site, state):
    rid = renovation(app, site, state=state)
    desk = client_for(app, site["users"]["front_desk"])
    page = desk.get(f"/renovations/{rid}/workers/new")
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert ("尚未批准" in html) if state != "finished" else ("已结束" in html)
    assert 'name="id_number"' not in html  # no form to fill in
    resp = register(desk, rid)
    assert resp.status_code == 409
    assert workers(app) == [] and events(app, "worker.registered") == []
    # The list shows no link to register.
    assert "登记装修人员</a>" not in desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)

    # The same rule in the service, whatever calls it.
    from propsvc.extensions import db
    from propsvc.renovation import pass_services as ps
    from propsvc.renovation.models import Renovation

    with app.app_context():
        r = db.session.get(Renovation, rid)
        with pytest.raises(ps.PassError):
            ps.register_worker(r, ps.Registration(LEAD, "lead", "工人", ident(9), WORKER_PHONE, None, None), None,
                               None)


def test_r3_registering_on_an_approved_renovation_records_the_worker(app, site):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    page = desk.get(f"/renovations/{rid}/workers/new").get_data(as_text=True)
    assert 'capture="user"' in page and 'accept="image/*"' in page and "data-shrink" in page
    resp = register(desk, rid, n=1, id_number=ident(1).lower())
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/renovations/{rid}/workers")
    [w] = workers(app)
    assert (w.name, w.id_number, w.phone, w.trade) == ("工人1", ident(1), WORKER_PHONE, "水电")
    assert w.valid_until == ends_on(app, rid)  # default: the renovation's end
    assert (w.deposit, w.card_fee) == (Decimal("100"), Decimal("5"))
    assert w.photo_path and w.thumb_path and w.paid_at is None
    assert {p.name for p in uploads(app)} >= {Path(w.photo_path).name, Path(w.thumb_path).name}
    [ev] = events(app, "worker.registered")
    assert ev.object_type == "worker" and ev.object_id == w.id and ev.community_id == site["community"].id
    assert ev.data["applicant"] == LEAD and ev.data["applicant_role"] == "lead"
    html = desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert "工人1" in html and "待缴费" in html
    assert ident(1) not in html and WORKER_PHONE not in html  # masked in the list
    # The same ID number is not registered twice while the pass is out.
    resp = register(desk, rid, n=1, client_key="another")
    assert resp.status_code == 422 and "已在本次装修登记" in resp.get_data(as_text=True)
    # A double tap of the same form registers once.
    assert register(desk, rid, n=2, client_key="tap").status_code == 303
    assert register(desk, rid, n=2, client_key="tap", id_number=ident(3)).status_code == 303
    assert [w.id_number for w in workers(app)] == [ident(1), ident(2)]
    assert len(events(app, "worker.registered")) == 2


def test_only_desk_roles_register_workers(app, site):
    rid = renovation(app, site)
    for role in ("finance", "guard", "technician", "manager"):
        c = client_for(app, site["users"][role])
        assert c.get(f"/renovations/{rid}/workers/new").status_code == 403
        assert register(c, rid).status_code == 403
    for role in ("steward", "supervisor"):
        c = client_for(app, site["users"][role])
        assert c.get(f"/renovations/{rid}/workers/new").status_code == 200


# --- [R4] ------------------------------------------------------------------------------

def test_r4_validity_cannot_pass_renovation_end(clock, app, site):
    rid = renovation(app, site, ends=30)
    end = ends_on(app, rid)
    desk = client_for(app, site["users"]["front_desk"])
    page = desk.get(f"/renovations/{rid}/workers/new").get_data(as_text=True)
    assert f'value="{end.isoformat()}"' in page and f'max="{end.isoformat()}"' in page  # default and maximum
    before = uploads(app)

    resp = register(desk, rid, n=1, valid_until=(end + timedelta(days=1)).isoformat())
    assert resp.status_code == 422
    assert f"有效期不能超过装修结束日期（{end.isoformat()}）" in resp.get_data(as_text=True)
    assert workers(app) == [] and uploads(app) == before  # nothing stored, not even the photo

    resp = register(desk, rid, n=2, valid_until=(date.today() - timedelta(days=1)).isoformat())
    assert resp.status_code == 422 and "有效期不能早于今天" in resp.get_data(as_text=True)

    assert register(desk, rid, n=3, valid_until=end.isoformat()).status_code == 303
    short = end - timedelta(days=10)
    assert register(desk, rid, n=4, valid_until=short.isoformat()).status_code == 303
    assert [w.valid_until for w in workers(app)] == [end, short]

    # A renovation whose period is over takes no more workers.
    old = renovation(app, site, starts=-100, ends=-1)
    resp = register(desk, old, n=5)
    assert resp.status_code == 409 and "装修期已过" in resp.get_data(as_text=True)


def test_r4_applicant_must_be_owner_or_lead(app, site, make):
    rid = renovation(app, site)
    make.person(site["unit"], name="刘芳", role="tenant", phone="13698765432", id_number=None)
    desk = client_for(app, site["users"]["front_desk"])
    before = uploads(app)
    for n, (name, role) in enumerate([("路人甲", "owner"), ("路人甲", "lead"), ("刘芳", "owner"),  # a tenant
                                      (OWNER, "lead"), (LEAD, "owner"), (OWNER, "other")], start=1):
        resp = register(desk, rid, n=n, applicant_name=name, applicant_role=role)
        assert resp.status_code == 422, (name, role)
        html = resp.get_data(as_text=True)
        assert "业主" in html and "装修负责人" in html
    assert workers(app) == [] and uploads(app) == before
    assert register(desk, rid, n=10, applicant_name=OWNER, applicant_role="owner").status_code == 303
    assert register(desk, rid, n=11, applicant_name=f" {LEAD} ", applicant_role="lead").status_code == 303
    assert [e.data["applicant_role"] for e in events(app, "worker.registered")] == ["owner", "lead"]


def test_worker_fields_are_checked(app, site):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    bad_id = ident(1)[:-1] + ("0" if ident(1)[-1] != "0" else "1")
    resp = register(desk, rid, id_number=bad_id, phone="12345")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "身份证号码不正确" in html and "电话号码格式不正确" in html
    resp = register(desk, rid, valid_until="明年")
    assert resp.status_code == 422 and "日期格式不正确" in resp.get_data(as_text=True)
    resp = register(desk, rid, photo=None)
    assert resp.status_code == 422 and "请拍摄或选择工人的一寸照片" in resp.get_data(as_text=True)
    assert workers(app) == []


def test_photo_that_is_not_an_image_is_refused(app, site):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    before = uploads(app)
    for payload, name in [(b"%PDF-1.4 not a photo", "photo.jpg"), (b"hello, I am text", "IMG_1.jpeg"),
                          (jpeg().getvalue()[:400], "cut.jpg")]:
        resp = register(desk, rid, photo=(io.BytesIO(payload), name, "image/jpeg"))
        assert resp.status_code == 422
        html = resp.get_data(as_text=True)
        assert ("不是有效的图片" in html) or ("不完整或已损坏" in html)
    assert workers(app) == [] and uploads(app) == before and events(app, "worker.registered") == []


# --- [R5] ------------------------------------------------------------------------------

def test_r5_no_pass_before_payment(app, site):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert register(desk, rid).status_code == 303
    [w] = workers(app)
    assert pass_doc(app, w.id) is None  # registered, not issued
    resp = desk.get(f"/renovations/workers/{w.id}/pass.pdf")
    assert resp.status_code == 409 and "请先到财务缴纳押金和工本费" in resp.get_data(as_text=True)
    html = desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert "打印出入证" not in html and "待缴费" in html

    from propsvc.extensions import db
    from propsvc.renovation import pass_services as ps
    from propsvc.renovation.models import Worker

    with app.app_context():
        with pytest.raises(ps.PassError, match="请先到财务缴纳押金和工本费"):
            ps.issue_pass(db.session.get(Worker, w.id), None)
        db.session.rollback()
    assert pass_doc(app, w.id) is None and events(app, "pass.issued") == []

    fin = client_for(app, site["users"]["finance"])
    assert pay(fin, w.id).status_code == 303
    doc = pass_doc(app, w.id)
    assert doc is not None and doc.state == "valid" and doc.serial.startswith("CRZ")
    assert doc.valid_until == w.valid_until
    assert doc.data["name"] == "工人1" and doc.data["unit"] == "3栋2单元1201"
    assert doc.data["valid_until"] == w.valid_until.isoformat() and doc.data["photo_path"] == w.thumb_path
    assert ident(1) not in str(doc.data) and WORKER_PHONE not in str(doc.data)
    resp = desk.get(f"/renovations/workers/{w.id}/pass.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.get_data().startswith(b"%PDF")
    html = desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert "已发证" in html and doc.serial in html and "打印出入证" in html and "SJ0001" in html and "已办" in html


def test_r5_finance_only_records_fees(app, site):
    from propsvc.extensions import db
    from propsvc.renovation.models import RenovationSettings

    with app.app_context():  # amounts per community
        db.session.add(RenovationSettings(community_id=site["community"].id, deposit=Decimal("200"),
                                          card_fee=Decimal("10")))
        db.session.commit()
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert register(desk, rid, n=1).status_code == 303
    assert register(desk, rid, n=2).status_code == 303
    w1, w2 = workers(app)
    assert (w1.deposit, w1.card_fee) == (Decimal("200"), Decimal("10"))

    for role in ("front_desk", "steward", "supervisor", "manager", "guard", "technician"):
        c = client_for(app, site["users"][role])
        assert pay(c, w1.id).status_code == 403, role
        if role not in ("guard", "technician"):
            assert "并发证</button>" not in c.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert workers(app)[0].paid_at is None and events(app, "worker.paid") == []

    # The rule holds in the service too.
    from propsvc.renovation import pass_services as ps
    from propsvc.renovation.models import Worker
    from propsvc.auth.models import User

    with app.app_context():
        with pytest.raises(ps.PassError, match="只有财务"):
            supervisor = db.session.get(User, site["users"]["supervisor"].id)
            ps.record_payment(db.session.get(Worker, w1.id), "SJ9", supervisor)
        db.session.rollback()

    fin = client_for(app, site["users"]["finance"])
    page = fin.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert "收费 210 元" in page and "押金 200 + 工本费 10" in page and "收费并发证</button>" in page
    resp = pay(fin, w1.id, receipt="  ")
    assert resp.status_code == 422 and "请填写收据号" in resp.get_data(as_text=True)
    assert pay(fin, w1.id, receipt="SJ-2026-001").status_code == 303
    assert pay(fin, w1.id, receipt="SJ-2026-001").status_code == 303  # sent twice: once
    w1 = workers(app)[0]
    assert w1.receipt_no == "SJ-2026-001" and w1.paid_at is not None
    [ev] = events(app, "worker.paid")
    assert ev.actor_id == site["users"]["finance"].id
    assert ev.data == {"receipt_no": "SJ-2026-001", "receipt": "已办", "deposit": "200", "card_fee": "10",
                       "total": "210"}
    assert len(events(app, "pass.issued")) == 1

    # One receipt may cover two workers of the same renovation, not another renovation's.
    assert pay(fin, w2.id, receipt="sj-2026-001").status_code == 303
    other_unit = Factory(app).unit(site["building"], 1, "501")
    rid2 = renovation(app, site, unit=other_unit)
    assert register(desk, rid2, n=3).status_code == 303
    w3 = workers(app, rid2)[0]
    resp = pay(fin, w3.id, receipt="SJ-2026-001")
    assert resp.status_code == 409 and "已用于其他装修" in resp.get_data(as_text=True)
    assert workers(app, rid2)[0].paid_at is None
    # Paying a worker already paid with another receipt is refused.
    resp = pay(fin, w1.id, receipt="SJ-OTHER")
    assert resp.status_code == 409 and "已收取" in resp.get_data(as_text=True)


def test_returning_a_pass_refunds_and_revokes(app, site):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert register(desk, rid).status_code == 303
    [w] = workers(app)
    fin = client_for(app, site["users"]["finance"])
    # Nothing to return before it was issued.
    resp = post(fin, f"/renovations/workers/{w.id}/return", {"refund_receipt_no": "TK001"})
    assert resp.status_code == 409 and "尚未发证" in resp.get_data(as_text=True)
    assert pay(fin, w.id).status_code == 303
    serial = pass_doc(app, w.id).serial

    assert post(desk, f"/renovations/workers/{w.id}/return", {"refund_receipt_no": "TK001"}).status_code == 403
    resp = post(fin, f"/renovations/workers/{w.id}/return", {"refund_receipt_no": ""})
    assert resp.status_code == 422 and "请填写退押金收据号" in resp.get_data(as_text=True)
    resp = post(fin, f"/renovations/workers/{w.id}/return", {"refund_receipt_no": "TK001"})
    assert resp.status_code == 303
    assert post(fin, f"/renovations/workers/{w.id}/return", {"refund_receipt_no": "TK001"}).status_code == 303
    [w] = workers(app)
    assert w.returned_at is not None and w.refund_receipt_no == "TK001"
    doc = pass_doc(app, w.id)
    assert doc.state == "revoked" and doc.revoke_reason == "已退证"
    [ev] = events(app, "worker.returned")
    assert ev.data["refund"] == "100" and ev.data["refund_receipt_no"] == "TK001"
    assert ev.data["serial"] == serial
    assert len(events(app, "document.revoked")) == 1

    html = fin.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert "已退证" in html and "退还押金 100 元</button>" not in html and "TK001" in html
    assert desk.get(f"/renovations/workers/{w.id}/pass.pdf").status_code == 409
    guard = client_for(app, site["users"]["guard"])
    html = guard.get(f"/renovations/gate/check?q={serial}").get_data(as_text=True)
    assert "已撤销" in html and "已退证" in html
    # A returned worker may be registered again (a new pass later).
    assert register(desk, rid, n=1, client_key="again").status_code == 303


def test_worker_states_on_the_list(clock, app, site):
    from propsvc.documents import service
    from propsvc.extensions import db
    from propsvc.renovation import pass_services as ps
    from propsvc.renovation.models import Renovation

    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    for n in (1, 2, 3, 4):
        assert register(desk, rid, n=n).status_code == 303
    fin = client_for(app, site["users"]["finance"])
    w1, w2, w3, w4 = workers(app)
    for w in (w2, w3, w4):
        assert pay(fin, w.id, receipt=f"SJ{w.id}").status_code == 303
    assert post(fin, f"/renovations/workers/{w4.id}/return", {"refund_receipt_no": "TK1"}).status_code == 303
    with app.app_context():
        doc = service.for_object(db.session.get(ps.Worker, w3.id), ps.DocKind.PASS)
        doc.valid_until = date.today() - timedelta(days=1)
        db.session.commit()
        r = db.session.get(Renovation, rid)
        assert [row.state for row in ps.worker_rows(r)] == ["unpaid", "issued", "expired", "returned"]
        assert [row.label for row in ps.worker_rows(r)] == ["待缴费", "已发证", "已过期", "已退证"]
    html = fin.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    for label in ("待缴费", "已发证", "已过期", "已退证"):
        assert label in html
    assert html.count("并发证</button>") == 1 and html.count("退还押金 100 元</button>") == 2
    html = desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert "并发证</button>" not in html and "退证退押金" not in html and html.count("打印出入证") == 2
    assert "登记装修人员</a>" in html
    # Finance's list: who still has to pay.
    html = fin.get("/renovations/workers").get_data(as_text=True)
    assert "待缴费" in html and "工人1" in html and "3栋2单元1201" in html


def test_other_community_cannot_see_workers(app, site, make):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert register(desk, rid).status_code == 303
    [w] = workers(app)
    other = make.community("别的小区")
    stranger = client_for(app, make.user("front_desk", "finance", "guard", communities=[other]))
    assert stranger.get(f"/renovations/{rid}/workers").status_code == 404
    assert stranger.get(f"/renovations/workers/{w.id}/photo").status_code == 404
    assert pay(stranger, w.id).status_code == 404
    assert stranger.get(f"/renovations/workers/{w.id}/pass.pdf").status_code == 404
    assert "工人1" not in stranger.get("/renovations/workers").get_data(as_text=True)


def test_pass_card_pdf_has_the_worker_and_no_id_number(app, site):
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert register(desk, rid).status_code == 303
    [w] = workers(app)
    assert pay(client_for(app, site["users"]["finance"]), w.id).status_code == 303
    pdf = desk.get(f"/renovations/workers/{w.id}/pass.pdf").get_data()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    flat = "".join(text.split())
    assert "工人1" in flat and "3栋2单元1201" in flat and pass_doc(app, w.id).serial in flat
    assert ident(1) not in flat and WORKER_PHONE not in flat


def test_renovation_page_lists_the_workers_and_returns_there(app, site):
    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert register(desk, rid, n=1).status_code == 303
    [w] = workers(app)
    fin = client_for(app, site["users"]["finance"])
    html = fin.get(f"/renovations/{rid}").get_data(as_text=True)
    assert 'id="workers"' in html and "工人1" in html and "收费并发证</button>" in html
    assert f'name="next" value="/renovations/{rid}"' in html
    resp = post(fin, f"/renovations/workers/{w.id}/pay", {"receipt_no": "SJ77", "next": f"/renovations/{rid}"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/renovations/{rid}")
    tech = client_for(app, site["users"]["technician"])  # sees the renovation, not the workers' numbers
    html = tech.get(f"/renovations/{rid}").get_data(as_text=True)
    part = html.split('id="workers"')[1].split("</section>")[0]
    assert "工人1" in part and "身份证" not in part and "电话" not in part and "/photo" not in part
    resp = post(fin, f"/renovations/workers/{w.id}/return", {"refund_receipt_no": "TK77", "next": "//evil.example"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/renovations/{rid}/workers")


def test_r6_after_an_extension_passes_are_reissued_to_the_new_end(app, site):
    from datetime import timedelta

    from propsvc.extensions import db
    from propsvc.renovation.models import Renovation

    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert register(desk, rid).status_code == 303
    [w] = workers(app)
    fin = client_for(app, site["users"]["finance"])
    assert pay(fin, w.id).status_code == 303
    old = pass_doc(app, w.id)
    assert "换发出入证" not in desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    with app.app_context():  # an approved extension moved the end (tested in test_renovation.py)
        r = db.session.get(Renovation, rid)
        r.ends_on = r.ends_on + timedelta(days=30)
        new_end = r.ends_on
        db.session.commit()
    page = desk.get(f"/renovations/{rid}/workers").get_data(as_text=True)
    assert "为 1 人换发出入证" in page
    assert client_for(app, site["users"]["guard"]).post(f"/renovations/{rid}/workers/extend").status_code in (400, 403)
    assert post(desk, f"/renovations/{rid}/workers/extend").status_code == 303
    assert post(desk, f"/renovations/{rid}/workers/extend").status_code == 303  # again: nothing to do
    [w] = workers(app)
    assert w.valid_until == new_end
    new = pass_doc(app, w.id)
    assert new.serial != old.serial and new.state == "valid" and new.valid_until == new_end
    with app.app_context():
        from propsvc.documents.models import Document

        # Reissued, not revoked: the old card verifies 已被取代 and names the new one.
        assert db.session.get(Document, old.id).replaced_by_id == new.id
    assert len(events(app, "pass.extended")) == 1
    html = client_for(app, site["users"]["guard"]).get(f"/renovations/gate/check?q={old.serial}").get_data(as_text=True)
    assert 'data-status="replaced"' in html and f"已由 {new.serial} 取代" in html
