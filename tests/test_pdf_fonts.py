"""Fonts of printed documents (propsvc.documents.pdf): a rare character costs a few kilobytes,
not a hundred (issue 15 item 6); the fetcher reads the fonts it chose and nothing else; the
warm-up that loads the fonts when a worker starts works and stays off under tests (item 7)."""
from datetime import date
from pathlib import Path

import pytest

from test_documents import fonts_of, needs_poppler, new_doc, render, site  # noqa: F401
from propsvc import create_app
from propsvc.documents import pdf as pdf_module
from propsvc.documents.models import DocKind
from propsvc.documents.pdf import FetchRefused, safe_fetcher

EXT_B = "𠮷"  # U+20BB7, CJK Extension B: not in WenQuanYi Zen Hei, nor in GB2312

SLIP_DATA = {
    "unit": "3-2-1201", "applicant": f"{EXT_B}田广", "applicant_role": "业主", "consent": "",
    "carrier_name": f"{EXT_B}田广", "carrier_id": "1101**********1233", "carrier_phone": "138****2222",
    "items": [{"name": "旧沙发", "qty": "1"}, {"name": "冰箱", "qty": "1"}], "moving_on": "2025-05-01",
    "vehicle_plate": "京A12345", "signature_src": None, "sign_on_paper": True, "supervisor": "赵工",
    "supervisor_at": "2025-05-01 09:00", "manager": "王经理", "approved_at": "2025-05-01 09:30"}


def pdf_text(pdf: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def no_cache(app, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", "")  # real renders


@needs_poppler
def test_extension_b_slip_stays_small(app, site, no_cache):
    """Item 6: a release slip whose names carry an Extension-B character prints it (the text
    reads back) in a PDF of at most 40 KB: the character comes from a small cut of the font
    that has it, not from the whole Noto Sans CJK (~130 KB: WeasyPrint keeps glyph ids)."""
    doc_id = new_doc(app, site["community"].id, DocKind.SLIP, SLIP_DATA, approve=True,
                     valid_from=date(2025, 5, 1), valid_until=date(2025, 5, 1))
    pdf = render(app, doc_id)
    assert f"{EXT_B}田广" in pdf_text(pdf)
    assert len(pdf) <= 40 * 1024, len(pdf)
    fonts = fonts_of(pdf)
    assert len(fonts) == 2 and all(row[-5] == "yes" for row in fonts)  # both embedded (subsets)
    assert any(pdf_module.RARE_FONT_PREFIX in row[0] for row in fonts), fonts
    plain = render(app, new_doc(app, site["community"].id, DocKind.SLIP, dict(SLIP_DATA, applicant="王广",
                                carrier_name="王广"), approve=True, valid_from=date(2025, 5, 1),
                                valid_until=date(2025, 5, 1)))
    assert len(fonts_of(plain)) == 1  # no rare character: the document font alone
    assert len(pdf) - len(plain) < 8 * 1024


def test_rare_characters_are_cut_once_and_only_when_needed(app):
    with app.app_context():
        assert pdf_module.rare_faces("物品放行条 3-2-1201 王建国 ①（）") == ()  # common text: no font read
        [(family, path)] = pdf_module.rare_faces(f"<p>{EXT_B}</p>")
        assert family.startswith(pdf_module.RARE_FONT_PREFIX) and path.stat().st_size < 16 * 1024
        assert path.parent == Path(app.instance_path) / "fonts" / "rare"
        assert pdf_module.rare_faces(f"<td>{EXT_B}</td>") == ((family, path),)  # same characters, same font


def test_fetcher_still_refuses_remote_urls_and_files_outside(app, tmp_path):
    """The fetcher reads the font files the renderer chose (including the rare-character cuts it
    made) and nothing else: no http(s), no file outside the allowed folders, not even another
    font dropped next to the rare cuts."""
    with app.app_context():
        for url in ("http://example.com/a.png", "https://example.com/font.ttf", "ftp://example.com/x",
                    "file:///etc/passwd", "file://evil.example/etc/passwd", "//example.com/a.png"):
            with pytest.raises(FetchRefused):
                safe_fetcher.fetch(url)
        [(_, rare)] = pdf_module.rare_faces(EXT_B)
        resp = safe_fetcher.fetch(rare.as_uri())
        assert resp is not None
        stranger = rare.with_name("rare-0000000000000000.ttf")
        stranger.write_bytes(rare.read_bytes())
        with pytest.raises(FetchRefused):
            safe_fetcher.fetch(stranger.as_uri())
        with pytest.raises(FetchRefused):
            safe_fetcher.fetch((rare.parent / ".." / ".." / "secret_key").as_uri())


def test_warm_up_is_off_under_tests_and_on_for_a_server(app, tmp_path):
    """Item 7: warming the fonts at start never slows the tests (off under TESTING) and is on
    by default for a server (a background thread; gunicorn.conf.py warms each worker)."""
    assert app.config["PDF_WARM"] == "off"
    assert pdf_module.start_pdf_warmup(app) is None
    server = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x",
                         "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    assert server.config["PDF_WARM"] == "thread"
    off = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'y.db'}", "SECRET_KEY": "x",
                      "UPLOAD_FOLDER": str(tmp_path / "uploads"), "PDF_WARM": "off"})
    assert pdf_module.start_pdf_warmup(off) is None


