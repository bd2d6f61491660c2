"""The printable work order (派工单) and the shared document service behind it."""
import io
import re
import shutil
import subprocess

import pytest
from PIL import Image

from test_tickets import client_for, intake, site, step, ticket  # noqa: F401
from propsvc.documents import FetchRefused, cjk_font, qr_img, render_pdf, safe_fetcher
from test_documents import images_of, qr_codes_of, qr_matrix

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def _run(tool, pdf: bytes, *args) -> str:
    return subprocess.run([tool, *args, "-", "-"] if tool == "pdftotext" else [tool, *args, "-"],
                          input=pdf, capture_output=True, check=True).stdout.decode()


def text_of(pdf: bytes) -> str:
    return _run("pdftotext", pdf, "-layout")


def pages_of(pdf: bytes) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", pdf), re.M).group(1))


def fonts_of(pdf: bytes) -> list[list[str]]:
    lines = _run("pdffonts", pdf).splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def _dispatched(app, site, **intake_over):
    """A ticket taken in at the desk and dispatched to engineering with a task."""
    desk = client_for(app, site["users"]["front_desk"])
    assert intake(desk, site, **intake_over).status_code == 303
    t = ticket(app)
    sup = client_for(app, site["users"]["supervisor"])
    assert step(sup, t, "dispatch", department_id=site["eng"], assignee_id="0", task="检查卫生间防水").status_code == 303
    return ticket(app, t.id), desk, sup


def _jpeg(color):
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(buf, "JPEG")
    buf.seek(0)
    return buf


def test_work_order_is_one_a5_page_with_the_ticket_and_an_embedded_cjk_font(app, site):
    t, desk, _sup = _dispatched(app, site, photos=[(_jpeg("red"), "a.jpg"), (_jpeg("green"), "b.jpg")])
    resp = desk.get(f"/tickets/{t.id}/workorder.pdf")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"] == f'inline; filename="workorder-{t.serial}.pdf"'
    assert resp.headers["Cache-Control"] == "no-store"
    pdf = resp.get_data()
    assert pdf.startswith(b"%PDF")
    assert pages_of(pdf) == 1
    assert "148 x 210 mm" in _run("pdfinfo", pdf) or re.search(r"Page size:\s+419\.\d+ x 595\.\d+", _run("pdfinfo", pdf))
    text = text_of(pdf)
    for expected in (t.serial, "派工单", "3栋2单元1201", "水电气维修", "卫生间漏水", "检查卫生间防水", "工程部",
                     "王建国", "138****5678", "处理情况", "材料", "业主签字", "完成时间"):
        assert expected in text, expected
    assert "13812345678" not in text  # phones are masked on paper
    fonts = fonts_of(pdf)
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # every font embedded ("emb")
    assert any("DocCJK" in row[0] for row in fonts)
    assert images_of(pdf) == 2  # the two photo thumbnails
    assert qr_codes_of(pdf) == [qr_matrix(f"http://localhost/tickets/{t.id}")]  # a phone can open it
    assert len(pdf) < 60_000


def test_complaint_work_order_for_a_technician_has_no_complaint_or_complainant(app, site):
    t, desk, _sup = _dispatched(app, site, kind="complaint", category_id=str(site["cats"]["噪音/邻里"]),
                                description="1101的张某每晚装修噪音扰民")
    tech = client_for(app, site["users"]["technician"])
    text = text_of(tech.get(f"/tickets/{t.id}/workorder.pdf").get_data())
    assert t.serial in text and "3栋2单元1201" in text and "检查卫生间防水" in text
    assert "张某" not in text and "扰民" not in text
    assert "王建国" not in text and "5678" not in text
    desk_text = text_of(desk.get(f"/tickets/{t.id}/workorder.pdf").get_data())
    assert "张某" in desk_text and "王建国" in desk_text


def test_technician_sees_no_photos_of_internal_notes_on_a_complaint(app, site):
    t, desk, _sup = _dispatched(app, site, kind="complaint", category_id=str(site["cats"]["噪音/邻里"]),
                                description="噪音")
    assert step(desk, t, "note", text="内部：投诉人提供的照片", photos=(_jpeg("blue"), "x.jpg")).status_code == 303
    tech = client_for(app, site["users"]["technician"])
    tech_pdf = tech.get(f"/tickets/{t.id}/workorder.pdf").get_data()
    assert images_of(tech_pdf) == 0
    desk_pdf = desk.get(f"/tickets/{t.id}/workorder.pdf").get_data()
    assert images_of(desk_pdf) == 1


def test_long_texts_are_cut_so_the_work_order_stays_one_page(app, site):
    long = "卫生间漏水，楼下天花板滴水，ABC 123。" * 90  # ~2000 characters
    t, desk, _sup = _dispatched(app, site, description=long[:2000], location="主卧卫生间" * 20,
                                photos=[(_jpeg(c), f"{c}.jpg") for c in ("red", "green", "blue", "gray")])
    pdf = desk.get(f"/tickets/{t.id}/workorder.pdf").get_data()
    assert pages_of(pdf) == 1
    text = text_of(pdf)
    assert "详见系统工单" in text and t.serial in text and "业主签字" in text
    assert images_of(pdf) == 4


