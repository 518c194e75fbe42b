"""`flask ledger …` commands."""

import sys
from datetime import timedelta

import click
from flask.cli import AppGroup

from valliance.cli import emit, json_option
from valliance.db import run_in_transaction, utcnow
from valliance.extensions import db
from valliance.points.expiry import CHUNK
from valliance.points.idempotency import MIN_RETENTION_DAYS, purge_keys
from valliance.points.jobs import expire_in_chunks
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
@click.option("--chunk", default=CHUNK, show_default=True, type=click.IntRange(1, 100_000),
              help="Member accounts per transaction.")
@json_option
def expire_command(chunk: int, as_json: bool):
    """Expire every lot past its date (run daily), committing a chunk of accounts at a time."""
    try:
        result = expire_in_chunks(db.session, commit=db.session.commit, chunk=chunk)
    except Exception:
        db.session.rollback()  # the chunks committed so far stay expired
        raise
    emit(as_json, result, f"expired {result['points']} points in {result['lots']} lots")


@ledger_cli.command("purge-keys")
@click.option("--days", default=30, show_default=True, type=click.IntRange(MIN_RETENTION_DAYS))
def purge_keys_command(days: int):
    """Forget idempotency keys older than --days (at least 7)."""
    count = run_in_transaction(
        db.session, lambda: purge_keys(db.session, utcnow() - timedelta(days=days))
    )
    click.echo(f"purged {count} idempotency keys")
