"""Monthly settlement with merchants: statements, reconciliation, payouts and payments."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the settlement pages and `flask settlement`."""
    from valliance.settlement import cli, models  # noqa: F401 (models: metadata)

    app.cli.add_command(cli.settlement_cli)