def test_clip_cuts_to_printed_lines():
    from propsvc.tickets.workorder import clip

    assert clip("短文本", 3, 10) == ("短文本", 1)
    assert clip(None, 3, 10) == (None, 0)
    assert clip("一二三四五六七八九十" * 3, 2, 10, more="…") == ("一二三四五六七八九十一二三四五六七八九…", 2)
    assert clip("a\nb\nc\nd", 2, 10, more="…") == ("a\nb…", 2)
    assert clip("一二三四五六七八九十", 1, 10, more="…") == ("一二三四五六七八九十", 1)


def test_work_order_access(app, site, make):
    t, _desk, _sup = _dispatched(app, site)
    assert client_for(app, site["users"]["guard"]).get(f"/tickets/{t.id}/workorder.pdf").status_code == 403
    other = make.community()
    outsider = make.user("supervisor", communities=[other])
    assert client_for(app, outsider).get(f"/tickets/{t.id}/workorder.pdf").status_code == 404
    assert client_for(app, site["users"]["steward"]).get("/tickets/999999/workorder.pdf").status_code == 404
    anonymous = app.test_client().get(f"/tickets/{t.id}/workorder.pdf")
    assert anonymous.status_code in (302, 401)


def test_ticket_page_links_to_the_work_order(app, site):
    t, desk, _sup = _dispatched(app, site)
    assert f"/tickets/{t.id}/workorder.pdf" in desk.get(f"/tickets/{t.id}").get_data(as_text=True)


# --- the document service ----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://example.com/logo.png",
    "https://example.com/font.woff2",
    "ftp://example.com/x",
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "file://evil.example.com/share/x.png",
    "file:///proc/self/environ",
])
def test_fetcher_refuses_remote_urls_and_files_outside_the_app(app, url):
    with app.app_context():
        with pytest.raises(FetchRefused):
            safe_fetcher(url)


def test_fetcher_refuses_escapes_from_the_allowed_folders(app, tmp_path):
    from propsvc.core.web import STATIC_ROOT

    with app.app_context():
        up = app.config["UPLOAD_FOLDER"]
        for url in (f"{STATIC_ROOT.as_uri()}/../pyproject.toml", f"{STATIC_ROOT.as_uri()}/%2e%2e/pyproject.toml",
                    f"file://{up}/../test.db", STATIC_ROOT.as_uri()):
            with pytest.raises(FetchRefused):
                safe_fetcher(url)
        # a symlink inside the upload folder pointing out of it
        import os
        from pathlib import Path

        Path(up).mkdir(parents=True, exist_ok=True)
        link = Path(up) / "link.txt"
        link.unlink(missing_ok=True)
        os.symlink("/etc/hostname", link)
        with pytest.raises(FetchRefused):
            safe_fetcher(link.as_uri())
        link.unlink()


def test_fetcher_reads_static_files_uploads_the_font_and_data_urls(app):
    from propsvc.core.web import STATIC_ROOT

    with app.app_context():
        resp = safe_fetcher((STATIC_ROOT / "css" / "app.css").as_uri())
        assert b"propsvc" in resp.read()
        resp.close()
        font = safe_fetcher(cjk_font().as_uri())
        assert len(font.read(4)) == 4
        font.close()
        assert safe_fetcher("data:text/plain;base64,5rS+5bel5Y2V").read().decode() == "派工单"


def test_render_pdf_takes_plain_data_only_and_named_or_custom_page_sizes(app, site):
    from propsvc.extensions import db
    from propsvc.tickets.models import Ticket

    with app.test_request_context():
        with pytest.raises(TypeError, match="database object"):
            render_pdf("tickets/workorder_pdf.html", wo={"t": db.session.get(Ticket, 1) or Ticket()})
        with pytest.raises(ValueError):
            render_pdf("documents/base_pdf.html", page_size="B9")
        a4 = render_pdf("documents/base_pdf.html", page_size="A4")
        slip = render_pdf("documents/base_pdf.html", page_size=(100, 70))
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+", _run("pdfinfo", a4))
    assert re.search(r"Page size:\s+283\.\d+ x 198\.\d+", _run("pdfinfo", slip))


def test_render_pdf_refuses_more_pages_than_allowed(app):
    from propsvc.documents import DocumentTooLong
    from propsvc.tickets.workorder import fit

    wo = {"community": {"name": "测试小区"}, "serial": "261127-0001", "url": "http://localhost/tickets/1", "created": "",
          "kind": "报修", "channel": "电话", "urgency": "一般", "category": "水电气维修", "state": "", "place": "1栋",
          "reporter": None, "description": None, "task": "检查。" * 2000, "department": None, "assignee": None,
          "respond_due": "", "resolve_due": "", "expected": None, "photos": [], "printed_by": "", "printed_at": ""}
    with app.test_request_context():
        with pytest.raises(DocumentTooLong) as e:
            render_pdf("tickets/workorder_pdf.html", max_pages=1, wo=wo)
        assert e.value.pages > 1
        assert pages_of(render_pdf("tickets/workorder_pdf.html", max_pages=1, wo=fit(wo, 14, 0))) == 1


def test_qr_img_is_a_sharp_one_pixel_per_module_png_sized_in_mm():
    html = str(qr_img("http://localhost/tickets/12", size_mm=20))
    m = re.fullmatch(r'<img class="qr-code" src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="" '
                     r'style="width: 20mm; height: 20mm; image-rendering: pixelated">', html)
    assert m, html
    import base64

    with Image.open(io.BytesIO(base64.b64decode(m.group(1)))) as im:
        modules = [[im.convert("L").getpixel((x, y)) < 128 for x in range(im.width)] for y in range(im.height)]
    assert modules == qr_matrix("http://localhost/tickets/12")  # a regular QR code (never Micro QR)


