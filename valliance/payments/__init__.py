"""Payments through Stripe: members pay bills and the VIP fee; the webhook fulfils them."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the member payment pages and the Stripe webhook."""
    from valliance.extensions import csrf, limiter
    from valliance.payments import api, jobs, models, views  # noqa: F401 (models: metadata)

    jobs.register_jobs()

    app.register_blueprint(views.bp)
    # Stripe signs its requests instead of sending cookies: CSRF does not apply, and its
    # retries after an outage must not be turned away by a rate limit.
    csrf.exempt(api.bp)
    limiter.exempt(api.bp)
    app.register_blueprint(api.bp)
