"""PDF documents (work orders, permits, passes, release slips, briefings) from Jinja templates.

render_pdf("tickets/workorder_pdf.html", page_size="A5", **context) renders the template
(which extends documents/base_pdf.html) with WeasyPrint and returns the PDF bytes.

* Templates get plain data only (dicts, lists, strings, numbers, dates): a database object
  in the context raises TypeError, so a template can never lazy-load (or leak) more than
  the view chose to show.
* Every resource WeasyPrint fetches goes through `safe_fetcher`: `file://` URLs only inside
  the app's static/ folder, the upload folder (photos) and the font files this module chose
  (the CJK font, its common-character subset, the rare-character subsets it made), plus
  `data:` URLs; every http(s) URL and every other scheme is refused. No third-party requests.
* Chinese text is set in one embedded TrueType CJK font (WenQuanYi Zen Hei by preference),
  declared with @font-face so the PDF never depends on what fontconfig would pick. The face
  documents use ("DocCJK") is that font cut to the common characters (GB2312, ~2 MB instead
  of 17 MB, made once into instance/fonts/): Pango loads and HarfBuzz subsets it faster.
  The font is located once (PDF_FONT config/env, then known paths, then `fc-match
  :lang=zh-cn`); FontNotFoundError says what to install when there is none.
* Rare characters (a name with 堃 or an Extension-B 𠮷, which WenQuanYi does not even have)
  come from a small font cut for them (rare_faces): each from the first installed CJK font
  that has it (the whole WenQuanYi, then Noto Sans CJK SC, then fontconfig's choice), cached
  in instance/fonts/rare/ by font and characters, and named in place of "DocCJKFull" in the
  template's font-family. Why not the whole font: WeasyPrint keeps glyph ids when it subsets,
  so one glyph at id ~60,000 of Noto Sans CJK brought ~60,000 empty slots (a release slip
  grew from ~23 KB to ~130 KB); the cut renumbers them from 1 (~25 KB).
* WeasyPrint's FontConfiguration copies an @font-face font into a temporary file and scans
  it: done once per thread and kept (threading.local: Pango font maps are not thread-safe;
  no global lock, threads never wait for each other). The print CSS in a template's <head>
  <style> is lifted out and parsed once per thread per distinct text (it then counts as a
  user stylesheet: still above WeasyPrint's defaults, below any style="" or <body> <style>).
* Only WeasyPrint's public API: HTML/CSS with user stylesheets, FontConfiguration, a
  URLFetcher subclass, a write_pdf finisher (pyproject allows a range of versions). The
  finisher deflates the streams at zlib's default level (pydyf uses 9: slower, no smaller).
  QR codes are one-pixel-per-module PNGs drawn with sharp pixels (qr_img), cheaper than SVG
  paths.
* warm_pdf() loads all of it once when a worker starts (gunicorn.conf.py; app.py's
  background thread; off under TESTING): the first document is then as quick as the next.
* A finished PDF is kept by a hash of its HTML, fonts and included files (documents.cache):
  a reprint of an unchanged document is read back, not rendered.
  Measured: bench/pdf.py (figures in its docstring and the README's PDF section).
"""
from __future__ import annotations

import base64
import hashlib
import io
import logging
import mimetypes
import os
import re
import shutil
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request, url2pathname

import pydyf
import segno
from flask import current_app, has_app_context, render_template
from markupsafe import Markup
from weasyprint import CSS, HTML  # public API only: any WeasyPrint the pin allows
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..core.heap import settle_heap
from ..core.web import STATIC_ROOT
from . import cache as pdf_cache

log = logging.getLogger(__name__)

__all__ = [
    "DocumentTooLong", "FetchRefused", "FontNotFoundError", "PAGE_SIZES", "SafeFetcher", "cjk_font", "page_size_css",
    "qr_img", "rare_faces", "render_pdf", "safe_fetcher", "start_pdf_warmup", "warm_pdf",
]

# Named page sizes in millimetres (portrait). A (width, height) tuple in mm is also accepted.
PAGE_SIZES: dict[str, tuple[float, float]] = {"A4": (210, 297), "A5": (148, 210), "A6": (105, 148)}

