"""`flask operators create` / `flask operators revoke` (contract §8)."""

import click
from flask.cli import AppGroup

from valliance.cli import emit, json_option, transaction
from valliance.directory import services
from valliance.extensions import db

operators_cli = AppGroup("operators", help="114 operators and their API keys.")


@operators_cli.command("create")
@click.option("--name", required=True)
@json_option
def create_operator_command(name, as_json):
    """Create an operator; the API key is printed once and stored only as a hash."""
    operator_id, key = transaction(lambda: _new_operator(name))
    emit(as_json, {"operator_id": operator_id, "api_key": key},
         f"话务员 / Operator {operator_id}\nAPI key (只显示一次 / shown once): {key}")


def _new_operator(name: str) -> tuple[str, str]:
    operator, key = services.create_operator(db.session, name)
    return operator.id, key


@operators_cli.command("revoke")
@click.argument("operator_id")
@json_option
def revoke_operator_command(operator_id, as_json):
    """Revoke an operator's key at once."""
    revoked = transaction(lambda: services.revoke_operator(db.session, operator_id).id)
    emit(as_json, {"operator_id": revoked, "revoked": True},
         f"已吊销 / Revoked operator {revoked}")
