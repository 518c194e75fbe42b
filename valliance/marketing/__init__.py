"""The marketing engine (issue #17): members' RFM scores and value bands, saved segments, and
(next) campaigns reaching them through capped messages.

It sits above members, merchants, payments and points (it reads purchases, bills paid and
balances); the back office may show its figures. Nothing below imports it.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the marketing pages and commands."""
    from valliance.marketing import (  # noqa: F401  # noqa: F401
        campaign_models,
        cli,
        expiry_jobs,
        expiry_models,
        models,
        nightly,
        views,
    )

    app.register_blueprint(views.bp)
    nightly.register_jobs()
    expiry_jobs.register_jobs()
    for command in cli.COMMANDS:
        app.cli.add_command(command)
