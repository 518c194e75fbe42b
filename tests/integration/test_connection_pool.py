"""Pooled connections: an idle one whose server side died is replaced before a request uses it."""

import psycopg
import pytest
from sqlalchemy import text

from valliance import db as db_module
from valliance.extensions import db

pytestmark = pytest.mark.postgres_only

PID = text("SELECT pg_backend_pid()")


def _pool_with_a_dead_connection_first() -> int:
    """Two pooled connections; the one handed out next was killed by the server: its pid."""
    db.engine.dispose()
    with db.engine.connect() as survivor, db.engine.connect() as victim:
        dead = victim.execute(PID).scalar_one()
        victim.rollback()
        survivor.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
        survivor.commit()
    # `victim` went back to the (first in, first out) pool first: it is handed out next.
    return dead


def _backend_pid() -> int:
    with db.engine.connect() as conn:
        return conn.execute(PID).scalar_one()


def test_an_idle_connection_killed_by_the_server_is_replaced(ctx, monkeypatch):
    dead = _pool_with_a_dead_connection_first()
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)
    assert _backend_pid() != dead  # pinged, found dead, replaced: the request saw no error


def test_a_connection_in_steady_use_is_not_pinged(ctx, monkeypatch):
    dead = _pool_with_a_dead_connection_first()
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 3600.0)
    # Not idle long enough to be pinged: the dead connection fails its request once, and
    # SQLAlchemy invalidates the pool; the next checkout gets a live connection.
    with pytest.raises(Exception, match="terminat|closed|connection"):
        _backend_pid()
    assert _backend_pid() != dead


def test_a_request_whose_connection_died_under_the_driver_still_ends_cleanly(app):
    # The ledger's one-statement writer uses the driver's cursor: SQLAlchemy does not see
    # the connection break, and the rollback at the end of the request meets a lost
    # connection. Ending the app context (Flask's teardown) must not raise: the answer was
    # made, and a raise there reaches the client as the server's HTML 500.
    context = app.app_context()
    context.push()
    try:
        dead = db.session.execute(PID).scalar_one()  # the request's transaction is open
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
            other.commit()
        driver = db.session.connection().connection.dbapi_connection
        with pytest.raises(psycopg.OperationalError):
            driver.cursor().execute("SELECT 1")
    finally:
        context.pop()  # raised sqlalchemy.exc.OperationalError ("the connection is lost")
    with app.app_context():
        assert db.session.execute(PID).scalar_one() != dead  # the pool made a new one
