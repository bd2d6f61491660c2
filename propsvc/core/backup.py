"""Backup and restore: one .tar.gz archive with a consistent database snapshot and the upload
folder (photos, signatures, consent letters, worker portraits, a seal image), never the
printed-PDF cache (it is rebuilt on the next print).

Archive layout (members in this order):

    database/propsvc.sqlite3   SQLite: a copy made with the online backup API, or
    database/propsvc.pgdump    PostgreSQL: pg_dump --format=custom
    uploads/<path>             every file under UPLOAD_FOLDER, as stored
    manifest.json              format, app version, Alembic revision, database kind, created
                               (UTC), rows per table, and size + SHA-256 of every member above

Backup while the app runs: SQLite's backup API copies the database in one step under a read
transaction (WAL: writers are not blocked, and what is copied is one committed state);
PostgreSQL's pg_dump runs on a snapshot exported from a REPEATABLE READ transaction, the same
one that counts the rows for the manifest. The database is copied first, then the uploads: a
file is stored before the row naming it is committed, so every photo the snapshot refers to is
already on disk (a file uploaded meanwhile is carried along unreferenced, which is harmless).
The archive is written to a hidden temporary file beside the target and renamed into place
only when complete, so a half-written archive never has the final name.

Restore fills an EMPTY database (no row outside `department`, which `flask init-db` fills, and
`alembic_version`) and an EMPTY upload folder (no files). The whole archive is read and every
member checked against the manifest before anything is written; a damaged archive, an archive
of the other database kind (SQLite <-> PostgreSQL is refused, not converted), or one made by
newer code (an Alembic revision this code does not know) is refused and nothing is changed.
An archive from an older revision is restored and then migrated to the current one.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import make_url

from ..extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database/propsvc.sqlite3", "postgresql": "database/propsvc.pgdump"}
KIND_LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Rows here do not make a database "in use": init-db adds the departments.
NOT_DATA = {"alembic_version", "department"}
PARTIAL_PREFIX = ".tmp-"  # an upload being written (photos/slips write .tmp-*.part, then rename)
CHUNK = 1024 * 1024
MAX_MANIFEST = 64 * 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message (Chinese) says why and what to do."""


@dataclass
class Result:
    path: Path
    manifest: dict
    seconds: float
    archive_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())

    @property
    def upload_files(self) -> list[dict]:
        return [f for f in self.manifest["files"] if f["path"].startswith("uploads/")]

    def _counts(self) -> str:
        m = self.manifest
        up = self.upload_files
        return (f"数据库 {KIND_LABEL[m['database']]}（版本 {m['alembic_revision']}，{len(m['tables'])} 张表 "
                f"{self.rows} 行），上传文件 {len(up)} 个 {_mb(sum(f['size'] for f in up))}")

    def backup_line(self) -> str:
        return (f"已备份到 {self.path}：{self._counts()}，归档 {_mb(self.archive_bytes)}，"
                f"用时 {self.seconds:.2f} 秒。")

    def restore_line(self) -> str:
        return f"已从 {self.path} 恢复：{self._counts()}，用时 {self.seconds:.2f} 秒。" + "".join(self.notes)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 100 * 1024 else f"{n / 1024:.0f} KB"


# --- what the app is configured with -------------------------------------------------------

def database_kind() -> str:
    name = db.engine.dialect.name
    if name not in DB_MEMBER:
        raise BackupError(f"不支持的数据库类型：{name}（只支持 SQLite 和 PostgreSQL）。")
    return name


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]).resolve()


def _pdf_cache() -> Path | None:
    from ..config import pdf_cache_dir  # the printed-PDF cache (documents.cache): not backed up

    f = pdf_cache_dir(current_app)
    return f.resolve() if f else None


def _sqlite_path() -> Path:
    path = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise BackupError("只能备份和恢复数据库文件（DATABASE_URL 应为 sqlite:///路径）。")
    return Path(path).resolve()


