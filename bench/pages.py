"""Page weight and server time of the main pages and htmx fragments, on the demo data; and the
bytes on the wire of the key pages, first load and repeat visit, beside another revision's.

Run on demand, never from the tests:

    .venv/bin/python bench/pages.py [-n 50] [--pg postgresql://postgres@127.0.0.1:5432/propsvc] [--sql]
    .venv/bin/python bench/pages.py --wire                 # only the bytes-on-the-wire table
    .venv/bin/python bench/pages.py --compare main         # main's bytes beside this checkout's, one run

Builds the app on a temporary SQLite file (or, with --pg, on a fresh database created beside
the one in the URL and dropped afterwards), runs the migrations, loads the demo, signs in with
the demo accounts through the Flask test client, and for each page prints the HTML size raw
and gzipped, the gzipped CSS, their sum, the SQL statements one request runs, and the median
and 95th-percentile server time over N requests. Targets, flagged when missed:
  * a full page's gzipped HTML + CSS fits in the first round trip: <= 14 KB (14,336 bytes);
  * unit search: median server time <= 10 ms.

Bytes on the wire (printed after the timing table; --wire prints only it): the key pages of a
steward on the phone (今日 — their 首页 redirects there —, a patrol checklist, the ticket form,
我的工单), of the front desk on the kiosk PC (lock screen, 首页, 新建工单, 派单队列, 访客, 代办),
of a supervisor (派单队列) and of a guard (门岗查验), each asked for as Chromium does
(`Accept-Encoding: gzip, deflate, br, zstd`) and counted as the app sends them: status line,
headers and body as encoded (HTTP/1.1 framing; a proxy's Date/Server headers not included),
every redirect on the way included.
  * first load: the page and every stylesheet and script it references (an empty cache);
  * repeat visit: the page alone (its CSS and JS are cached immutable under hashed URLs);
  * worker install (once): what the offline shell's service worker fetches after a steward's
    first page has loaded (/sw.js, the offline page, the shell files that page did not load).
Targets, flagged when missed: a steward's first load <= 30 KiB, a repeat visit <= 8 KiB.

--compare REV checks REV out into a temporary git worktree (removed afterwards) and runs this
script's --wire over it (--root) and then over this checkout, each in its own process, and
prints both figures per page. --root DIR measures another checkout with this script.
"""
import argparse
import gzip
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def _root_arg() -> Path:
    """--root DIR: the checkout to measure (its propsvc, templates, static); default this one."""
    if "--root" in sys.argv:
        return Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
    return HERE


ROOT = _root_arg()
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from propsvc import create_app  # noqa: E402
from propsvc.extensions import db  # noqa: E402

GZ_TARGET = 14 * 1024
FIRST_TARGET = 30 * 1024   # a steward's first load, bytes on the wire
REPEAT_TARGET = 8 * 1024   # a steward's repeat visit
CHROMIUM = {"Accept-Encoding": "gzip, deflate, br, zstd"}
SEARCH_MS_TARGET = 10.0
GZIP_LEVEL = 6  # nginx's gzip_comp_level defaults to 1, most CDNs use 6 or brotli
CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
STATIC = ROOT / "static"


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


@dataclass
class Page:
    label: str
    who: str  # a key of the clients dict
    url: str
    fragment: bool = False
    search: bool = False
    # filled in by measure()
    status: int = 0
    raw: int = 0
    gz: int = 0
    queries: int = 0
    times: list[float] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.times)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] * 1000


class QueryLog:
    """Counts (and keeps) the SQL statements run on the engine."""

    def __init__(self, engine):
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn, _cursor, statement, _params, _context, _executemany):
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements = []


# --- the database ---------------------------------------------------------------------


def sqlite_database(tmp: Path):
    return f"sqlite:///{tmp / 'bench.db'}", None


def pg_database(url: str):
    """A fresh database named after the URL's plus `_bench_<pid>`; returns its URL and a dropper."""
    base = make_url(url).set(drivername="postgresql+psycopg")
    target = base.set(database=f"{base.database or 'propsvc'}_bench_{os.getpid()}")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{target.database}"'))
        conn.execute(text(f'create database "{target.database}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{target.database}" with (force)'))
        admin.dispose()

    return target.render_as_string(hide_password=False), drop


