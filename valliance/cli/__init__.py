"""What every `flask …` command shares: `--json` output and one transaction per command."""

import json
from collections.abc import Callable

import click

from valliance.csv_rows import ImportRejected
from valliance.db import run_in_transaction
from valliance.errors import VallianceError
from valliance.extensions import db
from valliance.i18n import bilingual

json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON object and nothing else on stdout.")


class JsonCommand(click.Command):
    """A command whose usage errors (a missing option, an unknown one) are, with --json, one
    JSON object {"error": "usage_error", "message"} on stdout, exit status 2 (contract §13:
    a refused command answers in JSON)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        as_json = "--json" in args
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if not as_json:
                raise
            click.echo(json.dumps({"error": "usage_error", "message": exc.format_message()},
                                  ensure_ascii=False))
            ctx.exit(2)


def emit(as_json: bool, payload: dict, human: str) -> None:
    """Print the command's answer: one JSON object, or a line for people."""
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(human)


def describe(error: VallianceError) -> str:
    """One line for a domain error: its message and the fields it names."""
    details = "; ".join(f"{field}: {' '.join(map(str, msgs))}"
                        for field, msgs in error.details.items())
    return f"{error.message} — {details}" if details else error.message


def refuse(exc: VallianceError, as_json: bool) -> None:
    """End the command on a domain error: exit 1 — with --json, after printing
    {"error", "message", "details"} on stdout (contract §13)."""
    if as_json:
        click.echo(json.dumps({"error": exc.code, "message": str(exc.message),
                               "details": exc.details}, ensure_ascii=False, default=str))
        raise SystemExit(1) from exc
    raise click.ClickException(describe(exc)) from exc


def transaction(work: Callable, as_json: bool = False):
    """Run work in one transaction (commit once, roll back on error); errors exit 1 — with
    --json, after printing {"error", "message", "details"} on stdout (contract §13)."""
    try:
        return run_in_transaction(db.session, work)
    except VallianceError as exc:
        refuse(exc, as_json)
    except ImportRejected as exc:
        for error in exc.errors:
            click.echo(error.render(), err=True)
        raise click.ClickException(
            bilingual("%(errors)s 行有误，未导入任何数据", errors=len(exc.errors))) from exc
