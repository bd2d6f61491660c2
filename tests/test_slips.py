"""Release slips (物品放行条) [S1]-[S3]: who may apply (owner, the lead of an active renovation,
a tenant with the owner's consent), the applicant's signature on the kiosk or on paper, the
supervisor's signature before the manager's seal, the A5 PDF read back, and the gate: released
once (two guards at once too), a second scan shows who and when, expired / unapproved refused."""
import base64
import io
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from conftest import client_for, post
from propsvc.core.timefmt import site_today
from propsvc.extensions import db

OWNER, TENANT, LEAD, OTHER_OWNER = "王建国", "李租客", "赵志强", "孙外人"
CARRIER_ID = "110101199003071233"
CARRIER_PHONE = "13912345678"

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


# --- helpers -----------------------------------------------------------------------------

def png_url(ink=True, size=(320, 140)) -> str:
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    if ink:
        d = ImageDraw.Draw(im)
        d.line([(20, 100), (80, 30), (140, 110), (220, 40), (290, 90)], fill=(17, 17, 17, 255), width=3)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


SIGNATURE = png_url()


def jpeg() -> io.BytesIO:
    buf = io.BytesIO()
    Image.effect_noise((400, 300), 40).convert("RGB").save(buf, "JPEG", quality=85)
    buf.seek(0)
    return buf


@pytest.fixture
def site(app, make):
    c = make.community("新澳花园")
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201")
    other = make.unit(b, 2, "1202")
    owner = make.person(u, name=OWNER)
    make.person(u, name=TENANT, role="tenant", phone="13700002222")
    make.person(other, name=OTHER_OWNER, phone="13600003333")
    users = {r: make.user(r, communities=[c], name=n) for r, n in
             [("front_desk", "黄前台"), ("steward", "林管家"), ("supervisor", "陈主管"), ("manager", "刘经理"),
              ("guard", "周保安"), ("technician", "吴师傅"), ("admin", "管理员")]}
    return {"community": c, "building": b, "unit": u, "other": other, "owner": owner, "users": users}


def slip_form(unit, **over) -> dict:
    data = {"unit_id": str(unit.id), "applicant_role": "owner", "applicant_name": OWNER, "carrier_name": "张搬运",
            "carrier_id_number": CARRIER_ID, "carrier_phone": CARRIER_PHONE, "items-0-name": "双门冰箱",
            "items-0-qty": "1", "items-1-name": "旧沙发", "items-1-qty": "2",
            "moving_on": site_today().isoformat(), "vehicle_plate": "粤B12345", "signature": SIGNATURE,
            "consent_staff": ""}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def register(client, unit, **over):
    return post(client, "/slips/new", slip_form(unit, **over), content_type="multipart/form-data")


def step(client, slip_id, name, **data):
    return post(client, f"/slips/{slip_id}/{name}", {f"{name}-{k}" if k != "client_key" else k: v for k, v in data.items()})


def slips(app):
    from propsvc.slips.models import ReleaseSlip

    with app.app_context():
        rows = list(db.session.scalars(select(ReleaseSlip).order_by(ReleaseSlip.id)))
        for r in rows:
            _ = r.document  # load before leaving the session
            db.session.expunge(r)
        return rows


def doc_of(app, slip_id):
    from propsvc.documents.models import Document
    from propsvc.slips.models import ReleaseSlip

    with app.app_context():
        doc = db.session.get(Document, db.session.get(ReleaseSlip, slip_id).document_id)
        db.session.expunge(doc)
        return doc


def events(app, action=None):
    from propsvc.core.models import Event

    with app.app_context():
        stmt = select(Event).where(Event.object_type == "releaseslip")
        if action:
            stmt = stmt.where(Event.action == action)
        rows = list(db.session.scalars(stmt.order_by(Event.id)))
        for e in rows:
            db.session.expunge(e)
        return rows


def text_of(resp) -> str:
    return resp.get_data(as_text=True)


