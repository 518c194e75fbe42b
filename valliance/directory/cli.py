"""`flask operators create|revoke` (contract §8) and `flask directory reindex`."""

import time

import click
from flask.cli import AppGroup

from valliance.cli import emit, json_option, transaction
from valliance.directory import documents, services
from valliance.extensions import db
from valliance.i18n import bilingual

operators_cli = AppGroup("operators", help="114 operators and their API keys.")
directory_cli = AppGroup("directory", help="The 114 directory's offer search.")


@operators_cli.command("create")
@click.option("--name", required=True)
@json_option
def create_operator_command(name, as_json):
    """Create an operator; the API key is printed once and stored only as a hash."""
    operator_id, key = transaction(lambda: _new_operator(name))
    emit(as_json, {"operator_id": operator_id, "api_key": key},
         bilingual(
             "话务员 / Operator %(operator_id)s\nAPI key (只显示一次",
             operator_id=operator_id,
             key=key,
         ))


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
         bilingual("已吊销", revoked=revoked))


@directory_cli.command("reindex")
@json_option
def reindex_command(as_json):
    """Rebuild the search document of every offer in one transaction (after a bulk change
    made outside the app, or to pick up a change in how documents are made)."""
    started = time.perf_counter()
    written = transaction(lambda: documents.reindex_all(db.session))
    seconds = round(time.perf_counter() - started, 1)
    emit(as_json, {"documents": written, "seconds": seconds},
         bilingual("已重建 %(written)s 条搜索索引", written=written, seconds=seconds))
