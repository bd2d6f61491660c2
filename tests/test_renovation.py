"""Renovation: rules [R1], [R2], [R4], [R6] through the web interface, on a real database."""
import io
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from conftest import client_for, post
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.renovation import services
from propsvc.renovation.models import Extension, Inspection, Renovation, RenovationSettings

LEAD_ID = "110101199003071233"
_keys = itertools.count()


def _docs_or_skip():
    if not services.documents_available():
        pytest.skip("propsvc.documents.service is not installed yet: permits and extension documents "
                    "cannot be issued (the lead was told)")
    from propsvc.documents import service

    return service


@pytest.fixture
def site(app, make):
    c = make.community()
    b = make.building(c, "3")
    u = make.unit(b, 2, "1201", status="delivered")
    neighbour = make.unit(b, 2, "1101", floor=11)
    other_entrance = make.unit(b, 1, "1001", floor=10)
    owner = make.person(u, name="王建国")
    make.person(neighbour, name="赵敏", phone="13900001111")
    users = {role: make.user(role, communities=[c])
             for role in ("front_desk", "steward", "supervisor", "manager", "finance", "technician", "guard")}
    return {"community": c, "building": b, "unit": u, "neighbour": neighbour, "other_entrance": other_entrance,
            "owner": owner, "users": users}


def apply(client, unit, **over):
    data = {"unit_id": str(unit.id), "applicant_role": "owner", "applicant_name": "王建国",
            "lead_company": "美家装饰", "lead_name": "李师傅", "lead_phone": "139 1234 5678",
            "lead_id_number": LEAD_ID, "scope": "厨卫改造，墙面刷漆", "starts_on": date.today().isoformat(),
            "first_renovation": "y", "client_key": f"k-{next(_keys)}"}
    data.update({k: v for k, v in over.items() if v is not None})
    for k in [k for k, v in over.items() if v is None]:
        data.pop(k, None)
    return post(client, "/renovations/new", data, content_type="multipart/form-data")


def renovation(app, renovation_id=None) -> Renovation:
    with app.app_context():
        stmt = select(Renovation).order_by(Renovation.id.desc())
        r = db.session.get(Renovation, renovation_id) if renovation_id else db.session.scalars(stmt).first()
        if r is not None:
            db.session.refresh(r)
            db.session.expunge(r)
        return r


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def actions(app, r) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Event.action).where(
            Event.object_type == "renovation", Event.object_id == r.id).order_by(Event.id)))


def step(client, url, prefix, **data):
    return post(client, url, {f"{prefix}-{k}" if k != "client_key" else k: v for k, v in data.items()}, content_type="multipart/form-data")


def approved(app, site, unit=None, **over) -> Renovation:
    desk = client_for(app, site["users"]["front_desk"])
    resp = apply(desk, unit or site["unit"], **over)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    r = renovation(app)
    mgr = client_for(app, site["users"]["manager"])
    assert step(mgr, f"/renovations/{r.id}/approve", "approve").status_code == 303
    return renovation(app, r.id)


def _jpeg(color="red"):
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buf, "JPEG")
    buf.seek(0)
    return buf


# --- [R1] the period ---------------------------------------------------------------------

def test_r1_default_end_is_three_months(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    assert apply(desk, site["unit"], starts_on="2026-11-30").status_code == 303
    r = renovation(app)
    assert (r.starts_on, r.ends_on) == (date(2026, 11, 30), date(2027, 2, 28))  # calendar months, month end kept
    assert services.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)  # leap year
    assert services.add_months(date(2026, 10, 15), 3) == date(2027, 1, 15)
    # An explicit end wins; a period set per community is used for the default.
    with app.app_context():
        db.session.add(RenovationSettings(community_id=site["community"].id, default_months=2))
        db.session.commit()
    assert apply(desk, site["neighbour"], applicant_role="lead", applicant_name="李师傅",
                 starts_on="2026-12-31").status_code == 303
    assert renovation(app).ends_on == date(2027, 2, 28)
    assert apply(desk, site["other_entrance"], applicant_role="lead", applicant_name="李师傅",
                 starts_on="2026-12-01", ends_on="2027-01-20").status_code == 303
    assert renovation(app).ends_on == date(2027, 1, 20)
    resp = apply(desk, site["other_entrance"], starts_on="2026-12-01", ends_on="2026-11-01", applicant_role="lead",
                 applicant_name="李师傅")
    assert resp.status_code == 422 and "计划完工日期必须晚于开工日期" in resp.get_data(as_text=True)


