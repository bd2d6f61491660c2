"""The live dispatch queue under load: what a poll costs, in-process and under gunicorn.

Run on demand, never from the tests:

    .venv/bin/python bench/queue.py [-n 200] [--pollers 50] [--seconds 30] [--worker-class sync]

1. Builds the app on a temporary SQLite file, loads the demo (propsvc.demo) and
   creates ~60 open tickets in every state (some overdue, paused, in grab mode, with callers)
   plus some closed ones.
2. With the Flask test client, signed in as the demo supervisor, N times each, prints median
   and p95 server time and bytes for
     (a) an unchanged poll: 304 (bytes = status line + headers as sent, no body);
     (b) a poll after a change (a note on a ticket, not timed): 200 with the fragment, rendered
         anew, then the same for a second viewer (the worker's shared rendering, filled in);
     (c) an intake POST (/tickets/new, multipart, with the CSRF token): 303;
   and the weight of the full page (gzipped HTML + CSS; target <= 14 KB).
3. Runs `gunicorn -w 4` on 127.0.0.1 (a free port) over the same file, signs in P pollers
   (each its own session via POST /login), each polling every second with If-None-Match on a
   keep-alive http.client connection, plus one writer creating or dispatching a ticket every
   2 s, for S seconds; prints requests, p50/p95 latency, errors and the bytes of an unchanged
   poll as received. Stops gunicorn at the end.
Targets (flagged when missed): poll p95 <= 50 ms, zero errors, unchanged poll <= 300 bytes.
"""
import argparse
import gzip
import http.client
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from propsvc import create_app  # noqa: E402
from propsvc.extensions import db  # noqa: E402

QUEUE = "/tickets/queue"
P95_MS_TARGET = 50.0
POLL_BYTES_TARGET = 300
GZ_TARGET = 14 * 1024
CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
ETAG_RE = re.compile(r'data-etag="([^"]+)"')
SECRET = "bench-secret-" + uuid.uuid4().hex


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)] if ordered else float("nan")


