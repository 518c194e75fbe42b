"""GET /readyz (contract §14): ready only at the newest migration, with the database and
Redis (when configured) answering; otherwise 503 saying what is wrong."""

from sqlalchemy import text

from tests.api.test_jobs import REDIS_URL
from tests.processes import free_port
from valliance import create_app
from valliance.config import TestConfig
from valliance.extensions import db
from valliance.site.readiness import _scripts, migrations_directory


def _readyz(app, **settings):
    """GET /readyz of another app on this test's database, then let go of its connections
    (the next test's fresh database copy must not meet them)."""
    other = _app_like(app, **settings)
    response = other.test_client().get("/readyz")
    with other.app_context():
        db.engine.dispose()
    return response


def _app_like(app, **settings):
    class Config(TestConfig):
        DATABASE_URL = app.config["SQLALCHEMY_DATABASE_URI"]
        SECRET_KEY = "test-secret-key"  # noqa: S105 — tests only
        # (the limiter is one object: a second app must not move its storage to REDIS_URL)
        RATELIMIT_STORAGE_URI = "memory://"

    for name, value in settings.items():
        setattr(Config, name, value)
    return create_app(Config)


def test_readyz_is_ready_at_the_newest_migration_without_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "db": "ok", "migrations": "head",
                                   "redis": "not configured"}


def _readyz_at_version(app, client, version: str):
    """GET /readyz with alembic_version set to `version`, then put the head back."""
    heads, _ = _scripts(migrations_directory(app))
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})
        try:
            return client.get("/readyz")
        finally:
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :head"),
                             {"head": next(iter(heads))})


def test_readyz_is_not_ready_while_the_schema_is_behind_the_newest_migration(app, client):
    response = _readyz_at_version(app, client, "0034")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "db": "ok", "migrations": "behind",
                                   "redis": "not configured"}
    assert client.get("/readyz").status_code == 200


def test_readyz_says_ahead_for_a_schema_newer_than_the_code(app, client):
    response = _readyz_at_version(app, client, "9999_future")
    assert response.status_code == 503 and response.get_json()["migrations"] == "ahead"


def test_readyz_says_none_for_a_database_never_migrated(app, client):
    heads, _ = _scripts(migrations_directory(app))
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM alembic_version"))
        try:
            response = client.get("/readyz")
        finally:
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                             {"head": next(iter(heads))})
    assert response.status_code == 503 and response.get_json()["migrations"] == "none"
    assert client.get("/readyz").status_code == 200


def test_readyz_is_not_ready_when_configured_redis_does_not_answer(app):
    response = _readyz(app, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "db": "ok", "migrations": "head",
                                   "redis": "unreachable"}


def test_readyz_is_ready_with_redis_answering(app):
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError:
        import pytest

        pytest.skip(f"no Redis at {REDIS_URL}")
    response = _readyz(app, REDIS_URL=REDIS_URL)
    assert response.status_code == 200 and response.get_json()["redis"] == "ok"


def test_readyz_answers_503_without_a_traceback_when_the_database_is_unreachable():
    class Unreachable(TestConfig):
        DATABASE_URL = f"postgresql://nobody:hunter2@127.0.0.1:{free_port()}/none"
        SECRET_KEY = "x"  # noqa: S105

    response = create_app(Unreachable).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "db": "unreachable",
                                   "migrations": "unknown", "redis": "not configured"}
    assert b"hunter2" not in response.data and b"Traceback" not in response.data


def test_readyz_is_not_rate_limited_and_refuses_other_methods_in_json(client):
    for _ in range(50):
        assert client.get("/readyz").status_code == 200
    response = client.post("/readyz")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
