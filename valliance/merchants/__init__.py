"""Merchants: onboarding, offers, POS terminals, purchases and refunds."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the POS API and the merchant commands."""
    from valliance.extensions import api, csrf, limit_in_views_only
    from valliance.merchants import api as pos_api
    from valliance.merchants import (  # noqa: F401 (routes on portal.bp)
        cli,
        offers_view,
        portal,
        portal_offers,
        portal_sales,
        portal_shop,
        till,
    )
    from valliance.merchants.apply_views import bp as apply_bp

    csrf.exempt(pos_api.bp)  # terminal keys, not cookies: CSRF does not apply
    # No POS route has a rate limit (a terminal key is a 256-bit secret, revoked at once);
    # skipping the limiter's per-request check there saves CPU (docs/benchmarks.md).
    limit_in_views_only(pos_api.bp.name)
    api.register_blueprint(pos_api.bp)
    app.register_blueprint(offers_view.bp)  # the alliance's offers, for members and visitors
    app.register_blueprint(till.bp)  # the cashiers' till page (a POS terminal in the browser)
    app.register_blueprint(apply_bp)  # merchants apply to join the alliance
    portal.register_sign_in()
    app.register_blueprint(portal.bp)  # owners and cashiers: sales, refunds, offers, staff
    for group in cli.COMMANDS:
        app.cli.add_command(group)
