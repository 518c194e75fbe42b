"""The alliance back office: member care, approved points adjustments, merchant operations,
finance, the alliance dashboard, staff accounts and the audit log (issue #16).

It sits above every other feature package (it reads members, merchants, the ledger,
settlement, the directory and payments); `staff/` below it keeps accounts, roles and sign-in.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the back office's pages and commands."""
    from valliance.backoffice import cli, models, nightly, views  # noqa: F401

    nightly.register_jobs()

    app.register_blueprint(views.bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
