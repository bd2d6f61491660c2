"""Fixtures: the app on a real database (SQLite always, PostgreSQL when TEST_DATABASE_URL is
set), a clean database per test, factories for the site data, and a signed-in client."""
import hashlib
import os
import re
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import MultiDict

from moments import MOMENTS, travel
from propsvc import create_app
from propsvc.extensions import db as _db

PASSWORD = "secret-pass-1"
PIN = "2468"

BACKENDS = ["sqlite"]
if os.environ.get("TEST_DATABASE_URL"):
    BACKENDS.append("postgresql")


@pytest.fixture(scope="session", autouse=True)
def _session_moment():
    """PROPSVC_TEST_AT=<moment from tests/moments.py>: the whole run starts at that moment, time
    ticking on from there (how `make test-moments` shows the suite passes on any day)."""
    name = os.environ.get("PROPSVC_TEST_AT")
    if not name:
        yield None
        return
    if name not in MOMENTS:
        pytest.exit(f"PROPSVC_TEST_AT={name!r}: not one of {', '.join(MOMENTS)}", 4)
    with travel(name, tick=True) as traveller:
        yield traveller


@pytest.fixture(params=list(MOMENTS))
def clock(request):
    """Time frozen at each chosen moment in turn (tests/moments.py): for tests whose meaning
    depends on the date or the time of day. Tests that do not ask for it use the real clock."""
    with travel(request.param, tick=False) as traveller:
        yield traveller


# What the tests the app generates for itself covered (matrix, fuzz, crawl), per database; printed
# at the end of the run by pytest_terminal_summary so a closing note can quote the counts.
GENERATED: dict[str, dict] = {}


def backend_of(app) -> str:
    return "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql"


def pytest_terminal_summary(terminalreporter):
    lines = []
    for (backend, rules), columns in sorted(GENERATED.get("matrix", {}).items()):
        lines.append(f"access matrix [{backend}]: {rules} url_map rules x {len(columns)} columns "
                     f"({', '.join(columns)}) = {rules * len(columns)} requests")
    for backend, f in sorted(GENERATED.get("fuzz", {}).items()):
        lines.append(f"form fuzz [{backend}] (profile {f['profile']}): {len(f['forms'])} forms, {f['targets']} "
                     f"form x route targets, {f['examples']} examples, {f['accepted']} accepted, "
                     f"{f['refused']} refused, {f['errors']} answered 5xx")
    for backend, per_role in sorted(GENERATED.get("crawl", {}).items()):
        lines.append(f"crawl [{backend}] (pages, fragments, CSVs, GET forms; requests per account): "
                     + ", ".join(f"{who} {n}" for who, n in per_role.items()))
    if lines:
        terminalreporter.write_sep("-", "tests generated from the app")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(config, items):
    """A test marked `layout` checks what a page looks like on a phone or what its script does
    (sizes, scrolling, the accessibility audit): the database cannot change that, so it runs once,
    on SQLite, and its PostgreSQL copy is deselected (~80 s of the PostgreSQL half). A test whose
    flow writes through the app runs on both databases."""
    keep, drop = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        if item.get_closest_marker("layout") and spec is not None and spec.params.get("app") == "postgresql":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_sessionstart(session):
    if os.environ.get("CI") == "true" and not os.environ.get("TEST_DATABASE_URL"):
        pytest.exit("CI=true needs PostgreSQL: set TEST_DATABASE_URL (make test does when 127.0.0.1:5432 answers)", 3)


