"""`flask settlement close|verify`: close a month into statements and prove the periods."""

import json
import sys

import click
from flask.cli import AppGroup

from valliance.cli import json_option
from valliance.db import run_in_transaction
from valliance.extensions import db
from valliance.settlement import services

settlement_cli = AppGroup("settlement", help="Monthly settlement with merchants.")


def _echo(payload: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, sort_keys=True))
    else:
        for key, value in payload.items():
            click.echo(f"{key}: {value}")


@settlement_cli.command("close")
@click.option("--period", required=True, help="YYYY-MM (an Asia/Shanghai month)")
@json_option
def close_command(period: str, as_json: bool):
    """Close a month into merchant statements (re-running changes nothing)."""

    try:
        # The close holds ledger writes back (tills wait): commit it before reconciling,
        # which reads the whole ledger, in a transaction of its own that holds nothing.
        run_in_transaction(db.session, lambda: services.close_period(db.session, period))
    except services.SettlementRefused as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    report = services.reconcile(db.session)
    closed = services.closed_period(db.session, services.parse_period(period))
    payload = {**services.period_totals(db.session, closed), "reconciled": report.ok}
    db.session.rollback()
    _echo(payload, as_json)
    for failure in report.failures:
        click.echo(f"FAILED {failure}", err=True)
    sys.exit(0 if report.ok else 1)


@settlement_cli.command("verify")
@json_option
def verify_command(as_json: bool):
    """Reconcile every closed period with the ledger; exit 1 and report what fails."""
    report = services.reconcile(db.session)
    db.session.rollback()
    _echo({"periods": report.periods, "reconciled": report.ok, "failures": report.failures},
          as_json)
    sys.exit(0 if report.ok else 1)
