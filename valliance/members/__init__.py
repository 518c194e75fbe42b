"""Members: enrollment, V-cards, tiers, the member portal and the member API.

Members sits below merchants: what its pages show of merchants' data comes through
`merchant_side`, supplied by the merchants package, never by importing it.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the member portal, the member API and the member commands."""
    from valliance import config, credentials
    from valliance.extensions import api, csrf
    from valliance.members import api as member_api
    from valliance.members import (  # noqa: F401 (models: metadata)
        auth,
        cli,
        models,
        services,
        tiers,
        views,
    )

    config.fill_table(app, "TIER_THRESHOLDS", tiers.DEFAULT_THRESHOLDS)
    config.fill_table(app, "TIER_MULTIPLIERS", tiers.DEFAULT_MULTIPLIERS)
    credentials.register("member", services.member_for_token)
    auth.init_app(app)
    app.register_blueprint(views.bp)
    csrf.exempt(member_api.bp)  # bearer tokens, not cookies: CSRF does not apply
    api.register_blueprint(member_api.bp)
    for group in cli.COMMANDS:
        app.cli.add_command(group)