def _pg_database():
    """A fresh database per test run (named after the URL's, plus this process id), so that
    concurrent runs never share one; dropped at the end."""
    url = make_url(os.environ["TEST_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    url = url.set(database=f"{url.database or 'propsvc_test'}_{os.getpid()}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # fails loudly when the server cannot be reached
        conn.execute(text(f'drop database if exists "{url.database}"'))
        conn.execute(text(f'create database "{url.database}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{url.database}" with (force)'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    drop = None
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp / 'test.db'}"
    else:
        uri, drop = _pg_database()
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret",
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "PDF_CACHE_DIR": str(tmp / "pdf-cache"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in production
    })
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()  # the schema comes from the migrations, as in production
        _db.engine.dispose()
    yield app
    with app.app_context():
        _db.engine.dispose()
    if drop:
        drop()


def _wipe(app):
    with app.app_context():
        _db.session.remove()
        tables = list(reversed(_db.metadata.sorted_tables))
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # All the deletes in one round trip (psycopg sends a parameterless script as one
                # query): 15 → 2 ms a test, ~20 s of the PostgreSQL half. SQLite takes one at a time.
                fmt = conn.dialect.identifier_preparer.format_table
                conn.exec_driver_sql("; ".join(f"DELETE FROM {fmt(t)}" for t in tables))
            else:
                for table in tables:
                    conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_db(request):
    yield
    if "app" not in request.fixturenames or "full_site" in request.fixturenames:
        return  # full_site's data lives as long as its module and is wiped at the module's end
    _wipe(request.getfixturevalue("app"))


@pytest.fixture(scope="module")
def full_site(app):
    """The demo community plus what it leaves out, and another community (tests/fullsite.py),
    built once per module: a module that uses it uses it in every test."""
    from fullsite import build_site

    _wipe(app)
    with app.app_context():
        site = build_site(app)
        _db.session.remove()
    yield site
    _wipe(app)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


class Factory:
    """Builds site data straight into the database. Each call runs in its own short app
    context, like a separate request, and returns a detached object with its columns
    loaded: a test's requests never share a session (or `g`) with the test itself."""

    def __init__(self, app):
        self.app = app
        self.n = 0

    def _next(self) -> int:
        self.n += 1
        return self.n

    def _save(self, *objs):
        _db.session.add_all(objs)
        _db.session.commit()
        for o in objs:
            _db.session.refresh(o)
            _db.session.expunge(o)
        return objs[0]

    def community(self, name=None):
        from propsvc.registry.models import Community

        from propsvc.cli import ensure_departments
        from propsvc.registry.setup import setup_community

        i = self._next()
        with self.app.app_context():
            ensure_departments()
            c = Community(name=name or f"测试小区{i}", code=f"C{i}", stamp_name=name or f"测试小区{i}")
            _db.session.add(c)
            _db.session.flush()
            setup_community(c.id)  # as importer.create_community and init-db do
            return self._save(c)

    def building(self, community, number="3", floors=18, entrances=2):
        from propsvc.registry.models import Building

        with self.app.app_context():
            return self._save(Building(community_id=community.id, number=str(number),
                                       sort_key=int(number) if str(number).isdigit() else 0,
                                       floors=floors, entrances=entrances))

    def unit(self, building, entrance=2, number="1201", floor=None, status="occupied"):
        from propsvc.registry.models import Unit

        with self.app.app_context():
            return self._save(Unit(building_id=building.id, entrance=entrance, number=str(number),
                                   floor=floor or int(str(number)[:-2] or 1), status=status, area=89.5))

    def person(self, unit, name="王建国", role="owner", phone="13812345678", id_number="110101199003071233",
               phone2=None):
        from propsvc.registry.models import Building, Occupancy, Person

        with self.app.app_context():
            community_id = _db.session.get(Building, unit.building_id).community_id
            p = Person(community_id=community_id, name=name, phone=phone, phone2=phone2, id_number=id_number)
            _db.session.add(p)
            _db.session.flush()
            _db.session.add(Occupancy(unit_id=unit.id, person_id=p.id, role=role, since=date(2020, 1, 1)))
            return self._save(p)

    def user(self, *roles, communities=(), buildings=(), username=None, pin=PIN, name=None):
        """A staff account; `buildings` are a steward's own buildings (its patrols, arrears, round)."""
        from propsvc.auth.services import create_user
        from propsvc.registry.models import Building, Community

        i = self._next()
        with self.app.app_context():
            u = create_user(username=username or f"{'_'.join(roles) or 'user'}{i}", name=name or f"员工{i}",
                            password=PASSWORD, roles=roles, pin=pin,
                            communities=[_db.session.get(Community, c.id) for c in communities])
            if buildings:
                u.buildings = [_db.session.get(Building, b.id) for b in buildings]
            return self._save(u)


@pytest.fixture
def make(app):
    return Factory(app)


CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def csrf_token(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return CSRF_RE.search(html).group(1)


def login(client, username, password=PASSWORD):
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})
    return resp


def client_for(app, user):
    """A test client signed in as `user` (password sign-in)."""
    client = app.test_client()
    assert login(client, user.username).status_code == 303
    return client


def form_key(app, name: str | None = None) -> str:
    """A one-time form key as the server renders it into a form (core.idempotency): a fresh one,
    or for `name` always the same one (so a test can send "the same form" twice)."""
    from propsvc.core.idempotency import issue_key

    return issue_key(hashlib.sha256(name.encode()).hexdigest()[:22] if name else None, app=app)


def _with_key(app, data):
    """The form's client_key as the page would carry it: a fresh key when the test gives none, a
    test's own name ("same-key-1") turned into its key; "" (empty) and None (missing) are sent as
    such, to show they are refused."""
    key = data.get("client_key", ...)
    if key is ...:
        data["client_key"] = form_key(app)
    elif key is None:
        del data["client_key"]
    elif key and not _is_issued(app, key):
        data["client_key"] = form_key(app, key)
    return data


def _is_issued(app, key: str) -> bool:
    from propsvc.core.idempotency import is_valid

    with app.test_request_context():
        return is_valid(key)


def post(client, url, data=None, **kw):
    """POST a form as the browser would: with a valid CSRF token and the one-time key the page
    carried (see _with_key)."""
    if isinstance(data, MultiDict):
        data = data.copy()
        if "client_key" not in data:
            data["client_key"] = form_key(client.application)
    else:
        data = _with_key(client.application, dict(data or {}))
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=data, **kw)
