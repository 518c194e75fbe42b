"""Whether this node should get traffic (GET /readyz, contract §14): the database answers, its
schema is at the newest migration, and Redis answers when REDIS_URL is set.

Liveness is /healthz's: a node whose schema is behind is alive (restarting it helps nothing)
but not ready (it would answer with code that expects columns the database lacks).
"""

from functools import cache
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

#: seconds a Redis ping may take before Redis counts as unreachable
REDIS_TIMEOUT = 0.5
EXTENSION = "valliance_readiness_redis"


@cache
def _scripts(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """The migrations' heads and every revision they know (read once per directory)."""
    config = AlembicConfig()
    config.set_main_option("script_location", directory)
    script = ScriptDirectory.from_config(config)
    return (frozenset(script.get_heads()),
            frozenset(revision.revision for revision in script.walk_revisions()))


def migrations_directory(app: Flask) -> str:
    return str(Path(app.extensions["migrate"].directory).resolve())


def migration_state(session: Session, directory: str) -> tuple[str, str]:
    """("ok" | "unreachable", "head" | "behind" | "ahead" | "none" | "unknown")."""
    heads, known = _scripts(directory)
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        session.rollback()
        return "unreachable", "unknown"
    try:
        versions = set(session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:  # the database answers, but was never migrated
        versions = set()
    finally:
        session.rollback()
    if not versions:
        return "ok", "none"
    if versions == heads:
        return "ok", "head"
    return "ok", "ahead" if versions - known else "behind"


def redis_state(app: Flask) -> str:
    """"ok", "unreachable", or "not configured" without REDIS_URL."""
    url = app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    client = app.extensions.get(EXTENSION)
    if client is None:
        client = app.extensions[EXTENSION] = Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    try:
        client.ping()
    except (RedisError, OSError):
        return "unreachable"
    return "ok"


def readiness(app: Flask, session: Session) -> tuple[bool, dict]:
    """Whether the node is ready, and the contract's report of each part."""
    db_state, migrations = migration_state(session, migrations_directory(app))
    redis = redis_state(app)
    ready = db_state == "ok" and migrations == "head" and redis in ("ok", "not configured")
    return ready, {"status": "ready" if ready else "not ready", "db": db_state,
                   "migrations": migrations, "redis": redis}
