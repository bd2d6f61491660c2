"""What an item tap of a patrol costs on the wire and on the server; the weight of the checklist
page (and of the 今日 page, when it exists). Run on demand, never from the tests:

    .venv/bin/python bench/patrol.py [-n 200]

Builds the app on a temporary SQLite file, loads the demo (propsvc.demo), signs in
as the demo steward through the Flask test client, starts a patrol of building 1 with the
楼栋单元 checklist, and taps its items N times round-robin, each tap a real change (ok ↔ na,
a new key, a later phone time), exactly as static/js/patrol.js sends it: an urlencoded body
`result=…&key=…&tapped_at=…&device=…&seq=…`, the X-CSRFToken and HX-Request headers, the session cookie.
Then a repeat of a tap already saved (the retry after a lost answer), and a few problem taps
with a photo as shrink.js leaves it (1600 px JPEG).

Bytes on the wire are counted as HTTP/1.1 puts them there: request line + headers + blank
line + body, and status line + headers + blank line + body.
  * "test client": the headers the test client actually sent (Host, Cookie, Content-Type,
    Content-Length, HX-Request, X-CSRFToken).
  * "+ browser": those plus the headers a current mobile Chrome adds to such an XHR over HTTPS
    (User-Agent, sec-ch-ua*, Accept, Accept-Encoding, Accept-Language, Origin, Referer,
    Sec-Fetch-*, Connection), written out below from a real Android Chrome request; for the
    response, Date, Server and Connection as gunicorn adds them. Over HTTP/2 (HPACK) repeated
    headers shrink to a few bytes each after the first request; that is not counted here.
Server time: in-process, the whole test-client request (routing, session, SQL, rendering).
Targets, flagged when missed: a plain tap <= 1 KB each way; median server time <= 15 ms.
"""
import argparse
import gzip
import io
import math
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from propsvc import create_app  # noqa: E402
from propsvc.extensions import db  # noqa: E402

BYTES_TARGET = 1024
MEDIAN_MS_TARGET = 15.0
CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
HOST = "wy.example.com"  # a plausible production host name (the test client says "localhost")

