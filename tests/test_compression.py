"""Compressed answers [issue 16]: pages, htmx fragments, CSS and JS go out br- (or gzip-) encoded
to a browser that takes it, with `Vary: Accept-Encoding`; a client that asks for nothing gets
the plain bytes; static files keep their immutable caching and answer a revalidation of the
encoding they sent with 304; PDFs and images are not compressed again."""
import gzip
import re

import brotli
import pytest

from conftest import client_for
from propsvc.core.web import static_url

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium sends


def _decoded(resp) -> bytes:
    body = resp.get_data()
    return {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda b: b}[resp.content_encoding](body)


def _vary(resp) -> set[str]:
    return {v.strip().lower() for v in resp.headers.get("Vary", "").split(",") if v.strip()}


@pytest.fixture
def steward(app, make):
    c = make.community("新澳花园北区")
    make.building(c, "3")
    return client_for(app, make.user("steward", communities=[c]))


def test_pages_and_fragments_are_br_or_gzip_with_vary_and_plain_without_accept_encoding(app, steward):
    plain = steward.get("/patrols/today")
    assert plain.status_code == 200 and plain.content_encoding is None
    assert "accept-encoding" in _vary(plain)  # a cache must not hand the br copy to this client
    html = plain.get_data()
    assert "今日".encode() in html and html.lstrip().startswith(b"<!doctype html>")

    br = steward.get("/patrols/today", headers=BROWSER)
    assert br.content_encoding == "br" and {"accept-encoding", "hx-request"} <= _vary(br)
    assert br.headers["Cache-Control"] == "no-store"  # compressed pages stay out of every cache
    assert int(br.headers["Content-Length"]) == len(br.get_data()) < len(html) / 2
    # the same page (but for the per-rendering CSRF token and form keys)
    strip = re.compile(rb'(X-CSRFToken": "|value=")[^"]+')
    assert strip.sub(b"", _decoded(br)) == strip.sub(b"", html)

    gz = steward.get("/patrols/today", headers={"Accept-Encoding": "gzip"})
    assert gz.content_encoding == "gzip" and "accept-encoding" in _vary(gz)
    assert b"<!doctype html>" in _decoded(gz)

    refused = steward.get("/patrols/today", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert refused.content_encoding is None and b"<!doctype html>" in refused.get_data()

    frag = steward.get("/patrols/today", headers={**BROWSER, "HX-Request": "true"})
    assert frag.content_encoding == "br" and b"<!doctype" not in _decoded(frag)


@pytest.mark.parametrize("name", ["css/app.css", "js/htmx-2.0.11.min.js", "js/patrol.js"])
def test_static_css_and_js_are_precompressed_with_an_etag_per_encoding(app, client, name):
    with app.app_context():
        url = static_url(name)
    plain = client.get(url)
    raw = plain.get_data()
    assert plain.status_code == 200 and plain.content_encoding is None and "accept-encoding" in _vary(plain)
    assert "immutable" in plain.headers["Cache-Control"]

    br = client.get(url, headers=BROWSER)
    assert br.status_code == 200 and br.content_encoding == "br" and "accept-encoding" in _vary(br)
    assert br.headers["Cache-Control"] == plain.headers["Cache-Control"]
    assert brotli.decompress(br.get_data()) == raw and len(br.get_data()) < len(raw) * 0.45
    assert int(br.headers["Content-Length"]) == len(br.get_data())
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gz.content_encoding == "gzip" and gzip.decompress(gz.get_data()) == raw

    # Three representations, three strong ETags: a revalidation gets 304 only for what it holds.
    tags = {r.headers["ETag"] for r in (plain, br, gz)}
    assert len(tags) == 3 and not any(t.startswith("W/") for t in tags)
    again = client.get(url, headers={**BROWSER, "If-None-Match": br.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert "immutable" in again.headers["Cache-Control"]
    assert client.get(url, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    other = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": br.headers["ETag"]})
    assert other.status_code == 200 and other.content_encoding == "gzip"
    assert client.get(url, headers={"If-None-Match": br.headers["ETag"]}).status_code == 200


def test_pdfs_are_not_compressed_again(app, make):
    c = make.community()
    sup = client_for(app, make.user("supervisor", communities=[c]))
    pdf = sup.get("/patrols/briefing.pdf", headers=BROWSER)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.content_encoding is None and pdf.get_data().startswith(b"%PDF")
