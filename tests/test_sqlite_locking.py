"""SQLite: write transactions take the write lock up front (BEGIN IMMEDIATE), so two
concurrent read-then-write transactions queue instead of one failing with SQLITE_BUSY."""
import threading
import time

import pytest
from sqlalchemy import event, select, text

from conftest import login
from propsvc.extensions import db
from propsvc.registry.models import Community


@pytest.fixture
def sqlite_only(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")


def test_concurrent_read_then_write_transactions_both_succeed(app, sqlite_only, make):
    c = make.community()
    errors, done = [], []
    start = threading.Barrier(2)

    def worker(n):
        with app.app_context():
            try:
                start.wait()
                with db.engine.connect() as conn, conn.begin():
                    name = conn.execute(select(Community.name).where(Community.id == c.id)).scalar_one()
                    time.sleep(0.2)  # hold the transaction open while the other one starts
                    conn.execute(text("update community set address = :a where id = :i"),
                                 {"a": f"{name}-{n}", "i": c.id})
                done.append(n)
            except Exception as e:  # noqa: BLE001 — any failure is the finding
                errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(done) == [1, 2]


def test_get_requests_read_with_deferred_begin_and_posts_write_immediately(app, sqlite_only, make, client):
    c = make.community()
    u = make.user("steward", communities=[c])
    seen = []
    with app.app_context():
        engine = db.engine

    def capture(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        login(client, u.username)
        post_begins = list(seen)
        seen.clear()
        client.get("/units?q=1201")
        get_begins = list(seen)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert get_begins and set(get_begins) == {"BEGIN"}
    assert "BEGIN IMMEDIATE" in post_begins
