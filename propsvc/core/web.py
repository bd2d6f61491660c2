"""Page rendering, hashed static files, security headers and error pages."""
import gzip
import hashlib
import mimetypes
from urllib.parse import urlsplit
from functools import lru_cache
from pathlib import Path

import brotli
from flask import (Blueprint, Flask, abort, current_app, g, has_request_context, make_response, render_template,
                   request, send_file, url_for)
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.security import safe_join

from .access import public
from .forms import parse_id

STATIC_ROOT = Path(__file__).resolve().parents[2] / "static"
ONE_YEAR = 365 * 24 * 3600

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

bp = Blueprint("static_files", __name__)


class IdConverter(BaseConverter):
    """`<id:name>` in a route: a record id, 1 … ID_MAX (core.forms.parse_id, the same rule as
    forms use). Anything else matches no route: 404, and no query ever sees it."""

    regex = r"[1-9][0-9]{0,9}"  # at most 10 digits; parse_id checks the value
    weight = 50  # as werkzeug's int: a number ranks before a free string in the same place

    def to_python(self, value: str) -> int:
        n = parse_id(value)
        if n is None:
            raise ValidationError()
        return n

    def to_url(self, value) -> str:
        return str(int(value))


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def local_path(value: str | None) -> str | None:
    """`value` when it is a path on this site; anything else (another host, a scheme, `//host`,
    a backslash some browsers read as a slash, control characters) → None. For `next` targets."""
    value = value or ""
    if (not value.startswith("/") or value.startswith("//") or "\\" in value
            or any(ord(c) < 32 or ord(c) == 127 for c in value)):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def local_next() -> str | None:
    """The posted form's `next`, when it is a path on this site."""
    return local_path(request.form.get("next"))


# --- 查找 without JavaScript: a plain GET of the search alone ---------------------------------
# An intake form's unit search sits inside its POST form, and a <form> cannot hold another. Its
# box and 查找 button name a separate, empty GET form (the HTML form="…" attribute) that the page
# renders after everything else: pressing 查找 without script sends only the search (unit_q, or
# the unit chosen with 选定房屋) — never the CSRF token, the one-time key or the rest of the form.

def find_form(endpoint: str) -> str:
    """The id of the GET form a search box of `endpoint` belongs to; registers it for find_forms."""
    fid = "find-" + endpoint.replace(".", "-").replace("_", "-")
    if has_request_context():
        g.setdefault("find_forms", {})[fid] = url_for(endpoint)
    return fid


def find_forms() -> Markup:
    """The GET forms find_form() named on this page (base.html renders them at the end)."""
    forms = g.get("find_forms", {}) if has_request_context() else {}
    return Markup("".join(f'<form id="{escape(fid)}" method="get" action="{escape(action)}" data-find hidden></form>'
                          for fid, action in forms.items()))


def intake_form(cls):
    """An intake page's form (unit look-up first): filled from the query on a GET that carries
    fields (the no-JS 查找 button or an htmx look-up sent them); else as posted, or blank."""
    args = request.args if request.method == "GET" and set(request.args) - {"part"} else None
    return cls(formdata=args) if args is not None else cls()


def intake_block() -> str | None:
    """What an intake page renders: its block `lookup` alone for ?part=lookup (htmx), else all."""
    return "lookup" if request.args.get("part") == "lookup" else None


def render_page(template: str, block: str | None = None, status: int = 200, **ctx):
    """Render the full page, or only `block` of the same template for an htmx request."""
    if block and is_htmx():
        body = render_block(template, block, **ctx)
    else:
        body = render_template(template, **ctx)
    resp = make_response(body, status)
    resp.vary.add("HX-Request")
    return resp


@lru_cache(maxsize=256)
def _digest(filename: str, mtime_ns: int) -> str:
    return hashlib.sha256((STATIC_ROOT / filename).read_bytes()).hexdigest()[:10]


def static_url(filename: str) -> str:
    """URL with the file's content hash in it; such URLs are cached for a year, immutable."""
    path = STATIC_ROOT / filename
    digest = _digest(filename, path.stat().st_mtime_ns)
    return f"/static/{digest}/{filename}"


# Static text is compressed once per file and process at the highest levels (brotli 11, gzip 9:
# ~0.1 s for htmx, once) and kept in memory; pages and fragments are compressed as they are sent
# (Flask-Compress, config.COMPRESS_*). Images and PDFs are compressed already: sent as they are.
STATIC_COMPRESSIBLE = frozenset({"text/css", "text/javascript", "application/javascript", "application/json",
                                 "image/svg+xml", "text/plain"})
STATIC_ENCODINGS = ("br", "gzip")  # the server's order when the client likes both as much
_ETAG_SUFFIX = {"br": "br", "gzip": "gz"}