def head_bytes(status_line: str, headers) -> int:
    """Status line + headers + the blank line, as HTTP/1.1 puts them on the wire."""
    return len((status_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1"))


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


# --- data ----------------------------------------------------------------------------------

def build(tmp: Path):
    uri = f"sqlite:///{tmp / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET, "UPLOAD_FOLDER": str(tmp / "uploads")})
    from flask_migrate import upgrade

    from propsvc.cli import ensure_departments
    from propsvc.demo import COMMUNITY_NAME, seed_demo
    from propsvc.registry.models import Community

    with app.app_context():
        upgrade()
        ensure_departments()
        seed_demo()
        community = db.session.scalar(select(Community).where(Community.name == COMMUNITY_NAME))
        info = make_tickets(community.id)
        db.session.remove()
        db.engine.dispose()
    return app, uri, info


def make_tickets(cid: int, seed: int = 2026) -> dict:
    """~60 open tickets in every state (and ~10 closed), as the demo office would have them."""
    from propsvc.auth.models import User
    from propsvc.core.models import utcnow
    from propsvc.registry.models import Building, Unit
    from propsvc.tickets import services
    from propsvc.tickets.models import AssignMode

    rng = random.Random(seed)
    users = {u.username: u for u in db.session.scalars(select(User))}
    desk, sup, tech, steward = users["front_desk"], users["supervisor"], users["technician"], users["steward"]
    cats = {c.name: c for c in services.categories(cid)}
    cats["电梯故障"].assign_mode = AssignMode.GRAB  # open for the engineers to grab
    db.session.flush()
    units = list(db.session.scalars(select(Unit.id).join(Unit.building).where(Building.community_id == cid)))
    buildings = list(db.session.scalars(select(Building.id).where(Building.community_id == cid)))
    names = ["水电气维修", "电梯故障", "环境卫生", "安全", "绿化", "停车", "噪音/邻里", "费用", "其他"]
    kinds = ["repair"] * 5 + ["complaint", "inquiry", "suggestion", "errand"]
    # target states: 16 new, 16 dispatched, 16 in progress, 12 resolved, 10 closed
    plan = ["new"] * 16 + ["dispatched"] * 16 + ["in_progress"] * 16 + ["resolved"] * 12 + ["closed"] * 10
    rng.shuffle(plan)
    now = utcnow()
    for i, target in enumerate(plan):
        cat = cats[names[i % len(names)]]
        common = rng.random() < 0.2
        t = services.create_ticket(cid, services.Intake(
            kind=kinds[i % len(kinds)], channel=rng.choice(["phone", "walk_in", "wechat", "web", "written"]),
            category_id=cat.id, urgency=rng.choice(["urgent", "normal", "normal", "normal", "low"]),
            description="演示工单", unit_id=None if common else rng.choice(units),
            building_id=rng.choice(buildings) if common else None, location="大堂" if common else None),
            desk, now=now - timedelta(minutes=rng.randint(0, 72 * 60)))
        if rng.random() < 0.15:
            services.attach_caller(t, desk, unit_id=rng.choice(units), name=None, phone=None, channel="phone")
        if target != "new" and t.state == "new":
            dept = cat.department_id or users["supervisor"].department_id
            services.dispatch(t, sup, dept, tech.id if (dept == tech.department_id and rng.random() < 0.5) else None)
        if target in ("in_progress", "resolved", "closed"):
            services.accept(t, tech if t.department_id == tech.department_id else sup)
        if target in ("resolved", "closed"):
            services.resolve(t, t.assignee, "已处理")
        if target == "closed":
            services.return_visit(t, steward, 5, "fixed", None)
        if target in ("new", "dispatched", "in_progress") and rng.random() < 0.1:
            services.pause(t, sup, "业主不在家，约定上门时间", None)
    db.session.commit()
    return {"community_id": cid, "units": units, "repair_category": cats["水电气维修"].id,
            "eng": tech.department_id, "open": len(plan) - plan.count("closed")}


# --- in-process: the Flask test client -------------------------------------------------------

@dataclass
class Series:
    label: str
    times: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    statuses: set = field(default_factory=set)
    queries: list[int] = field(default_factory=list)


def signed_in(app, username: str):
    from propsvc.demo import DEMO_PASSWORD

    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert resp.status_code == 303, resp.status_code
    return client


def in_process(app, info: dict, n: int) -> tuple[list[Series], dict]:
    from sqlalchemy import event

    from propsvc.auth.models import User
    from propsvc.tickets import services
    from propsvc.tickets.models import OPEN_STATES, Ticket

    with app.app_context():
        engine = db.engine
    counter = {"n": 0}

    def count(*_a):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    sup = signed_in(app, "supervisor")
    page = sup.get(QUEUE)
    html = page.get_data()
    css = (ROOT / "static" / "css" / "app.css").read_bytes()
    weight = {"html": len(html), "html_gz": gz(html), "css_gz": gz(css), "tickets": info["open"]}
    poll = {"HX-Request": "true", "X-Poll": "1"}
    etag = sup.get(QUEUE, headers=poll).headers["ETag"]
    for _ in range(3):  # warm up
        sup.get(QUEUE, headers={**poll, "If-None-Match": etag})

    unchanged, changed, intake = Series("(a) poll, unchanged → 304"), Series("(b) poll after a change → 200"), \
        Series("(c) intake POST /tickets/new → 303")
    shared = Series("    same change, next viewer → 200")
    other = signed_in(app, "manager")
    other_etag = other.get(QUEUE, headers=poll).headers["ETag"]
    for _ in range(n):
        counter["n"] = 0
        t0 = time.perf_counter()
        resp = sup.get(QUEUE, headers={**poll, "If-None-Match": etag})
        unchanged.times.append(time.perf_counter() - t0)
        unchanged.statuses.add(resp.status_code)
        unchanged.sizes.append(head_bytes(f"HTTP/1.1 {resp.status}", resp.headers.items()) + len(resp.get_data()))
        unchanged.queries.append(counter["n"])
    weight["poll_304_headers"] = list(unchanged_headers := sup.get(QUEUE, headers={**poll, "If-None-Match": etag})
                                      .headers.items())
    del unchanged_headers

    with app.app_context():
        ids = list(db.session.scalars(select(Ticket.id).where(Ticket.community_id == info["community_id"],
                                                               Ticket.state.in_(OPEN_STATES))))
        sup_id = db.session.scalar(select(User.id).where(User.username == "supervisor"))
    rng = random.Random(7)
    for i in range(n):
        with app.app_context():  # the change, not timed: a progress note on some open ticket
            t = db.session.get(Ticket, rng.choice(ids))
            services.add_note(t, db.session.get(User, sup_id), f"跟进 {i}", False)
            db.session.commit()
        counter["n"] = 0
        t0 = time.perf_counter()
        resp = sup.get(QUEUE, headers={**poll, "If-None-Match": etag})
        changed.times.append(time.perf_counter() - t0)
        changed.statuses.add(resp.status_code)
        body = resp.get_data()
        changed.sizes.append(head_bytes(f"HTTP/1.1 {resp.status}", resp.headers.items()) + len(body))
        changed.queries.append(counter["n"])
        etag = resp.headers.get("ETag", etag)
        counter["n"] = 0  # another poller after the same change: the worker's rendering is reused
        t0 = time.perf_counter()
        resp2 = other.get(QUEUE, headers={**poll, "If-None-Match": other_etag})
        shared.times.append(time.perf_counter() - t0)
        shared.statuses.add(resp2.status_code)
        shared.sizes.append(head_bytes(f"HTTP/1.1 {resp2.status}", resp2.headers.items()) + len(resp2.get_data()))
        shared.queries.append(counter["n"])
        other_etag = resp2.headers.get("ETag", other_etag)
    weight["fragment"], weight["fragment_gz"] = len(body), gz(body)

    desk = signed_in(app, "front_desk")
    token = CSRF_RE.search(desk.get("/tickets/new").get_data(as_text=True)).group(1)
    created = []
    for i in range(n):
        data = {"kind": "repair", "channel": "phone", "unit_id": str(rng.choice(info["units"])), "building_id": "0",
                "category_id": str(info["repair_category"]), "urgency": "normal", "description": f"卫生间漏水 {i}",
                "client_key": uuid.uuid4().hex, "csrf_token": token}
        counter["n"] = 0
        t0 = time.perf_counter()
        resp = desk.post("/tickets/new", data=data, content_type="multipart/form-data")
        intake.times.append(time.perf_counter() - t0)
        intake.statuses.add(resp.status_code)
        intake.sizes.append(head_bytes(f"HTTP/1.1 {resp.status}", resp.headers.items()) + len(resp.get_data()))
        intake.queries.append(counter["n"])
        created.append(int(resp.headers["Location"].rsplit("/", 1)[1]))
    event.remove(engine, "before_cursor_execute", count)
    with app.app_context():  # back to ~60 open tickets for the load test
        sup_user = db.session.get(User, sup_id)
        for tid in created:
            services.close(db.session.get(Ticket, tid), sup_user, "压测数据")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return [unchanged, changed, shared, intake], weight


# --- under gunicorn ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """One browser: a keep-alive connection to 127.0.0.1 and its session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.cookies: dict[str, str] = {}
        self.reconnects = 0

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed an idle keep-alive connection: open a new one, once
                self.conn.close()
                self.reconnects += 1
                if attempt == 2:
                    raise
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.reconnects += 1
        return resp, data

    def login(self, username: str, password: str) -> str:
        _resp, html = self.request("GET", "/login")
        token = CSRF_RE.search(html.decode()).group(1)
        form = urlencode({"username": username, "password": password, "csrf_token": token}).encode()
        resp, _ = self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if resp.status != 303:
            raise RuntimeError(f"sign-in as {username}: HTTP {resp.status}")
        resp, html = self.request("GET", QUEUE)  # the page, as the browser would open it first
        if resp.status != 200:
            raise RuntimeError(f"queue page as {username}: HTTP {resp.status}")
        text = html.decode()
        self.csrf = CSRF_RE.search(text).group(1)
        return ETAG_RE.search(text).group(1).replace("&#34;", '"')


@dataclass
class Run:
    """What the load threads share: the server, the start line and the finish line."""
    port: int
    password: str
    info: dict
    ready: threading.Barrier
    go: threading.Event = field(default_factory=threading.Event)
    stop_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict = field(default_factory=lambda: {200: [], 304: []})
    head_304: list[int] = field(default_factory=list)
    bytes_200: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cookies_set: int = 0
    reconnects: int = 0
    writes: list[float] = field(default_factory=list)
    write_errors: list[str] = field(default_factory=list)
    sample_304: list[str] = field(default_factory=list)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def _sign_in(run: Run, username: str) -> tuple[Session, str | None]:
    """Sign in before the clock starts (scrypt is slow on purpose), then wait for the start."""
    s, etag = Session(run.port), None
    try:
        etag = s.login(username, run.password)
    except Exception as e:  # noqa: BLE001 (counted, the run goes on)
        run.error(f"sign-in {username}: {e!r}")
        s = None
    run.ready.wait()
    run.go.wait()
    return s, etag


def poller(run: Run, username: str) -> None:
    s, etag = _sign_in(run, username)
    if s is None:
        return
    next_at = time.monotonic() + random.random()  # spread the pollers over the second
    while True:
        time.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() >= run.stop_at:
            break
        next_at += 1.0
        t0 = time.perf_counter()
        try:
            resp, body = s.request("GET", QUEUE, headers={"HX-Request": "true", "X-Poll": "1", "If-None-Match": etag})
        except Exception as e:  # noqa: BLE001
            run.error(repr(e))
            continue
        ms = (time.perf_counter() - t0) * 1000
        size = head_bytes(f"HTTP/1.1 {resp.status} {resp.reason}", resp.getheaders()) + len(body)
        with run.lock:
            if resp.status not in (200, 304):
                run.errors.append(f"poll: HTTP {resp.status}")
                continue
            run.latencies[resp.status].append(ms)
            run.cookies_set += bool(resp.getheader("Set-Cookie"))
            if resp.status == 304:
                run.head_304.append(size)
                run.sample_304 = run.sample_304 or [f"HTTP/1.1 {resp.status} {resp.reason}"] + [
                    f"{k}: {v}" for k, v in resp.getheaders()]
            else:
                run.bytes_200.append(size)
                etag = resp.getheader("ETag")
    with run.lock:
        run.reconnects += s.reconnects


def multipart(fields: dict) -> tuple[bytes, str]:
    boundary = "----propsvc" + uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"


def writer(run: Run) -> None:
    """Every 2 s: register a ticket (intake), or dispatch the one registered last (from the queue)."""
    s, _etag = _sign_in(run, "supervisor")
    if s is None:
        return
    rng, last, info = random.Random(11), None, run.info
    next_at = time.monotonic() + 1.0
    while True:
        time.sleep(max(0.0, next_at - time.monotonic()))
        if time.monotonic() >= run.stop_at:
            break
        next_at += 2.0
        if last is None:
            path = "/tickets/new"
            body, ctype = multipart({
                "csrf_token": s.csrf, "client_key": uuid.uuid4().hex, "kind": "repair", "channel": "phone",
                "unit_id": str(rng.choice(info["units"])), "building_id": "0",
                "category_id": str(info["repair_category"]), "urgency": rng.choice(["urgent", "normal", "low"]),
                "description": "压测：卫生间漏水"})
        else:
            path = f"/tickets/{last}/dispatch"
            body, ctype = multipart({"csrf_token": s.csrf, "key": uuid.uuid4().hex, "next": QUEUE,
                                     "dispatch-department_id": str(info["eng"]), "dispatch-assignee_id": "0"})
        t0 = time.perf_counter()
        try:
            resp, _ = s.request("POST", path, body, {"Content-Type": ctype})
        except Exception as e:  # noqa: BLE001
            run.write_errors.append(f"{path}: {e!r}")
            continue
        run.writes.append((time.perf_counter() - t0) * 1000)
        if resp.status != 303:
            run.write_errors.append(f"{path}: HTTP {resp.status}")
        elif last is None:
            last = int(resp.getheader("Location").rsplit("/", 1)[1])
        else:
            last = None


def under_gunicorn(uri: str, tmp: Path, info: dict, pollers: int, seconds: int, worker_class: str) -> dict:
    from propsvc.demo import DEMO_PASSWORD

    port = free_port()
    env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": SECRET, "UPLOAD_FOLDER": str(tmp / "uploads")}
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", "4", "-k", worker_class, "-b", f"127.0.0.1:{port}",
           "app:app"]
    log_path = tmp / "gunicorn.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/login")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + log_path.read_text()[-2000:])
            time.sleep(0.2)
        run = Run(port=port, password=DEMO_PASSWORD, info=info, ready=threading.Barrier(pollers + 2))
        accounts = ["supervisor", "manager", "front_desk"]
        threads = [threading.Thread(target=poller, args=(run, accounts[i % len(accounts)]), daemon=True)
                   for i in range(pollers)]
        threads.append(threading.Thread(target=writer, args=(run,), daemon=True))
        for th in threads:
            th.start()
        run.ready.wait(timeout=120)  # every sign-in done
        run.stop_at = time.monotonic() + seconds
        started = time.monotonic()
        run.go.set()
        for th in threads:
            th.join(timeout=seconds + 30)
        elapsed = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGTERM)  # the master we started stops its workers gracefully
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return {"run": run, "elapsed": elapsed, "cmd": "gunicorn " + " ".join(cmd[1:]), "log": log_path}