def _pg_command(tool: str) -> tuple[str, list[str], dict]:
    """The PostgreSQL client tool, the libpq URI of the configured database (password left
    out of the command line) and an environment carrying the password."""
    exe = shutil.which(tool)
    if exe is None:
        raise BackupError(f"找不到 {tool}（PostgreSQL 客户端工具）：请安装与服务器同版本的 postgresql-client"
                          f"（如 apt-get install postgresql-client-15）后重试。"
                          f" / {tool} not found: install the PostgreSQL client tools.")
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return exe, ["--dbname", uri], env


def code_revisions() -> tuple[set[str], str | None]:
    """The Alembic revisions this code knows, and its head."""
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return {s.revision for s in script.walk_revisions()}, script.get_current_head()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- backup -----------------------------------------------------------------------------------

def backup(path: str | os.PathLike, *, overwrite: bool = False) -> Result:
    """Write the archive at `path` (a folder: a dated file name inside it)."""
    started = time.monotonic()
    kind = database_kind()
    created = datetime.now(timezone.utc).replace(microsecond=0)
    target = Path(path).expanduser()
    if target.is_dir() or str(path).endswith(("/", os.sep)):
        target = target / f"propsvc-{created:%Y%m%d-%H%M%S}.tar.gz"
    target = target.resolve()
    uploads = upload_folder()
    if target.is_relative_to(uploads):
        raise BackupError(f"备份文件不能放在上传文件夹 {uploads} 里，请换一个位置。")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} 已存在，没有覆盖。换一个文件名，或加 --overwrite。")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BackupError(f"无法创建文件夹 {target.parent}：{e.strerror}。") from None

    db.session.remove()  # this command's own session holds nothing during the copy
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".propsvc-backup-") as staging:
        snapshot = Path(staging) / "db"
        if kind == "sqlite":
            revision, tables = _sqlite_snapshot(_sqlite_path(), snapshot)
        else:
            revision, tables = _pg_snapshot(snapshot)
        manifest = {
            "format": FORMAT,
            "app": "propsvc",
            "app_version": _app_version(),
            "alembic_revision": revision,
            "database": kind,
            "created_utc": created.isoformat().replace("+00:00", "Z"),
            "tables": tables,
            "files": [],
        }
        fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as raw:
                # Level 1: the photos are JPEGs already; the database still shrinks ~5x.
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0) as gz:
                    with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                        with open(snapshot, "rb") as fh:
                            manifest["files"].append(_add(tar, DB_MEMBER[kind], fh, created))
                        for rel, abs_path in _upload_files(uploads):
                            try:
                                fh = open(abs_path, "rb")
                            except FileNotFoundError:
                                continue  # removed since the folder was listed
                            with fh:
                                manifest["files"].append(_add(tar, f"uploads/{rel}", fh, None))
                        body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                        info = tarfile.TarInfo(MANIFEST)
                        info.size, info.mtime, info.mode = len(body), created.timestamp(), 0o600
                        tar.addfile(info, io.BytesIO(body))
                raw.flush()
                os.fsync(raw.fileno())
            os.chmod(part, 0o600)  # owners' personal data: readable by this account only
            os.replace(part, target)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    _fsync_dir(target.parent)
    return Result(target, manifest, time.monotonic() - started, archive_bytes=target.stat().st_size)


class _Hashing:
    """Reads a file for tarfile while hashing exactly the bytes archived."""

    def __init__(self, fh):
        self.fh, self.sha, self.size = fh, hashlib.sha256(), 0

    def read(self, n=-1):
        chunk = self.fh.read(n)
        self.sha.update(chunk)
        self.size += len(chunk)
        return chunk


def _add(tar: tarfile.TarFile, name: str, fh, created: datetime | None) -> dict:
    st = os.fstat(fh.fileno())
    info = tarfile.TarInfo(name)
    info.size, info.mode = st.st_size, 0o600
    info.mtime = created.timestamp() if created else st.st_mtime
    reader = _Hashing(fh)
    tar.addfile(info, reader)  # reads exactly info.size bytes (fails if the file shrank)
    return {"path": name, "size": reader.size, "sha256": reader.sha.hexdigest()}


