"""What the benchmarks share: a fresh PostgreSQL database built by the app's migrations."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from valliance import create_app

ROOT = Path(__file__).resolve().parent.parent
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


def kept_or_fresh_app(name: str, keep: bool, is_seeded) -> tuple:
    """(app, url, fresh): the seeded database of this name when `keep` and is_seeded(url)
    say so, otherwise an empty migrated one (fresh: the caller seeds it)."""
    url = db_url(name)
    if keep and is_seeded(url):
        class Cfg:
            DATABASE_URL = url
        return create_app(Cfg), url, False
    return (*fresh_app(name), True)


def timed(url: str, *args: str) -> tuple[float, dict]:
    """Run one `flask` command against the bench database: (seconds, its JSON answer)."""
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args, "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds, json.loads(done.stdout)
