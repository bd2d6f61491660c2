"""Printed PDFs kept by what they print: a reprint of an unchanged document is read back, not
rendered again.

The key is a SHA-256 of everything a render depends on: the document's whole HTML (its data,
template, page size, state, seal and QR code are all in it), the size and modification time
of every local file it includes (photos, a seal image), the fonts, WeasyPrint's version and
RENDERER_VERSION. Whatever changes (a revocation adds the 作废
watermark, an edit changes a field, a photo is replaced) gives a new key and a fresh render;
nothing is ever invalidated by hand, and a stale PDF cannot be served.

Files live in PDF_CACHE_DIR (default instance/pdf-cache; "" turns the cache off), one
`<key>.pdf` each, written atomically (another worker process never reads half a file). A hit
refreshes the file's time; past PDF_CACHE_FILES files (default 500, ~15 MB) the least recently
used are removed. Any failure to read or write the folder only means a render: printing never
fails because of the cache. The folder holds what the documents print (masked numbers only):
keep it with the rest of instance/, which is never served.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import weasyprint
from flask import current_app, has_app_context

from ..config import pdf_cache_dir

log = logging.getLogger(__name__)

RENDERER_VERSION = "2"  # bump when the same HTML would print differently (render options; 2: WeasyPrint's own UA sheet)
DEFAULT_MAX_FILES = 500
PRUNE_EVERY = 25  # writes between two looks at the folder's size

_FILE_URL_RE = re.compile(r"""file://[^\s"'<>)]+""")
_writes = 0
_lock = threading.Lock()  # guards only the write counter, never a render


def folder() -> Path | None:
    """The cache folder, or None when the cache is off (PDF_CACHE_DIR = "") or outside an app."""
    if not has_app_context():
        return None
    return pdf_cache_dir(current_app)


def _file_stamp(url: str) -> str:
    path = url2pathname(unquote(urlsplit(url).path))
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def key(html: str, *parts: object) -> str:
    """The cache key of a document: its HTML, the files it includes and `parts` (fonts,
    stylesheet, page limit: whatever else its render depends on)."""
    h = hashlib.sha256()
    for part in (RENDERER_VERSION, weasyprint.__version__, *parts):
        h.update(str(part).encode())
        h.update(b"\0")
    for url in sorted(set(_FILE_URL_RE.findall(html))):
        h.update(_file_stamp(url).encode())
        h.update(b"\0")
    h.update(html.encode())
    return h.hexdigest()


def get(base: Path, k: str) -> bytes | None:
    """The PDF stored in folder `base` under key k, or None."""
    path = base / f"{k}.pdf"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(b"%PDF-"):
        return None
    try:
        os.utime(path)  # recently used: pruned last
    except OSError:
        pass
    return data


def put(base: Path, k: str, pdf: bytes) -> None:
    """Store a rendered PDF in folder `base` under key k (atomically); never raises."""
    global _writes
    try:
        base.mkdir(parents=True, exist_ok=True)
        tmp = base / f".{k}.{os.getpid()}.{threading.get_ident()}.tmp"
        tmp.write_bytes(pdf)
        os.replace(tmp, base / f"{k}.pdf")
    except OSError as e:
        log.warning("PDF cache: could not store a document in %s: %s", base, e)
        return
    with _lock:
        _writes += 1
        due = (_writes - 1) % PRUNE_EVERY == 0  # the first write, then every PRUNE_EVERY-th
    if due:
        prune(base, int(current_app.config.get("PDF_CACHE_FILES") or DEFAULT_MAX_FILES))


def prune(base: Path, max_files: int) -> int:
    """Remove the least recently used PDFs beyond max_files; returns how many were removed."""
    try:
        entries = [(e.stat().st_mtime_ns, e.path) for e in os.scandir(base) if e.name.endswith(".pdf")]
    except OSError:
        return 0
    removed = 0
    if len(entries) > max_files:
        entries.sort()
        for _mtime, path in entries[:len(entries) - max_files]:
            try:
                os.unlink(path)
                removed += 1
            except OSError:
                pass
    return removed