def _upload_files(root: Path):
    """(relative posix path, absolute path) of every stored file, sorted; not files being
    written (.tmp-*), links, or the PDF cache should it be configured inside the folder."""
    if not root.is_dir():
        return
    skip = _pdf_cache()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames
                             if not (here / d).is_symlink() and (skip is None or (here / d).resolve() != skip))
        for name in sorted(filenames):
            p = here / name
            if name.startswith(PARTIAL_PREFIX) or p.is_symlink() or not p.is_file():
                continue
            yield p.relative_to(root).as_posix(), p


def _sqlite_snapshot(source: Path, out: Path) -> tuple[str, dict]:
    if not source.is_file():
        raise BackupError(f"找不到数据库文件 {source}。")
    src = sqlite3.connect(source, timeout=30, isolation_level=None)
    dst = sqlite3.connect(out, isolation_level=None)
    try:
        # pages=-1: the whole database in one step, i.e. under one read transaction -- one
        # committed state even while the app writes (WAL lets writers go on meanwhile).
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("数据库副本未通过完整性检查，备份未完成。请检查数据库文件后重试。")
        return _revision_and_counts_sqlite(dst)
    finally:
        dst.close()
        src.close()


def _revision_and_counts_sqlite(conn: sqlite3.Connection) -> tuple[str, dict]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    if "alembic_version" not in names:
        raise BackupError("数据库还没有建表（没有 alembic_version）：请先运行 flask init-db。")
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    counts = {n: conn.execute(f"SELECT count(*) FROM {_quote(n)}").fetchone()[0]
              for n in names if n != "alembic_version"}
    return revision[0] if revision else None, counts


def _pg_snapshot(out: Path) -> tuple[str, dict]:
    exe, dbname, env = _pg_command("pg_dump")
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            revision, counts = _revision_and_counts(conn)
            # The same snapshot for pg_dump: the counts above are exactly what it dumps. The
            # transaction stays open until pg_dump is done (the snapshot lives as long).
            # Uncompressed: the archive's gzip compresses it once.
            proc = subprocess.run([exe, "--format=custom", "--compress=0", "--no-owner", "--no-privileges",
                                   f"--snapshot={snapshot}", "--file", str(out), *dbname],
                                  env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"pg_dump 失败，备份未完成：{proc.stderr.strip()}")
    return revision, counts


def _revision_and_counts(conn) -> tuple[str | None, dict]:
    names = sorted(inspect(conn).get_table_names())
    if "alembic_version" not in names:
        raise BackupError("数据库还没有建表（没有 alembic_version）：请先运行 flask init-db。")
    revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    counts = {n: conn.scalar(select(func.count()).select_from(table(n))) for n in names if n != "alembic_version"}
    return revision, counts


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("propsvc")
    except PackageNotFoundError:
        return "unknown"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- reading an archive ------------------------------------------------------------------------

DAMAGED = "备份文件 {path} 已损坏或不完整（{why}），未恢复任何数据。请换一份备份。"


def _damaged(path, why: str) -> BackupError:
    return BackupError(DAMAGED.format(path=path, why=why))


