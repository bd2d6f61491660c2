"""Issued documents (issue 5, items 7 and 8): serial numbers, draft → approved → revoked, the
seal only after approval, identical reprints, the public verification page without personal
data, the staff PDF route, page sizes and embedded fonts."""
import io
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from conftest import client_for
from propsvc.core.models import Event
from propsvc.core.timefmt import site_today
from propsvc.documents import service
from propsvc.documents.models import DocKind, DocState, Document
from propsvc.extensions import db

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")



def year() -> int:
    """The site's year now (Asia/Shanghai), as the serials use: not the machine's, nor the year
    the module was imported in."""
    return site_today().year
STAMP = "东湖物业印鉴中心"  # distinct from the community name, so the seal's text is its own marker
SECRET_NAME = "张秘密"
SECRET_ID = "110101199003071233"
SECRET_PHONE = "13812345678"


# --- helpers -----------------------------------------------------------------------------

class Thing:
    """Any object a document is issued for: the service needs its class name and id."""

    def __init__(self, id_):
        self.id = id_


def _run(tool, pdf: bytes, *args) -> str:
    cmd = [tool, *args, "-", "-"] if tool == "pdftotext" else [tool, *args, "-"]
    return subprocess.run(cmd, input=pdf, capture_output=True, check=True).stdout.decode()


def flat_text(pdf: bytes) -> str:
    """The PDF's text in content order with all whitespace removed (the seal's characters and
    the diagonal watermark come out one per line)."""
    return "".join(_run("pdftotext", pdf, "-raw").split())


def seal_of(text: str) -> str:
    """The flat text without the signature line (STAMP（盖章）, issue 15: it names the seal's
    issuer), so that STAMP in it is the drawn seal's own text."""
    return text.replace(f"{STAMP}（盖章）", "")


def page_size_mm(pdf: bytes) -> tuple[float, float]:
    m = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", _run("pdfinfo", pdf), re.M)
    return round(float(m.group(1)) * 25.4 / 72, 1), round(float(m.group(2)) * 25.4 / 72, 1)


def pages_of(pdf: bytes) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", pdf), re.M).group(1))


def images_of(pdf: bytes) -> int:
    """Pictures (photos, seal images, signatures): images drawn smoothed. QR codes are drawn
    with sharp pixels (interp "no" in pdfimages' list) and counted by qr_codes_of."""
    return sum(row[9] == "yes" for row in _image_rows(pdf))


def _image_rows(pdf: bytes) -> list[list[str]]:
    return [line.split() for line in _run("pdfimages", pdf, "-list").splitlines()[2:] if line.strip()]


def qr_codes_of(pdf: bytes) -> list[list[list[bool]]]:
    """The QR codes printed in the PDF as module matrices (True = dark), read back from its
    sharp-pixel images: one pixel per module, quiet zone included."""
    import tempfile

    sharp = [i for i, row in enumerate(_image_rows(pdf)) if row[9] == "no"]
    codes = []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdfimages", "-png", "-", f"{tmp}/img"], input=pdf, check=True)
        for i in sharp:
            with Image.open(f"{tmp}/img-{i:03d}.png") as im:
                gray = im.convert("L")
                codes.append([[gray.getpixel((x, y)) < 128 for x in range(gray.width)] for y in range(gray.height)])
    return codes


def qr_matrix(text: str) -> list[list[bool]]:
    """What segno draws for `text` (error level M, never Micro QR) with the 2-module quiet zone."""
    import segno

    return [[bool(v) for v in row] for row in segno.make(text, error="m", micro=False).matrix_iter(border=2)]


def fonts_of(pdf: bytes) -> list[list[str]]:
    return [line.split() for line in _run("pdffonts", pdf).splitlines()[2:] if line.strip()]


def pdf_words(pdf: bytes) -> list[tuple[str, float, float, float]]:
    """Every word of a PDF with its box as pdftotext -bbox reads it: (text, xMin, yMin, xMax) in
    points, in reading order (to check that columns line up)."""
    import re
    from html import unescape

    return [(unescape(w), float(x0), float(y0), float(x1)) for x0, y0, x1, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        _run("pdftotext", pdf, "-bbox"))]


