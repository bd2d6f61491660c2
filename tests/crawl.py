"""A same-site crawler for the Flask test client, reusable by any test that walks the app.

crawl(client) follows every link reachable from a start page by GET only: <a href> targets as
pages and hx-get targets as htmx fragments (sent with HX-Request: true), within this site,
bounded by `limit`, skipping sign-out/lock, PDFs, static files and images. With `searches`
({field name: [values]}) it also submits every GET form (search boxes, day pickers) as the page
fills it, and once more per value for each field named there (so a search for "3-2-1201" leads
on to the unit's page). URLs that differ only in the numbers of their query (?page=2, 3, …, or
a form's "one more row" button whose answer asks for the next row) count as one shape, followed
at most SHAPE_LIMIT times, so a chain of them cannot eat the whole budget. It returns what it saw: each HTML or CSV body by URL, and every
response of 500 or more."""
import re
from dataclasses import dataclass, field
from html import unescape
from collections import Counter
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit

HREF = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*(["'])(.*?)\1""", re.I | re.S)
HX_GET = re.compile(r"""\bhx-get\s*=\s*(["'])(.*?)\1""", re.I | re.S)
SKIP = re.compile(r"(^/logout|^/kiosk/lock|^/static/|\.pdf(\?|$)|/photo|/thumb|/signature|/consent|\.(jpe?g|png|webp)(\?|$))")
TEXT_TYPES = ("text/html", "text/csv")
SHAPE_LIMIT = 4  # URLs of one shape (path and query with its numbers blanked) followed


def _shape(url: str) -> str:
    parts = urlsplit(url)
    query = sorted((k, "#" if v.isdigit() else v) for k, v in parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + "?" + urlencode(query)


@dataclass
class Crawl:
    pages: dict[str, str] = field(default_factory=dict)     # url -> body (HTML or CSV)
    errors: list[tuple[str, int]] = field(default_factory=list)  # (url, status) of 5xx
    statuses: dict[str, int] = field(default_factory=dict)
    truncated: bool = False


def _links(html: str) -> list[tuple[str, bool]]:
    out = [(unescape(m.group(2)), False) for m in HREF.finditer(html)]
    out += [(unescape(m.group(2)), True) for m in HX_GET.finditer(html)]
    return out


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.I | re.S)
ATTR = re.compile(r"""\b([a-z-]+)\s*=\s*(["'])(.*?)\2""", re.I | re.S)
INPUT = re.compile(r"<input\b([^>]*)>", re.I | re.S)
SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.I | re.S)
OPTION = re.compile(r"<option\b([^>]*)>", re.I | re.S)


def _attrs(tag: str) -> dict[str, str]:
    return {m.group(1).lower(): unescape(m.group(3)) for m in ATTR.finditer(tag)}


def _get_forms(html: str, searches: dict[str, list[str]]) -> list[str]:
    """The URLs that submitting each GET form gives: as filled in, and with each search value."""
    out = []
    for m in FORM.finditer(html):
        form = _attrs(m.group(1))
        if form.get("method", "get").lower() != "get" or not form.get("action"):
            continue
        fields, free = [], []
        for tag in INPUT.findall(m.group(2)):
            a = _attrs(tag)
            kind, name = a.get("type", "text").lower(), a.get("name")
            if not name or kind in ("submit", "button", "file", "image", "reset"):
                continue
            if kind in ("checkbox", "radio") and "checked" not in tag.lower():
                continue
            fields.append((name, a.get("value", "")))
            if kind in ("text", "search") and name in searches:
                free.append(name)
        for sel_tag, options in SELECT.findall(m.group(2)):
            name = _attrs(sel_tag).get("name")
            opts = [_attrs(o) | {"_selected": "selected" in o.lower()} for o in OPTION.findall(options)]
            chosen = next((o for o in opts if o["_selected"]), opts[0] if opts else None)
            if name and chosen is not None:
                fields.append((name, chosen.get("value", "")))
        out.append(f"{form['action']}?{urlencode(fields)}")
        for name in free:
            for value in searches[name]:
                out.append(f"{form['action']}?{urlencode([(k, value if k == name else v) for k, v in fields])}")
    return out


def _local(url: str) -> str | None:
    url = urldefrag(url.strip())[0]
    if not url.startswith("/") or url.startswith("//"):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or SKIP.search(parts.path + ("?" + parts.query if parts.query else "")):
        return None
    return url


def crawl(client, start: str = "/", limit: int = 400, skip: re.Pattern | None = None,
          searches: dict[str, list[str]] | None = None) -> Crawl:
    seen: set[tuple[str, bool]] = set()
    shapes: Counter[tuple[str, bool]] = Counter()
    queue: list[tuple[str, bool]] = [(start, False)]
    result = Crawl()
    while queue:
        url, htmx = queue.pop(0)
        if (url, htmx) in seen or shapes[_shape(url), htmx] >= SHAPE_LIMIT:
            continue
        if len(seen) >= limit:
            result.truncated = True
            break
        seen.add((url, htmx))
        shapes[_shape(url), htmx] += 1
        resp = client.get(url, headers={"HX-Request": "true"} if htmx else {})
        key = f"{url} [htmx]" if htmx else url
        result.statuses[key] = resp.status_code
        if resp.status_code >= 500:
            result.errors.append((key, resp.status_code))
            continue
        if resp.status_code in (301, 302, 303, 307, 308):
            target = _local(resp.headers.get("Location", ""))
            if target and not (skip and skip.search(target)):
                queue.append((target, False))
            continue
        ctype = resp.headers.get("Content-Type", "")
        if not ctype.startswith(TEXT_TYPES):
            continue
        body = resp.get_data(as_text=True)
        result.pages[key] = body
        if ctype.startswith("text/html"):
            links = _links(body) + [(u, False) for u in (_get_forms(body, searches) if searches is not None else [])]
            for link, is_htmx in links:
                target = _local(link)
                if target and not (skip and skip.search(target)) and (target, is_htmx) not in seen:
                    queue.append((target, is_htmx))
    return result
