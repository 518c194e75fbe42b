"""Backups that restore (contract §14): `flask backup create` and `flask backup restore`.

PostgreSQL through pg_dump/pg_restore, SQLite through its online backup API; see
docs/backups.md for what each guarantees and for point-in-time recovery.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the backup commands."""
    from valliance.backup.cli import backup_cli

    app.cli.add_command(backup_cli)