def jpeg(size=(600, 800), quality=85) -> io.BytesIO:
    """A photo with detail (a plain colour would compress to nothing)."""
    buf = io.BytesIO()
    Image.effect_mandelbrot(size, (-2, -1.5, 1, 1.5), 100).convert("RGB").save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return buf


@pytest.fixture
def site(make, app):
    c = make.community("东湖花园")
    other = make.community("西山小区")
    with app.app_context():
        from propsvc.registry.models import Community

        db.session.get(Community, c.id).stamp_name = STAMP
        db.session.commit()
    users = {role: make.user(role, communities=[c]) for role in
             ("front_desk", "supervisor", "manager", "finance", "admin", "steward", "guard", "technician")}
    return {"community": c, "other": other, "users": users, "other_desk": make.user("front_desk", communities=[other])}


PERMIT_DATA = {"unit": "3栋2单元1201", "owner": SECRET_NAME, "applicant": SECRET_NAME, "applicant_role": "业主",
               "lead_company": "鑫源装饰工程有限公司", "lead_name": "李强", "lead_id_number": SECRET_ID,
               "lead_phone_full": SECRET_PHONE, "scope": "厨卫防水、水电改造、墙面涂料"}


def new_doc(app, community_id, kind=DocKind.PERMIT, data=None, *, obj_id=1, approve=False, actor_id=None,
            valid_from=None, valid_until=None) -> int:
    """Create (and optionally approve) a document in its own app context; returns its id."""
    with app.app_context():
        from propsvc.auth.models import User

        start = valid_from or date.today()
        doc = service.create(kind, Thing(obj_id), dict(PERMIT_DATA if data is None else data),
                             community_id=community_id, valid_from=start,
                             valid_until=valid_until or start + timedelta(days=90))
        if approve:
            service.approve(doc, db.session.get(User, actor_id) if actor_id else None)
        db.session.commit()
        return doc.id


def load(app, doc_id) -> Document:
    with app.app_context():
        doc = db.session.get(Document, doc_id)
        db.session.expunge(doc)
        return doc


def render(app, doc_id) -> bytes:
    with app.app_context():
        return service.pdf(db.session.get(Document, doc_id))


# --- serial numbers ----------------------------------------------------------------------

def test_serial_format_per_community_kind_and_year(clock, app, site):
    c, other = site["community"], site["other"]
    ids = [new_doc(app, c.id), new_doc(app, c.id), new_doc(app, c.id, DocKind.PASS, {"name": "甲"}),
           new_doc(app, c.id, DocKind.EXTENSION, {}), new_doc(app, c.id, DocKind.SLIP, {}), new_doc(app, other.id)]
    docs = [load(app, i) for i in ids]
    assert [d.serial for d in docs] == [f"XK{year()}-0001", f"XK{year()}-0002", f"CRZ{year()}-0001", f"YQ{year()}-0001",
                                        f"FX{year()}-0001", f"XK{year()}-0001"]
    assert all(d.state == DocState.DRAFT for d in docs)
    codes = {d.code for d in docs}
    assert len(codes) == len(docs) and all(re.fullmatch(r"[A-Za-z0-9_-]{16}", code) for code in codes)
    with app.app_context():
        ev = db.session.scalars(select(Event).where(Event.action == "document.created",
                                                    Event.object_id == ids[0])).one()
        assert ev.object_type == "document" and ev.community_id == c.id and ev.data["serial"] == f"XK{year()}-0001"


def test_serial_counts_per_year_and_past_9999(clock, app, site, monkeypatch):
    c = site["community"]
    with app.app_context():
        db.session.add(Document(community_id=c.id, kind="permit", serial=f"XK{year()}-9999", code="manual-1",
                                object_type="thing", object_id=1, data={}))
        db.session.commit()
    assert load(app, new_doc(app, c.id)).serial == f"XK{year()}-10000"
    assert load(app, new_doc(app, c.id)).serial == f"XK{year()}-10001"  # 10000 > 9999 though "1" < "9"
    monkeypatch.setattr(service, "site_today", lambda: date(year() + 1, 1, 2))
    assert load(app, new_doc(app, c.id)).serial == f"XK{year() + 1}-0001"