@lru_cache(maxsize=64)
def _encoded(filename: str, mtime_ns: int, encoding: str) -> bytes | None:
    """The file compressed with `encoding`, or None when that would not make it smaller."""
    data = (STATIC_ROOT / filename).read_bytes()
    if encoding == "br":
        out = brotli.compress(data, mode=brotli.MODE_TEXT, quality=11)
    else:
        out = gzip.compress(data, compresslevel=9, mtime=0)
    return out if len(out) < len(data) else None


@bp.get("/static/<digest>/<path:filename>")
@public
def static_file(digest: str, filename: str):
    """A static file. CSS and JS go out br- or gzip-encoded when the browser takes it, each
    encoding with its own strong ETag (the content hash + .br/.gz), so a revalidation gets its
    304 only for the bytes it holds; `Vary: Accept-Encoding` keeps shared caches apart."""
    full = safe_join(str(STATIC_ROOT), filename)
    if full is None or not Path(full).is_file():
        abort(404)
    path = Path(full)
    mimetype = mimetypes.guess_type(path.name)[0]
    mtime_ns = path.stat().st_mtime_ns
    current = _digest(filename, mtime_ns)
    compressible = mimetype in STATIC_COMPRESSIBLE
    encoding = request.accept_encodings.best_match(STATIC_ENCODINGS) if compressible else None
    body = _encoded(filename, mtime_ns, encoding) if encoding else None
    if body is None:
        resp = send_file(path, mimetype=mimetype, conditional=True, etag=current)
    else:
        resp = current_app.response_class(body, mimetype=mimetype)
        resp.headers["Content-Encoding"] = encoding
        resp.set_etag(f"{current}.{_ETAG_SUFFIX[encoding]}")
        resp.last_modified = mtime_ns // 1_000_000_000
        resp.make_conditional(request)
    if compressible:
        resp.vary.add("Accept-Encoding")
    if digest == current:
        resp.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        resp.headers["Cache-Control"] = "no-cache"
    return resp


def compress_response(resp):
    """after_request: pages, fragments and text answers compressed by Flask-Compress (br, else
    gzip; config.COMPRESS_*). A client that refuses every coding we have (`br;q=0, gzip;q=0`:
    RFC 9110 §12.5.3) gets the plain bytes: the library would pick one of the refused anyway."""
    if request.accept_encodings.best_match(STATIC_ENCODINGS) is None:
        resp.vary.add("Accept-Encoding")
        return resp
    from ..extensions import compress

    return compress.after_request(resp)


def security_headers(resp):
    if resp.status_code == 304:  # no body: document headers stay off the wire (a poll's 304 is tiny)
        return resp
    h = resp.headers
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint == "static_files.static_file" and resp.mimetype != "text/html":
        # A stylesheet or script is no document: CSP, framing and permissions do not apply to it
        # (~400 bytes a file saved on a first load). Its 404 page is a page like any other.
        return resp
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
    if "Cache-Control" not in h:
        # Pages may hold personal data: never keep them in the browser's cache or
        # back/forward history (the kiosk's idle lock must leave nothing behind).
        h["Cache-Control"] = "no-store"
    return resp


ERROR_MESSAGES = {
    400: "请求内容有误，请检查后重试。",
    401: "请先登录。",
    403: "您没有权限访问此页面。",
    404: "页面或记录不存在。",
    405: "不支持此操作方式。",
    413: "上传的文件太大。",
    429: "操作过于频繁，请稍后再试。",
    500: "系统出错了，请稍后重试；已保存的内容不会丢失。",
}


def render_error(status: int, message: str | None = None):
    message = message or ERROR_MESSAGES.get(status, "请求未能完成。")
    return render_page("core/error.html", block="content", status=status, status_code=status, message=message)


NUL_REFUSED = "提交的内容含有无法保存的空字符（NUL），请删除后重新填写。"
CSRF_EXPIRED = "页面已过期或表单缺少安全令牌，请刷新页面后重新提交。"


def refuse_nul():
    """before_request: a form value holding NUL (U+0000) is refused before any view sees it.
    PostgreSQL cannot store it in a text column (the insert fails: a 500), SQLite would keep it
    silently, and no keyboard types it: it only comes from pasted binary or a crafted request."""
    if request.method != "POST" or request.mimetype not in ("application/x-www-form-urlencoded",
                                                            "multipart/form-data"):
        return None
    if any("\x00" in key or "\x00" in value for key, value in request.form.items(multi=True)):
        return render_error(400, NUL_REFUSED)
    return None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)  # a blueprint may answer its own first (auth: the kiosk lock)
    def _csrf(_e):
        return render_error(400, CSRF_EXPIRED)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if e.code in (301, 302, 303, 307, 308):
            return e
        return render_error(e.code or 500, getattr(e, "description_zh", None))

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        current_app.logger.exception("unhandled error")
        from ..extensions import db

        db.session.rollback()
        return render_error(500)
