"""Old brings new (老带新, contract §11): members' invitation codes, newcomers who sign up with
one, the reward of their first qualifying purchase and its clawback, the staff page.

Named `invitations` so that nothing is confused with the 114 directory's referrals (to
merchants). It sits above members, merchants, payments, coupons and points and reacts to
their signals (members.signals, merchants.signals); nothing imports it.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the share page, the staff page, the member API route and the receivers."""
    from valliance.extensions import api as rest_api
    from valliance.extensions import csrf
    from valliance.invitations import api, models, receivers, staff_views, views  # noqa: F401

    csrf.exempt(api.bp)  # bearer tokens, not cookies: CSRF does not apply
    rest_api.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(staff_views.bp)
    receivers.connect()