def test_warm_pdf_loads_the_fonts_of_this_thread(app):
    """warm_pdf renders a tiny document: afterwards this thread's font configuration exists and
    every print template is compiled."""
    pdf_module._local.__dict__.clear()
    took = pdf_module.warm_pdf(app)
    assert took > 0 and getattr(pdf_module._local, "fonts", None) is not None
    with app.app_context():
        assert "documents/slip_pdf.html" in app.jinja_env.list_templates()
        assert app.jinja_env.cache is None or any("slip_pdf.html" in str(k) for k in app.jinja_env.cache.keys())


def test_warm_pdf_in_a_thread_returns(app):
    import threading

    done = []
    thread = threading.Thread(target=lambda: done.append(pdf_module.warm_pdf(app)))
    thread.start()
    thread.join(timeout=60)
    assert done and done[0] > 0



def test_warm_pdf_settles_the_heap(app):
    """Item 7: the first full collection after the warm-up walked everything it loaded (~60 ms
    inside a worker's first documents): warm_pdf ends with settle_heap, which collects once and
    freezes what is alive."""
    import gc

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    pdf_module.warm_pdf(app)
    assert gc.get_freeze_count() > 0


def test_app_entry_point_settles_the_heap(monkeypatch, tmp_path):
    """app.py (flask run, gunicorn) settles the heap once the app is loaded."""
    import gc
    import importlib
    import sys

    monkeypatch.setenv("PDF_WARM", "off")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'entry.db'}")
    monkeypatch.setenv("SECRET_KEY", "entry-test")
    monkeypatch.setenv("UPLOAD_FOLDER", str(tmp_path / "uploads"))
    monkeypatch.setenv("PDF_CACHE_DIR", "")
    gc.unfreeze()
    sys.modules.pop("app", None)
    importlib.import_module("app")
    sys.modules.pop("app", None)
    assert gc.get_freeze_count() > 0


def test_after_the_warm_up_no_print_parses_its_styles_again(app, site, no_cache, monkeypatch):
    """Item 7: warm_pdf parses every print template's styles into the thread's cache. With a
    template's styles parsed once per page size the cache (64 sheets) overflowed at 26 templates
    × 4 sizes and was emptied during the warm-up (17 sheets were left), and the monthly report's
    template failed to render without data (`month[5:]|int`), so a worker's first print of most
    kinds parsed its CSS again. The page size is a sheet of its own now, and the stand-in for
    missing data converts to 0; after the warm-up, printing several kinds and sizes parses
    nothing. Nor compiles anything: the warm-up compiled the print templates but not the macros
    they import."""
    from conftest import client_for

    manager = client_for(app, site["users"]["manager"])  # signed in before counting (the login page)
    pdf_module.warm_pdf(app)
    parsed = []
    real_css = pdf_module.CSS
    monkeypatch.setattr(pdf_module, "CSS", lambda *a, **k: parsed.append(k.get("string", "")) or real_css(*a, **k))
    compiled, real_compile = [], app.jinja_env.compile  # nor compiles a template (or what it imports)
    monkeypatch.setattr(app.jinja_env, "compile", lambda *a, **k: compiled.append(a[1:3]) or real_compile(*a, **k))
    permit = new_doc(app, site["community"].id, approve=True)
    card = new_doc(app, site["community"].id, DocKind.PASS, {"name": "张三"}, approve=True)
    for doc_id in (permit, card):
        assert render(app, doc_id)[:5] == b"%PDF-"
    for url in ("/assessment/report.pdf", "/assessment/scorecard.pdf", "/patrols/briefing.pdf"):
        resp = manager.get(url)
        assert resp.status_code == 200 and resp.data[:5] == b"%PDF-", url
    assert parsed == []
    assert compiled == []


def embedded_glyph_slots(pdf: bytes) -> list[int]:
    """The number of glyph ids (numGlyphs) of each font embedded in a PDF."""
    import io

    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            descriptor = ref.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            out.append(TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))["maxp"].numGlyphs)
    return out


def test_document_font_numbers_the_glyphs_documents_print_first(app, site, no_cache):
    """WeasyPrint keeps glyph ids when it subsets a document's font, so the embedded font has an
    entry for every id up to the highest one the document uses (written, compressed and read on
    every print). The common-character font numbers ASCII first, then the characters of the app's
    own templates and sources, then GB2312 level 1 before level 2: a slip in the app's words embeds
    ~1,300 glyph slots (in the font's own order: ~7,500); nothing printed changes."""
    from fontTools.ttLib import TTFont

    with app.app_context():
        tt = TTFont(str(pdf_module.common_font()))
    order = {name: i for i, name in enumerate(tt.getGlyphOrder())}
    cmap = tt.getBestCmap()

    def gid(ch: str) -> int:
        return order[cmap[ord(ch)]]

    assert tt.getGlyphOrder()[0] == ".notdef"
    assert max(gid(ch) for ch in "09AZaz-./") < 128
    assert max(gid(ch) for ch in "物品放行条装修许可证业主签字年月日") < 1500  # the app's own words
    assert gid("乍") < gid("亍")  # GB2312 level 1 (common) before level 2, app's words or not
    plain = dict(SLIP_DATA, applicant="王广", carrier_name="王广")
    pdf = render(app, new_doc(app, site["community"].id, DocKind.SLIP, plain, approve=True,
                              valid_from=date(2025, 5, 1), valid_until=date(2025, 5, 1)))
    [slots] = embedded_glyph_slots(pdf)
    assert slots < 2500, slots
    assert "王广" in pdf_text(pdf)
