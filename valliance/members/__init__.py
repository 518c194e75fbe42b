"""Members: enrollment, V-cards, tiers, the member portal and the member API."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the member portal, the member API and the member commands."""
    from valliance import config, credentials
    from valliance.extensions import api, csrf
    from valliance.members import (  # noqa: F401 (routes; models: metadata)
        account_views,
        auth,
        card_views,
        cli,
        models,
        services,
        tiers,
        views,
    )
    from valliance.members import api as member_api

    config.fill_table(app, "TIER_THRESHOLDS", tiers.DEFAULT_THRESHOLDS)
    config.fill_table(app, "TIER_MULTIPLIERS", tiers.DEFAULT_MULTIPLIERS)
    credentials.register("member", services.member_for_token)
    auth.init_app(app)
    app.register_blueprint(views.bp)  # account_views adds its routes to the same blueprint
    csrf.exempt(member_api.bp)  # bearer tokens, not cookies: CSRF does not apply
    api.register_blueprint(member_api.bp)
    for group in cli.COMMANDS:
        app.cli.add_command(group)
