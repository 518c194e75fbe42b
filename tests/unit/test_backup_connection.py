"""pg_dump and pg_restore get the database's connection through libpq's environment; a
password never appears on their command line (any user of the machine can read it in ps)."""

import pytest
from sqlalchemy.engine import make_url

from valliance.backup.errors import BackupFailed
from valliance.backup.postgres import libpq_settings


def test_the_password_reaches_the_tools_through_the_environment_never_the_command_line():
    url = make_url("postgresql+psycopg://valliance:s3cr%40t@db.internal:6432/valliance"
                   "?sslmode=require&application_name=backup&keepalives=1")
    environment, conninfo = libpq_settings(url)
    assert environment == {"PGHOST": "db.internal", "PGPORT": "6432", "PGUSER": "valliance",
                           "PGPASSWORD": "s3cr@t", "PGDATABASE": "valliance",
                           "PGSSLMODE": "require", "PGAPPNAME": "backup"}
    assert "s3cr" not in conninfo
    assert conninfo == "dbname=valliance keepalives=1"


def test_a_secret_libpq_cannot_take_from_the_environment_is_refused():
    url = make_url("postgresql://valliance@db/valliance?sslpassword=key-pass")
    with pytest.raises(BackupFailed):
        libpq_settings(url)


def test_a_database_name_with_spaces_is_quoted_for_libpq():
    _, conninfo = libpq_settings(make_url("postgresql://u@h/my%20db"))
    assert conninfo == "dbname='my db'"
