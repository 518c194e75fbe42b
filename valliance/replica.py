"""The read replica (DATABASE_REPLICA_URL, contract §14): a PostgreSQL streaming standby that
serves the reads which may lag a moment behind the last commit — the 114 directory's
searches, the dashboards and the reports. Everything that writes, and every read that must
see its own request's writes, stays on db.session (the primary).

A view (or the service that owns the choice) asks for `reading_session()` where it reads what
may lag; nothing else changes. With a replica it is a session of its own there (one per app
context, removed at its teardown); without one, db.session in a read-only transaction (under
tests a session of its own on the primary, so that the suite sees what a replica would).
"""

import logging
import time

from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import NullPool

from valliance.config import normalize_database_url
from valliance.db import read_only, remove_session
from valliance.extensions import db

log = logging.getLogger(__name__)
#: how long `flask check` waits for the replica (systemd gives the web unit 90 s to start)
PROBE_TIMEOUT_SECONDS = 5
#: how long a request waits for a new connection to the replica before reading the primary
CONNECT_TIMEOUT_SECONDS = 3
#: after the replica failed to answer, reads stay on the primary this long before it is tried
REPLICA_RETRY_SECONDS = 30
_SESSIONS = "valliance.reading_sessions"
_ENGINE = "valliance.replica_engine"
_DOWN_UNTIL = "valliance.replica_down_until"

SQLITE_REFUSED = ("DATABASE_REPLICA_URL is set, but a read replica needs PostgreSQL for both "
                  "DATABASE_URL and DATABASE_REPLICA_URL (a streaming standby of the primary); "
                  "unset DATABASE_REPLICA_URL to run on SQLite")


def _app_context_id() -> int:
    return id(app_ctx._get_current_object())


def init_app(app: Flask) -> None:
    """The reading sessions; the replica's engine (same options as the primary's) when one is
    configured — refused when either database is not PostgreSQL."""
    sessions = scoped_session(sessionmaker(), scopefunc=_app_context_id)
    app.extensions[_SESSIONS] = sessions
    app.teardown_appcontext(lambda exc: remove_session(sessions))
    raw = app.config.get("DATABASE_REPLICA_URL") or ""
    if not raw.strip():
        return
    url = make_url(normalize_database_url(raw.strip()))
    primary = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql" or primary.get_backend_name() != "postgresql":
        raise RuntimeError(SQLITE_REFUSED)
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS,
                               **options.get("connect_args", {})}
    app.extensions[_ENGINE] = create_engine(url, **options)
    app.extensions[_DOWN_UNTIL] = [0.0]
    log.info("searches, dashboards and reports read from the replica at %s:%s/%s",
             url.host, url.port or 5432, url.database)


def replica_engine(app: Flask | None = None):
    """The replica's engine, or None when DATABASE_REPLICA_URL is not set."""
    return (app or current_app).extensions.get(_ENGINE)


def reading_session() -> Session:
    """The session for a read that may lag a moment behind the last commit.

    With a replica: the app context's own session on it (a standby: read-only). It never
    sees the request's uncommitted writes. A replica that cannot be reached is left alone for
    REPLICA_RETRY_SECONDS and the reads go to the primary meanwhile (logged once each time).

    Without one, in production: db.session itself, its transaction made read-only when none
    has begun yet — not a second connection per request, which a gevent worker's pool could
    run out of while every request holds its first. Under tests (TESTING) it is a session of
    its own on the primary, in a read-only transaction, as a replica's would be: the suite
    then fails a routed read that needs its request's own writes, or a write through it.
    """
    sessions = current_app.extensions[_SESSIONS]
    if sessions.registry.has():
        return sessions()
    replica = _replica_session(sessions)
    if replica is not None:
        return replica
    if not current_app.testing:
        session = db.session()
        if not session.in_transaction():
            read_only(session)
        return session
    session = sessions(bind=db.engine)
    read_only(session)
    return session


def _replica_session(sessions) -> Session | None:
    """The app context's session on the replica, its connection made (the one it reads on);
    None without a replica, or while one that did not answer is left alone."""
    replica = replica_engine()
    down_until = current_app.extensions.get(_DOWN_UNTIL)
    if replica is None or time.monotonic() < down_until[0]:
        return None
    # (not marked read-only: a standby refuses writes itself, and refuses the driver's
    # "READ WRITE" reset of a connection whose transactions were marked read-only)
    session = sessions(bind=replica)
    try:
        session.connection()  # a pooled connection, or a new one within the timeout
    except DBAPIError as exc:
        remove_session(sessions)
        down_until[0] = time.monotonic() + REPLICA_RETRY_SECONDS
        log.warning("the read replica does not answer (%s): reads go to the primary for %d s",
                    type(exc.orig).__name__, REPLICA_RETRY_SECONDS)
        return None
    return session


def standby_refusals(app: Flask) -> list[str]:
    """What `flask check` refuses: a DATABASE_REPLICA_URL that answers but is no standby (it
    would serve data the primary's writes never reach). One that does not answer is only
    logged: the tills must not stop because the replica did."""
    engine = replica_engine(app)
    if engine is None:
        return []
    probe = create_engine(engine.url, poolclass=NullPool,  # a replica that drops packets
                          connect_args={"connect_timeout": PROBE_TIMEOUT_SECONDS})
    try:
        with probe.connect() as conn:
            standby = conn.execute(text("SELECT pg_is_in_recovery()")).scalar()
    except DBAPIError as exc:
        log.warning("DATABASE_REPLICA_URL does not answer (%s): searches, dashboards and "
                    "reports will fail until it does", type(exc.orig).__name__)
        return []
    if standby:
        return []
    return ["DATABASE_REPLICA_URL is not a standby (pg_is_in_recovery() is false): searches "
            "and reports would read a database the primary's writes never reach"]
