"""Database engine setup: SQLite pragmas and BEGIN IMMEDIATE for write transactions."""
from contextlib import contextmanager

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _wants_write() -> bool:
    """A transaction opened while serving an unsafe HTTP method (or outside a request,
    e.g. CLI commands) may write, so it takes the write lock up front."""
    if has_request_context():
        return request.method not in SAFE_METHODS and not g.get("db_read_only")
    return True


@contextmanager
def read_only():
    """Transactions begun inside are plain reads (BEGIN, no write lock) even while serving a
    POST: for reading what must be checked before writing (a sign-in reads the account, ends
    the read, hashes, then writes). Writing inside is a mistake."""
    before = g.get("db_read_only")
    g.db_read_only = True
    try:
        yield
    finally:
        g.db_read_only = before


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let us issue BEGIN ourselves (pysqlite's own transaction handling is off).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # BEGIN IMMEDIATE takes the write lock at once, waiting up to busy_timeout,
        # so a read-then-write transaction never fails at once with SQLITE_BUSY.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write() else "BEGIN")
