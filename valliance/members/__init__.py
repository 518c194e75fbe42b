"""Members: enrollment, V-cards, tiers, the member portal and the member API."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the member portal, the member API and the member commands."""
    from valliance.extensions import api, csrf
    from valliance.members import (  # noqa: F401 (routes)
        account_views,
        auth,
        card_views,
        cli,
        views,
    )
    from valliance.members import api as member_api

    auth.init_app(app)
    app.register_blueprint(views.bp)  # account_views adds its routes to the same blueprint
    csrf.exempt(member_api.bp)  # bearer tokens, not cookies: CSRF does not apply
    api.register_blueprint(member_api.bp)
    for group in cli.COMMANDS:
        app.cli.add_command(group)