def new_slip(app, site, **over) -> int:
    desk = client_for(app, site["users"]["front_desk"])
    resp = register(desk, site["unit"], **over)
    assert resp.status_code == 303, text_of(resp)
    return slips(app)[-1].id


def approved_slip(app, site, **over) -> int:
    sid = new_slip(app, site, **over)
    assert step(client_for(app, site["users"]["supervisor"]), sid, "sign").status_code == 303
    assert step(client_for(app, site["users"]["manager"]), sid, "approve").status_code == 303
    return sid


def renovation(app, site, state="approved", starts=-10, ends=60):
    from propsvc.renovation.models import Renovation

    today = site_today()
    with app.app_context():
        r = Renovation(community_id=site["community"].id, unit_id=site["unit"].id, owner_person_id=site["owner"].id,
                       applicant_name=OWNER, applicant_role="owner", lead_name=LEAD, lead_phone="13700001111",
                       scope="全屋翻新", starts_on=today + timedelta(days=starts), ends_on=today + timedelta(days=ends),
                       state=state)
        db.session.add(r)
        db.session.commit()
        return r.id


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return "".join(out.split())


# --- registering [S1] ----------------------------------------------------------------------

def test_s1_owner_registers_slip_pending_with_draft_document(clock, app, site):
    desk = client_for(app, site["users"]["front_desk"])
    page = text_of(desk.get("/slips/new"))
    assert "signature.js" in page and 'name="signature"' in page and "纸质放行条上签字" in page
    resp = register(desk, site["unit"])
    assert resp.status_code == 303, text_of(resp)
    [s] = slips(app)
    assert resp.headers["Location"].endswith(f"/slips/{s.id}")
    assert s.state == "pending" and s.applicant_role == "owner" and s.applicant_person_id == site["owner"].id
    assert s.items == [{"name": "双门冰箱", "qty": 1}, {"name": "旧沙发", "qty": 2}]
    assert s.vehicle_plate == "粤B12345" and s.moving_on == site_today() and not s.sign_on_paper
    doc = doc_of(app, s.id)
    assert doc.kind == "slip" and doc.state == "draft" and doc.serial.startswith("FX")
    assert doc.object_type == "releaseslip"
    assert doc.valid_from == doc.valid_until == site_today()  # the moving date only
    # The signature: a real PNG under the upload folder, cropped; served only to staff.
    path = Path(app.config["UPLOAD_FOLDER"]) / s.signature_path
    with Image.open(path) as im:
        assert im.format == "PNG" and im.width <= 600
    ev = events(app, "slip.registered")
    assert len(ev) == 1 and ev[0].data["serial"] == doc.serial and ev[0].actor_id == site["users"]["front_desk"].id
    html = text_of(desk.get(f"/slips/{s.id}"))
    assert doc.serial in html and "待主管签字" in html and "双门冰箱" in html and CARRIER_ID not in html  # [T9] masked for all
    assert f"/privacy/reveal/slip/{s.id}/carrier_id_number" in html  # the desk may reveal it (显示)
    steward_html = text_of(client_for(app, site["users"]["steward"]).get(f"/slips/{s.id}"))
    assert CARRIER_ID not in steward_html and "110101********1233" in steward_html


