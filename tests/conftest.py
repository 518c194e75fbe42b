"""One app per test run, on SQLite or PostgreSQL (VALLIANCE_TEST_DATABASE_URL).

The schema is built through the Alembic migrations, never create_all, so the suite fails
when migrations and models disagree. Every test that uses the app (its fixture, or one built
on it) starts from an empty database and fresh rate limits; the others touch neither.
"""

import functools
import os
import threading

import pytest
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from tests.databases import SqliteTemplate, empty_postgres_tables, reset_schema
from valliance import create_app, passwords
from valliance.config import TestConfig
from valliance.extensions import db, limiter

pytest_plugins = ["tests.payments_server"]  # localstripe and a live server, for payments

PG_URL = os.environ.get("VALLIANCE_TEST_DATABASE_URL", "")
ON_POSTGRES = bool(PG_URL)
#: a streaming replica of PG_URL (make test-postgres builds a pair with tests/clusters.py):
#: the app under test reads its searches, dashboards and reports there
REPLICA_URL = os.environ.get("VALLIANCE_TEST_REPLICA_URL", "")


def pytest_report_header(config):
    engine = f"PostgreSQL {PG_URL}" if ON_POSTGRES else "SQLite (a migrated template per test)"
    return f"database: {engine}" + (f", replica {REPLICA_URL}" if REPLICA_URL else "")


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs real concurrency: runs on PostgreSQL only")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    return None if ON_POSTGRES else SqliteTemplate(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(sqlite_template):
    """The application, its schema built by the migrations."""
    url = PG_URL or sqlite_template.url
    if ON_POSTGRES:
        reset_schema(url.replace("postgresql+psycopg://", "postgresql://"))

    class Config(TestConfig):
        DATABASE_URL = url
        DATABASE_REPLICA_URL = REPLICA_URL
        SECRET_KEY = "test-secret-key"  # noqa: S105 — tests only
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 60, "max_overflow": 10} if ON_POSTGRES else {}

    application = create_app(Config)
    with application.app_context():
        upgrade()
        db.engine.dispose()
    if sqlite_template:
        sqlite_template.save_template()
    return application


def _empty_database(app, sqlite_template):
    with app.app_context():
        db.session.remove()
        if sqlite_template:
            db.engine.dispose()
            sqlite_template.restore()
            return
        with db.engine.begin() as conn:
            empty_postgres_tables(conn)


@pytest.fixture
def empty_database(app, sqlite_template):
    """Empty the database (callable, for property tests that need it per example)."""
    return lambda: _empty_database(app, sqlite_template)


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """Start each test that uses the app (its fixture, or one built on it) from an empty
    database and fresh rate limits; a test without it cannot reach either, so is not slowed."""
    if "app" in request.fixturenames:
        _empty_database(request.getfixturevalue("app"), request.getfixturevalue("sqlite_template"))
        limiter.reset()
    yield


#: scrypt with a small cost: the production cost is slow on purpose, and the suite hashes
#: thousands of passwords; a check reads the cost from the stored hash, so it is cheap too
_cheap_hash = functools.partial(generate_password_hash, method="scrypt:1024:8:1")


@pytest.fixture(autouse=True)
def _cheap_password_hashes(request, monkeypatch):
    """Hash passwords cheaply, unless the test is marked slow_password_hashes."""
    if request.node.get_closest_marker("slow_password_hashes") is None:
        monkeypatch.setattr(passwords, "generate_password_hash", _cheap_hash)


@pytest.fixture
def ctx(app):
    """An application context whose db.session is this test's session."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def session(ctx):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def run_threads(app):
    """Run fn(i) in n threads, each inside its own app context (its own session)."""

    def run(n: int, fn, *, barrier: bool = True):
        start = threading.Barrier(n) if barrier else None
        results: list = [None] * n
        errors: list = []

        def worker(i):
            with app.app_context():
                try:
                    if start:
                        start.wait()
                    results[i] = fn(i)
                except BaseException as exc:  # surfaced to the test below
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results

    return run