SUBSET_VERSION = "common4"  # part of the cached subset's file name: change it when _subset_font changes
FONT_FAMILY = "DocCJK"  # the @font-face name templates use (via the base template's CSS)
FULL_FONT_FAMILY = "DocCJKFull"  # in templates' font-family: replaced by the rare-character faces
RARE_FONT_PREFIX = "DocCJKRare-"  # + a digest: a small font of a document's rare characters
RARE_VERSION = "rare1"  # part of a rare subset's digest: change it when _subset_rare changes
MAX_RARE_FACES = 64  # rare-character faces a thread's font configuration takes before it is made anew

# TrueType first: small, fast subsets. Then OpenType/CFF CJK fonts.
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")


class FontNotFoundError(RuntimeError):
    """No CJK font to embed: PDFs would show empty boxes instead of Chinese text."""


class DocumentTooLong(ValueError):
    """The document needs more pages than the caller allowed (render_pdf(max_pages=…))."""

    def __init__(self, pages: int, max_pages: int):
        super().__init__(f"document has {pages} pages, at most {max_pages} allowed")
        self.pages, self.max_pages = pages, max_pages


class FetchRefused(ValueError):
    """A URL the document renderer may not fetch (remote, or a file outside the allowed folders)."""


# --- the font ----------------------------------------------------------------------------

def _usable(path: str | os.PathLike | None) -> Path | None:
    if not path:
        return None
    p = Path(path)
    return p.resolve() if p.is_file() and p.suffix.lower() in FONT_SUFFIXES else None


def _fc_match() -> Path | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                             timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return _usable(out)


def _configured_font() -> str | None:
    if has_app_context() and current_app.config.get("PDF_FONT"):
        return current_app.config["PDF_FONT"]
    return os.environ.get("PDF_FONT")


@lru_cache(maxsize=4)
def _locate_font(configured: str | None) -> Path:
    if configured:
        found = _usable(configured)
        if found is None:
            raise FontNotFoundError(
                f"PDF_FONT={configured!r} is not a readable .ttf/.ttc/.otf file; PDF documents need a CJK font.")
        return found
    for candidate in KNOWN_FONTS:
        found = _usable(candidate)
        if found is not None:
            return found
    found = _fc_match()
    if found is not None:
        return found
    raise FontNotFoundError(
        "No CJK font found for PDF documents (Chinese text would not print). Install one, e.g. "
        "`apt-get install fonts-wqy-zenhei` (preferred, TrueType) or `fonts-noto-cjk`, or set PDF_FONT "
        "to the path of a .ttf/.ttc/.otf font with Chinese glyphs.")


def cjk_font() -> Path:
    """The CJK font file embedded in documents (located once; FontNotFoundError if none)."""
    return _locate_font(_configured_font())


GB2312_SYMBOLS, GB2312_LEVEL1, GB2312_LEVEL2 = range(0xA1, 0xAA), range(0xB0, 0xD8), range(0xD8, 0xF8)  # lead bytes


def _common_chars() -> str:
    """ASCII, GB2312 (the 6,763 common hanzi and its symbols), CJK/full-width punctuation and ¥
    (the half-width yuan sign, typed in notes and amounts)."""
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0x3000, 0x3040)}
    chars |= {chr(c) for c in range(0xFF00, 0xFFF0)} | set("—–·…‘’“”•※№℃¥")
    chars |= set(_gb2312(GB2312_SYMBOLS, GB2312_LEVEL1, GB2312_LEVEL2))
    return "".join(sorted(chars))


def _gb2312(*rows: range) -> str:
    """GB2312's characters of these rows (lead bytes), in code order: level 1 holds the 3,755
    most common hanzi (by pinyin), level 2 the other 3,008 (by radical)."""
    out = []
    for hi in (h for r in rows for h in r):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(out)


