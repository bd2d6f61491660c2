"""Backup and restore (issue 13, item 7) [T9]: `flask backup PATH` writes one archive with a
consistent database snapshot and the uploads; `flask restore PATH` fills an empty database and
upload folder. Round trip on the app's own backend (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set) into a second, empty database and upload folder: row counts, a
document's public verification, an uploaded photo and a signature come back identical, and the
restored app goes on working. Refused, changing nothing: a database or upload folder that is
not empty, a damaged archive, another database kind, a newer schema."""
import gzip
import io
import itertools
import json
import re
import sqlite3
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from conftest import PASSWORD, client_for, post
from propsvc import create_app
from propsvc.core.backup import data_counts
from propsvc.extensions import db

CSRF_TOKEN_RE = re.compile(r'"X-CSRFToken": "[^"]+"')


# --- helpers -----------------------------------------------------------------------------

def head_revision() -> str:
    """The code's newest migration (what a fresh database is upgraded to)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from propsvc import ROOT

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(cfg).get_current_head()


HEAD = head_revision()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def photo_jpeg() -> io.BytesIO:
    buf = io.BytesIO()
    Image.effect_mandelbrot((640, 480), (-2, -1.5, 1, 1.5), 60).convert("RGB").save(buf, "JPEG", quality=85)
    buf.seek(0)
    return buf


def signature_url() -> str:
    import base64

    from PIL import ImageDraw

    im = Image.new("RGBA", (320, 140), (0, 0, 0, 0))
    ImageDraw.Draw(im).line([(20, 100), (80, 30), (140, 110), (220, 40), (290, 90)], fill=(17, 17, 17, 255), width=3)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def counts(app) -> dict:
    with app.app_context():
        return data_counts()


def files_under(root) -> dict[str, bytes]:
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} \
        if root.exists() else {}


def page_text(resp) -> str:
    """A page as the visitor reads it: the per-session CSRF token left out."""
    return CSRF_TOKEN_RE.sub("", resp.get_data(as_text=True))


_n = itertools.count(1)


def second_database(app, tmp_path):
    """An empty database of the app's own kind: (SQLAlchemy URI, drop function)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'restored{next(_n)}.db'}", lambda: None
    url = make_url(uri)
    url = url.set(database=f"{url.database}_restore{next(_n)}_{uuid.uuid4().hex[:6]}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{url.database}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{url.database}" with (force)'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


@pytest.fixture
def empty_target(app, tmp_path):
    """Make a second app on an empty database and upload folder; `migrated=True` gives it
    the empty schema and the departments, as `flask init-db` leaves it."""
    made = []

    def build(migrated=False):
        uri, drop = second_database(app, tmp_path)
        folder = tmp_path / f"uploads-restored{next(_n)}"
        target = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "test-secret",
                             "UPLOAD_FOLDER": str(folder), "PDF_CACHE_DIR": "",
                             "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        made.append((target, drop))
        if migrated:
            result = cli(target, "init-db")
            assert result.exit_code == 0, result.output
        return target

    yield build
    for target, drop in made:
        with target.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()


@pytest.fixture
def site(app, make):
    """A community with units and people, a ticket with a photo, an approved release slip
    (signature, seal, verification code)."""
    from propsvc.documents.models import Document
    from propsvc.slips.models import ReleaseSlip
    from propsvc.tickets.models import Category, Photo, Ticket
    from propsvc.core.timefmt import site_today

    c = make.community("新澳花园")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201")
    make.unit(b, 2, "1202")
    make.person(unit, name="王建国")
    make.person(unit, name="李租客", role="tenant", phone="13700002222")
    users = {r: make.user(r, communities=[c]) for r in ("front_desk", "supervisor", "manager")}
    desk = client_for(app, users["front_desk"])
    with app.app_context():
        cat = db.session.scalar(select(Category.id).where(Category.community_id == c.id,
                                                          Category.name == "水电气维修"))
    resp = post(desk, "/tickets/new", {
        "kind": "repair", "channel": "phone", "unit_id": str(unit.id), "building_id": "0",
        "category_id": str(cat), "urgency": "normal", "description": "卫生间漏水，楼下天花板滴水",
        "client_key": uuid.uuid4().hex, "photos": (photo_jpeg(), "leak.jpg")}, content_type="multipart/form-data")
    assert resp.status_code == 303
    resp = post(desk, "/slips/new", {
        "unit_id": str(unit.id), "applicant_role": "owner", "applicant_name": "王建国", "carrier_name": "张搬运",
        "carrier_id_number": "110101199003071233", "carrier_phone": "13912345678", "items-0-name": "双门冰箱",
        "items-0-qty": "1", "moving_on": site_today().isoformat(), "vehicle_plate": "", "consent_staff": "",
        "signature": signature_url()}, content_type="multipart/form-data")
    assert resp.status_code == 303
    with app.app_context():
        slip = db.session.scalars(select(ReleaseSlip).order_by(ReleaseSlip.id.desc())).first()
        slip_id = slip.id
    assert post(client_for(app, users["supervisor"]), f"/slips/{slip_id}/sign").status_code == 303
    assert post(client_for(app, users["manager"]), f"/slips/{slip_id}/approve").status_code == 303
    with app.app_context():
        slip = db.session.get(ReleaseSlip, slip_id)
        doc = db.session.get(Document, slip.document_id)
        assert doc.state == "valid" and slip.signature_path
        photo = db.session.scalars(select(Photo).join(Ticket).where(Ticket.community_id == c.id)).one()
        return {"community": c, "unit": unit, "users": users, "code": doc.code, "slip": slip_id,
                "photo": photo.id, "photo_path": photo.path, "signature_path": slip.signature_path, "category": cat}


def rewrite(archive: Path, out: Path, *, manifest=None, member=None) -> Path:
    """Copy an archive, changing its manifest (a function of the dict) or a member's bytes
    (a function of (name, bytes) -> bytes) without fixing the checksums."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif member:
                data = member(m.name, data)
            m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    return out


def backup_of(app, tmp_path) -> Path:
    archive = tmp_path / "backups" / "nightly.tar.gz"
    result = cli(app, "backup", archive)
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output
    return archive


def assert_untouched(target, before_files=None):
    with target.app_context():
        assert not any(data_counts().get(n) for n in data_counts() if n != "department")
    assert files_under(target.config["UPLOAD_FOLDER"]) == (before_files or {})


# --- the round trip -----------------------------------------------------------------------

@pytest.mark.parametrize("migrated", [False, True], ids=["bare-database", "after-init-db"])
def test_t9_backup_restore_round_trip(app, site, empty_target, tmp_path, migrated):
    archive = backup_of(app, tmp_path)
    assert archive.is_file() and oct(archive.stat().st_mode & 0o777) == "0o600"
    assert not [p for p in archive.parent.iterdir() if p != archive]  # no temporary file left

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    kind = "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql"
    assert manifest["format"] == 1 and manifest["database"] == kind and manifest["alembic_revision"] == HEAD
    assert manifest["app_version"] and manifest["created_utc"].endswith("Z")
    assert manifest["tables"] == counts(app)
    assert {f["path"] for f in manifest["files"]} == set(names) - {"manifest.json"}
    assert f"uploads/{site['photo_path']}" in names and f"uploads/{site['signature_path']}" in names
    assert not any("pdf-cache" in n for n in names)

    target = empty_target(migrated=migrated)
    result = cli(target, "restore", archive)
    assert result.exit_code == 0, result.output
    assert re.search(r"已从 .* 恢复：数据库 .*张表 \d+ 行）.*上传文件 \d+ 个.*用时 [\d.]+ 秒", result.output)

    assert counts(target) == counts(app)
    # The public verification page answers the same.
    source_page = page_text(app.test_client().get(f"/v/{site['code']}"))
    restored_page = app.test_client().get(f"/v/{site['code']}")  # same app: same answer twice
    assert page_text(restored_page) == source_page
    restored = target.test_client().get(f"/v/{site['code']}")
    assert restored.status_code == 200 and "有效" in restored.get_data(as_text=True)
    assert page_text(restored) == source_page
    # The uploaded photo and the signature: identical bytes, served to the same staff.
    desk_before = client_for(app, site["users"]["front_desk"])
    desk_after = client_for(target, site["users"]["front_desk"])  # passwords came back too
    for url in (f"/tickets/photos/{site['photo']}", f"/tickets/photos/{site['photo']}/thumb",
                f"/slips/{site['slip']}/signature"):
        before, after = desk_before.get(url), desk_after.get(url)
        assert before.status_code == after.status_code == 200
        assert before.data == after.data and len(after.data) > 100
    assert (Path(target.config["UPLOAD_FOLDER"]) / site["photo_path"]).read_bytes() == \
        (Path(app.config["UPLOAD_FOLDER"]) / site["photo_path"]).read_bytes()
    # The restored app goes on: a new ticket gets a new id (sequences restored on PostgreSQL).
    resp = post(desk_after, "/tickets/new", {
        "kind": "repair", "channel": "phone", "unit_id": str(site["unit"].id), "building_id": "0",
        "category_id": str(site["category"]), "urgency": "normal", "description": "恢复后新建的工单",
        "client_key": uuid.uuid4().hex}, content_type="multipart/form-data")
    assert resp.status_code == 303
    with target.app_context():
        from propsvc.tickets.models import Ticket

        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 2


def test_t9_backup_into_a_folder_picks_a_dated_name_and_keeps_an_existing_archive(app, site, tmp_path):
    folder = tmp_path / "daily"
    folder.mkdir()
    result = cli(app, "backup", folder)
    assert result.exit_code == 0, result.output
    (archive,) = folder.iterdir()
    assert re.fullmatch(r"propsvc-\d{8}-\d{6}\.tar\.gz", archive.name)
    first = archive.read_bytes()
    again = cli(app, "backup", archive)
    assert again.exit_code != 0 and "已存在" in again.output
    assert archive.read_bytes() == first
    assert cli(app, "backup", archive, "--overwrite").exit_code == 0
    assert [p.name for p in folder.iterdir()] == [archive.name]


# --- refused, changing nothing ------------------------------------------------------------------

def test_t9_restore_into_a_database_with_data_is_refused_and_changes_nothing(app, site, empty_target, tmp_path):
    archive = backup_of(app, tmp_path)
    before, files = counts(app), files_under(app.config["UPLOAD_FOLDER"])
    result = cli(app, "restore", archive)  # the source itself is anything but empty
    assert result.exit_code != 0
    assert "目标数据库已有数据" in result.output and "未做任何改动" in result.output
    assert counts(app) == before and files_under(app.config["UPLOAD_FOLDER"]) == files

    # A database that has only been through init-db, but an upload folder that has a file.
    target = empty_target(migrated=True)
    stray = Path(target.config["UPLOAD_FOLDER"]) / "c1" / "left-over.jpg"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"old photo")
    result = cli(target, "restore", archive)
    assert result.exit_code != 0 and "上传文件夹" in result.output and "不是空的" in result.output
    assert_untouched(target, {"c1/left-over.jpg": b"old photo"})
    assert not [p for p in stray.parent.parent.parent.iterdir() if p.name.startswith(".propsvc-restore")]


def test_t9_damaged_archive_is_refused_and_changes_nothing(app, site, empty_target, tmp_path):
    archive = backup_of(app, tmp_path)
    target = empty_target()
    data = archive.read_bytes()

    flipped = tmp_path / "flipped.tar.gz"
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 16]) + data[middle + 16:])
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    photo = f"uploads/{site['photo_path']}"
    tampered = rewrite(archive, tmp_path / "tampered.tar.gz",
                       member=lambda name, b: b[:-10] + b"0123456789" if name == photo else b)
    not_gzip = tmp_path / "notes.tar.gz"
    not_gzip.write_text("这不是备份文件")

    for bad in (flipped, truncated, tampered, not_gzip):
        result = cli(target, "restore", bad)
        assert result.exit_code != 0, bad.name
        assert "已损坏或不完整" in result.output and "未恢复任何数据" in result.output, result.output
        assert_untouched(target)
    assert "校验和不符" in cli(target, "restore", tampered).output
    assert "找不到备份文件" in cli(target, "restore", tmp_path / "missing.tar.gz").output
    # What was left after all those attempts: nothing but the empty database.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".propsvc-restore")]
    assert cli(target, "restore", archive).exit_code == 0  # the good copy still restores


def test_t9_archive_of_another_database_kind_or_newer_schema_is_refused(app, site, empty_target, tmp_path):
    archive = backup_of(app, tmp_path)
    target = empty_target()
    with tarfile.open(archive) as tar:
        kind = json.loads(tar.extractfile("manifest.json").read())["database"]
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[kind]
    members = {"sqlite": "database/propsvc.sqlite3", "postgresql": "database/propsvc.pgdump"}

    def as_other(m):
        m["database"] = other
        for f in m["files"]:
            if f["path"] == members[kind]:
                f["path"] = members[other]
        return m

    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(foreign, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == "manifest.json":
                data = json.dumps(as_other(json.loads(data))).encode()
            elif m.name == members[kind]:
                m.name = members[other]
            m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    result = cli(target, "restore", foreign)
    assert result.exit_code != 0 and "不支持跨数据库类型恢复" in result.output, result.output
    assert_untouched(target)

    newer = rewrite(archive, tmp_path / "newer.tar.gz", manifest=lambda m: {**m, "alembic_revision": "9999"})
    result = cli(target, "restore", newer)
    assert result.exit_code != 0 and "比本程序新" in result.output and "9999" in result.output
    assert_untouched(target)


# --- consistency while the app writes -------------------------------------------------------------

def test_t9_backup_while_another_connection_writes_is_one_consistent_state(app, site, empty_target, tmp_path):
    """A writer commits two events per transaction while backups run: every snapshot has an
    even number of them and exactly the rows its manifest counts."""
    from propsvc.core.models import Event

    base = counts(app)["event"]
    stop = threading.Event()
    written = []

    def writer():
        with app.app_context():
            while not stop.is_set():
                db.session.add_all([Event(action="test.pair", object_type="system") for _ in range(2)])
                db.session.commit()
                written.append(2)
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not written:
            stop.wait(0.01)
        archives = []
        for i in range(3):
            out = tmp_path / f"busy{i}.tar.gz"
            result = cli(app, "backup", out)
            assert result.exit_code == 0, result.output
            archives.append(out)
    finally:
        stop.set()
        thread.join()

    for out in archives:
        with tarfile.open(out) as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read())
            if manifest["database"] == "sqlite":
                snap = tmp_path / f"{out.name}.sqlite3"
                snap.write_bytes(tar.extractfile("database/propsvc.sqlite3").read())
                conn = sqlite3.connect(snap)
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                pairs = conn.execute("SELECT count(*) FROM event WHERE action = 'test.pair'").fetchone()[0]
                assert conn.execute("SELECT count(*) FROM event").fetchone()[0] == manifest["tables"]["event"]
                conn.close()
                assert pairs % 2 == 0
        assert (manifest["tables"]["event"] - base) % 2 == 0
    # The last one restores, and holds exactly what its manifest says (restore checks every table).
    target = empty_target()
    result = cli(target, "restore", archives[-1])
    assert result.exit_code == 0, result.output
    with target.app_context():
        pairs = db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "test.pair"))
    assert pairs % 2 == 0 and pairs >= 2


def test_t9_archive_of_an_older_schema_is_restored_then_migrated(app, empty_target, tmp_path):
    """Last month's backup after an upgrade of the code: restored as it was, then migrated to
    the current revision -- also into a database init-db has already built at the newer one."""
    from flask_migrate import upgrade

    old = empty_target()
    with old.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO community (name, code, created_at) VALUES ('旧版小区', 'OLD', :t)"),
                         {"t": "2026-01-05 08:00:00+00:00"})
        db.engine.dispose()
    archive = tmp_path / "old.tar.gz"
    result = cli(old, "backup", archive)
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        assert json.loads(tar.extractfile("manifest.json").read())["alembic_revision"] == "0008"

    target = empty_target(migrated=True)  # its schema is already at the head
    result = cli(target, "restore", archive)
    assert result.exit_code == 0, result.output
    assert f"数据库已从版本 0008 升级到 {HEAD}" in result.output
    with target.app_context():
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
            assert conn.scalar(text("SELECT name FROM community")) == "旧版小区"
            assert conn.scalar(text("SELECT count(*) FROM errand_settings")) == 0  # a 0009 table
        db.engine.dispose()
