"""Page weight and server time of the main pages and htmx fragments, on the demo data.

Run on demand, never from the tests:

    .venv/bin/python bench/pages.py [-n 50] [--pg postgresql://postgres@127.0.0.1:5432/propsvc] [--sql]

Builds the app on a temporary SQLite file (or, with --pg, on a fresh database created beside
the one in the URL and dropped afterwards), runs the migrations, loads the demo, signs in with
the demo accounts through the Flask test client, and for each page prints the HTML size raw
and gzipped, the gzipped CSS, their sum, the SQL statements one request runs, and the median
and 95th-percentile server time over N requests. Targets, flagged when missed:
  * a full page's gzipped HTML + CSS fits in the first round trip: <= 14 KB (14,336 bytes);
  * unit search: median server time <= 10 ms.
"""
import argparse
import gzip
import math
import os
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from propsvc import create_app  # noqa: E402
from propsvc.extensions import db  # noqa: E402

GZ_TARGET = 14 * 1024
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
    from propsvc.demo import COMMUNITY_NAME, seed_demo, seed_demo_activity, seed_demo_areas
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
        db.session.remove()
        db.engine.dispose()  # the migrations' connection; requests open their own
    sample = {"unit_id": unit_id, "surname": surname, "tail": tail, "kiosk_token": kiosk_token}
    return app, summary, seed_seconds, sample


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
    from propsvc.demo import DEMO_PASSWORD

    kiosk = app.test_client()
    kiosk.set_cookie(KIOSK_COOKIE, sample["kiosk_token"])
    clients = {"anonymous": app.test_client(), "kiosk PC": kiosk}
    for username in ("steward", "front_desk", "admin"):
        clients[username] = signed_in(app, username, DEMO_PASSWORD)
    return clients


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=50, help="timed requests per page (default 50)")
    ap.add_argument("--pg", metavar="URL", help="PostgreSQL server URL; a temporary database is created and dropped")
    ap.add_argument("--sql", action="store_true", help="print the SQL statements of each page's last request")
    args = ap.parse_args()

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
    print(f"\n{problems} page(s) flagged." if problems else "\nAll pages within the targets.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