@lru_cache(maxsize=4)
def _subset_font(font: Path, cache_dir: Path) -> Path | None:
    """The font cut down to the common characters (about 2 MB instead of 17 MB for WenQuanYi Zen
    Hei), made once into `cache_dir` and reused. Pango loads and WeasyPrint subsets a small font
    faster; anything outside it (a rare name character) falls back to the whole font. None when
    it cannot be made (no fontTools, a font it cannot read, a read-only folder): then the whole
    font serves alone."""
    stat = font.stat()
    target = cache_dir / f"{font.stem}-{stat.st_size}-{int(stat.st_mtime)}-{SUBSET_VERSION}.ttf"
    if target.is_file():
        return target
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont

        cache_dir.mkdir(parents=True, exist_ok=True)
        tt = TTFont(str(font), fontNumber=0, lazy=False)
        options = subset.Options()
        options.hinting = False
        # Bitmap strikes and vertical metrics are never used by a horizontal printed page; the
        # vertical metrics (vhea/vmtx) would otherwise add ~30 KB (uncompressed) to every PDF.
        options.drop_tables += ["BDF", "FFTM", "EBDT", "EBLC", "EBSC", "vhea", "vmtx", "GDEF"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=_common_chars())
        subsetter.subset(tt)
        from fontTools.ttLib.reorderGlyphs import reorderGlyphs

        reorderGlyphs(tt, _glyph_order(tt))
        tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tt.save(str(tmp))
        os.replace(tmp, target)  # atomic: another process never sees half a file
        return target
    except Exception:  # noqa: BLE001 - any failure just means no speed-up
        log.warning("could not make the common-character subset of %s; using the whole font", font, exc_info=True)
        return None


def _glyph_order(tt) -> list[str]:
    """The subset's glyphs with the ones documents print most at the lowest ids: .notdef and the
    glyphs without a character (composite parts), ASCII, then the characters of the app's own
    templates and sources by how often they occur there (every document's fixed text, labels,
    states), then GB2312's in its code order (level 1, the common hanzi, before level 2), then
    the rest in the font's order. WeasyPrint keeps glyph ids when it subsets a document's font,
    so the embedded font carries an (empty) entry in its glyph index and metrics for every id up
    to the highest one used: with the font's own order (Unicode) a
    document reached id ~7,500 and ~45 KB of its ~77 KB font stream were those entries, laid
    out, subset and compressed on every print (~16 M instructions, bench/pdf_ir.py). A character
    outside the list costs what it cost before, never more; the order never changes what prints."""
    cmap = tt.getBestCmap()
    order = tt.getGlyphOrder()
    mapped = set(cmap.values())
    front = [g for g in order if g not in mapped]  # .notdef first: the subsetter keeps it at 0
    ascii_ = [cmap[c] for c in range(0x20, 0x7F) if c in cmap]
    often = [cmap[ord(ch)] for ch in _printed_chars() if ord(ch) in cmap]
    # Level 1 before the symbols and level 2: a common hanzi the app never prints stays below ~3,900.
    by_code = [cmap[ord(ch)] for ch in _gb2312(GB2312_LEVEL1, GB2312_SYMBOLS, GB2312_LEVEL2) if ord(ch) in cmap]
    seen: set[str] = set()
    out = []
    for name in front + ascii_ + often + by_code + order:
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _printed_chars() -> str:
    """The non-ASCII characters of the app's templates and Python sources, most frequent first."""
    from collections import Counter

    root = STATIC_ROOT.parent
    counts: Counter[str] = Counter()
    for folder, pattern in ((root / "templates", "*.html"), (root / "propsvc", "*.py")):
        for path in folder.rglob(pattern):
            try:
                counts.update(ch for ch in path.read_text(encoding="utf-8") if ch > "\x7f")
            except (OSError, UnicodeDecodeError):
                continue
    return "".join(sorted(counts, key=lambda ch: (-counts[ch], ch)))


def common_font() -> Path | None:
    """The common-character subset of cjk_font(), or None (see _subset_font)."""
    font = cjk_font()
    if font.suffix.lower() not in (".ttf", ".ttc"):
        return None  # CFF (OpenType) CJK fonts: keep them whole
    return _subset_font(font, _font_dir())


def _font_dir() -> Path:
    if has_app_context():
        return Path(current_app.instance_path) / "fonts"
    return Path(tempfile.gettempdir()) / "propsvc-fonts"


@lru_cache(maxsize=1)
def _common_set() -> frozenset[str]:
    return frozenset(_common_chars())