# --- [R4] who may apply --------------------------------------------------------------------

def test_r4_applicant_must_be_owner_or_lead(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = apply(desk, site["unit"], applicant_name="张三", applicant_role="owner")
    assert resp.status_code == 422
    assert "张三 不是该房屋登记的业主" in resp.get_data(as_text=True)
    resp = apply(desk, site["unit"], applicant_name="张三", applicant_role="lead")
    assert resp.status_code == 422 and "不是本次装修登记的装修负责人" in resp.get_data(as_text=True)
    # Someone else of another unit is not its owner either.
    assert apply(desk, site["neighbour"], applicant_name="李四", applicant_role="owner").status_code == 422
    assert count(app, Renovation) == 0
    # The lead (by the name on the form) may apply; so may the owner (a blank name means the owner).
    assert apply(desk, site["unit"], applicant_name="李 师傅", applicant_role="lead").status_code == 303
    r = renovation(app)
    assert (r.applicant_name, r.applicant_role, r.lead_phone) == ("李 师傅", "lead", "13912345678")
    assert apply(desk, site["neighbour"], applicant_name="", applicant_role="owner").status_code == 303
    r2 = renovation(app)
    assert (r2.applicant_name, r2.applicant_role) == ("赵敏", "owner")
    with app.app_context():
        r = db.session.get(Renovation, r.id)
        assert services.applicant_ok(r, "王建国", "owner") and services.can_apply_as(r, "李师傅", "lead")
        assert not services.applicant_ok(r, "王建国", "lead") and not services.applicant_ok(r, "赵敏", "owner")
        assert services.applicant_error(r, "张三", "owner") == "张三 不是该房屋登记的业主，只有业主本人或装修负责人可以办理。"
    assert actions(app, r) == ["renovation.applied"]


def test_application_validates_phone_and_id_number(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = apply(desk, site["unit"], lead_phone="12345", lead_id_number="110101199003071234", scope="")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "电话号码格式不正确" in html and "身份证号码不正确" in html and "请填写装修内容" in html
    resp = apply(desk, site["unit"], unit_id=None)
    assert resp.status_code == 422 and "请先查找并选择房屋" in resp.get_data(as_text=True)
    assert count(app, Renovation) == 0


def test_application_double_submit_creates_one_renovation(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    first = apply(desk, site["unit"], client_key="same-key")
    again = apply(desk, site["unit"], client_key="same-key")
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert count(app, Renovation) == 1
    # A second application for a unit with one still open is refused, with a key of its own.
    resp = apply(desk, site["unit"])
    assert resp.status_code == 409 and "已有未完工的装修" in resp.get_data(as_text=True)
    assert count(app, Renovation) == 1


def test_application_form_looks_up_the_unit_and_its_owner(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    html = desk.get("/renovations/new?part=lookup&unit_q=3-2-1201", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "3栋2单元1201" in html and "王建国" in html and 'name="unit_id"' in html
    assert 'name="first_renovation"' in html and "checked" in html  # never renovated: first by default
    assert "<html" not in html
    assert "房号格式不正确" in desk.get("/renovations/new?part=lookup&unit_q=3--1201", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert desk.get("/renovations/new").status_code == 200
    assert client_for(app, site["users"]["technician"]).get("/renovations/new").status_code == 403


def test_attachments_are_stored_and_refused_when_not_images(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = apply(desk, site["unit"], photos=(io.BytesIO(b"not an image"), "plan.jpg"))
    assert resp.status_code == 422 and "图片" in resp.get_data(as_text=True)
    assert count(app, Renovation) == 0
    assert apply(desk, site["unit"], photos=[(_jpeg(), "plan.jpg")]).status_code == 303
    r = renovation(app)
    with app.app_context():
        (a,) = services.attachments(db.session.get(Renovation, r.id))
    page = desk.get(f"/renovations/{r.id}").get_data(as_text=True)
    assert f"path={a['path']}" in page
    img = desk.get(f"/renovations/{r.id}/photo", query_string={"path": a["path"], "thumb": 1})
    assert img.status_code == 200 and img.mimetype == "image/jpeg"
    assert desk.get(f"/renovations/{r.id}/photo", query_string={"path": "../../etc/passwd"}).status_code == 404


# --- approval, the permit, finishing ------------------------------------------------------------

def test_approval_sets_unit_renovating_and_issues_permit(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    assert apply(desk, site["unit"]).status_code == 303
    r = renovation(app)
    assert r.state == "applied"
    assert step(desk, f"/renovations/{r.id}/approve", "approve").status_code == 403
    assert step(client_for(app, site["users"]["supervisor"]), f"/renovations/{r.id}/approve", "approve").status_code == 403
    mgr = client_for(app, site["users"]["manager"])
    resp = step(mgr, f"/renovations/{r.id}/approve", "approve")
    assert resp.status_code == 303
    r = renovation(app, r.id)
    assert r.state == "approved" and r.approved_at is not None
    with app.app_context():
        from propsvc.registry.models import Unit

        assert db.session.get(Unit, site["unit"].id).status == "renovating"
        assert db.session.get(Unit, site["unit"].id).status_label == "装修中"
    assert actions(app, r) == ["renovation.applied", "renovation.approved"]
    again = step(mgr, f"/renovations/{r.id}/approve", "approve")  # a new key: refused as out of order
    assert again.status_code == 409 and "只有待审批的申请可以批准" in again.get_data(as_text=True)
    docs = _docs_or_skip()
    with app.app_context():
        permit = docs.for_object(db.session.get(Renovation, r.id), "permit")
        assert permit is not None and permit.state == "valid" and docs.status(permit) == "valid"
        assert permit.valid_until == r.ends_on and permit.data["unit"] == "3栋2单元1201"
        assert permit.data["owner"] == "王建国" and permit.data["lead_name"] == "李师傅"
        assert LEAD_ID not in str(permit.data) and "13912345678" not in str(permit.data)
        serial, doc_id = permit.serial, permit.id
    page = desk.get(f"/renovations/{r.id}").get_data(as_text=True)
    assert serial in page and "有效" in page and f"/documents/{doc_id}.pdf" in page


def test_reject_needs_a_reason_and_ends_the_application(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    assert apply(desk, site["unit"]).status_code == 303
    r = renovation(app)
    mgr = client_for(app, site["users"]["manager"])
    resp = step(mgr, f"/renovations/{r.id}/reject", "reject", reason="")
    assert resp.status_code == 422 and "请填写驳回原因" in resp.get_data(as_text=True)
    assert step(mgr, f"/renovations/{r.id}/reject", "reject", reason="图纸涉及拆改承重墙").status_code == 303
    assert renovation(app, r.id).state == "rejected"
    resp = step(mgr, f"/renovations/{r.id}/approve", "approve")
    assert resp.status_code == 409
    with app.app_context():
        from propsvc.registry.models import Unit

        assert db.session.get(Unit, site["unit"].id).status == "delivered"
    # A rejected application does not block a new one.
    assert apply(desk, site["unit"]).status_code == 303


def test_finish_returns_the_unit_to_its_status_before(app, site):
    r = approved(app, site)
    steward = client_for(app, site["users"]["steward"])
    assert step(client_for(app, site["users"]["finance"]), f"/renovations/{r.id}/finish", "finish").status_code == 403
    assert step(steward, f"/renovations/{r.id}/finish", "finish", note="已验收").status_code == 303
    assert renovation(app, r.id).state == "finished"
    with app.app_context():
        from propsvc.registry.models import Unit

        assert db.session.get(Unit, site["unit"].id).status == "delivered"  # was delivered: nobody lives there
        assert not services.active_renovation_for_unit(site["unit"].id)
        assert services.ever_approved(site["unit"].id)
    # An occupied home goes back to 已入住.
    r2 = approved(app, site, unit=site["neighbour"], applicant_name="赵敏")
    assert step(steward, f"/renovations/{r2.id}/finish", "finish").status_code == 303
    with app.app_context():
        from propsvc.registry.models import Unit

        assert db.session.get(Unit, site["neighbour"].id).status == "occupied"
    # The next renovation of the first unit is not a first renovation.
    html = client_for(app, site["users"]["front_desk"]).get(
        "/renovations/new?part=lookup&unit_q=3-2-1201", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="first_renovation"' in html and "checked" not in html


def test_t9_lead_id_number_is_masked_and_only_roles_that_need_it_may_reveal(app, site):
    r = approved(app, site)
    page = client_for(app, site["users"]["front_desk"]).get(f"/renovations/{r.id}").get_data(as_text=True)
    assert LEAD_ID not in page and f"/privacy/reveal/renovation/{r.id}/lead_id_number" in page
    page = client_for(app, site["users"]["steward"]).get(f"/renovations/{r.id}").get_data(as_text=True)
    assert LEAD_ID not in page and "110101********1233" in page
    assert f"/privacy/reveal/renovation/{r.id}/lead_id_number" not in page
    page = client_for(app, site["users"]["technician"]).get(f"/renovations/{r.id}").get_data(as_text=True)
    assert LEAD_ID not in page and "13912345678" not in page and "139****5678" in page
    assert client_for(app, site["users"]["guard"]).get(f"/renovations/{r.id}").status_code == 403


def test_pass_helpers(app, site):
    r = approved(app, site)
    with app.app_context():
        assert services.get_renovation(site["community"].id, r.id).id == r.id
        assert services.get_renovation(site["community"].id + 999, r.id) is None
        assert services.active_renovation_for_unit(site["unit"].id).id == r.id
        assert services.active_renovation_for_unit(site["unit"].id, r.ends_on + timedelta(days=1)) is None
        assert services.active_renovation_for_unit(site["unit"].id, r.starts_on - timedelta(days=1)) is None


def test_other_community_sees_nothing(app, site, make):
    r = approved(app, site)
    other = make.community()
    outsider = make.user("manager", communities=[other])
    c = client_for(app, outsider)
    assert c.get(f"/renovations/{r.id}").status_code == 404
    assert step(c, f"/renovations/{r.id}/finish", "finish").status_code == 404
    assert "3栋2单元1201" not in c.get("/renovations").get_data(as_text=True)


def test_index_filters_by_state(app, site):
    r = approved(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert apply(desk, site["neighbour"], applicant_name="赵敏").status_code == 303
    html = desk.get("/renovations").get_data(as_text=True)
    assert "3栋2单元1201" in html and "3栋2单元1101" in html
    html = desk.get("/renovations?state=applied").get_data(as_text=True)
    assert "3栋2单元1101" in html and f"/renovations/{r.id}\"" not in html
    frag = desk.get("/renovations?state=approved", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in frag and "3栋2单元1201" in frag
    assert client_for(app, site["users"]["technician"]).get("/renovations").status_code == 200
    assert client_for(app, site["users"]["guard"]).get("/renovations").status_code == 403


# --- [R2] the first-renovation inspection ----------------------------------------------------

def _inspection(**over):
    data = {}
    for key in services.INSPECTION_POINTS:
        data[f"{key}_result"] = "ok"
    data.update({"rules_told": "y", "neighbours_told": "y", "client_key": f"i-{next(_keys)}"})
    data.update(over)
    return data


def test_r2_first_renovation_inspection_defect_needs_photo(app, site):
    neighbour = approved(app, site, unit=site["neighbour"], applicant_name="赵敏", lead_company="邻家装修")
    far = approved(app, site, unit=site["other_entrance"], applicant_role="lead", applicant_name="李师傅",
                   lead_company="别的单元装修")
    desk = client_for(app, site["users"]["front_desk"])
    assert apply(desk, site["unit"]).status_code == 303
    r = renovation(app)
    assert r.first_renovation is True
    steward = client_for(app, site["users"]["steward"])
    page = steward.get(f"/renovations/{r.id}/inspection").get_data(as_text=True)
    assert "3栋2单元1101" in page and "邻家装修" in page  # same building and entrance
    assert "别的单元装修" not in page and neighbour.id != far.id
    for label in ("入户门", "门锁", "窗户", "窗户锁扣", "阳台地漏"):
        assert label in page
    url = f"/renovations/{r.id}/inspection"
    # A defect without a photo is refused, with the message next to the point.
    resp = post(steward, url, _inspection(door_result="defect", door_note="右下角划痕"), content_type="multipart/form-data")
    assert resp.status_code == 422 and "入户门有问题，请拍照留证" in resp.get_data(as_text=True)
    resp = post(steward, url, _inspection(drains_result=""), content_type="multipart/form-data")
    assert resp.status_code == 422 and "请检查阳台地漏" in resp.get_data(as_text=True)
    resp = post(steward, url, _inspection(neighbours_told=""), content_type="multipart/form-data")
    assert resp.status_code == 422 and "请告知业主相邻装修情况后勾选" in resp.get_data(as_text=True)
    resp = post(steward, url, _inspection(door_result="defect", door_note="右下角划痕",
                                          door_photo=(io.BytesIO(b"nope"), "x.jpg")), content_type="multipart/form-data")
    assert resp.status_code == 422 and "图片" in resp.get_data(as_text=True)
    assert count(app, Inspection) == 0
    assert post(desk, url, _inspection(), content_type="multipart/form-data").status_code == 403
    # With the photo it is saved, once.
    data = _inspection(door_result="defect", door_note="右下角划痕", door_photo=(_jpeg(), "door.jpg"),
                       client_key="insp-1")
    assert post(steward, url, data, content_type="multipart/form-data").status_code == 303
    with app.app_context():
        ins = db.session.scalar(select(Inspection).where(Inspection.renovation_id == r.id))
        assert ins.results["door"]["ok"] is False and ins.results["door"]["note"] == "右下角划痕"
        assert ins.results["door"]["photo"] and ins.results["lock"]["ok"] is True
        assert ins.rules_told and ins.neighbours_told
        photo_path = ins.results["door"]["photo"]
        ev = db.session.scalar(select(Event).where(Event.action == "renovation.inspected", Event.object_id == r.id))
        assert ev.data["defects"] == ["入户门"] and ev.data["neighbours"] == ["3栋2单元1101"]
    again = post(steward, url, _inspection(door_photo=(_jpeg(), "door.jpg"), client_key="insp-1"),
                 content_type="multipart/form-data")
    assert again.status_code == 303  # the same submission again: nothing new
    resp = post(steward, url, _inspection(), content_type="multipart/form-data")
    assert resp.status_code == 409 and "不能重复登记" in resp.get_data(as_text=True)
    assert count(app, Inspection) == 1
    page = steward.get(f"/renovations/{r.id}").get_data(as_text=True)
    assert "右下角划痕" in page and "有问题" in page
    assert steward.get(f"/renovations/{r.id}/photo", query_string={"path": photo_path}).status_code == 200


# --- [R6] extensions ---------------------------------------------------------------------------

def _extend(client, r, **over):
    data = {"requester_role": "lead", "requester_name": "李师傅", "reason": "瓷砖到货延迟",
            "new_end": (r.ends_on + timedelta(days=30)).isoformat(), "fee": "200",
            "client_key": f"e-{next(_keys)}"}
    data.update(over)
    return step(client, f"/renovations/{r.id}/extensions", "extend", **data)


def _ext(app, r) -> Extension:
    with app.app_context():
        e = db.session.scalars(select(Extension).where(Extension.renovation_id == r.id).order_by(Extension.id.desc())).first()
        db.session.expunge(e)
        return e


def test_r6_extension_order_review_then_approve_then_fee(app, site):
    r = approved(app, site)
    old_end = r.ends_on
    desk = client_for(app, site["users"]["front_desk"])
    resp = _extend(desk, r, requester_role="owner", requester_name="张三")
    assert resp.status_code == 422 and "不是该房屋登记的业主" in resp.get_data(as_text=True)
    resp = _extend(desk, r, new_end=old_end.isoformat())
    assert resp.status_code == 422 and "必须晚于当前完工日期" in resp.get_data(as_text=True)
    assert count(app, Extension) == 0
    assert _extend(desk, r).status_code == 303
    ext = _ext(app, r)
    assert (ext.state, ext.fee, ext.requested_by) == ("requested", Decimal("200.00"), "李师傅")
    resp = _extend(desk, r)
    assert resp.status_code == 409 and "已有一份处理中的延期申请" in resp.get_data(as_text=True)
    base = f"/renovations/{r.id}/extensions/{ext.id}"
    sup, mgr = client_for(app, site["users"]["supervisor"]), client_for(app, site["users"]["manager"])
    fin = client_for(app, site["users"]["finance"])
    # The manager cannot approve before the engineering review.
    resp = step(mgr, f"{base}/approve", "decide", decision="agree")
    assert resp.status_code == 409 and "尚未经工程主管审核" in resp.get_data(as_text=True)
    assert step(sup, f"{base}/review", "review", decision="agree", note="工期合理").status_code == 303
    assert _ext(app, r).state == "reviewed"
    resp = step(sup, f"{base}/review", "review", decision="agree")
    assert resp.status_code == 409 and "工程审核只能在申请之后" in resp.get_data(as_text=True)
    assert step(mgr, f"{base}/approve", "decide", decision="agree").status_code == 303
    # Approved, but the fee is not paid: the end date has not moved.
    assert _ext(app, r).state == "approved" and renovation(app, r.id).ends_on == old_end
    assert "已批准，待缴费" in desk.get(f"/renovations/{r.id}").get_data(as_text=True)
    resp = step(fin, f"{base}/fee", "fee", receipt_no="")
    assert resp.status_code == 422 and "请填写收据号" in resp.get_data(as_text=True)
    assert step(fin, f"{base}/fee", "fee", receipt_no="SJ-0088").status_code == 303
    r = renovation(app, r.id)
    assert r.ends_on == old_end + timedelta(days=30)
    ext = _ext(app, r)
    assert ext.fee_receipt_no == "SJ-0088" and ext.fee_paid_at is not None
    resp = step(fin, f"{base}/fee", "fee", receipt_no="SJ-0089")
    assert resp.status_code == 409 and "已收取" in resp.get_data(as_text=True)
    assert actions(app, r) == [
        "renovation.applied", "renovation.approved", "renovation.extension_requested",
        "renovation.extension_reviewed", "renovation.extension_approved", "renovation.extension_fee_paid",
        "renovation.extended"]
    with app.app_context():
        assert services.active_renovation_for_unit(site["unit"].id, old_end + timedelta(days=10)).id == r.id
    docs = _docs_or_skip()
    with app.app_context():
        doc = docs.for_object(db.session.get(Extension, ext.id), "extension")
        assert doc is not None and docs.status(doc) == "valid" and doc.valid_until == r.ends_on
        assert doc.data["new_end"] == r.ends_on.isoformat() and doc.data["old_end"] == old_end.isoformat()
        assert doc.data["receipt_no"] == "SJ-0088" and doc.data["reviewed_by"] and doc.data["approved_by"]
        permit = docs.for_object(db.session.get(Renovation, r.id), "permit")
        assert doc.data["permit_serial"] == permit.serial
        doc_id, serial = doc.id, doc.serial
    page = desk.get(f"/renovations/{r.id}").get_data(as_text=True)
    assert serial in page and f"/documents/{doc_id}.pdf" in page
    from pathlib import Path

    if not (Path(app.template_folder) / "documents" / "extension_pdf.html").exists():
        pytest.skip("templates/documents/extension_pdf.html (document service work) is not there yet")
    pdf = desk.get(f"/documents/{doc_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_r6_fee_paid_first_or_no_fee_moves_the_end_at_approval(app, site):
    r = approved(app, site)
    desk, sup = client_for(app, site["users"]["front_desk"]), client_for(app, site["users"]["supervisor"])
    mgr, fin = client_for(app, site["users"]["manager"]), client_for(app, site["users"]["finance"])
    # No fee: the end moves when the manager approves.
    assert _extend(desk, r, fee="").status_code == 303
    ext = _ext(app, r)
    base = f"/renovations/{r.id}/extensions/{ext.id}"
    resp = step(fin, f"{base}/fee", "fee", receipt_no="X1")
    assert resp.status_code == 409 and "无需缴费" in resp.get_data(as_text=True)
    assert step(sup, f"{base}/review", "review", decision="agree").status_code == 303
    assert step(mgr, f"{base}/approve", "decide", decision="agree").status_code == 303
    r2 = renovation(app, r.id)
    assert r2.ends_on == r.ends_on + timedelta(days=30)
    # A fee paid first ("any fee is paid first"): the end moves at approval.
    assert _extend(desk, r2, new_end=(r2.ends_on + timedelta(days=10)).isoformat(), fee="50").status_code == 303
    ext = _ext(app, r2)
    base = f"/renovations/{r.id}/extensions/{ext.id}"
    assert step(fin, f"{base}/fee", "fee", receipt_no="SJ-1").status_code == 303
    assert renovation(app, r.id).ends_on == r2.ends_on  # paid, not yet approved
    assert step(sup, f"{base}/review", "review", decision="agree").status_code == 303
    assert step(mgr, f"{base}/approve", "decide", decision="agree").status_code == 303
    assert renovation(app, r.id).ends_on == r2.ends_on + timedelta(days=10)
    # A refusal needs a reason and ends the request.
    assert _extend(desk, renovation(app, r.id), fee="0").status_code == 303
    ext = _ext(app, r)
    base = f"/renovations/{r.id}/extensions/{ext.id}"
    resp = step(sup, f"{base}/review", "review", decision="refuse")
    assert resp.status_code == 422 and "不同意时请填写原因" in resp.get_data(as_text=True)
    assert step(sup, f"{base}/review", "review", decision="refuse", note="工期过长").status_code == 303
    assert _ext(app, r).state == "rejected"
    assert step(mgr, f"{base}/approve", "decide", decision="agree").status_code == 409


def test_r6_wrong_role_refused(app, site):
    r = approved(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    assert _extend(client_for(app, site["users"]["technician"]), r).status_code == 403
    assert _extend(client_for(app, site["users"]["finance"]), r).status_code == 403
    assert _extend(desk, r).status_code == 303
    ext = _ext(app, r)
    base = f"/renovations/{r.id}/extensions/{ext.id}"
    for role in ("front_desk", "steward", "manager", "finance", "technician"):
        assert step(client_for(app, site["users"][role]), f"{base}/review", "review", decision="agree").status_code == 403
    assert step(client_for(app, site["users"]["supervisor"]), f"{base}/review", "review", decision="agree").status_code == 303
    for role in ("front_desk", "steward", "supervisor", "finance"):
        assert step(client_for(app, site["users"][role]), f"{base}/approve", "decide", decision="agree").status_code == 403
    for role in ("front_desk", "supervisor", "manager"):
        assert step(client_for(app, site["users"][role]), f"{base}/fee", "fee", receipt_no="X").status_code == 403
    assert _ext(app, r).state == "reviewed" and _ext(app, r).fee_paid_at is None
    # An extension of another renovation under this one's URL is not found.
    assert step(client_for(app, site["users"]["manager"]), f"/renovations/{r.id}/extensions/{ext.id + 99}/approve",
                "decide", decision="agree").status_code == 404
    # Extensions only for an approved, unfinished renovation.
    assert apply(desk, site["neighbour"], applicant_name="赵敏").status_code == 303
    pending = renovation(app)
    resp = _extend(desk, pending, requester_role="owner", requester_name="赵敏")
    assert resp.status_code == 409 and "只有已批准、未完工的装修可以申请延期" in resp.get_data(as_text=True)


def test_two_managers_approving_at_once_issue_one_permit(app, site, make):
    import threading

    desk = client_for(app, site["users"]["front_desk"])
    assert apply(desk, site["unit"]).status_code == 303
    r = renovation(app)
    managers = [client_for(app, site["users"]["manager"]),
                client_for(app, make.user("manager", communities=[site["community"]]))]
    results = [None, None]
    barrier = threading.Barrier(2)

    def go(i):
        barrier.wait()
        results[i] = step(managers[i], f"/renovations/{r.id}/approve", "approve", client_key=f"race-{i}")

    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(x.status_code for x in results) == [303, 409]
    assert actions(app, r).count("renovation.approved") == 1
    if services.documents_available():
        from propsvc.documents.models import Document

        assert count(app, Document) == 1