# --- report ----------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=200, help="timed requests per in-process measurement (default 200)")
    ap.add_argument("--pollers", type=int, default=50, help="concurrent pollers under gunicorn (default 50)")
    ap.add_argument("--seconds", type=int, default=30, help="length of the load run (default 30)")
    ap.add_argument("--worker-class", default="sync", help="gunicorn worker class (default sync, as `make serve`)")
    ap.add_argument("--skip-gunicorn", action="store_true", help="only the in-process measurements")
    args = ap.parse_args()
    flags = []

    with tempfile.TemporaryDirectory(prefix="propsvc-qbench-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        app, uri, info = build(tmp)
        print(f"propsvc queue bench · SQLite (temporary file) · demo + {info['open']} open tickets "
              f"(set up in {time.perf_counter() - started:.1f} s)\n")
        series, weight = in_process(app, info, args.n)

        print(f"1. In-process (Flask test client), {args.n} timed requests each")
        head = f"{'request':<38} {'HTTP':>5} {'median':>8} {'p95':>8} {'bytes':>7} {'SQL':>4}"
        print(head + "\n" + "-" * len(head))
        for s in series:
            ms = [t * 1000 for t in s.times]
            print(f"{s.label:<38} {','.join(map(str, sorted(s.statuses))):>5} {statistics.median(ms):>6.2f}ms "
                  f"{pct(ms, 95):>6.2f}ms {int(statistics.median(s.sizes)):>7,} {int(statistics.median(s.queries)):>4}")
        print("   bytes: status line + headers (+ body) as Werkzeug emits them; a server adds Date, Server, Connection")
        poll_head = int(statistics.median(series[0].sizes))
        print("   304 headers: " + "; ".join(f"{k}: {v}" for k, v in weight["poll_304_headers"]))
        total = weight["html_gz"] + weight["css_gz"]
        print(f"   full page with {weight['tickets']} open tickets: HTML {weight['html']:,} B, gz {weight['html_gz']:,} B"
              f" + CSS gz {weight['css_gz']:,} B = {total:,} B (target <= {GZ_TARGET:,}){'  !!' if total > GZ_TARGET else ''}")
        print(f"   fragment (200): {weight['fragment']:,} B, gz {weight['fragment_gz']:,} B\n")
        if total > GZ_TARGET:
            flags.append("page weight")
        if poll_head > POLL_BYTES_TARGET:
            flags.append("in-process 304 bytes")

        if not args.skip_gunicorn:
            res = under_gunicorn(uri, tmp, info, args.pollers, args.seconds, args.worker_class)
            run = res["run"]
            polls = run.latencies[200] + run.latencies[304]
            print(f"2. Under load: {res['cmd']} on 127.0.0.1")
            print(f"   {args.pollers} pollers (own sessions, 1 poll/s, If-None-Match) + 1 writer "
                  f"(intake or dispatch every 2 s), {res['elapsed']:.1f} s\n")
            head = f"{'':<28} {'requests':>9} {'p50':>8} {'p95':>8} {'max':>8} {'bytes (median)':>15}"
            print(head + "\n" + "-" * len(head))
            rows = [("polls, all", polls, None), ("  unchanged → 304", run.latencies[304], run.head_304),
                    ("  changed → 200", run.latencies[200], run.bytes_200), ("writer POSTs (→ 303)", run.writes, None)]
            for label, values, sizes in rows:
                if not values:
                    print(f"{label:<28} {0:>9}")
                    continue
                size = f"{int(statistics.median(sizes)):,}" if sizes else ""
                print(f"{label:<28} {len(values):>9} {pct(values, 50):>6.1f}ms {pct(values, 95):>6.1f}ms "
                      f"{max(values):>6.1f}ms {size:>15}")
            errors = len(run.errors) + len(run.write_errors)
            rate = len(polls) / res["elapsed"] if res["elapsed"] else 0
            print(f"\n   throughput {rate:.1f} polls/s; errors {errors}; Set-Cookie on polls {run.cookies_set}; "
                  f"connections re-opened {run.reconnects}")
            if run.reconnects >= len(polls):
                print("   (sync workers close the connection after each response; try --worker-class gthread)")
            print("   an unchanged poll as received: " + " | ".join(run.sample_304))
            for e in (run.errors + run.write_errors)[:10]:
                print("   error: " + e)
            p95 = pct(polls, 95)
            head_304 = int(statistics.median(run.head_304)) if run.head_304 else 0
            print(f"   targets: poll p95 {p95:.1f} ms (<= {P95_MS_TARGET:g}){'  !!' if p95 > P95_MS_TARGET else ''}; "
                  f"errors {errors} (0){'  !!' if errors else ''}; unchanged poll {head_304} B on the wire "
                  f"(<= {POLL_BYTES_TARGET}){'  !!' if head_304 > POLL_BYTES_TARGET else ''}")
            if p95 > P95_MS_TARGET:
                flags.append("poll p95")
            if errors or run.cookies_set:
                flags.append("errors / cookies")
            if head_304 > POLL_BYTES_TARGET or not run.head_304:
                flags.append("304 bytes")
    print("\nAll within the targets." if not flags else f"\nMissed: {', '.join(flags)}.")
    return 1 if flags else 0


if __name__ == "__main__":
    sys.exit(main())