def _face_index(path: Path) -> int:
    """The face of a collection to use: the Simplified Chinese one of a pan-CJK .ttc/.otc
    (Noto Sans CJK: JP, KR, SC, …), else the first."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    try:
        faces = TTCollection(str(path), lazy=True).fonts
        for i, face in enumerate(faces):
            if (face["name"].getDebugName(1) or "").endswith(" SC"):
                return i
    except Exception:  # noqa: BLE001 - unreadable collection: its first face
        pass
    return 0


@lru_cache(maxsize=8)
def _coverage(path: Path, index: int) -> frozenset[int]:
    """The code points a font face has glyphs for (read once per process)."""
    from fontTools.ttLib import TTFont

    try:
        return frozenset(TTFont(str(path), fontNumber=index, lazy=True).getBestCmap())
    except Exception:  # noqa: BLE001 - a font fontTools cannot read covers nothing here
        log.warning("cannot read the character map of %s", path, exc_info=True)
        return frozenset()


def _rare_sources(missing: set[str]) -> list[tuple[Path, int]]:
    """Where rare characters come from, in order: the document font's whole file, the other
    known CJK fonts installed (Noto Sans CJK carries Extension B, WenQuanYi does not), then
    what fontconfig names for the characters still missing."""
    out = [(cjk_font(), 0)]
    for candidate in KNOWN_FONTS:
        found = _usable(candidate)
        if found is not None and all(found != p for p, _ in out):
            out.append((found, _face_index(found)))
    uncovered = {c for c in missing if not any(ord(c) in _coverage(*src) for src in out)}
    exe = shutil.which("fc-match")
    if uncovered and exe:
        charset = " ".join(f"{ord(c):x}" for c in sorted(uncovered))
        try:
            res = subprocess.run([exe, "-f", "%{file}\t%{index}", f":lang=zh-cn:charset={charset}"],
                                 capture_output=True, text=True, timeout=5, check=False).stdout
            file, _, index = res.partition("\t")
            found = _usable(file)
            if found is not None and all(found != p for p, _ in out):
                out.append((found, int(index or 0)))
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    return out


def _subset_rare(source: Path, index: int, chars: str, folder: Path) -> Path | None:
    """`chars` cut out of one face of `source` into a small font file in `folder` (cached by
    font and characters). Glyphs are renumbered from 1: WeasyPrint keeps glyph ids when it
    subsets a font, so an Extension-B glyph at id ~60,000 of the whole Noto Sans CJK would
    otherwise bring ~60,000 empty glyph slots (~110 KB) into the PDF."""
    st = source.stat()
    ident = f"{source}:{st.st_size}:{int(st.st_mtime)}:{index}:{RARE_VERSION}:{chars}"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    for suffix in (".ttf", ".otf"):
        if (folder / f"rare-{digest}{suffix}").is_file():
            return folder / f"rare-{digest}{suffix}"
    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont

        folder.mkdir(parents=True, exist_ok=True)
        tt = TTFont(str(source), fontNumber=index, lazy=True)
        options = subset.Options()
        options.hinting = False
        options.desubroutinize = True
        options.layout_features = []
        options.drop_tables += ["BDF", "FFTM", "EBDT", "EBLC", "EBSC", "vhea", "vmtx", "VORG", "GDEF", "GSUB",
                                "GPOS"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(tt)
        target = folder / f"rare-{digest}{'.otf' if 'CFF ' in tt else '.ttf'}"
        tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tt.save(str(tmp))
        os.replace(tmp, target)
        return target
    except Exception:  # noqa: BLE001 - then the characters fall back to fontconfig's choice
        log.warning("could not cut rare characters out of %s", source, exc_info=True)
        return None


@lru_cache(maxsize=256)
def _rare_faces(chars: str, folder: Path) -> tuple[tuple[str, Path], ...]:
    """(family, file) of the small fonts that print `chars` (characters the document font
    lacks): each character from the first source font that has it, one subset per source."""
    by_source: dict[tuple[Path, int], list[str]] = {}
    for source in _rare_sources(set(chars)):
        cover = _coverage(*source)
        take = [c for c in chars if ord(c) in cover and not any(c in v for v in by_source.values())]
        if take:
            by_source[source] = take
    faces = []
    for (source, index), taken in by_source.items():
        path = _subset_rare(source, index, "".join(taken), folder)
        if path is not None:
            _rare_files.add(path)
            faces.append((f"{RARE_FONT_PREFIX}{path.stem.removeprefix('rare-')}", path))
    return tuple(faces)


def rare_faces(text: str) -> tuple[tuple[str, Path], ...]:
    """The extra font faces a document with this text needs: () for one written entirely in the
    document font's characters (nearly every document: a quick set difference, no font read)."""
    candidates = {c for c in set(text) if c > "\x7f" and c not in _common_set() and c.isprintable()
                  and not c.isspace()}
    if not candidates:
        return ()
    own = common_font() or cjk_font()
    missing = "".join(sorted(c for c in candidates if ord(c) not in _coverage(own, 0)))
    return _rare_faces(missing, _font_dir() / "rare") if missing else ()


