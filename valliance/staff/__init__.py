"""Alliance staff: their accounts, the merchant approval queue and the staff commands."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the staff pages and commands."""
    from valliance import audit  # noqa: F401 (the audit trail's table)
    from valliance.staff import auth, cli, models, views  # noqa: F401

    auth.register_sign_in()
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.staff_cli)
