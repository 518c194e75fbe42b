"""Production (PRODUCTION=1, not debug, not SQLite) refuses to start with no SECRET_KEY, the
console SMS sender, or the demo's published keys live in its database (valliance/startup.py)."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.api.world import build as build_world
from tests.conftest import ON_POSTGRES
from tests.processes import GUNICORN, ROOT, free_port
from valliance import create_app
from valliance.api_keys import key_digest
from valliance.config import TestConfig
from valliance.demo import DEMO_OPERATOR_KEY, DEMO_TILL_KEY
from valliance.directory.models import Operator
from valliance.extensions import db
from valliance.merchants.models import Terminal
from valliance.startup import ProductionRefused, database_refusals

#: a PostgreSQL URL nothing listens on: create_app never connects, so the settings decide
NOWHERE = "postgresql://nobody@127.0.0.1:1/none"
GATEWAY = {"SMS_PROVIDER": "http", "SMS_GATEWAY_URL": "https://sms.example/send"}


def _production(database_url=NOWHERE, **settings):
    class Production(TestConfig):
        PRODUCTION = True
        DATABASE_URL = database_url
        RATELIMIT_STORAGE_URI = "memory://"

    for name, value in settings.items():
        setattr(Production, name, value)
    return Production


@pytest.fixture(autouse=True)
def _no_secret_key_from_the_shell(monkeypatch):
    for name in ("SECRET_KEY", "SMS_PROVIDER", "SMS_GATEWAY_URL", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ProductionRefused, match="SECRET_KEY is not set"):
        create_app(_production(**GATEWAY))


def test_production_refuses_the_development_key_kept_in_the_instance_folder():
    dev = create_app(_production(**GATEWAY, PRODUCTION=False))
    kept = (Path(dev.instance_path) / "secret_key").read_text().strip()
    with pytest.raises(ProductionRefused, match="SECRET_KEY is not set"):
        create_app(_production(SECRET_KEY=kept, **GATEWAY))


def test_production_refuses_to_start_with_the_console_sms_sender():
    with pytest.raises(ProductionRefused, match="SMS_PROVIDER is console"):
        create_app(_production(SECRET_KEY="a-real-production-key"))  # noqa: S106


def test_a_correct_production_config_starts():
    app = create_app(_production(SECRET_KEY="a-real-production-key", **GATEWAY))  # noqa: S106
    assert app.config["PRODUCTION"] and not app.debug


@pytest.mark.parametrize("exempt", [{"DEBUG": True}, {"DATABASE_URL": "sqlite://"}],
                         ids=["debug", "sqlite"])
def test_debug_mode_and_sqlite_are_not_production_and_only_warn(exempt, caplog):
    caplog.set_level(logging.WARNING, logger="valliance.startup")
    settings = {"DATABASE_URL": exempt.get("DATABASE_URL", NOWHERE),
                **{k: v for k, v in exempt.items() if k != "DATABASE_URL"}}
    create_app(_production(**settings))
    assert "PRODUCTION is set, but in debug mode or on SQLite" in caplog.text
    assert "SMS_PROVIDER is console" in caplog.text


def test_tests_and_make_run_are_not_production():
    create_app(TestConfig)  # no PRODUCTION: no SECRET_KEY and the console sender are fine


def _demo_keys_live(app):
    """Give the database the demo's published till and 114 keys, as `demo seed --force` does."""
    world = build_world(app)
    with app.app_context():
        db.session.add(Terminal(id="demo-till", merchant_id=world.merchant_id, name="演示",
                                key_hash=key_digest(DEMO_TILL_KEY)))
        db.session.add(Operator(id="demo-114", name="演示", key_hash=key_digest(DEMO_OPERATOR_KEY)))
        db.session.commit()


def _revoke(app, model, row_id):
    with app.app_context():
        db.session.execute(update(model).where(model.id == row_id).values(
            revoked_at=db.func.now()))
        db.session.commit()


def test_the_demo_published_keys_live_in_the_database_are_refused_until_revoked(app, session):
    assert database_refusals(session) == []
    _demo_keys_live(app)
    refusals = database_refusals(session)
    assert len(refusals) == 2
    assert "flask terminals revoke demo-till" in refusals[0]
    assert "flask operators revoke demo-114" in refusals[1]
    _revoke(app, Terminal, "demo-till")
    _revoke(app, Operator, "demo-114")
    assert database_refusals(session) == []


@pytest.mark.skipif(not ON_POSTGRES, reason="production is never SQLite: PostgreSQL only")
def test_flask_check_refuses_production_with_the_demo_keys_and_passes_once_revoked(app):
    production = create_app(_production(app.config["SQLALCHEMY_DATABASE_URI"],
                                        SECRET_KEY="a-real-production-key", **GATEWAY))  # noqa: S106
    runner = production.test_cli_runner()
    assert runner.invoke(args=["check"]).output.strip() == "production checks passed"
    _demo_keys_live(app)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "demo's published till key is live" in result.output
    _revoke(app, Terminal, "demo-till")
    _revoke(app, Operator, "demo-114")
    assert runner.invoke(args=["check"]).exit_code == 0
    with production.app_context():
        db.engine.dispose()


def _run(*command):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "SMS_PROVIDER", "SMS_GATEWAY_URL", "FLASK_DEBUG")}
    env.update(PRODUCTION="1", DATABASE_URL=NOWHERE)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=60, check=False)


def test_flask_exits_non_zero_with_one_readable_line_in_production_without_a_secret_key():
    done = _run(sys.executable, "-m", "flask", "--app", "wsgi", "check")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "valliance: refusing to start in production: SECRET_KEY is not set (the development "
        "key in instance/secret_key is not for production); SMS_PROVIDER is console: no member "
        "would get a text (set SMS_PROVIDER to aliyun or http)"]


def test_gunicorn_exits_non_zero_before_binding_with_one_readable_line():
    port = free_port()
    done = _run(GUNICORN, "--bind",
                f"127.0.0.1:{port}", "wsgi:app")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: valliance: refusing to start in production: SECRET_KEY is not "
                      "set (the development key in instance/secret_key is not for production); "
                      "SMS_PROVIDER is console: no member would get a text (set SMS_PROVIDER to "
                      "aliyun or http)"]
    assert "Traceback" not in done.stderr and "Listening at" not in done.stderr