# --- the fetcher -------------------------------------------------------------------------

def allowed_roots() -> list[Path]:
    """Folders whose files documents may include: static/ and, in an app, the upload folder."""
    roots = [STATIC_ROOT.resolve()]
    if has_app_context():
        upload = current_app.config.get("UPLOAD_FOLDER")
        if upload:
            roots.append(Path(upload).resolve())
    return roots


class SafeFetcher(URLFetcher):
    """WeasyPrint URL fetcher that reads local files from allowed folders and nothing else.

    Refused (FetchRefused, which WeasyPrint logs and skips): http, https, ftp and every other
    scheme; file URLs with a host; files outside allowed_roots() and the font file (after
    resolving symlinks and '..'); missing files and folders. `data:` URLs are decoded locally.
    Stateless, so one instance serves every thread."""

    def __init__(self):
        super().__init__(timeout=5, allowed_protocols=("file", "data"), allow_redirects=False,
                         fail_on_errors=False)

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            resp = DataHandler().data_open(Request(url))
            return URLFetcherResponse(url, resp.read(), {"Content-Type": resp.headers.get("Content-Type", "")})
        if scheme != "file":
            raise FetchRefused(f"documents may not fetch {scheme or 'relative'} URLs: {url[:100]}")
        return self._file(url)

    def _file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"file URL with a host refused: {url[:100]}")
        raw = url2pathname(unquote(parts.path))
        if "\x00" in raw:
            raise FetchRefused("file URL with a NUL byte refused")
        path = Path(raw).resolve()
        if not self.allowed(path):
            raise FetchRefused(f"file outside the document folders refused: {url[:100]}")
        if not path.is_file():
            raise FetchRefused(f"no such file: {url[:100]}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.open("rb"), {"Content-Type": mime})

    @staticmethod
    def allowed(path: Path) -> bool:
        """Whether a resolved path may be read by a document."""
        if any(path.is_relative_to(root) and path != root for root in allowed_roots()):
            return True
        try:
            return path == cjk_font() or path == common_font() or path in _rare_files
        except FontNotFoundError:
            return False


safe_fetcher = SafeFetcher()
_rare_files: set[Path] = set()  # rare-character subsets this process made or found (rare_faces)


# --- rendering ---------------------------------------------------------------------------

_local = threading.local()


def _font_setup() -> tuple[FontConfiguration, CSS]:
    """This thread's font configuration and the @font-face stylesheet, made once per thread
    (and made anew once the thread has met MAX_RARE_FACES sets of rare characters)."""
    font = cjk_font()
    cached = getattr(_local, "fonts", None)
    if cached is not None and cached[0] == font and len(_local.rare) < MAX_RARE_FACES:
        return cached[1], cached[2]
    config = FontConfiguration()
    common = common_font()
    faces = f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{(common or font).as_uri()}"); }}'
    css = CSS(string=faces, font_config=config, url_fetcher=safe_fetcher)
    _local.fonts = (font, config, css)
    _local.sheets = {}
    _local.rare = {}
    return config, css


def _rare_sheets(faces: list[tuple[str, Path]], config: FontConfiguration) -> list[CSS]:
    """The @font-face rules of a document's rare-character subsets, parsed once per thread."""
    out = []
    for family, path in faces:
        sheet = _local.rare.get(family)
        if sheet is None:
            sheet = _local.rare[family] = CSS(
                string=f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); }}',
                font_config=config, url_fetcher=safe_fetcher)
        out.append(sheet)
    return out


