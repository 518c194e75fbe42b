"""db.read_only: a transaction that only reads — deferred on SQLite, READ ONLY on PostgreSQL."""

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import ON_POSTGRES
from valliance.db import read_only
from valliance.extensions import db


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")
def test_on_sqlite_it_reads_while_another_connection_holds_the_write_lock(session):
    writer = sqlite3.connect(db.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a till's sale in progress, say
    try:
        read_only(session)
        # BEGIN IMMEDIATE would wait for the writer (busy_timeout, 10 s), then fail
        assert session.execute(text("SELECT count(*) FROM merchants")).scalar_one() == 0
        session.commit()
    finally:
        writer.rollback()
        writer.close()


def test_a_write_in_it_fails_loudly(session):
    read_only(session)
    with pytest.raises(DBAPIError, match="read-only transaction|readonly database"):
        session.execute(text("INSERT INTO directory_letter_grams (gram) VALUES ('abcd')"))
    session.rollback()
    session.execute(text("INSERT INTO directory_letter_grams (gram) VALUES ('abcd')"))
    session.commit()  # the next transaction writes as usual


def test_the_next_transaction_writes_as_usual(session):
    read_only(session)
    session.execute(text("SELECT 1"))
    session.commit()
    session.execute(text("INSERT INTO directory_letter_grams (gram) VALUES ('wxyz')"))
    session.commit()
    assert session.execute(text("SELECT gram FROM directory_letter_grams")).scalar_one() == "wxyz"
