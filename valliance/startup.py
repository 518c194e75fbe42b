"""What a production deployment refuses to start with (issue #20).

A deployment is production when PRODUCTION=1 and it is neither in debug mode nor on the
embedded SQLite database — the same line `flask demo seed` draws. Three things are refused:

- no SECRET_KEY, or the development key kept in instance/secret_key: every node needs the
  same key, and that one was never meant to leave a developer's machine;
- the console SMS sender: no member would ever get a text (checked from the settings, so
  `create_app` refuses: every `flask` command, gunicorn's workers and the job worker);
- what a package finds unsafe in the database — the demo's published till and 114 keys, live
  (valliance/demo/published.py) — and a DATABASE_REPLICA_URL that is no standby, checked by
  `flask check`, which gunicorn.conf.py runs once, in its master, before it binds the port.

Why the database check is not in `create_app`: `flask db upgrade` on an empty database and
`flask terminals revoke` — the fix for a demo key found in production — build the app too,
and must keep working; and gunicorn's master must not build the app itself (psycopg would be
imported before gevent patches the standard library, as with `--preload`).
"""

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from valliance.extensions import db
from valliance.sms_senders import provider_name

log = logging.getLogger(__name__)


class ProductionRefused(RuntimeError):
    """The app will not start in production with these settings (the message says why)."""


def is_production(app: Flask) -> bool:
    """PRODUCTION=1, not in debug mode, not on SQLite."""
    return (bool(app.config.get("PRODUCTION")) and not app.debug
            and not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"))


def settings_refusals(app: Flask) -> list[str]:
    """What in the settings a production app must not start with."""
    refusals = []
    key_file = Path(app.instance_path) / "secret_key"
    if not app.config.get("SECRET_KEY") or (
            key_file.exists() and key_file.read_text().strip() == app.config["SECRET_KEY"]):
        refusals.append("SECRET_KEY is not set (the development key in instance/secret_key "
                        "is not for production)")
    if provider_name(app.config) == "console":
        refusals.append("SMS_PROVIDER is console: no member would get a text "
                        "(set SMS_PROVIDER to aliyun or http)")
    return refusals


#: session → what in the database production must not start with (registered by packages)
_DATABASE_CHECKS: list[Callable[[Session], list[str]]] = []


def register_database_check(check: Callable[[Session], list[str]]) -> None:
    """Have `flask check` refuse production with what check(session) returns."""
    if check not in _DATABASE_CHECKS:
        _DATABASE_CHECKS.append(check)


def database_refusals(session: Session) -> list[str]:
    """What every registered check finds in the database."""
    return [refusal for check in _DATABASE_CHECKS for refusal in check(session)]


def refuse_unsafe_settings(app: Flask) -> None:
    """In production, raise ProductionRefused for each unsafe setting (at create_app)."""
    refusals = settings_refusals(app)
    if not refusals:
        return
    if is_production(app):
        raise ProductionRefused("refusing to start in production: " + "; ".join(refusals))
    if app.config.get("PRODUCTION"):  # in debug mode or on SQLite: said, not refused
        log.warning("PRODUCTION is set, but in debug mode or on SQLite these are not "
                    "refused: %s", "; ".join(refusals))


@click.command("check")
@with_appcontext
def check_command():
    """Exit non-zero, one line on stderr, when production must not start (its database)."""
    if not is_production(current_app):
        click.echo("not production (PRODUCTION unset, debug mode or SQLite): nothing refused")
        return
    from valliance.replica import standby_refusals

    refusals = database_refusals(db.session) + standby_refusals(current_app)
    if refusals:  # the same one line as wsgi.py's for a refused setting
        click.echo("valliance: refusing to start in production: " + "; ".join(refusals),
                   err=True)
        sys.exit(1)
    click.echo("production checks passed")
