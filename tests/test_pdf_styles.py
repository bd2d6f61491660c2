"""The print CSS in a document template's <head> is lifted out and parsed once per thread
(propsvc.documents.pdf._lift_styles: it is then given to WeasyPrint as a user stylesheet, the
public API), for speed. It must never change what is printed: every kind of document the app
prints (work order, every kind of issued document from permit to receipt and 催缴通知单, notice,
renovation board, morning briefing, checkpoint QR sheet, the event, handover and assessment
sheets; drafts and sealed) is rendered both ways from the demo
site (lifted, and left in the document for WeasyPrint to read) and compared pixel by pixel.
(Until issue 15 this file compared a trimmed private user-agent stylesheet, now gone.)"""
import shutil
import subprocess

import pytest
from sqlalchemy import select

from conftest import login
from propsvc.documents import pdf as pdf_module
from propsvc.documents.models import DocState, Document
from propsvc.extensions import db
from propsvc.demo import COMMUNITY_NAME, DEMO_PASSWORD, seed_demo, seed_demo_activity, seed_demo_areas
from propsvc.registry.models import Community

needs_poppler = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")


def pixels(pdf: bytes) -> bytes:
    """The first page as a greyscale bitmap at 60 dpi (what the reader of the paper sees)."""
    return subprocess.run(["pdftoppm", "-r", "60", "-gray", "-f", "1", "-l", "1", "-"], input=pdf,
                          capture_output=True, check=True).stdout


def printed_urls() -> list[str]:
    """One URL of every kind of printed document on the demo site, drafts and sealed ones."""
    from propsvc.events.models import CommunityEvent
    from propsvc.handover.models import HandoverBatch
    from propsvc.notices.models import Notice
    from propsvc.patrols.models import Checkpoint
    from propsvc.renovation.models import Worker
    from propsvc.tickets.models import Ticket

    urls = []
    for kind in db.session.scalars(select(Document.kind).distinct().order_by(Document.kind)):
        for state in (DocState.VALID, DocState.DRAFT):
            doc_id = db.session.scalar(select(Document.id).where(Document.kind == kind, Document.state == state)
                                       .order_by(Document.id).limit(1))
            if doc_id is not None:
                urls.append(f"/documents/{doc_id}.pdf")
    ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.assignee_id.is_not(None)).order_by(Ticket.id).limit(1))
    worker_id = db.session.scalar(select(Worker.id).order_by(Worker.id).limit(1))
    urls += [f"/tickets/{ticket_id}/workorder.pdf", f"/renovations/workers/{worker_id}/pass.pdf",
             f"/notices/{db.session.scalar(select(Notice.id).order_by(Notice.id).limit(1))}.pdf",
             "/renovations/board.pdf", "/patrols/briefing.pdf",
             f"/patrols/checkpoints/{db.session.scalar(select(Checkpoint.id).order_by(Checkpoint.id).limit(1))}/qr.pdf"]
    # The areas added later (issues 18-21): their own sheets beside the documents above.
    event_id = db.session.scalar(select(CommunityEvent.id).order_by(CommunityEvent.id).limit(1))
    batch_id = db.session.scalar(select(HandoverBatch.id).order_by(HandoverBatch.id).limit(1))
    notices = db.session.scalars(select(Document.id).where(Document.kind == "fee_notice")
                                 .order_by(Document.id).limit(3)).all()
    urls += [f"/events/{event_id}/{part}.pdf" for part in ("poster", "signups", "report")]
    urls += [f"/handover/batches/{batch_id}/{part}.pdf" for part in ("summary", "appointments")]
    urls += ["/assessment/scorecard.pdf", "/assessment/report.pdf", f"/fees/notices.pdf?first={notices[0]}&last={notices[-1]}"]
    return urls