_HEAD_STYLE_RE = re.compile(r"<style>(.*?)</style>", re.S)
MAX_CACHED_SHEETS = 96  # each print template's styles, and each page size's (warm_pdf parses them all)


def _lift_styles(html: str, config: FontConfiguration) -> tuple[str, list[CSS]]:
    """Take the plain <style> elements out of the document's <head> and return them parsed,
    from this thread's cache (the same template and page size give the same CSS text)."""
    head_end = html.find("</head>")
    if head_end < 0:
        return html, []
    head, body = html[:head_end], html[head_end:]
    texts = _HEAD_STYLE_RE.findall(head)
    if not texts:
        return html, []
    sheets = _local.sheets
    out = []
    for text in texts:
        sheet = sheets.get(text)
        if sheet is None:
            if len(sheets) >= MAX_CACHED_SHEETS:
                sheets.clear()
            sheet = sheets[text] = CSS(string=text, base_url=_base_url(), font_config=config,
                                       url_fetcher=safe_fetcher)
        out.append(sheet)
    return _HEAD_STYLE_RE.sub("", head) + body, out


def _base_url() -> str:
    return STATIC_ROOT.resolve().as_uri() + "/"


def page_size_css(page_size) -> str:
    """ "A5" -> "148mm 210mm"; (100, 70) -> "100mm 70mm"; "A4 landscape" -> "297mm 210mm"."""
    if isinstance(page_size, str):
        name, _, orientation = page_size.strip().partition(" ")
        if name.upper() not in PAGE_SIZES or orientation.strip() not in ("", "portrait", "landscape"):
            raise ValueError(f"unknown page size {page_size!r}: use {', '.join(PAGE_SIZES)} or (width, height) in mm")
        w, h = PAGE_SIZES[name.upper()]
        if orientation.strip() == "landscape":
            w, h = h, w
    else:
        try:
            w, h = (float(v) for v in page_size)
        except (TypeError, ValueError):
            raise ValueError(f"page size must be a name or (width, height) in mm: {page_size!r}") from None
        if not (20 <= w <= 1000 and 20 <= h <= 1000):
            raise ValueError(f"page size out of range (20–1000 mm): {page_size!r}")
    return f"{w:g}mm {h:g}mm"


_PLAIN = (str, bytes, int, float, bool, type(None))


def _check_plain(value, where: str, depth: int = 0) -> None:
    """Refuse database objects in a document's context (pass dicts of what to print)."""
    if isinstance(value, _PLAIN) or depth > 6:
        return
    if hasattr(value, "__table__") or hasattr(value, "_sa_instance_state"):
        raise TypeError(f"render_pdf: {where} is a database object ({type(value).__name__}); pass plain data")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_plain(v, f"{where}[{k!r}]", depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]", depth + 1)


def render_pdf(template_name: str, *, page_size="A5", max_pages: int | None = None, **context) -> bytes:
    """Render a document template (extending documents/base_pdf.html) to PDF bytes.

    page_size: "A4", "A5", "A6" (optionally " landscape"), or (width, height) in mm.
    max_pages: raise DocumentTooLong instead of writing a longer PDF (a one-page form can
    then be rendered again with shorter texts). The template also gets `page_size` (CSS value
    for @page), `font_family` and `qr` (qr_img). Needs an app context (templates, upload folder)."""
    for key, value in context.items():
        _check_plain(value, key)
    html, faces = _with_rare_faces(render_template(template_name, **_print_args(page_size), **context))
    cache, key = pdf_cache.folder(), None
    if cache is not None:
        key = pdf_cache.key(html, _renderer_identity(), max_pages)
        stored = pdf_cache.get(cache, key)
        if stored is not None:  # printed before, unchanged: the same bytes
            return stored
    pdf = _layout(html, faces, max_pages)
    if cache is not None:
        pdf_cache.put(cache, key, pdf)
    return pdf


