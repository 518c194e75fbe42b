"""Declarative base, UTC timestamps, engine hooks and the retrying unit of work."""

import random
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, any_, bindparam, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: 64-bit ids on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def today_shanghai() -> date:
    """Today's calendar date in Asia/Shanghai (card expiry, offer validity, spend years)."""
    return datetime.now(SHANGHAI).date()


class UTCDateTime(TypeDecorator):
    """Store naive UTC, hand back aware UTC, on every engine (SQLite drops offsets)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={int: BigInteger},
    )


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" hook below issue BEGIN IMMEDIATE itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: a pooled connection idle for longer than this is pinged before it is handed out
IDLE_PING_SECONDS = 5.0


@event.listens_for(Pool, "checkin")
def _note_idle_since(dbapi_connection, connection_record):
    connection_record.info["idle_since"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, connection_record, connection_proxy):
    # pool_pre_ping costs a round trip on every request; a connection in steady use needs
    # none. One that sat idle (a restarted server, a firewall's timeout) is pinged, and a
    # dead one is replaced before the request sees it. A server lost mid-burst fails the
    # requests that meet a dead connection first; SQLAlchemy then invalidates the pool.
    idle_since = connection_record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    if isinstance(dbapi_connection, sqlite3.Connection):
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()  # end the transaction the driver opened for it
    except Exception as exc:  # the driver's own error: the connection is gone
        raise DisconnectionError() from exc


#: the execution option that marks a transaction as reading only (see read_only)
READ_ONLY = "valliance_read_only"


@event.listens_for(Engine, "begin")
def _begin_immediate_on_sqlite(conn):
    # Take SQLite's write lock up front: a deferred transaction that later writes can fail
    # with "database is locked" instead of waiting, which would lose a till's sale. A
    # transaction that only reads needs no lock: readers never wait in WAL mode.
    if conn.dialect.name == "sqlite":
        read_only = bool(conn.get_execution_options().get(READ_ONLY))
        # query_only makes SQLite refuse a write in a read-only transaction, as PostgreSQL
        # does, instead of upgrading its lock (set on every transaction: connections are
        # pooled)
        conn.exec_driver_sql(f"PRAGMA query_only = {int(read_only)}")
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only(session) -> None:
    """Make the session's next transaction one that only reads; call before its first query.

    SQLite begins it deferred, so that it does not queue for the write lock behind every
    other request; both engines refuse a write in it (SQLite's query_only, PostgreSQL's READ
    ONLY transaction), so that a write there fails loudly instead of upgrading SQLite's lock.
    """
    session.connection(execution_options={READ_ONLY: True, "postgresql_readonly": True})


#: deadlock detected, serialization failure
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    """Tell whether a database error is a lost race worth running again."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc.orig, sqlite3.OperationalError) and "locked" in str(exc.orig)


def remove_session(sessions) -> None:
    """End a scoped session at the end of a request or job, even when its connection is lost.

    A rollback on a connection that the server (or a crash) closed raises again; a request
    whose driver met the broken connection directly (the ledger's one-statement writer uses
    the driver's cursor) would then fail in Flask's teardown, after its answer was made, and
    reach the client as the server's HTML 500. The session is invalidated instead: its
    connection is discarded, never rolled back, and the pool makes a new one.
    """
    try:
        sessions.remove()
    except DBAPIError:
        sessions().invalidate()
        sessions.remove()


def run_in_transaction(session, work: Callable[[], T], attempts: int = 4) -> T:
    """Run work and commit once; roll back on error, retry lost races with jitter."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            session.commit()
            return result
        except BaseException as exc:
            session.rollback()
            if attempt == attempts or not is_retryable(exc):
                raise
            time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")


def insert_ignoring_conflict(conn, table, values: dict, unique_columns: list[str], returning=None):
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL; the returned value or None."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=unique_columns)
    if returning is None:
        conn.execute(statement)
        return None
    return conn.execute(statement.returning(returning)).scalar()


def insert_many_ignoring_conflict(conn, table, rows: list[dict], unique_columns: list[str],
                                  returning=None) -> list:
    """INSERT rows … ON CONFLICT DO NOTHING in one statement on SQLite and PostgreSQL; with
    returning (columns), the rows actually written (not those that conflicted)."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=unique_columns)
    if returning is None:
        conn.execute(statement)
        return []
    return list(conn.execute(statement.returning(*returning)))


#: SQLite allows at most 999 parameters in one statement
_IN_CHUNK = {"sqlite": 900}


def select_where_in(session, query, column, values: list) -> list:
    """Rows of query whose column is one of values, in as few round trips as the engine allows.

    PostgreSQL gets one array parameter (`= ANY(:values)`): an IN list of thousands of
    placeholders costs more to parse than to run.
    """
    dialect = session.connection().dialect.name
    found: list = []
    size = _IN_CHUNK.get(dialect, 50000)
    for chunk in (values[i:i + size] for i in range(0, len(values), size)):
        if dialect == "postgresql":
            condition = column == any_(bindparam("values", chunk, type_=ARRAY(column.type)))
        else:
            condition = column.in_(chunk)
        found.extend(session.execute(query.where(condition)).all())
    return found