@pytest.fixture
def demo(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("compares rendering, not databases: runs once, on SQLite")
    with app.app_context():
        seed_demo()
        cid = db.session.scalar(select(Community.id).where(Community.name == COMMUNITY_NAME))
        seed_demo_activity(cid)
        seed_demo_areas(cid)
        db.session.commit()
        urls = printed_urls()
        db.session.remove()
    return urls


@needs_poppler
def test_lifted_print_styles_print_every_document_exactly_like_styles_left_in_the_document(app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", "")  # two real renders of each, no stored copies
    client = app.test_client()
    assert login(client, "manager", DEMO_PASSWORD).status_code == 303
    kinds = {url.split("/")[1] for url in demo}
    assert len(demo) >= 10 and {"documents", "tickets", "renovations", "notices", "patrols"} <= kinds, demo

    def get(url) -> bytes:
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf", (url, resp.status_code)
        return resp.get_data()

    lifted = pdf_module._lift_styles
    lifts = {"n": 0}

    def counting(html, config):
        out = lifted(html, config)
        lifts["n"] += bool(out[1])
        return out

    def both(url) -> tuple[bytes, bytes]:
        monkeypatch.setattr(pdf_module, "_lift_styles", counting)
        ours = get(url)
        monkeypatch.setattr(pdf_module, "_lift_styles", lambda html, config: (html, []))  # WeasyPrint reads them
        return ours, get(url)

    differ = []
    for url in demo:
        ours, theirs = both(url)
        if pixels(ours) != pixels(theirs):
            # Work orders, the board and the briefing print the minute they were printed: a
            # minute may have turned between the two renders. Once more, back to back.
            ours, theirs = both(url)
            if pixels(ours) != pixels(theirs):
                differ.append(url)
    assert not differ, f"printed differently with the lifted styles: {differ}"
    assert lifts["n"] >= len(demo)  # every document had its styles lifted


def test_print_styles_of_every_template_parse_without_a_dropped_rule(app, demo, caplog, monkeypatch):
    """A CSS syntax slip (say "*/" inside a comment) silently drops a rule; WeasyPrint only logs
    a warning. Every demo document is printed and WeasyPrint must not have complained."""
    import logging

    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", "")
    client = app.test_client()
    assert login(client, "manager", DEMO_PASSWORD).status_code == 303
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        for url in demo:
            assert client.get(url).status_code == 200, url
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")], caplog.text


@needs_poppler
def test_every_document_prints_from_the_one_document_font(app, demo, monkeypatch):
    """Every demo document embeds the one small document font (DocCJK, the common-character
    subset) and nothing else: a glyph the font lacks is drawn from a second, system font
    (bigger PDF, slower first print). The ¥ of the receipt and the notice and the disc bullet
    of a list each pulled one in until the fix."""
    from test_documents import fonts_of

    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", "")
    client = app.test_client()
    assert login(client, "manager", DEMO_PASSWORD).status_code == 303
    others = {}
    for url in demo:
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf", (url, resp.status_code)
        fonts = [row[0] for row in fonts_of(resp.get_data())]
        if len(fonts) != 1 or "DocCJK" not in fonts[0]:
            others[url] = fonts
    assert not others, others


def test_every_document_lays_its_tables_out_fixed(app, demo, monkeypatch):
    """Print tables take their column widths from the first row (`table-layout: fixed`, widths on
    its cells): auto layout measures every cell's text twice before laying it out, ~10 ms of a
    ~65 ms receipt. Every demo document is printed; none may ask WeasyPrint for an auto layout."""
    import weasyprint.layout.table as wp_table

    auto = []
    original = wp_table.auto_table_layout

    def recording(context, box, containing_block):
        table = box.get_wrapped_table()
        auto.append((current[0], table.element_tag, table.element.get("class")))
        return original(context, box, containing_block)

    monkeypatch.setattr(wp_table, "auto_table_layout", recording)
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", "")
    client = app.test_client()
    assert login(client, "manager", DEMO_PASSWORD).status_code == 303
    current = [None]
    for url in demo:
        current[0] = url
        assert client.get(url).status_code == 200, url
    assert not auto, auto


def test_every_document_deflates_its_streams_at_zlibs_default_level(app, demo, monkeypatch):
    """documents.pdf._deflate_streams (WeasyPrint's public finisher hook) compresses the font
    subset, the page drawing and the text map at zlib's level 6 instead of pydyf's level 9: ~3 ms
    less a document for ~0.5 % more bytes. Every demo document is printed and every stream read
    back: it decodes, and it is exactly its content deflated at level 6 (a level-9 stream is not);
    the images keep their own encoding and the object and cross-reference streams pydyf writes
    after the hook are left out."""
    import re
    import zlib

    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", "")
    client = app.test_client()
    assert login(client, "manager", DEMO_PASSWORD).status_code == 303
    checked, wrong = 0, []
    for url in demo:
        pdf = client.get(url).get_data()
        for head, data in pdf_streams(pdf):
            if re.search(rb"/Type\s*/(ObjStm|XRef)|/Subtype\s*/Image", head):
                continue
            assert b"/FlateDecode" in head, (url, head[:200])
            raw = zlib.decompress(data)
            checked += 1
            if zlib.compress(raw, 6) != data:
                wrong.append((url, head[:120]))
    assert checked >= 3 * len(demo) and not wrong, wrong[:5]


def pdf_streams(pdf: bytes):
    """(dictionary, encoded data) of every stream object of a PDF as pydyf writes it
    (`N 0 obj`, `<<…>>`, `stream`, the data, `endstream`), read by its /Length."""
    import re

    for m in re.finditer(rb"\d+ 0 obj\n(<<(?:(?!endobj).)*?>>)\nstream\n", pdf, re.S):
        length = int(re.search(rb"/Length (\d+)", m.group(1)).group(1))
        data = pdf[m.end():m.end() + length]
        assert pdf[m.end() + length:m.end() + length + 10] == b"\nendstream", m.group(1)[:100]
        yield m.group(1), data