def render_pdf_in_parts(template_name: str, items_name: str, items: list, *, part: int = 50,
                        page_size="A5", **context) -> bytes:
    """A long batch of independent pages (催缴通知单 by the hundred) as one PDF, laid out `part`
    items at a time and joined with pypdf: WeasyPrint keeps every page's layout until it writes,
    so one 500-page layout held ~470 MB; parts keep the peak to one part's. Only for templates
    whose pages do not count or refer to each other (no 第 n 页 / 共 m 页). Each part embeds its
    own font subset (a few KB more per part)."""
    if len(items) <= part:
        return render_pdf(template_name, page_size=page_size, **{items_name: items}, **context)
    from pypdf import PdfWriter

    writer = PdfWriter()
    for start in range(0, len(items), part):
        chunk = render_pdf(template_name, page_size=page_size, **{items_name: items[start:start + part]}, **context)
        writer.append(io.BytesIO(chunk))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _print_args(page_size) -> dict:
    """What render_pdf gives every print template besides the document's own context."""
    return {"page_size": page_size_css(page_size), "qr": qr_img, "font_family": FONT_FAMILY,
            "full_font_family": FULL_FONT_FAMILY}


def _with_rare_faces(html: str) -> tuple[str, tuple]:
    """The HTML with its rare-character faces named where the template says FULL_FONT_FAMILY
    (after the document font), and those faces."""
    faces = rare_faces(html)
    if faces:
        html = html.replace(f'"{FULL_FONT_FAMILY}"', ", ".join(f'"{family}"' for family, _ in faces))
    return html, faces


def _layout(html: str, faces: tuple, max_pages: int | None = None) -> bytes:
    """Lay the document out with this thread's fonts and parsed styles and write the PDF."""
    config, font_css = _font_setup()
    html, sheets = _lift_styles(html, config)
    document = HTML(string=html, base_url=_base_url(), url_fetcher=safe_fetcher, media_type="print").render(
        stylesheets=[font_css, *_rare_sheets(list(faces), config), *sheets], font_config=config)
    if max_pages is not None and len(document.pages) > max_pages:
        raise DocumentTooLong(len(document.pages), max_pages)
    return document.write_pdf(finisher=_deflate_streams)


DEFLATE_LEVEL = 6  # zlib's default: what most PDF writers use


def _deflate_streams(_document, pdf) -> None:
    """WeasyPrint's finisher hook (public API: called with the pydyf.PDF before it is written):
    compress the document's streams (the font subset, the pages' drawing, the text map) at
    zlib's default level instead of pydyf's level 9. Level 9 took ~3.5 ms of a 50 ms document
    for 0.5 % fewer bytes (the monthly report: 27,442 → 27,593 bytes at level 6, 3.6 → 1.3 ms;
    bench/pdf_ir.py). Streams WeasyPrint stores already encoded (images: /Filter set, not
    compressed again) are left alone."""
    for obj in pdf.objects:
        if not isinstance(obj, pydyf.Stream) or not obj.compress or "Filter" in obj.extra:
            continue
        obj.compress = False
        data = obj.data  # <<dictionary>>\nstream\n{raw}\nendstream (pydyf.Stream.data, uncompressed)
        raw = data[data.index(b">>\nstream\n") + 10:-len(b"\nendstream")]
        obj.stream = [zlib.compress(raw, DEFLATE_LEVEL)]
        obj.extra["Filter"] = "/FlateDecode"


def _renderer_identity() -> str:
    """What besides the HTML decides how a document prints: the font files (a rare-character
    face's name in the HTML is a digest of its source font and characters)."""
    parts = []
    for path in (cjk_font(), common_font()):
        if path is None:
            parts.append("-")
            continue
        st = path.stat()
        parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


# --- warm-up -----------------------------------------------------------------------------

WARM_TEMPLATE = "documents/warm_pdf.html"


WARM_PAGE_SIZES = ("A4", "A5", "A6", (85.6, 54))  # the sizes the views print in (the pass card: 85.6 × 54 mm)


