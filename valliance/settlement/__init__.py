"""Monthly settlement with merchants: statements, reconciliation, payouts and payments."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the merchant's statement pages, the staff's settlement pages and the command."""
    from valliance.extensions import login
    from valliance.payments import signals as payment_signals
    from valliance.settlement import cli, models, services, staff_views, views  # noqa: F401

    app.register_blueprint(views.bp)
    login.blueprint_login_views[views.bp.name] = "merchant_portal.login"
    app.register_blueprint(staff_views.staff_bp)
    login.blueprint_login_views[staff_views.staff_bp.name] = "staff.login"
    app.cli.add_command(cli.settlement_cli)
    # A merchant pays its statement through payments' Checkout; payments never imports us.
    payment_signals.checkout_completed.connect(services.apply_stripe_checkout)