def build(uri: str, tmp: Path):
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "bench-secret",
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        # The production hash (scrypt): the seeding time below is what `make run` costs.
    })
    from flask_migrate import upgrade

    from propsvc.auth.services import register_kiosk
    from propsvc.cli import ensure_departments
    try:
        from propsvc.demo import COMMUNITY_NAME, seed_demo, seed_demo_activity, seed_demo_areas
    except ImportError:  # a checkout from before issue 17 (--compare), demo inside the registry
        from propsvc.registry.demo import COMMUNITY_NAME, seed_demo, seed_demo_activity, seed_demo_areas
    from propsvc.registry.models import Building, Community, Occupancy, Person, Unit

    with app.app_context():
        upgrade()
        ensure_departments()
        started = time.perf_counter()
        summary = seed_demo()
        community = db.session.scalar(select(Community).where(Community.name == COMMUNITY_NAME))
        # the lived-in day `make run` loads: tickets, patrols, renovations, the front desk's errands
        summary += "\n" + seed_demo_activity(community.id) + "\n" + seed_demo_areas(community.id)
        seed_seconds = time.perf_counter() - started
        unit_id = db.session.scalar(select(Unit.id).join(Unit.building).where(
            Building.number == "3", Unit.entrance == 2, Unit.number == "1201"))
        owners = list(db.session.execute(
            select(Person.name, Person.phone).join(Person.occupancies).where(Occupancy.role == "owner")
            .order_by(Person.id)))
        # The commonest owner surname: the widest name search a clerk is likely to type.
        surname = Counter(name[0] for name, _ in owners).most_common(1)[0][0]
        # A phone tail shared by no other owner (the usual case: it finds one home).
        tails = Counter(phone[-4:] for _, phone in owners if phone)
        tail = next(phone[-4:] for _, phone in owners if phone and tails[phone[-4:]] == 1)
        _kiosk, kiosk_token = register_kiosk(community.id, "前台1号机")
        patrol_id = start_a_patrol(community.id)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # the migrations' connection; requests open their own
    sample = {"unit_id": unit_id, "surname": surname, "tail": tail, "kiosk_token": kiosk_token,
              "patrol_id": patrol_id}
    return app, summary, seed_seconds, sample


def start_a_patrol(community_id: int) -> int:
    """The demo steward's patrol of their first building with the building checklist, open (the
    checklist a steward taps through on the phone)."""
    from propsvc.auth.models import User
    from propsvc.patrols import services
    from propsvc.patrols.models import ChecklistTemplate

    steward = db.session.scalar(select(User).where(User.username == "steward"))
    template = db.session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.community_id == community_id, ChecklistTemplate.kind == "building",
        ChecklistTemplate.active.is_(True)).order_by(ChecklistTemplate.id))
    building = sorted(steward.buildings, key=lambda b: b.sort_key)[0]
    return services.start_patrol(community_id, steward, template.id, "building", building_id=building.id).id


# --- clients ---------------------------------------------------------------------------


def signed_in(app, username: str, password: str):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(html).group(1)
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if resp.status_code != 303:
        raise SystemExit(f"sign-in as {username} failed: HTTP {resp.status_code}")
    return client


def clients_for(app, sample):
    from propsvc.auth.services import KIOSK_COOKIE
    try:
        from propsvc.demo import DEMO_PASSWORD
    except ImportError:  # before issue 17
        from propsvc.registry.demo import DEMO_PASSWORD

    kiosk = app.test_client()
    kiosk.set_cookie(KIOSK_COOKIE, sample["kiosk_token"])
    clients = {"anonymous": app.test_client(), "kiosk PC": kiosk}
    for username in ("steward", "front_desk", "admin"):
        clients[username] = signed_in(app, username, DEMO_PASSWORD)
    return clients


def kiosk_signed_in(app, sample, username: str, pin: str):
    """A kiosk PC (its cookie) where `username` switched in with the PIN."""
    from propsvc.auth.services import KIOSK_COOKIE

    client = app.test_client()
    client.set_cookie(KIOSK_COOKIE, sample["kiosk_token"])
    token = CSRF_RE.search(client.get("/kiosk").get_data(as_text=True)).group(1)
    resp = client.post("/kiosk", data={"username": username, "pin": pin, "csrf_token": token})
    if resp.status_code != 303:
        raise SystemExit(f"kiosk sign-in as {username} failed: HTTP {resp.status_code}")
    return client


