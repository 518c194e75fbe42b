"""Merchants: onboarding, offers, POS terminals, purchases and refunds."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the POS API and the merchant commands."""
    from valliance import credentials
    from valliance.extensions import api, csrf, limit_in_views_only
    from valliance.members import merchant_side
    from valliance.merchants import api as pos_api
    from valliance.merchants import cli, member_pages, models  # noqa: F401 (models: metadata)
    from valliance.merchants.services import terminals
    from valliance.merchants.views import (  # noqa: F401 (offers, sales, shop: routes on portal.bp)
        apply,
        coupon_rules,
        coupons,
        member_offers,
        offers,
        portal,
        sales,
        shop,
        till,
    )

    credentials.register("terminal", terminals.terminal_for_key)
    csrf.exempt(pos_api.bp)  # terminal keys, not cookies: CSRF does not apply
    # No POS route has a rate limit (a terminal key is a 256-bit secret, revoked at once);
    # skipping the limiter's per-request check there saves CPU (docs/benchmarks.md).
    limit_in_views_only(pos_api.bp.name)
    api.register_blueprint(pos_api.bp)
    app.register_blueprint(member_offers.bp)  # the alliance's offers, for members and visitors
    merchant_side.supply(app, offers_page=member_offers.render_offers_page,
                         read_purchases=member_pages.read_purchases)  # shown on member pages
    app.register_blueprint(till.bp)  # the cashiers' till page (a POS terminal in the browser)
    app.register_blueprint(apply.bp)  # merchants apply to join the alliance
    portal.register_sign_in()
    app.register_blueprint(portal.bp)  # owners and cashiers: sales, refunds, offers, staff
    for group in cli.COMMANDS:
        app.cli.add_command(group)