def read_archive(archive: Path, dest: Path) -> dict:
    """Unpack `archive` into `dest`, checking every member against the manifest; the manifest.
    Only plain files under database/ and uploads/ are accepted (no links, no absolute or ..
    paths), so nothing can be written outside `dest`."""
    seen: dict[str, tuple[int, str]] = {}
    manifest_bytes = None
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            for member in tar:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise _damaged(archive, f"含有不允许的项目 {member.name}")
                if member.name == MANIFEST:
                    if member.size > MAX_MANIFEST:
                        raise _damaged(archive, "manifest.json 过大")
                    manifest_bytes = tar.extractfile(member).read()
                    continue
                parts = PurePosixPath(member.name).parts
                if (len(parts) < 2 or parts[0] not in ("database", "uploads") or member.name.startswith("/")
                        or any(p in ("", ".", "..") for p in parts)):
                    raise _damaged(archive, f"含有不允许的路径 {member.name}")
                if member.name in seen:
                    raise _damaged(archive, f"{member.name} 出现两次")
                out = dest.joinpath(*parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                sha, size = hashlib.sha256(), 0
                src = tar.extractfile(member)
                with open(out, "xb") as fh:
                    while chunk := src.read(CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
                        fh.write(chunk)
                seen[member.name] = (size, sha.hexdigest())
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise _damaged(archive, f"读取失败：{e}") from None
    if manifest_bytes is None:
        raise _damaged(archive, "找不到 manifest.json：归档被截断、内容损坏，或不是本程序的备份")
    try:
        manifest = json.loads(manifest_bytes)
        listed = {f["path"]: (int(f["size"]), str(f["sha256"])) for f in manifest["files"]}
        manifest["tables"] = {str(k): int(v) for k, v in manifest["tables"].items()}
        fmt, kind = int(manifest["format"]), manifest["database"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _damaged(archive, "manifest.json 无法读取") from None
    if fmt > FORMAT:
        raise BackupError(f"备份格式版本 {fmt} 比本程序新（只认识到 {FORMAT}）：请先升级程序再恢复。未恢复任何数据。")
    if kind not in DB_MEMBER or DB_MEMBER[kind] not in listed:
        raise _damaged(archive, "没有数据库副本")
    for name, expected in listed.items():
        got = seen.get(name)
        if got is None:
            raise _damaged(archive, f"缺少 {name}")
        if got != expected:
            raise _damaged(archive, f"{name} 的校验和不符")
    extra = set(seen) - set(listed)
    if extra:
        raise _damaged(archive, f"含有清单之外的文件 {sorted(extra)[0]}")
    return manifest


# --- restore ------------------------------------------------------------------------------------

def data_tables() -> dict[str, int]:
    """Tables of the configured database that hold rows (other than NOT_DATA), with counts."""
    db.session.remove()
    if database_kind() == "sqlite" and not _sqlite_path().exists():
        return {}  # not created yet: do not create it just to look (a refusal changes nothing)
    with db.engine.connect() as conn:
        found = {}
        for name in inspect(conn).get_table_names():
            if name in NOT_DATA:
                continue
            if conn.scalar(select(text("1")).select_from(table(name)).limit(1)):
                found[name] = conn.scalar(select(func.count()).select_from(table(name)))
        return found


def _files_in(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise BackupError(f"上传文件夹 {folder} 不是文件夹。")
    return [Path(d) / f for d, _, files in os.walk(folder) for f in files]


def check_empty() -> None:
    """Refuse unless the database has no data and the upload folder no files."""
    used = data_tables()
    if used:
        shown = "、".join(f"{n}（{c} 行）" for n, c in sorted(used.items())[:4])
        raise BackupError(f"目标数据库已有数据：{shown}{' 等' if len(used) > 4 else ''}。恢复只能写入空数据库，"
                          f"未做任何改动。请新建一个空数据库（或换一个 DATABASE_URL）再恢复。")
    files = _files_in(upload_folder())
    if files:
        raise BackupError(f"上传文件夹 {upload_folder()} 不是空的（有 {len(files)} 个文件，如 {files[0].name}）。"
                          f"恢复只能写入空文件夹，未做任何改动。请换一个空的 UPLOAD_FOLDER 再恢复。")


def restore(path: str | os.PathLike) -> Result:
    started = time.monotonic()
    archive = Path(path).expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 {archive}。")
    kind = database_kind()
    check_empty()
    uploads = upload_folder()
    uploads.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=uploads.parent, prefix=".propsvc-restore-") as staging:
        staging = Path(staging)
        manifest = read_archive(archive, staging)
        if manifest["database"] != kind:
            raise BackupError(f"这份备份来自 {KIND_LABEL[manifest['database']]} 数据库，当前配置的是 "
                              f"{KIND_LABEL[kind]}：不支持跨数据库类型恢复，未做任何改动。"
                              f"请恢复到同类数据库（设置相应的 DATABASE_URL）。")
        known, head = code_revisions()
        revision = manifest.get("alembic_revision")
        if revision not in known:
            raise BackupError(f"这份备份的数据库版本是 {revision}，比本程序新（本程序到 {head}）："
                              f"请先升级程序再恢复。未做任何改动。")
        check_empty()  # again, just before writing: nothing arrived while the archive was read
        snapshot = staging.joinpath(*PurePosixPath(DB_MEMBER[kind]).parts)
        if kind == "sqlite":
            _restore_sqlite(snapshot, _sqlite_path())
        else:
            _restore_pg(snapshot)
        got = data_counts()
        wrong = {n: (c, got.get(n)) for n, c in manifest["tables"].items() if got.get(n) != c}
        if wrong:
            n, (want, have) = sorted(wrong.items())[0]
            raise BackupError(f"恢复后的行数与备份不符（{n}：应为 {want}，实为 {have}）。请检查数据库后重试。")
        if (staging / "uploads").is_dir():
            _move_tree(staging / "uploads", uploads)
        else:
            uploads.mkdir(parents=True, exist_ok=True)
    notes = []
    if revision != head:
        from flask_migrate import upgrade

        upgrade()
        notes.append(f" 数据库已从版本 {revision} 升级到 {head}。")
    db.session.remove()
    return Result(archive, manifest, time.monotonic() - started, notes=notes)


def data_counts() -> dict[str, int]:
    db.session.remove()
    with db.engine.connect() as conn:
        return {n: conn.scalar(select(func.count()).select_from(table(n)))
                for n in inspect(conn).get_table_names() if n != "alembic_version"}


def _restore_sqlite(snapshot: Path, target: Path) -> None:
    src = sqlite3.connect(snapshot, isolation_level=None)
    try:
        if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("备份中的数据库副本未通过完整性检查，未恢复任何数据。请换一份备份。")
        db.session.remove()
        db.engine.dispose()  # no pooled connection of ours keeps the old file open
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30, isolation_level=None)
        try:
            # A WAL destination must have the source's page size; switch it off for the copy
            # (the app turns WAL back on as it connects).
            dst.execute("PRAGMA journal_mode=DELETE")
            src.backup(dst, pages=-1)
            if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError("恢复后的数据库未通过完整性检查。请检查数据库文件后重试。")
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()


def _restore_pg(dump: Path) -> None:
    exe, dbname, env = _pg_command("pg_restore")
    db.session.remove()
    # The target may hold the empty schema made by init-db (possibly of a newer revision than
    # the archive): drop those (empty, checked above) tables of ours so the dump's schema is the
    # only one. Tables that are not the app's are left alone.
    ours = set(db.metadata.tables) | {"alembic_version"}
    with db.engine.begin() as conn:
        for name in inspect(conn).get_table_names():
            if name in ours:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_quote(name)} CASCADE")
    db.engine.dispose()
    proc = subprocess.run([exe, "--no-owner", "--no-privileges", "--clean", "--if-exists", "--single-transaction",
                           "--exit-on-error", *dbname, str(dump)], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"pg_restore 失败，数据库未写入数据（表结构已清空，可运行 flask init-db 重建）："
                          f"{proc.stderr.strip()}")


def _move_tree(src: Path, dst: Path) -> None:
    """Move the unpacked uploads into the (file-less) upload folder, keeping any empty folders
    it already has and the folder itself (it may be a mount point)."""
    dst.mkdir(parents=True, exist_ok=True)
    for entry in sorted(src.iterdir()):
        target = dst / entry.name
        if target.is_dir() and entry.is_dir():
            _move_tree(entry, target)
        elif target.exists():
            raise BackupError(f"上传文件夹中已有 {target}，恢复中止。")
        else:
            shutil.move(str(entry), str(target))
