"""DATABASE_PREPARED_STATEMENTS=off: psycopg never prepares statements on the server, for a
PgBouncer older than 1.21 in transaction mode (tests/integration/test_production_smoke.py
shows why against the real one)."""

import pytest

from valliance.config import Config, database_options

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1/valliance"


@pytest.mark.parametrize(("raw", "prepared"), [
    (None, True), ("", True), ("1", True), ("on", True),
    ("off", False), ("0", False), ("OFF", False), ("false", False), ("no", False)])
def test_the_setting_is_on_unless_turned_off(monkeypatch, raw, prepared):
    if raw is None:
        monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    else:
        monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", raw)
    assert Config.from_environment()["DATABASE_PREPARED_STATEMENTS"] is prepared


def test_off_on_postgresql_never_prepares_and_keeps_the_other_options():
    options = database_options({"SQLALCHEMY_DATABASE_URI": POSTGRES,
                                "DATABASE_PREPARED_STATEMENTS": False,
                                "SQLALCHEMY_ENGINE_OPTIONS": {
                                    "pool_size": 7, "connect_args": {"connect_timeout": 3}}})
    assert options == {"pool_size": 7, "hide_parameters": True,
                       "connect_args": {"connect_timeout": 3, "prepare_threshold": None}}


@pytest.mark.parametrize(("url", "prepared"), [(POSTGRES, True), ("sqlite:///x.db", False)],
                         ids=["on", "sqlite"])
def test_psycopg_keeps_its_default_when_on_and_sqlite_is_untouched(url, prepared):
    options = database_options({"SQLALCHEMY_DATABASE_URI": url,
                                "DATABASE_PREPARED_STATEMENTS": prepared})
    assert options == {"hide_parameters": True}
