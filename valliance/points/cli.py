"""`flask ledger …` commands."""

import sys
from datetime import timedelta

import click
from flask.cli import AppGroup

from valliance.db import run_in_transaction, utcnow
from valliance.extensions import db
from valliance.points.idempotency import MIN_RETENTION_DAYS, purge_keys
from valliance.points.ledger import expire_due
from valliance.points.verify import verify_ledger

ledger_cli = AppGroup("ledger", help="The points ledger.")


@ledger_cli.command("verify")
def verify_command():
    """Check every ledger invariant; exit 1 with a report when one fails."""
    report = verify_ledger(db.session)
    db.session.rollback()
    click.echo(report.render())
    sys.exit(0 if report.ok else 1)


@ledger_cli.command("expire")
def expire_command():
    """Expire every lot past its date (run daily)."""
    lots, points = run_in_transaction(db.session, lambda: expire_due(db.session))
    click.echo(f"expired {points} points in {lots} lots")


@ledger_cli.command("purge-keys")
@click.option("--days", default=30, show_default=True, type=click.IntRange(MIN_RETENTION_DAYS))
def purge_keys_command(days: int):
    """Forget idempotency keys older than --days (at least 7)."""
    count = run_in_transaction(
        db.session, lambda: purge_keys(db.session, utcnow() - timedelta(days=days))
    )
    click.echo(f"purged {count} idempotency keys")