def pages_for(app, sample) -> list[Page]:
    uid, tail, surname = sample["unit_id"], sample["tail"], sample["surname"]
    pages = [
        Page("/login", "anonymous", "/login"),
        Page("/kiosk (lock screen)", "kiosk PC", "/kiosk"),
        Page("/ home (全部功能)", "steward", "/?all=1"),  # a steward's "/" redirects to 今日
        Page("/ home", "admin", "/"),
        Page("/units (empty)", "steward", "/units"),
        Page("/units?q=3-2-1201", "steward", "/units?q=3-2-1201", search=True),
        Page("  same, htmx fragment", "steward", "/units?q=3-2-1201", fragment=True, search=True),
        Page(f"/units?q={tail} (phone tail)", "steward", f"/units?q={tail}", search=True),
        Page("  same, htmx fragment", "steward", f"/units?q={tail}", fragment=True, search=True),
        Page(f"/units?q={surname} (surname)", "steward", f"/units?q={surname}", search=True),
        Page("  same, htmx fragment", "steward", f"/units?q={surname}", fragment=True, search=True),
        Page(f"/units/{uid} (3-2-1201)", "steward", f"/units/{uid}"),
        Page(f"/units/{uid} (3-2-1201)", "front_desk", f"/units/{uid}"),
    ]
    if "admin.import_units" in app.view_functions:
        pages.append(Page("/admin/import", "admin", "/admin/import"))
    pages += other_pages(app, {p.url.split("?")[0] for p in pages})
    return pages


def other_pages(app, covered: set[str]) -> list[Page]:
    """GET pages added since this script was written (no URL arguments), each measured as the
    first demo account its access rule lets in."""
    from propsvc.core.roles import Role

    who_for = [("steward", Role.STEWARD), ("front_desk", Role.FRONT_DESK), ("admin", Role.ADMIN)]
    skip = {"static_files.static_file", "core.healthz", "admin.import_example"}
    found = []
    for rule in app.url_map.iter_rules():
        if (rule.arguments or "GET" not in rule.methods or rule.endpoint in skip or rule.rule in covered
                or rule.rule.endswith((".pdf", ".csv"))):  # documents and exports, not pages (bench/pdf.py)
            continue
        access = getattr(app.view_functions[rule.endpoint], "access", None)
        if access is None:
            continue
        who = "anonymous" if access.public else next((u for u, r in who_for if str(r) in access.roles), None)
        if who:
            found.append(Page(rule.rule, who, rule.rule))
    return found


# --- measuring -------------------------------------------------------------------------


def measure(app, clients, page: Page, n: int, log: QueryLog) -> None:
    client = clients[page.who]
    headers = {"HX-Request": "true"} if page.fragment else {}
    for _ in range(2):  # warm up: template compilation, statement caches
        client.get(page.url, headers=headers)
    for _ in range(n):
        log.reset()
        started = time.perf_counter()
        resp = client.get(page.url, headers=headers)
        page.times.append(time.perf_counter() - started)
    body = resp.get_data()
    page.status, page.raw, page.gz = resp.status_code, len(body), gz(body)
    page.queries, page.sql = len(log.statements), list(log.statements)