def warm_pdf(app=None) -> float:
    """Load everything a first document would, in this thread: WeasyPrint, Pango, fontconfig,
    HarfBuzz, the common-character font subset and this thread's font configuration, every
    print template (*_pdf.html) compiled and its print CSS parsed for each of WARM_PAGE_SIZES,
    and one tiny document rendered (PDF cache off). Returns the seconds it took (~0.5 s).
    Call it where documents will be rendered: a worker's request thread (gunicorn.conf.py's
    post_worker_init), or start_pdf_warmup's background thread for the process-wide part.
    Ends with core.heap.settle_heap() (the warmed heap frozen). Never raises: a failure is
    logged and the first request pays."""
    import time

    started = time.perf_counter()
    app = app or current_app._get_current_object()
    try:
        with app.test_request_context("/"):
            config, _ = _font_setup()
            names = app.jinja_env.list_templates(filter_func=lambda n: n.endswith("_pdf.html"))
            _compile_templates(app.jinja_env, names)
            _warm_styles(app, names, config)
            _layout(*_with_rare_faces(render_template(WARM_TEMPLATE, **_print_args("A6"))))
    except Exception:  # noqa: BLE001 - warming is an optimisation, never a reason not to start
        log.warning("PDF warm-up failed", exc_info=True)
    settle_heap()  # what it loaded lives as long as the worker: out of the collector's walks
    return time.perf_counter() - started


def _compile_templates(env, names: list[str]) -> None:
    """Compile the print templates and every template they extend, import or include (the
    macros of documents/_signatures.html, …), found by jinja2.meta in their source. Compiling
    only the print templates left their imports to the first print (~5 ms: the monthly report)."""
    from jinja2 import meta

    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        env.get_template(name)
        source = env.loader.get_source(env, name)[0]
        todo += [ref for ref in meta.find_referenced_templates(env.parse(source)) if ref]


def _warm_styles(app, names: list[str], config: FontConfiguration) -> None:
    """Parse each print template's <head> CSS into this thread's cache (_lift_styles), for each
    page size. The template is rendered without document data: every missing value is an empty,
    callable, iterable stand-in (_Blank); a template that still fails is parsed on its first print."""
    env = app.jinja_env.overlay(undefined=_Blank)
    context: dict = {}
    app.update_template_context(context)
    for name in names:
        if name == WARM_TEMPLATE:
            continue
        for size in WARM_PAGE_SIZES:
            try:
                html = env.get_template(name).render(**context, **_print_args(size))
                _lift_styles(html, config)
            except Exception:  # noqa: BLE001 - see above
                log.debug("could not warm the styles of %s", name, exc_info=True)


def _blank_class():
    from jinja2 import ChainableUndefined

    class Blank(ChainableUndefined):
        """Undefined that can also be called (cn_date(...)) and compared: renders as ""."""
        __slots__ = ()

        def __call__(self, *args, **kwargs):
            return self

        def __lt__(self, other):
            return False

        __le__ = __gt__ = __ge__ = __lt__

        def __int__(self):  # month[5:]|int, amounts|int
            return 0

        def __float__(self):
            return 0.0

    return Blank


_Blank = _blank_class()


def start_pdf_warmup(app) -> threading.Thread | None:
    """warm_pdf(app) in a background daemon thread when app.config["PDF_WARM"] is "thread"
    (the default outside tests; create_app sets it off under TESTING). The process-wide part
    (libraries, font subset, templates) is then ready before the first request; a request
    thread still makes its own font configuration (~10 ms)."""
    if app.config.get("PDF_WARM") != "thread":
        return None
    thread = threading.Thread(target=warm_pdf, args=(app,), name="pdf-warmup", daemon=True)
    thread.start()
    return thread


# --- QR codes ----------------------------------------------------------------------------

@lru_cache(maxsize=256)  # reprints and re-renders of one document draw the same code
def qr_img(text: str, *, size_mm: float | None = 20, border: int = 2, error: str = "m") -> Markup:
    """An <img> of a QR code of `text` for a printed document: a PNG with one pixel per module
    (a few hundred bytes) stretched to size_mm (the printed width including the quiet zone;
    None: sized by the template's CSS) with `image-rendering: pixelated`, which WeasyPrint
    writes as /Interpolate false: viewers and printers scale it by repeating pixels, so the
    modules stay sharp squares at any size. Drawing an image costs WeasyPrint far less than
    the same code as an inline SVG path (~3 ms a document). A regular QR code, never a Micro
    QR, which phone scanners often miss. Safe to put in a template as is."""
    qr = segno.make(str(text), error=error, micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=1, border=border)
    src = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    size = "" if size_mm is None else f"width: {size_mm:g}mm; height: {size_mm:g}mm; "
    return Markup('<img class="qr-code" src="{}" alt="" style="{}image-rendering: pixelated">').format(
        src, Markup(size))
