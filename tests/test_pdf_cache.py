"""Printed PDFs are kept by what they print (propsvc.documents.cache): a reprint of an unchanged
document is read back, not rendered; any change (a revocation, a replaced photo) renders anew;
the folder stays within its size; a broken folder never stops printing."""
import os
import time
from datetime import date
from pathlib import Path

import pytest

from test_documents import (SECRET_ID, flat_text, jpeg, needs_poppler, new_doc, render,  # noqa: F401
                            site)
from propsvc.documents import cache as pdf_cache
from propsvc.documents import pdf as pdf_module
from propsvc.documents import service
from propsvc.documents.models import DocKind, Document
from propsvc.extensions import db


@pytest.fixture
def renders(monkeypatch):
    """How many times WeasyPrint was asked to lay out a document."""
    count = {"n": 0}

    class Counting(pdf_module.HTML):
        def render(self, *args, **kwargs):
            count["n"] += 1
            return super().render(*args, **kwargs)

    monkeypatch.setattr(pdf_module, "HTML", Counting)
    return count


@pytest.fixture
def cache_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "pdf-cache"
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", str(folder))
    return folder


def test_reprint_of_an_unchanged_document_is_read_back_not_rendered(app, site, cache_dir, renders):
    doc_id = new_doc(app, site["community"].id, approve=True)
    first = render(app, doc_id)
    assert renders["n"] == 1 and len(list(cache_dir.glob("*.pdf"))) == 1
    assert render(app, doc_id) == first and render(app, doc_id) == first
    assert renders["n"] == 1  # read back twice


def test_cache_off_renders_every_time(app, site, cache_dir, renders, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", "")
    doc_id = new_doc(app, site["community"].id, approve=True)
    assert render(app, doc_id) == render(app, doc_id)  # rendering itself is deterministic
    assert renders["n"] == 2 and not cache_dir.exists()


@needs_poppler
def test_a_revoked_document_prints_again_marked_void(app, site, cache_dir, renders):
    doc_id = new_doc(app, site["community"].id, approve=True)
    assert "作废" not in flat_text(render(app, doc_id))
    with app.app_context():
        service.revoke(db.session.get(Document, doc_id), None, "业主取消装修")
        db.session.commit()
    void = render(app, doc_id)
    assert renders["n"] == 2 and "作废" in flat_text(void)
    assert render(app, doc_id) == void and renders["n"] == 2


def test_a_photo_replaced_under_the_same_name_renders_again(app, site, cache_dir, renders):
    from propsvc.photos.services import save_photo

    c = site["community"]
    with app.app_context():
        stored = save_photo(jpeg(size=(300, 400)), folder=f"c{c.id}/workers")
    doc_id = new_doc(app, c.id, DocKind.PASS, {"name": "张师傅", "unit": "3栋2单元1201", "trade": "水电工",
                                                "photo_path": stored.thumb_path, "id_number": SECRET_ID},
                     approve=True, valid_until=date(2027, 2, 27))
    first = render(app, doc_id)
    assert render(app, doc_id) == first and renders["n"] == 1
    photo = Path(app.config["UPLOAD_FOLDER"]) / stored.thumb_path
    photo.write_bytes(jpeg(size=(300, 400), quality=40).getvalue())
    os.utime(photo, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    second = render(app, doc_id)
    assert renders["n"] == 2 and second != first


def test_cache_keeps_at_most_the_configured_number_of_files(app, site, cache_dir, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_CACHE_FILES", 3)
    monkeypatch.setattr(pdf_cache, "PRUNE_EVERY", 1)  # look at the folder after every write
    ids = [new_doc(app, site["community"].id, approve=True, obj_id=i) for i in range(1, 6)]
    for doc_id in ids:
        render(app, doc_id)
    assert len(list(cache_dir.glob("*.pdf"))) == 3
    # The least recently used went first: the last three are still read back.
    with app.app_context():
        for doc_id in ids[-3:]:
            doc = db.session.get(Document, doc_id)
            assert service.pdf(doc).startswith(b"%PDF-")
    assert not list(cache_dir.glob(".*.tmp"))  # no half-written files left


def test_a_broken_cache_folder_never_stops_printing(app, site, tmp_path, monkeypatch, renders):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", str(not_a_folder))
    doc_id = new_doc(app, site["community"].id, approve=True)
    assert render(app, doc_id).startswith(b"%PDF-") and render(app, doc_id).startswith(b"%PDF-")
    assert renders["n"] == 2
    # A damaged file in the folder is not served: it is rendered again and replaced.
    good = tmp_path / "good"
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", str(good))
    pdf = render(app, doc_id)
    (only,) = good.glob("*.pdf")
    only.write_bytes(b"garbage")
    assert render(app, doc_id) == pdf and renders["n"] == 4
    assert only.read_bytes() == pdf


def test_the_cache_key_covers_the_html_the_files_and_the_page_limit(tmp_path):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"one")
    html = f'<img src="{photo.as_uri()}">'
    k = pdf_cache.key(html, "fonts", None)
    assert k == pdf_cache.key(html, "fonts", None)
    assert k != pdf_cache.key(html + " ", "fonts", None)
    assert k != pdf_cache.key(html, "fonts", 1)
    assert k != pdf_cache.key(html, "other fonts", None)
    photo.write_bytes(b"two!")
    assert k != pdf_cache.key(html, "fonts", None)