def pad(s: str, width: int) -> str:
    """Left-align in a monospace column; CJK characters take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
    return s + " " * max(width - cells, 0)


def report(pages: list[Page], css_gz: int, sql: bool) -> int:
    head = f"{'page':<30} {'as':<11} {'HTTP':>4} {'HTML':>7} {'gz':>6} {'gz+CSS':>7} {'SQL':>4} {'median':>8} {'p95':>8}  flags"
    print(head)
    print("-" * len(head))
    problems = 0
    for p in pages:
        flags = []
        if p.status != 200:
            flags.append(f"HTTP {p.status}")
        total = "" if p.fragment else f"{p.gz + css_gz:,}"
        if not p.fragment and p.gz + css_gz > GZ_TARGET:
            flags.append(f"> {GZ_TARGET // 1024} KB gz")
        if p.search and p.median_ms > SEARCH_MS_TARGET:
            flags.append(f"> {SEARCH_MS_TARGET:g} ms")
        problems += bool(flags)
        print(f"{pad(p.label, 30)} {p.who:<11} {p.status:>4} {p.raw:>7,} {p.gz:>6,} {total:>7} {p.queries:>4} "
              f"{p.median_ms:>6.1f}ms {p.p95_ms:>6.1f}ms  {' '.join('!! ' + f for f in flags)}")
        if sql:
            for s in p.sql:
                print("      " + " ".join(s.split())[:220])
    return problems


# --- bytes on the wire ------------------------------------------------------------------

ASSET_RE = re.compile(r'<(?:link[^>]*\brel="stylesheet"[^>]*\bhref|script[^>]*\bsrc)="([^"]+)"')


@dataclass
class WirePage:
    label: str
    who: str
    url: str
    steward: bool = False  # held to the steward's targets
    # filled in by measure_wire()
    status: int = 0
    html: int = 0           # the page's bytes on the wire, redirects included (= the repeat visit)
    raw: int = 0            # the page's HTML as rendered, uncompressed
    assets: int = 0         # the stylesheets' and scripts' bytes on the wire
    names: list[str] = field(default_factory=list)
    encoding: str = ""

    @property
    def first(self) -> int:
        return self.html + self.assets


def wire_pages(sample) -> list[WirePage]:
    pid = sample["patrol_id"]
    return [
        WirePage("今日 (首页 → 今日)", "steward", "/", steward=True),
        WirePage("巡查表 (a patrol)", "steward", f"/patrols/{pid}", steward=True),
        WirePage("开始巡查", "steward", "/patrols/start", steward=True),
        WirePage("新建工单", "steward", "/tickets/new", steward=True),
        WirePage("我的工单", "steward", "/tickets/mine", steward=True),
        WirePage("房屋查询", "steward", "/units", steward=True),
        WirePage("锁屏 (kiosk)", "kiosk PC", "/kiosk"),
        WirePage("首页 (kiosk)", "desk kiosk", "/"),
        WirePage("新建工单 (kiosk)", "desk kiosk", "/tickets/new"),
        WirePage("派单队列 (kiosk)", "desk kiosk", "/tickets/queue"),
        WirePage("访客 (kiosk)", "desk kiosk", "/desk/visitors"),
        WirePage("代办 (kiosk)", "desk kiosk", "/errands"),
        WirePage("派单队列", "supervisor", "/tickets/queue"),
        WirePage("门岗查验", "guard", "/renovations/gate"),
    ]


def wire_clients(app, sample) -> dict:
    from propsvc.auth.services import KIOSK_COOKIE
    try:
        from propsvc.demo import DEMO_PASSWORD
    except ImportError:  # before issue 17
        from propsvc.registry.demo import DEMO_PASSWORD

    kiosk = app.test_client()
    kiosk.set_cookie(KIOSK_COOKIE, sample["kiosk_token"])
    clients = {"kiosk PC": kiosk, "desk kiosk": kiosk_signed_in(app, sample, "front_desk", "1234")}
    for username in ("steward", "supervisor", "guard"):
        clients[username] = signed_in(app, username, DEMO_PASSWORD)
    return clients


def on_wire(resp) -> int:
    """Status line, headers and body as sent (HTTP/1.1 framing)."""
    head = f"HTTP/1.1 {resp.status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in resp.headers.items()) + "\r\n"
    return len(head.encode("latin-1", "replace")) + len(resp.get_data())


def decoded(resp) -> bytes:
    body = resp.get_data()
    if resp.headers.get("Content-Encoding") == "br":
        import brotli

        return brotli.decompress(body)
    if resp.headers.get("Content-Encoding") == "gzip":
        return gzip.decompress(body)
    return body


def fetch(client, url: str, limit: int = 5):
    """GET as Chromium would, following redirects; returns (bytes on the wire of every hop, the
    last answer)."""
    total = 0
    for _ in range(limit):
        resp = client.get(url, headers=CHROMIUM)
        total += on_wire(resp)
        if resp.status_code not in (301, 302, 303, 307, 308):
            return total, resp
        url = resp.headers["Location"]
    raise SystemExit(f"too many redirects at {url}")


def measure_wire(app, sample) -> list[WirePage]:
    clients = wire_clients(app, sample)
    pages = wire_pages(sample)
    static = app.test_client()  # the assets are public; an empty cache asks for each once
    for p in pages:
        client = clients[p.who]
        fetch(client, p.url)  # warm up (template compilation); the figures are the second answer
        p.html, resp = fetch(client, p.url)
        p.status, p.encoding = resp.status_code, resp.headers.get("Content-Encoding", "") or "none"
        body = decoded(resp)
        p.raw = len(body)
        p.names = list(dict.fromkeys(ASSET_RE.findall(body.decode("utf-8", "replace"))))
        for url in p.names:
            size, asset = fetch(static, url)
            if asset.status_code != 200:
                raise SystemExit(f"{url} (from {p.url}): HTTP {asset.status_code}")
            p.assets += size
    return pages


def worker_install(app, pages: list[WirePage]) -> dict | None:
    """What the steward's phone fetches once more when the offline shell's worker installs, after
    the first page has loaded: /sw.js, the offline page and the shell files that page did not
    load (the others come from the browser's cache). None where the checkout has no worker."""
    client = app.test_client()
    size, resp = fetch(client, "/sw.js")
    if resp.status_code != 200:
        return None
    first = next(p for p in pages if p.steward)
    shell = [u for u in dict.fromkeys(re.findall(r'"(/static/[0-9a-f]{10}/[^"]+)"', decoded(resp).decode()))
             if u not in first.names]
    total = size + fetch(client, "/offline")[0] + sum(fetch(client, u)[0] for u in shell)
    return {"label": "worker install (once)", "who": "steward", "url": "/sw.js", "steward": False, "status": 200,
            "html": 0, "raw": 0, "assets": total, "first": total, "n": len(shell) + 2, "encoding": "br"}


def wire_json(pages: list[WirePage]) -> list[dict]:
    return [{"label": p.label, "who": p.who, "url": p.url, "steward": p.steward, "status": p.status,
             "html": p.html, "raw": p.raw, "assets": p.assets, "first": p.first, "n": len(p.names),
             "encoding": p.encoding} for p in pages]


def kib(n: int) -> str:
    return f"{n / 1024:.1f}"


def wire_flags(row: dict) -> list[str]:
    flags = []
    if row["status"] != 200:
        flags.append(f"HTTP {row['status']}")
    if row["steward"] and row["first"] > FIRST_TARGET:
        flags.append(f"first > {FIRST_TARGET // 1024} KiB")
    if row["steward"] and row["html"] > REPEAT_TARGET:
        flags.append(f"repeat > {REPEAT_TARGET // 1024} KiB")
    return flags


def wire_report(runs: list[tuple[str, list[dict]]]) -> int:
    """One line per page: first load and repeat visit in KiB for each run (the last run's rows are
    checked against the targets)."""
    labels = [label for label, _ in runs]
    first = " ".join(f"{'first ' + label[:10]:>17}" for label in labels)
    repeat = " ".join(f"{'repeat ' + label[:10]:>18}" for label in labels)
    head = f"{'page':<26} {'as':<11} {'CSS+JS':>6} {first} {repeat}  {'HTML raw':>8} {'sent as':<7} flags"
    print(head)
    print("-" * len(head))
    problems = 0
    last = runs[-1][1]
    for row in last:
        others = [next((r for r in rows if r["label"] == row["label"] and r["who"] == row["who"]), None)
                  for _, rows in runs]
        flags = wire_flags(row)
        problems += bool(flags)
        first = " ".join(f"{kib(r['first']) if r else '—':>17}" for r in others)
        repeat = " ".join(f"{kib(r['html']) if r and r['html'] else '—':>18}" for r in others)
        raw = f"{row['raw']:>8,}" if row["raw"] else f"{'':>8}"
        print(f"{pad(row['label'], 26)} {row['who']:<11} {row['n']:>6} {first} {repeat}  {raw} {row['encoding']:<7} "
              f"{' '.join('!! ' + f for f in flags)}")
    return problems


def wire_run(args) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="propsvc-bench-") as tmp:
        tmp = Path(tmp)
        uri, drop = pg_database(args.pg) if args.pg else sqlite_database(tmp)
        try:
            app, _summary, _seed, sample = build(uri, tmp)
            pages = measure_wire(app, sample)
            rows = wire_json(pages)
            install = worker_install(app, pages)
            if install:
                rows.append(install)
            with app.app_context():
                db.engine.dispose()
        finally:
            if drop:
                drop()
    return rows