def test_s1_double_submission_creates_one_slip(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    first = register(desk, site["unit"], client_key="same-key-1")
    second = register(desk, site["unit"], client_key="same-key-1")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(slips(app)) == 1 and len(events(app, "slip.registered")) == 1


@pytest.mark.parametrize("over, message", [
    ({"items-0-name": "", "items-1-name": "", "items-1-qty": "1"}, "请至少填写一件物品"),
    ({"items-1-name": "", "items-1-qty": "3"}, "有数量的行请填写物品名称"),
    ({"carrier_id_number": "110101199003071234"}, "身份证号码不正确"),
    ({"vehicle_plate": "12345"}, "车牌号格式不正确"),
    ({"unit_id": ""}, "请先查找并选择房屋"),
    ({"moving_on": "明天"}, "日期格式不正确"),
    ({"items-0-qty": "两"}, "数量须为整数"),
    ({"items-0-qty": "0"}, "数量须为1至999"),
])
def test_s1_bad_input_is_refused_next_to_the_field(app, site, over, message):
    desk = client_for(app, site["users"]["front_desk"])
    resp = register(desk, site["unit"], **over)
    assert resp.status_code == 422 and message in text_of(resp)
    assert slips(app) == []


@pytest.mark.parametrize("days, message", [(-1, "搬出日期不能早于今天"), (40, "最多可提前30天")])
def test_s1_moving_day_is_today_to_30_days_on_the_site_calendar(clock, app, site, days, message):
    """Dates counted from the site's today at the moment the form is posted (not at collection,
    not on the machine's zone)."""
    desk = client_for(app, site["users"]["front_desk"])
    resp = register(desk, site["unit"], moving_on=(site_today() + timedelta(days=days)).isoformat())
    assert resp.status_code == 422 and message in text_of(resp)
    assert slips(app) == []
    for ok in (0, 30):  # today and the 30th day are accepted
        resp = register(desk, site["unit"], moving_on=(site_today() + timedelta(days=ok)).isoformat(),
                        client_key=f"edge-{days}-{ok}")
        assert resp.status_code == 303, text_of(resp)


# --- who may apply [S2] --------------------------------------------------------------------

def test_s2_owner_of_another_unit_refused(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = register(desk, site["unit"], applicant_name=OTHER_OWNER)
    html = text_of(resp)
    assert resp.status_code == 422 and f"{OTHER_OWNER} 是其他房屋的业主" in html and "3栋2单元1201" in html
    resp = register(desk, site["unit"], applicant_name="路人甲")
    assert resp.status_code == 422 and "不是该房屋（3栋2单元1201）登记的业主" in text_of(resp)
    assert slips(app) == [] and events(app) == []


def test_s2_tenant_needs_owner_consent(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    tenant = {"applicant_role": "tenant", "applicant_name": TENANT}
    resp = register(desk, site["unit"], **tenant)
    assert resp.status_code == 422 and "租户申请放行须经业主同意" in text_of(resp)
    # Phone consent needs the staff member who took the call.
    resp = register(desk, site["unit"], consent_method="phone", consent_staff="", **tenant)
    assert resp.status_code == 422 and "请填写接听业主电话确认的工作人员姓名" in text_of(resp)
    # Kiosk consent needs the owner's signature; written consent its photo.
    resp = register(desk, site["unit"], consent_method="kiosk", **tenant)
    assert resp.status_code == 422 and "请业主在屏幕上签字表示同意" in text_of(resp)
    resp = register(desk, site["unit"], consent_method="written", **tenant)
    assert resp.status_code == 422 and "请上传业主书面同意书的照片" in text_of(resp)
    # Consent given by someone who is not an owner of this unit does not count.
    resp = register(desk, site["unit"], consent_method="phone", consent_owner=OTHER_OWNER, consent_staff="黄前台",
                    **tenant)
    assert resp.status_code == 422 and f"{OTHER_OWNER} 不是该房屋登记的业主，其同意无效" in text_of(resp)
    assert slips(app) == []
    # With the owner's phone consent to a named staff member: registered, recorded how.
    resp = register(desk, site["unit"], consent_method="phone", consent_staff="黄前台", **tenant)
    assert resp.status_code == 303, text_of(resp)
    [s] = slips(app)
    assert (s.applicant_role, s.consent_method, s.consent_owner, s.consent_staff) == ("tenant", "phone", OWNER, "黄前台")
    ev = events(app, "slip.registered")[0]
    assert ev.data["consent"] == "phone" and ev.data["consent_owner"] == OWNER and ev.data["consent_staff"] == "黄前台"
    # Kiosk (the owner signs too) and written (a photo of the letter).
    resp = register(desk, site["unit"], consent_method="kiosk", consent_signature=png_url(), **tenant)
    assert resp.status_code == 303
    resp = register(desk, site["unit"], consent_method="written", consent_photo=(jpeg(), "letter.jpg"), **tenant)
    assert resp.status_code == 303
    kiosk, written = slips(app)[1:]
    assert kiosk.consent_path.endswith(".png") and written.consent_path.endswith(".jpg")
    for s in (kiosk, written):
        assert (Path(app.config["UPLOAD_FOLDER"]) / s.consent_path).is_file()
    resp = client_for(app, site["users"]["supervisor"]).get(f"/slips/{written.id}/consent")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"


def test_s2_unregistered_tenant_refused(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = register(desk, site["unit"], applicant_role="tenant", applicant_name="王某某", consent_method="phone",
                    consent_staff="黄前台")
    assert resp.status_code == 422 and "不是该房屋登记的租户" in text_of(resp)


def test_s2_lead_of_active_renovation_may_apply(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    lead = {"applicant_role": "lead", "applicant_name": LEAD}
    resp = register(desk, site["unit"], **lead)
    assert resp.status_code == 422 and "没有经批准且在装修期内的装修" in text_of(resp)
    renovation(app, site, state="applied")  # not approved yet
    assert register(desk, site["unit"], **lead).status_code == 422
    renovation(app, site, state="approved", starts=-100, ends=-10)  # period over
    assert register(desk, site["unit"], **lead).status_code == 422
    rid = renovation(app, site)
    resp = register(desk, site["unit"], applicant_role="lead", applicant_name="冒名者")
    assert resp.status_code == 422 and "不是本房屋在期装修登记的装修负责人" in text_of(resp)
    resp = register(desk, site["unit"], **lead)
    assert resp.status_code == 303, text_of(resp)
    [s] = slips(app)
    assert s.applicant_role == "lead" and s.renovation_id == rid


# --- signatures and the seal [S3] ----------------------------------------------------------

def test_s3_blank_signature_refused_paper_allowed(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    for value, message in [(png_url(ink=False), "请签名"), ("", "请签名"), ("data:image/png;base64,AAAA", "签名图片无效"),
                           ("data:text/html;base64,PGI+", "签名图片无效")]:
        resp = register(desk, site["unit"], signature=value)
        html = text_of(resp)
        assert resp.status_code == 422 and message in html
        field = html[html.index('id="signature-field"'):]
        assert message in field[:field.index('name="sign_on_paper"')]  # next to the pad
    assert slips(app) == []
    resp = register(desk, site["unit"], signature="", sign_on_paper="y")
    assert resp.status_code == 303
    [s] = slips(app)
    assert s.sign_on_paper and s.signature_path is None


def test_s3_manager_stamp_needs_supervisor_first(app, site):
    sid = new_slip(app, site)
    mgr, sup = client_for(app, site["users"]["manager"]), client_for(app, site["users"]["supervisor"])
    resp = step(mgr, sid, "approve")
    assert resp.status_code == 409 and "请先由值班主管签字" in text_of(resp)
    assert doc_of(app, sid).state == "draft"
    # Roles: the supervisor signs (not the manager, not the desk); the manager stamps.
    assert step(mgr, sid, "sign").status_code == 403
    assert step(client_for(app, site["users"]["front_desk"]), sid, "sign").status_code == 403
    assert step(sup, sid, "approve").status_code == 403
    assert step(sup, sid, "sign").status_code == 303
    assert step(sup, sid, "sign").status_code == 409  # signed already
    s = slips(app)[0]
    assert s.state == "signed" and s.supervisor_name == "陈主管" and s.supervisor_signed_at is not None
    assert doc_of(app, sid).state == "draft"
    assert step(mgr, sid, "approve", client_key="k1").status_code == 303
    assert step(mgr, sid, "approve", client_key="k1").status_code == 303  # a double tap: once
    s = slips(app)[0]
    assert s.state == "approved" and s.manager_name == "刘经理"
    doc = doc_of(app, sid)
    assert doc.state == "valid" and doc.approved_by_id == site["users"]["manager"].id
    assert doc.data["supervisor"] == "陈主管" and doc.data["manager"] == "刘经理"
    assert [e.action for e in events(app)] == ["slip.registered", "slip.signed", "slip.approved"]


def test_s3_refuse_and_cancel_need_a_reason_and_void_the_document(app, site):
    sid = new_slip(app, site)
    sup = client_for(app, site["users"]["supervisor"])
    resp = step(sup, sid, "refuse", reason="")
    assert resp.status_code == 422 and "请填写原因" in text_of(resp)
    assert step(sup, sid, "refuse", reason="物品与申请不符").status_code == 303
    s = slips(app)[0]
    assert s.state == "refused" and s.closed_reason == "物品与申请不符" and doc_of(app, sid).state == "revoked"
    assert step(client_for(app, site["users"]["manager"]), sid, "approve").status_code == 409
    # An approved slip may be cancelled before it is used; the gate then refuses it.
    sid2 = approved_slip(app, site)
    assert step(client_for(app, site["users"]["front_desk"]), sid2, "cancel", reason="业主改期").status_code == 303
    guard = client_for(app, site["users"]["guard"])
    html = text_of(guard.get("/renovations/gate/check", query_string={"q": doc_of(app, sid2).serial}))
    assert 'data-status="void"' in html and "业主改期" in html and "确认放行" not in html
    assert post(guard, f"/renovations/gate/slips/{sid2}/release").status_code == 409
    assert slips(app)[1].released_at is None


@needs_poppler
def test_s3_seal_only_after_manager_and_reprint_identical(app, site):
    from propsvc.documents import service

    sid = new_slip(app, site)
    serial = doc_of(app, sid).serial
    desk = client_for(app, site["users"]["front_desk"])

    def pdf():
        resp = desk.get(f"/documents/{doc_of(app, sid).id}.pdf")
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        return resp.get_data()

    draft = pdf_text(pdf())
    for text in ("物品放行条", serial, "3栋2单元1201", "双门冰箱", "旧沙发", "张搬运", "110101********1233", "粤B12345",
                 OWNER):
        assert text in draft, text
    assert CARRIER_ID not in draft and CARRIER_PHONE not in draft
    assert "草" in draft and "未生效" in draft  # the watermark
    assert "新澳花园（盖章）" in draft  # the line names the seal's issuer (stamp_name: here the name)
    with app.app_context():
        assert service.print_context(service.by_serial(site["community"].id, serial))["seal"] == ""
    step(client_for(app, site["users"]["supervisor"]), sid, "sign")
    signed = pdf_text(pdf())
    assert "陈主管" in signed and "未生效" in signed
    with app.app_context():
        assert service.print_context(service.by_serial(site["community"].id, serial))["seal"] == ""
    step(client_for(app, site["users"]["manager"]), sid, "approve")
    first = pdf()
    stamped = pdf_text(first)
    assert "未生效" not in stamped and "刘经理" in stamped and "陈主管" in stamped
    with app.app_context():
        assert str(service.print_context(service.by_serial(site["community"].id, serial))["seal"]) != ""
    # Frozen: changing the slip or the community afterwards does not change the reprint.
    from propsvc.registry.models import Community
    from propsvc.slips.models import ReleaseSlip

    with app.app_context():
        db.session.get(ReleaseSlip, sid).carrier_name = "改过的名字"
        db.session.get(Community, site["community"].id).stamp_name = "改名后的印章"
        db.session.commit()
    again = pdf()
    assert pdf_text(again) == stamped and "改过的名字" not in pdf_text(again)
    # The signature image is in the PDF (an embedded picture).
    images = subprocess.run(["pdfimages", "-list", "-"], input=first, capture_output=True).stdout.decode()
    assert len(images.splitlines()) >= 3


# --- the gate ------------------------------------------------------------------------------

def gate_check(client, q):
    return client.get("/renovations/gate/check", query_string={"q": q})


def test_gate_serial_ime_finds_the_slip_typed_full_width_or_without_dash(app, site):
    sid = approved_slip(app, site)
    serial = doc_of(app, sid).serial  # FX2026-0001
    guard = client_for(app, site["users"]["guard"])
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in serial.lower())
    for q in (fullwidth, serial.replace("-", ""), serial.replace("-", "－"), " ".join(serial)):
        assert 'data-status="valid"' in text_of(gate_check(guard, q)), q


def test_gate_first_release_ok_second_shows_who_and_when(app, site):
    sid = approved_slip(app, site)
    doc = doc_of(app, sid)
    guard = client_for(app, site["users"]["guard"])
    html = text_of(gate_check(guard, doc.serial.lower()))
    assert 'data-status="valid"' in html and "可放行" in html and "确认放行" in html
    assert "双门冰箱" in html and "张搬运" in html and "110101********1233" in html and CARRIER_ID not in html
    assert CARRIER_PHONE not in html
    # The scanned QR (the verification URL) and the bare code find it too.
    for q in (f"http://wuye.example.cn/v/{doc.code}", doc.code):
        assert 'data-status="valid"' in text_of(gate_check(guard, q))
    resp = post(guard, f"/renovations/gate/slips/{sid}/release", headers={"HX-Request": "true"})
    html = text_of(resp)
    assert resp.status_code == 200 and html.lstrip().startswith('<section id="gate-result"')
    assert 'data-status="released"' in html and "已放行" in html and "周保安" in html
    s = slips(app)[0]
    assert s.released_at is not None and s.released_by_id == site["users"]["guard"].id
    assert s.display_state == "released"
    # A second scan: already used, when and by whom; a second release is refused.
    html = text_of(gate_check(guard, doc.serial))
    assert 'data-status="used"' in html and "已使用" in html and "周保安" in html and "确认放行" not in html
    other_guard = client_for(app, site["users"]["supervisor"])
    resp = post(other_guard, f"/renovations/gate/slips/{sid}/release")
    assert resp.status_code == 409 and "由 周保安 放行" in text_of(resp)
    assert slips(app)[0].released_at == s.released_at
    acts = [(e.action, e.data.get("result")) for e in events(app) if e.action.startswith("slip.") and
            e.action in ("slip.checked", "slip.released")]
    assert acts == [("slip.checked", "valid")] * 3 + [("slip.released", None), ("slip.checked", "used"),
                                                     ("slip.checked", "used")]
    assert "已放行" in text_of(client_for(app, site["users"]["front_desk"]).get(f"/slips/{sid}"))


def test_gate_concurrent_release_once(app, site, make):
    sid = approved_slip(app, site)
    guards = [client_for(app, site["users"]["guard"]),
              client_for(app, make.user("guard", communities=[site["community"]], name="郑保安"))]
    barrier, results = threading.Barrier(2), [None, None]

    def go(i):
        barrier.wait()
        results[i] = post(guards[i], f"/renovations/gate/slips/{sid}/release")

    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(r.status_code for r in results) == [200, 409]
    assert len(events(app, "slip.released")) == 1
    loser = next(r for r in results if r.status_code == 409)
    assert "已使用" in text_of(loser)


def test_gate_expired_early_and_unapproved_refused(clock, app, site):
    from propsvc.documents.models import Document
    from propsvc.slips.models import ReleaseSlip

    guard = client_for(app, site["users"]["guard"])
    pending = new_slip(app, site)
    html = text_of(gate_check(guard, doc_of(app, pending).serial))
    assert 'data-status="not_approved"' in html and "未批准" in html and "确认放行" not in html
    assert post(guard, f"/renovations/gate/slips/{pending}/release").status_code == 409
    signed = new_slip(app, site)
    step(client_for(app, site["users"]["supervisor"]), signed, "sign")
    assert 'data-status="not_approved"' in text_of(gate_check(guard, doc_of(app, signed).serial))

    tomorrow = approved_slip(app, site, moving_on=(site_today() + timedelta(days=1)).isoformat())
    html = text_of(gate_check(guard, doc_of(app, tomorrow).serial))
    assert 'data-status="early"' in html and "未到日期" in html
    assert post(guard, f"/renovations/gate/slips/{tomorrow}/release").status_code == 409

    expired = approved_slip(app, site)
    with app.app_context():  # the moving day has passed
        s = db.session.get(ReleaseSlip, expired)
        s.moving_on = site_today() - timedelta(days=1)
        db.session.get(Document, s.document_id).valid_until = s.moving_on
        db.session.commit()
    html = text_of(gate_check(guard, doc_of(app, expired).serial))
    assert 'data-status="expired"' in html and "已过期" in html and "确认放行" not in html
    resp = post(guard, f"/renovations/gate/slips/{expired}/release")
    assert resp.status_code == 409 and "已过期" in text_of(resp)
    assert all(s.released_at is None for s in slips(app))
    assert events(app, "slip.released") == []
    # Expired before approval: the manager cannot stamp it any more.
    late = new_slip(app, site)
    step(client_for(app, site["users"]["supervisor"]), late, "sign")
    with app.app_context():
        db.session.get(ReleaseSlip, late).moving_on = site_today() - timedelta(days=1)
        db.session.commit()
    resp = step(client_for(app, site["users"]["manager"]), late, "approve")
    assert resp.status_code == 409 and "已过，不能再批准" in text_of(resp)


def test_gate_slip_of_another_community_is_unknown(app, site, make):
    sid = approved_slip(app, site)
    other = make.community("别的小区")
    guard2 = client_for(app, make.user("guard", communities=[other]))
    html = text_of(gate_check(guard2, doc_of(app, sid).serial))
    assert 'data-status="unknown"' in html and "张搬运" not in html
    assert post(guard2, f"/renovations/gate/slips/{sid}/release").status_code == 404
    assert slips(app)[0].released_at is None


# --- lists, images and access --------------------------------------------------------------

def test_list_filters_and_access(app, site, make):
    sid = approved_slip(app, site)
    new_slip(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    html = text_of(desk.get("/slips"))
    assert html.count('data-state="') == 2 and "登记放行条" in html
    assert text_of(desk.get("/slips?state=approved")).count('data-state="approved"') == 1
    assert text_of(desk.get("/slips?state=pending")).count('data-state="pending"') == 1
    frag = text_of(desk.get("/slips?state=pending", headers={"HX-Request": "true"}))
    assert frag.lstrip().startswith('<div id="results"')
    guard = client_for(app, site["users"]["guard"])
    assert 'data-state="approved"' in text_of(guard.get("/slips"))  # today's slips by default
    assert guard.get("/slips/new").status_code == 403
    assert client_for(app, site["users"]["technician"]).get("/slips").status_code == 403
    # The signature image: staff who handle slips, not guards or technicians, not another site.
    for role in ("front_desk", "steward", "supervisor", "manager", "admin"):
        resp = client_for(app, site["users"][role]).get(f"/slips/{sid}/signature")
        assert resp.status_code == 200 and resp.mimetype == "image/png", role
        assert resp.headers["Cache-Control"].startswith("private")
    for role in ("guard", "technician"):
        assert client_for(app, site["users"][role]).get(f"/slips/{sid}/signature").status_code == 403
    other = make.community("别的小区")
    desk2 = client_for(app, make.user("front_desk", communities=[other]))
    assert desk2.get(f"/slips/{sid}").status_code == 404
    assert desk2.get(f"/slips/{sid}/signature").status_code == 404


def test_decode_signature_rejects_non_images_and_crops():
    from propsvc.slips.services import SlipError, decode_signature

    png = decode_signature(SIGNATURE)
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.mode == "L" and im.width < 320
    for bad in ("", "data:image/png;base64," + base64.b64encode(b"not a png").decode(), png_url(ink=False),
                "data:image/png;base64," + "A" * 700_000):
        with pytest.raises(SlipError):
            decode_signature(bad)