def test_serial_taken_meanwhile_is_retried_in_a_savepoint(app, site, monkeypatch):
    c = site["community"]
    first = load(app, new_doc(app, c.id))
    real = service._next_serial
    calls = []

    def stale(*args):  # the first answer is what a concurrent transaction already used
        calls.append(args)
        return first.serial if len(calls) == 1 else real(*args)

    monkeypatch.setattr(service, "_next_serial", stale)
    second = load(app, new_doc(app, c.id))
    assert len(calls) == 2 and second.serial == f"XK{year()}-0002"
    with app.app_context():  # the failed insert left nothing behind
        assert db.session.scalar(select(db.func.count()).select_from(Document)) == 2


def test_other_integrity_errors_are_not_retried_forever(app, site):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        with pytest.raises(IntegrityError):
            service.create(DocKind.PERMIT, Thing(1), {}, community_id=999_999)  # no such community
        db.session.rollback()


def test_concurrent_creates_get_distinct_serials(app, site):
    """Four requests issue permits at the same moment, each in its own app context and
    transaction: four serials, none twice (PostgreSQL: unique index + retry; SQLite: the
    write lock queues them)."""
    c = site["community"]
    n = 4
    start = threading.Barrier(n)
    serials, errors = [], []

    def worker(i):
        with app.app_context():
            try:
                start.wait(timeout=10)
                doc = service.create(DocKind.PERMIT, Thing(100 + i), {"unit": f"{i}栋"}, community_id=c.id)
                db.session.flush()
                time.sleep(0.15)  # hold the transaction open while the others try
                db.session.commit()
                serials.append(doc.serial)
            except Exception as e:  # noqa: BLE001 — any failure is the finding
                errors.append(repr(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(serials) == [f"XK{year()}-{i:04d}" for i in range(1, n + 1)]


# --- states ------------------------------------------------------------------------------

def test_approve_freezes_records_and_refuses_twice(app, site):
    c, manager = site["community"], site["users"]["manager"]
    doc_id = new_doc(app, c.id, data=dict(PERMIT_DATA, starts_on=date(2026, 1, 5), fee=Decimal("5.00")))
    with app.app_context():
        from propsvc.auth.models import User

        doc = db.session.get(Document, doc_id)
        assert doc.data["starts_on"] == "2026-01-05" and doc.data["fee"] == "5.00"  # plain JSON
        service.approve(doc, db.session.get(User, manager.id), {"approved_by": "刘经理"})
        db.session.commit()
        assert doc.state == DocState.VALID and doc.approved_by_id == manager.id and doc.approved_at is not None
        assert doc.data["approved_by"] == "刘经理" and doc.data["owner"] == SECRET_NAME  # merged
        assert doc.data["_issue"]["community"] == "东湖花园" and doc.data["_issue"]["stamp_name"] == STAMP
        assert db.session.scalars(select(Event).where(Event.action == "document.approved",
                                                      Event.object_id == doc_id)).one().actor_id == manager.id
        with pytest.raises(service.DocumentError, match="只有草稿可以批准"):
            service.approve(doc, None)
        with pytest.raises(service.DocumentError, match="撤销原因"):
            service.revoke(doc, None, "  ")
        service.revoke(doc, db.session.get(User, manager.id), "业主撤回装修申请")
        db.session.commit()
        assert doc.state == DocState.REVOKED and doc.revoke_reason == "业主撤回装修申请"
        assert db.session.scalars(select(Event).where(Event.action == "document.revoked",
                                                      Event.object_id == doc_id)).one().data["state_before"] == "valid"
        with pytest.raises(service.DocumentError):
            service.revoke(doc, None, "again")


def test_status_draft_valid_expired_revoked(app, site):
    c = site["community"]
    today = date(2026, 6, 1)
    with app.app_context():
        doc = db.session.get(Document, new_doc(app, c.id, valid_from=date(2026, 3, 1),
                                               valid_until=date(2026, 6, 1)))
        assert service.status(doc, today) == "draft"
        service.approve(doc, None)
        assert service.status(doc, today) == "valid"  # the last day still counts
        assert service.status(doc, today + timedelta(days=1)) == "expired"
        service.revoke(doc, None, "作废")
        assert service.status(doc, today) == "revoked"
        assert service.status(doc, today + timedelta(days=1)) == "revoked"


def test_for_object_finds_the_newest_of_its_kind(app, site):
    c = site["community"]
    new_doc(app, c.id, DocKind.PASS, {"name": "甲"}, obj_id=5)
    newer = new_doc(app, c.id, DocKind.PASS, {"name": "甲"}, obj_id=5)
    new_doc(app, c.id, DocKind.PASS, {"name": "乙"}, obj_id=6)
    with app.app_context():
        assert service.for_object(Thing(5), DocKind.PASS).id == newer
        assert service.for_object(Thing(5), "pass").id == newer
        assert service.for_object(Thing(5), DocKind.PERMIT) is None
        assert service.for_object(Thing(7), DocKind.PASS) is None
        assert service.by_serial(c.id, f"crz{year()}-0002 ").id == newer
        assert service.by_serial(site["other"].id, f"CRZ{year()}-0002") is None


# --- the PDF -----------------------------------------------------------------------------

@needs_poppler
def test_draft_pdf_is_watermarked_and_has_no_seal(app, site):
    doc_id = new_doc(app, site["community"].id)
    pdf = render(app, doc_id)
    text = flat_text(pdf)
    assert "草稿未生效" in text
    assert STAMP not in seal_of(text)  # the seal's text is the seal's marker
    assert f"XK{year()}-0001" in text and "装修许可证" in text and "3栋2单元1201" in text
    assert images_of(pdf) == 0
    assert qr_codes_of(pdf) == [qr_matrix(f"http://localhost/v/{load(app, doc_id).code}")]  # verifiable as a draft too


@needs_poppler
def test_approved_pdf_has_the_seal_the_serial_and_the_verification_qr(app, site):
    doc_id = new_doc(app, site["community"].id, approve=True)
    pdf = render(app, doc_id)
    text = flat_text(pdf)
    assert STAMP in seal_of(text)  # the generated seal: the stamp name along the arc
    assert "草稿" not in text and "未生效" not in text
    assert f"XK{year()}-0001" in text and "扫码核验真伪" in text
    doc = load(app, doc_id)
    with app.test_request_context():
        ctx = service.print_context(db.session.get(Document, doc_id))
        assert ctx["verify"]["url"] == f"http://localhost/v/{doc.code}"
    # The QR code read back from the PDF, module by module, is the verification URL's.
    assert qr_codes_of(pdf) == [qr_matrix(f"http://localhost/v/{doc.code}")]


@needs_poppler
def test_reprint_is_identical_even_after_the_community_changes(app, site, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", "")  # really render again (no stored copy)
    c = site["community"]
    doc_id = new_doc(app, c.id, approve=True)
    first = render(app, doc_id)
    assert render(app, doc_id) == first  # same bytes: no dates or random ids in the PDF
    with app.app_context():
        from propsvc.registry.models import Community

        community = db.session.get(Community, c.id)
        community.name, community.stamp_name = "东湖花园（新）", "改名后的印章"
        db.session.commit()
    again = render(app, doc_id)
    assert _run("pdftotext", again, "-layout") == _run("pdftotext", first, "-layout")
    assert "改名后的印章" not in flat_text(again)


@needs_poppler
def test_revoked_pdf_prints_void_without_seal(app, site):
    doc_id = new_doc(app, site["community"].id, approve=True)
    with app.app_context():
        service.revoke(db.session.get(Document, doc_id), None, "装修取消")
        db.session.commit()
    text = flat_text(render(app, doc_id))
    assert "作废已撤销" in text and STAMP not in seal_of(text)


@needs_poppler
def test_configured_seal_image_is_used_and_nothing_outside_uploads(app, site):
    c = site["community"]
    from pathlib import Path

    seal = Path(app.config["UPLOAD_FOLDER"]) / f"c{c.id}" / "seal.png"
    seal.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (200, 200), (215, 25, 31, 180)).save(seal)
    with app.app_context():
        from propsvc.registry.models import Community

        db.session.get(Community, c.id).stamp_image = f"c{c.id}/seal.png"
        db.session.commit()
    draft = new_doc(app, c.id)
    approved = new_doc(app, c.id, approve=True)
    assert images_of(render(app, draft)) == 0
    pdf = render(app, approved)
    assert images_of(pdf) >= 1 and STAMP not in seal_of(flat_text(pdf))  # the image instead of the drawn seal
    with app.app_context():  # a path outside the upload folder is ignored: the generated seal
        db.session.get(Community, c.id).stamp_image = "../../../../etc/hostname"
        db.session.commit()
    pdf = render(app, new_doc(app, c.id, approve=True))
    assert images_of(pdf) == 0 and STAMP in seal_of(flat_text(pdf))


@needs_poppler
def test_permit_is_one_a4_page_with_an_embedded_cjk_font(app, site):
    pdf = render(app, new_doc(app, site["community"].id, approve=True, valid_from=date(2026, 11, 27),
                              valid_until=date(2027, 2, 27)))
    assert page_size_mm(pdf) == (210.0, 297.0) and pages_of(pdf) == 1
    text = flat_text(pdf)
    for expected in ("东湖花园", "3栋2单元1201", SECRET_NAME, "鑫源装饰工程有限公司", "李强", "厨卫防水",
                     "2026年11月27日至2027年02月27日", "装修须知", f"{STAMP}（盖章）"):
        assert expected in text, expected
    assert SECRET_ID not in text and SECRET_PHONE not in text  # keys no template prints
    fonts = fonts_of(pdf)
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # every font embedded ("emb")
    assert any("DocCJK" in row[0] for row in fonts)
    assert len(pdf) < 60_000


@needs_poppler
def test_pass_card_is_card_sized_with_photo_name_unit_and_validity(app, site):
    from propsvc.photos.services import save_photo

    c = site["community"]
    with app.app_context():
        big = save_photo(jpeg(size=(1200, 1600), quality=95), folder=f"c{c.id}/workers")
        assert service._photo_src(big.thumb_path).startswith("file://")  # small: the file itself
        assert service._photo_src(big.path).startswith("data:image/jpeg;base64,")  # big: a print-sized copy
    for path in (big.thumb_path, big.path):  # the thumbnail as is; a full-size photo scaled down
        doc_id = new_doc(app, c.id, DocKind.PASS, {"name": "张师傅", "unit": "3栋2单元1201", "trade": "水电工",
                                                    "valid_until": "2027-02-27", "photo_path": path,
                                                    "id_number": SECRET_ID}, approve=True,
                         valid_until=date(2027, 2, 27))
        pdf = render(app, doc_id)
        assert page_size_mm(pdf) == (85.6, 54.0) and pages_of(pdf) == 1
        assert images_of(pdf) == 1
        text = flat_text(pdf)
        serial = load(app, doc_id).serial
        for expected in ("装修人员出入证", "张师傅", "3栋2单元1201", "水电工", "有效期至2027年02月27日", serial):
            assert expected in text, expected
        assert STAMP in seal_of(text) and f"{STAMP}（盖章）" in text  # the seal and the line naming it
        assert SECRET_ID not in text
        assert all(row[-5] == "yes" for row in fonts_of(pdf))
        assert len(pdf) < 60_000, len(pdf)


@needs_poppler
def test_pass_without_photo_or_with_a_path_outside_uploads_still_prints(app, site):
    for path in ("", "../../etc/passwd", "c1/missing.jpg"):
        pdf = render(app, new_doc(app, site["community"].id, DocKind.PASS, {"name": "王五", "photo_path": path}))
        assert images_of(pdf) == 0 and "照片" in flat_text(pdf)


@needs_poppler
def test_extension_is_one_a5_page(app, site):
    data = {"unit": "3栋2单元1201", "owner": SECRET_NAME, "lead_name": "李强", "permit_serial": f"XK{year()}-0001",
            "requested_by": "李强", "requester_role": "装修负责人", "reason": "橱柜定制延迟到货",
            "starts_on": "2026-11-27", "old_end": "2027-02-27", "new_end": "2027-03-27", "fee": "200.00",
            "receipt_no": "SJ-0042", "reviewed_by": "赵工", "reviewed_on": "2027-02-20"}
    pdf = render(app, new_doc(app, site["community"].id, DocKind.EXTENSION, data, approve=True,
                              valid_until=date(2027, 3, 27)))
    assert page_size_mm(pdf) == (148.0, 210.0) and pages_of(pdf) == 1
    text = flat_text(pdf)
    for expected in ("装修延期审批单", f"YQ{year()}-0001", f"XK{year()}-0001", "2027年02月27日", "2027年03月27日",
                     "橱柜定制延迟到货", "200.00元", "SJ-0042", "工程主管审核", "赵工", "管理处经理审批"):
        assert expected in text, expected
    assert STAMP in seal_of(text) and f"{STAMP}（盖章）" in text  # the seal and the line naming it


@needs_poppler
def test_long_texts_are_cut_so_each_document_stays_one_page(app, site):
    c = site["community"]
    long = "拆除原有墙面砖并重新铺贴，" * 120  # ~1500 characters
    permit = dict(PERMIT_DATA, scope=long + "\n" * 40 + "最后一行", owner="欧阳" * 40, lead_company="装饰" * 60,
                  unit="9栋" * 30, rules=["遵守装修管理规定。" * 3] * 9)
    pdf = render(app, new_doc(app, c.id, data=permit, approve=True))
    assert pages_of(pdf) == 1 and "详见系统记录" in flat_text(pdf) and "最后一行" not in flat_text(pdf)
    ext = {"unit": "3栋2单元1201", "reason": "材料延迟到货。" * 100, "old_end": "2027-02-27", "new_end": "2027-03-27"}
    pdf = render(app, new_doc(app, c.id, DocKind.EXTENSION, ext, approve=True))
    assert pages_of(pdf) == 1 and "详见系统记录" in flat_text(pdf)
    card = {"name": "阿卜杜热合曼·买买提" * 4, "unit": "12栋3单元2801" * 4, "trade": "水电工兼木工油漆工" * 3}
    pdf = render(app, new_doc(app, c.id, DocKind.PASS, card, approve=True))
    assert pages_of(pdf) == 1
    with app.app_context():  # the stored data keeps the whole text
        assert db.session.scalars(select(Document).where(Document.kind == "permit")).one().data["scope"].endswith(
            "最后一行")


# --- the public verification page --------------------------------------------------------

def test_verify_page_shows_status_and_no_personal_data(app, site, client):
    c = site["community"]
    pass_data = {"name": SECRET_NAME, "id_number": SECRET_ID, "phone": SECRET_PHONE, "unit": "3栋2单元1201",
                 "trade": "水电工"}
    cases = {
        "valid": new_doc(app, c.id, DocKind.PASS, pass_data, approve=True),
        "draft": new_doc(app, c.id, DocKind.PASS, pass_data),
        "expired": new_doc(app, c.id, DocKind.PASS, pass_data, approve=True, valid_from=date(2020, 1, 1),
                           valid_until=date(2020, 3, 1)),
        "revoked": new_doc(app, c.id, DocKind.PASS, pass_data, approve=True),
    }
    with app.app_context():
        service.revoke(db.session.get(Document, cases["revoked"]), None, "工人离场")
        db.session.commit()
    labels = {"valid": "有效", "draft": "未生效", "expired": "已过期", "revoked": "已撤销"}
    for state, doc_id in cases.items():
        doc = load(app, doc_id)
        resp = client.get(f"/v/{doc.code}")  # nobody signed in
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert f"<strong>{labels[state]}</strong>" in html, state
        assert doc.serial in html and "装修人员出入证" in html and "东湖花园" in html
        for secret in (SECRET_NAME, SECRET_ID, SECRET_PHONE, "3栋2单元1201", "1201", "水电工", "工人离场"):
            assert secret not in html, (state, secret)
        assert resp.headers["Cache-Control"] == "no-store" and "noindex" in resp.headers["X-Robots-Tag"]
    assert "2020年03月01日" in client.get(f"/v/{load(app, cases['expired']).code}").get_data(as_text=True)


def test_verify_page_of_a_permit_names_the_unit_but_nobody(app, site, client):
    doc = load(app, new_doc(app, site["community"].id, approve=True))
    html = client.get(f"/v/{doc.code}").get_data(as_text=True)
    assert "3栋2单元1201" in html and "装修许可证" in html and "<strong>有效</strong>" in html
    for secret in (SECRET_NAME, SECRET_ID, SECRET_PHONE, "李强", "鑫源"):
        assert secret not in html, secret


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAA", "x", "A" * 40, "XK2026-0001"])
def test_verify_unknown_code_is_404_in_chinese(app, site, client, code):
    new_doc(app, site["community"].id, approve=True)
    resp = client.get(f"/v/{code}")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    # Only the page body: the head carries a random CSRF token that may contain any letters.
    body = html.split('<main id="main">', 1)[1]
    assert "未找到该证件" in body and "XK" not in body.replace(code, "")


# --- the staff PDF route -----------------------------------------------------------------

@needs_poppler
@pytest.mark.parametrize("role", ["front_desk", "supervisor", "manager", "finance", "admin", "steward"])
def test_staff_print_the_pdf(app, site, role):
    doc_id = new_doc(app, site["community"].id, approve=True)
    resp = client_for(app, site["users"][role]).get(f"/documents/{doc_id}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"] == f'inline; filename="permit-XK{year()}-0001.pdf"'
    assert resp.headers["Cache-Control"] == "no-store"
    assert STAMP in seal_of(flat_text(resp.get_data()))


@pytest.mark.parametrize("role", ["guard", "technician"])
def test_pdf_route_refuses_other_roles(app, site, role):
    doc_id = new_doc(app, site["community"].id, approve=True)
    assert client_for(app, site["users"][role]).get(f"/documents/{doc_id}.pdf").status_code == 403


def test_pdf_route_hides_other_communities_documents(app, site, client):
    doc_id = new_doc(app, site["community"].id, approve=True)
    assert client_for(app, site["other_desk"]).get(f"/documents/{doc_id}.pdf").status_code == 404
    assert client_for(app, site["users"]["front_desk"]).get("/documents/999999.pdf").status_code == 404
    resp = client.get(f"/documents/{doc_id}.pdf")  # not signed in: to the sign-in page
    assert resp.status_code in (302, 303, 401) and b"%PDF" not in resp.get_data()


@needs_poppler
def test_common_characters_come_from_the_small_font_and_rare_ones_from_a_small_cut(app, site):
    """Documents set text in a common-character (GB2312) cut of the CJK font, which lays out and
    subsets faster; a name character outside it (喆, 镕, 堃) still prints, from a small cut of the
    whole font made for the characters (tests/test_pdf_fonts.py: Extension B)."""
    from propsvc.documents.pdf import common_font, cjk_font

    with app.app_context():
        small = common_font()
        assert small is not None and small.stat().st_size < cjk_font().stat().st_size / 4
        assert small.parent == Path(app.instance_path) / "fonts"
    plain = render(app, new_doc(app, site["community"].id, approve=True))
    assert len(fonts_of(plain)) == 1  # everything from the small font
    rare = render(app, new_doc(app, site["community"].id, data=dict(PERMIT_DATA, owner="王喆", lead_name="李镕堃"),
                               approve=True))
    text = flat_text(rare)
    assert "王喆" in text and "李镕堃" in text
    assert len(fonts_of(rare)) == 2 and all(row[-5] == "yes" for row in fonts_of(rare))  # both embedded


def test_every_document_kind_has_its_print_template(app):
    """GET /documents/<id>.pdf prints any kind through templates/documents/<kind>_pdf.html: a
    kind without one was a 500 (the 催缴通知单 printed only in batches until issue 19's fix)."""
    from propsvc.documents.models import DocKind
    from propsvc.documents.service import PAGE_SIZES, SERIAL_PREFIXES

    with app.app_context():
        for kind in DocKind:
            assert app.jinja_env.get_template(f"documents/{kind}_pdf.html") is not None, kind
            assert kind in PAGE_SIZES and kind in SERIAL_PREFIXES, kind
