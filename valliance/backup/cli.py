"""`flask backup create | restore` (contract §14)."""

from pathlib import Path

import click
from flask.cli import AppGroup

from valliance.backup import services
from valliance.cli import JsonCommand, emit, json_option, refuse
from valliance.errors import VallianceError
from valliance.extensions import db
from valliance.i18n import bilingual

backup_cli = AppGroup("backup", help="Back the database up, and restore it into an empty one.")


@backup_cli.command("create", cls=JsonCommand)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write.")
@click.option("--snapshot", default=None,
              help="PostgreSQL: dump this exported snapshot (pg_export_snapshot()).")
@json_option
def create_command(out, snapshot, as_json):
    """Back up the configured database (PostgreSQL: pg_dump -Fc; SQLite: the backup API)."""
    try:
        made = services.create_backup(db.engine, out, snapshot=snapshot)
    except VallianceError as exc:
        refuse(exc, as_json)
    emit(as_json, made, bilingual("已备份到 %(file)s（%(bytes)s 字节）", **made))


@backup_cli.command("restore", cls=JsonCommand)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def restore_command(file, as_json):
    """Restore a backup into the configured database, which must be empty."""
    try:
        revision = services.restore_backup(db.engine, file)
    except VallianceError as exc:
        refuse(exc, as_json)
    emit(as_json, {"restored": True},
         bilingual("已恢复 %(file)s；数据库结构版本 %(revision)s", file=str(file),
                   revision=revision))