def print_wire_header() -> None:
    print(f"bytes on the wire, KiB (1,024 B), asked with Accept-Encoding: {CHROMIUM['Accept-Encoding']}; "
          "first = the page + every stylesheet and script it references (empty cache); repeat = the page "
          f"alone (CSS/JS cached immutable). Targets for the steward's pages: first <= {FIRST_TARGET // 1024} KiB, "
          f"repeat <= {REPEAT_TARGET // 1024} KiB.\n")


def compare(args) -> int:
    """Measure `args.compare` (a git revision, from a temporary worktree) and this checkout, one
    after the other in this one run, each in its own process; print both."""
    tmp = Path(tempfile.mkdtemp(prefix="propsvc-bench-rev-"))
    tree = tmp / "tree"
    subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(tree), args.compare], check=True,
                   capture_output=True)
    runs = []
    try:
        for label, root in ((args.compare, tree), ("this", HERE)):
            out = tmp / "wire.json"
            cmd = [sys.executable, str(HERE / "bench" / "pages.py"), "--root", str(root), "--wire", "--json", str(out)]
            if args.pg:
                cmd += ["--pg", args.pg]
            done = subprocess.run(cmd, capture_output=True, text=True)  # the migrations' log stays out
            if done.returncode:
                sys.stderr.write(done.stderr)
                raise SystemExit(f"measuring {label} failed (exit {done.returncode})")
            runs.append((label, json.loads(out.read_text())))
    finally:
        subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    rev = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", args.compare], capture_output=True,
                         text=True).stdout.strip()
    print(f"propsvc page weight · {args.compare} ({rev}) beside this checkout · demo data, "
          f"{'PostgreSQL' if args.pg else 'SQLite'}")
    print_wire_header()
    problems = wire_report(runs)
    print(f"\n{problems} page(s) flagged (this checkout)." if problems else "\nThis checkout is within the targets.")
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=50, help="timed requests per page (default 50)")
    ap.add_argument("--pg", metavar="URL", help="PostgreSQL server URL; a temporary database is created and dropped")
    ap.add_argument("--sql", action="store_true", help="print the SQL statements of each page's last request")
    ap.add_argument("--wire", action="store_true", help="only the bytes-on-the-wire table of the key pages")
    ap.add_argument("--compare", metavar="REV", help="bytes on the wire of git revision REV (a temporary worktree) "
                                                      "beside this checkout's, same run")
    ap.add_argument("--root", help="measure this checkout instead of the one bench/pages.py is in")
    ap.add_argument("--json", help="write the bytes-on-the-wire figures to this file (used by --compare)")
    args = ap.parse_args()
    if args.compare:
        return compare(args)
    if args.wire:
        rows = wire_run(args)
        if args.json:
            Path(args.json).write_text(json.dumps(rows))
            return 0
        print_wire_header()
        problems = wire_report([(ROOT.name, rows)])
        return 1 if problems else 0

    with tempfile.TemporaryDirectory(prefix="propsvc-bench-") as tmp:
        tmp = Path(tmp)
        uri, drop = pg_database(args.pg) if args.pg else sqlite_database(tmp)
        try:
            app, summary, seed_seconds, sample = build(uri, tmp)
            with app.app_context():
                log = QueryLog(db.engine)
            clients = clients_for(app, sample)
            pages = pages_for(app, sample)
            for page in pages:
                measure(app, clients, page, args.n, log)
            wire_pages_measured = measure_wire(app, sample)
            wire_rows = wire_json(wire_pages_measured)
            install = worker_install(app, wire_pages_measured)
            if install:
                wire_rows.append(install)
            with app.app_context():
                db.engine.dispose()
        finally:
            if drop:
                drop()

    css = (STATIC / "css" / "app.css").read_bytes()
    css_gz = gz(css)
    js = {p.name: (p.stat().st_size, gz(p.read_bytes())) for p in sorted((STATIC / "js").glob("*.js"))}
    backend = "PostgreSQL" if args.pg else "SQLite (temporary file)"
    print(f"propsvc page bench · {backend} · {args.n} timed requests per page · gzip level {GZIP_LEVEL}")
    print(f"demo: {summary}")
    print(f"seeding took {seed_seconds:.2f} s (target < 3 s){'  !! slow' if seed_seconds >= 3 else ''}")
    print(f"static/css/app.css: {len(css):,} B raw, {css_gz:,} B gz (added to every full page below)")
    print("scripts (deferred, cached a year; not in the 14 KB budget): "
          + ", ".join(f"{name} {raw:,} B / {z:,} B gz" for name, (raw, z) in js.items()))
    print(f"targets: full page gz HTML + gz CSS <= {GZ_TARGET:,} B; unit search median <= {SEARCH_MS_TARGET:g} ms;"
          " fragments are swapped into a page that already has the CSS\n")
    problems = report(pages, css_gz, args.sql)
    print()
    print_wire_header()
    problems += wire_report([(ROOT.name, wire_rows)])
    print(f"\n{problems} page(s) flagged." if problems else "\nAll pages within the targets.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
