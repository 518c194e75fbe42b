"""Test databases: a migrated SQLite template copied per test, or a PostgreSQL database.

Run as `python -m tests.databases` to create the UTF-8 PostgreSQL test database and print its
URL (nothing printed, exit 1, when no server answers).
"""

import os
import shutil
import sys
from pathlib import Path

import psycopg
from psycopg import sql

ADMIN_URL = os.environ.get("VALLIANCE_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DB_NAME = os.environ.get("VALLIANCE_PG_TEST_DB", "valliance_test")

LEDGER_TABLES = ["idempotency_keys", "lots", "entries", "transfers", "accounts"]


def create_postgres_test_database(name: str = TEST_DB_NAME) -> str:
    """Create (if missing) a UTF-8 database for the tests and return its URL."""
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(
                sql.SQL(
                    "CREATE DATABASE {} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                    " TEMPLATE template0"
                ).format(sql.Identifier(name))
            )
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def reset_schema(url: str) -> None:
    """Drop everything in the test database so the migrations build it from nothing."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def user_tables(conn) -> list[str]:
    rows = conn.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'alembic_version'"
    ).all()
    return [row[0] for row in rows]


def empty_postgres_tables(conn) -> None:
    """Empty the tables a test wrote to and restart the id sequences it used (in conn's
    transaction); the schema's other tables are empty already and are left alone.

    Truncating every table gives each table and index a new file, which made the cleaning
    most of a short test's time; deleting the few rows a test wrote is cheap. Writers are
    locked out first, as TRUNCATE did, so that no straggler's rows reach the next test.
    """
    names = [f'"{table}"' for table in user_tables(conn)]
    conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")  # fail, never hang
    conn.exec_driver_sql(f"LOCK TABLE {', '.join(names)} IN SHARE ROW EXCLUSIVE MODE")
    written = [row[0] for row in conn.exec_driver_sql(" UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in names))]
    if written and conn.exec_driver_sql("SHOW is_superuser").scalar() == "on":
        # The replica role fires no trigger: neither the ledger's append-only guards, which
        # refuse DELETE, nor foreign keys, which would want the tables in order.
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for name in written:
            conn.exec_driver_sql(f"DELETE FROM {name}")
    elif written:
        conn.exec_driver_sql(f"TRUNCATE {', '.join(written)} CASCADE")
    conn.exec_driver_sql(
        "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass,"
        " start_value, false)"
        " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")


class SqliteTemplate:
    """A migrated database file; each test gets a fresh copy of it."""

    def __init__(self, directory: Path):
        self.template = directory / "template.db"
        self.working = directory / "valliance-test.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.working}"

    def save_template(self) -> None:
        shutil.copyfile(self.working, self.template)

    def restore(self) -> None:
        for suffix in ("-wal", "-shm"):
            Path(str(self.working) + suffix).unlink(missing_ok=True)
        shutil.copyfile(self.template, self.working)


if __name__ == "__main__":
    try:
        print(create_postgres_test_database())
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
        sys.exit(1)
