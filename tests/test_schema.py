"""The migrations build exactly the schema the models describe; Events are append-only."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from propsvc.core.models import AppendOnlyError, Event
from propsvc.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(mc, db.metadata)
    assert diff == []


def test_events_are_append_only(app, ctx):
    ev = Event(action="test.done", object_type="system")
    db.session.add(ev)
    db.session.commit()
    ev.action = "test.changed"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Event, ev.id))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_sqlite_connection_pragmas(app, ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