# What Android Chrome adds to a same-origin XHR POST over HTTPS (values from a real request,
# Chrome 124 on Android 10; the User-Agent is Chrome's reduced one).
BROWSER_REQUEST_HEADERS = [
    ("Connection", "keep-alive"),
    ("sec-ch-ua", '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'),
    ("sec-ch-ua-mobile", "?1"),
    ("User-Agent", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/124.0.0.0 Mobile Safari/537.36"),
    ("sec-ch-ua-platform", '"Android"'),
    ("Accept", "*/*"),
    ("Origin", f"https://{HOST}"),
    ("Sec-Fetch-Site", "same-origin"),
    ("Sec-Fetch-Mode", "cors"),
    ("Sec-Fetch-Dest", "empty"),
    ("Referer", None),  # the checklist page's URL, filled in
    ("Accept-Encoding", "gzip, deflate, br, zstd"),
    ("Accept-Language", "zh-CN,zh;q=0.9"),
]
SERVER_RESPONSE_HEADERS = [("Server", "gunicorn"), ("Date", "Mon, 04 May 2026 01:23:45 GMT"),
                           ("Connection", "keep-alive")]


DEVICE = "k3v9x2m7q1w8e5r4t6y0"  # a device id as patrol.js makes one (20 base-36 characters)


def new_key() -> str:
    """A tap key as patrol.js makes it: three random 32-bit numbers in base 36 (<= 20 chars)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"

    def b36(v: int) -> str:
        out = ""
        while True:
            v, r = divmod(v, 36)
            out = digits[r] + out
            if not v:
                return out

    return "".join(b36(random.getrandbits(32)) for _ in range(3))[:20]


def h2_estimate(repeated: int, changing: list[str], body: int) -> int:
    """Rough HTTP/2 size of a request or response on a connection already used for the same
    kind of request: a HEADERS and a DATA frame header (9 B each); header fields already in
    HPACK's dynamic table cost 1 B each; the changing ones (:path, content-length, a new
    Set-Cookie…) cost 2 B + their Huffman-coded value (about 0.8 B per character)."""
    return 18 + repeated + sum(2 + math.ceil(0.8 * len(v)) for v in changing) + body


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def head(first_line: str, headers) -> int:
    return len((first_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1"))


def build(tmp: Path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench-secret",
                      "UPLOAD_FOLDER": str(tmp / "uploads")})
    from flask_migrate import upgrade

    from propsvc.cli import ensure_departments
    from propsvc.demo import COMMUNITY_NAME, seed_demo
    from propsvc.registry.models import Building, Community

    with app.app_context():
        upgrade()
        ensure_departments()
        seed_demo()
        community = db.session.scalar(select(Community).where(Community.name == COMMUNITY_NAME))
        building = db.session.scalar(select(Building.id).where(Building.community_id == community.id,
                                                               Building.number == "1"))
        db.session.remove()
        db.engine.dispose()
    return app, building


def signed_in(app, username: str):
    from propsvc.demo import DEMO_PASSWORD

    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert resp.status_code == 303, resp.status_code
    return client


def start_patrol(app, client, building_id: int) -> tuple[int, list[int], str]:
    from propsvc.patrols.models import ChecklistItem, ChecklistTemplate

    html = client.get("/patrols/start").get_data(as_text=True)
    token = CSRF_RE.search(html).group(1)
    with app.app_context():
        template = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.kind == "building"))
        items = [i.id for i in template.items if i.active]
        template_id = template.id
        photo_item = next(i.id for i in template.items if i.active and i.photo_required)
    resp = client.post("/patrols/start", data={"csrf_token": token, "template_id": template_id,
                                               "target_type": "building", "building_id": building_id,
                                               "client_key": uuid.uuid4().hex})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    pid = int(resp.headers["Location"].rsplit("/", 1)[1])
    return pid, items, photo_item, token


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=200, help="timed taps (default 200, at least 100)")
    args = ap.parse_args()
    n = max(args.n, 100)

    with tempfile.TemporaryDirectory(prefix="propsvc-bench-") as tmp:
        app, building_id = build(Path(tmp))
        with app.app_context():
            engine = db.engine
        counter = {"n": 0}
        event.listen(engine, "before_cursor_execute", lambda *_a: counter.__setitem__("n", counter["n"] + 1))
        steward = signed_in(app, "steward")
        pid, items, photo_item, token = start_patrol(app, steward, building_id)
        run_url = f"/patrols/{pid}"
        cookie = steward.get_cookie("session")
        cookie_header = f"session={cookie.value}"

        page = steward.get(run_url)
        page_html = page.get_data()
        numbers: dict[str, int] = {}

        def tap(item_id: int, result: str, key: str, at: datetime):
            # as patrol.js builds it: base-36 key, the tap time in epoch milliseconds, the phone's
            # device id and its tap number (a repeat sends the number again: same tap, same key)
            seq = numbers.setdefault(key, len(numbers) + 1)
            body = f"result={result}&key={key}&tapped_at={int(at.timestamp() * 1000)}&device={DEVICE}&seq={seq}"
            headers = {"X-CSRFToken": token}
            counter["n"] = 0
            t0 = time.perf_counter()
            resp = steward.post(f"/patrols/{pid}/items/{item_id}?f", data=body, headers=headers,
                                content_type="application/x-www-form-urlencoded")
            elapsed = time.perf_counter() - t0
            url = f"/patrols/{pid}/items/{item_id}"
            sent = [("Host", "localhost"), ("Cookie", cookie_header),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Content-Length", str(len(body))), *headers.items()]
            req_client = head(f"POST {url} HTTP/1.1", sent) + len(body)
            browser = [(k, v if v is not None else f"https://{HOST}{run_url}") for k, v in BROWSER_REQUEST_HEADERS]
            sent_browser = [("Host", HOST)] + sent[1:] + browser
            req_browser = head(f"POST {url} HTTP/1.1", sent_browser) + len(body)
            resp_body = resp.get_data()
            resp_client = head(f"HTTP/1.1 {resp.status}", resp.headers.items()) + len(resp_body)
            resp_server = head(f"HTTP/1.1 {resp.status}", list(resp.headers.items()) + SERVER_RESPONSE_HEADERS) \
                + len(resp_body)
            req_h2 = h2_estimate(len(sent_browser) - 2 + 4, [url, str(len(body))], len(body))  # + :method etc.
            resp_h2 = h2_estimate(len(resp.headers) - 1 + 1, [str(len(resp_body))], len(resp_body))
            return resp, elapsed, counter["n"], (req_client, req_browser, resp_client, resp_server, len(body),
                                                 len(resp_body), len(cookie_header), req_h2, resp_h2)

        # warm up (template compilation, statement caches): the first tap of each item inserts
        at = datetime.now(timezone.utc) - timedelta(minutes=30)
        for i, item_id in enumerate(items):
            tap(item_id, "ok", new_key(), at + timedelta(milliseconds=i))
        times, queries, sizes, statuses = [], [], None, set()
        for i in range(n):
            at += timedelta(seconds=1)
            result = "na" if (i // len(items)) % 2 == 0 else "ok"
            resp, elapsed, q, sizes = tap(items[i % len(items)], result, new_key(), at)
            times.append(elapsed)
            queries.append(q)
            statuses.add(resp.status_code)
        # the phone's retry of a tap already saved: nothing changes
        key, item_id = new_key(), items[0]
        at += timedelta(seconds=1)
        tap(item_id, "ok", key, at)
        repeat_times = []
        for _ in range(n):
            _r, elapsed, repeat_q, _s = tap(item_id, "ok", key, at)
            repeat_times.append(elapsed)

        # problem taps with a shrunk photo (multipart), as patrol.js sends them
        from PIL import Image

        # a photo-like picture (smooth areas and some grain), encoded as shrink.js does:
        # long side 1600 px, JPEG quality 0.8 stepping down until <= 300 KB
        img = Image.blend(Image.radial_gradient("L").resize((1600, 1200)).convert("RGB"),
                          Image.effect_noise((1600, 1200), 60).convert("RGB"), 0.2)
        for quality in (80, 70, 60, 50):
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=quality)
            if buf.tell() <= 300 * 1024:
                break
        photo = buf.getvalue()
        photo_times = []
        for i in range(10):
            at += timedelta(seconds=1)
            t0 = time.perf_counter()
            resp = steward.post(f"/patrols/{pid}/items/{photo_item}",
                                headers={"HX-Request": "true", "X-CSRFToken": token},
                                data={"result": "problem", "key": new_key(), "note": "楼道灯不亮",
                                      "tapped_at": at.isoformat().replace("+00:00", "Z"),
                                      "photo": (io.BytesIO(photo), "photo.jpg")},
                                content_type="multipart/form-data")
            photo_times.append(time.perf_counter() - t0)
            assert resp.status_code == 200, resp.get_data(as_text=True)

        today = None
        if "patrols.today" in app.view_functions:
            resp = steward.get("/patrols/today")
            today = (resp.status_code, resp.get_data())
        with app.app_context():
            db.engine.dispose()

    css_gz = gz((ROOT / "static" / "css" / "app.css").read_bytes())
    js = {name: gz((ROOT / "static" / "js" / name).read_bytes()) for name in ("patrol.js", "shrink.js")}
    req_client, req_browser, resp_client, resp_server, body_len, resp_body_len, cookie_len, req_h2, resp_h2 = sizes
    med, p95 = statistics.median(times) * 1000, pct(times, 95) * 1000
    problems = []
    print(f"propsvc patrol bench · SQLite (temporary file) · demo data · {n} timed taps "
          f"({len(items)} items, each tap a change)\n")
    print("item tap (urlencoded, as patrol.js sends it), one request:")
    print(f"  request  body {body_len} B; session cookie header {cookie_len} B")
    print(f"  request  on the wire, test client's headers:          {req_client:>5,} B")
    flag = "  !! > 1 KB" if req_browser > BYTES_TARGET else ""
    print(f"  request  on the wire, + mobile Chrome's own headers:  {req_browser:>5,} B{flag}"
          "  (estimate, see docstring)")
    problems += [flag] if flag else []
    print(f"  request  over HTTP/2 after the first tap (HPACK, rough): {req_h2:>4,} B")
    print(f"  response body (the item's row) {resp_body_len} B, HTTP {sorted(statuses)}")
    print(f"  response on the wire, as the app sends it:            {resp_client:>5,} B")
    flag = "  !! > 1 KB" if resp_server > BYTES_TARGET else ""
    print(f"  response on the wire, + Server/Date/Connection:       {resp_server:>5,} B{flag}")
    problems += [flag] if flag else []
    print(f"  response over HTTP/2 (HPACK, rough):                  {resp_h2:>5,} B")
    flag = "  !! > 15 ms" if med > MEDIAN_MS_TARGET else ""
    print(f"  server time: median {med:.1f} ms, p95 {p95:.1f} ms over {n} taps; "
          f"SQL statements per tap {statistics.median(queries):g}{flag}")
    problems += [flag] if flag else []
    print(f"  repeat of a saved tap (same key): median {statistics.median(repeat_times) * 1000:.1f} ms, "
          f"p95 {pct(repeat_times, 95) * 1000:.1f} ms, SQL {repeat_q}")
    print(f"  problem tap with a {len(photo) // 1024} KB photo (multipart, server re-encodes it): "
          f"median {statistics.median(photo_times) * 1000:.1f} ms over {len(photo_times)}")
    print("\npages (gzip level 6; the CSS is cached after the first page):")
    print(f"  checklist {run_url}: HTML {len(page_html):,} B raw, {gz(page_html):,} B gz; "
          f"+ CSS gz {css_gz:,} B = {gz(page_html) + css_gz:,} B")
    if today is not None:
        status, body = today
        print(f"  今日 /patrols/today: HTTP {status}, HTML {len(body):,} B raw, {gz(body):,} B gz; "
              f"+ CSS gz = {gz(body) + css_gz:,} B")
    else:
        print("  今日 /patrols/today: not built yet")
    print("  scripts (deferred, cached a year): " + ", ".join(f"{k} {v:,} B gz" for k, v in js.items()))
    print(f"\ntargets: a plain tap <= {BYTES_TARGET} B each way; median server time <= {MEDIAN_MS_TARGET:g} ms")
    print("All within the targets." if not problems else f"{len(problems)} figure(s) flagged.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
