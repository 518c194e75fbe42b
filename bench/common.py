"""What the benchmarks share: a fresh PostgreSQL database built by the app's migrations."""

import os

import psycopg
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from valliance import create_app

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def db_url(name: str) -> str:
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def ensure_database(name: str) -> None:
    """Create a UTF-8 database if it does not exist."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8'"
                         " LC_CTYPE 'C.UTF-8' TEMPLATE template0")


def fresh_app(name: str, engine_options: dict | None = None):
    """An empty, migrated database of this name, and an app bound to it: (app, url)."""
    ensure_database(name)
    url = db_url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")

    class Cfg:
        DATABASE_URL = url
        if engine_options:
            SQLALCHEMY_ENGINE_OPTIONS = engine_options

    app = create_app(Cfg)
    with app.app_context():
        upgrade()
    return app, url
