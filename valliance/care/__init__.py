"""Birthday and holiday care (issue #18): the birthday programme — a greeting through the
marketing engine's daily campaign and a gift (bonus points, double points for the birthday
month, or a coupon) — and its staff page. Above marketing and coupons; nothing imports it.
docs/birthday.md has the rules."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the page and give gifts when the programme's greeting reaches members."""
    from valliance.care import models, views  # noqa: F401 (models: metadata)
    from valliance.care.services.gifts import on_members_reached
    from valliance.marketing.signals import members_reached
    from valliance.members import gift_models  # noqa: F401 (metadata)
    from valliance.merchants import birthday_models  # noqa: F401 (metadata)

    app.register_blueprint(views.bp)
    members_reached.connect(on_members_reached, weak=False)
