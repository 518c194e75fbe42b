"""Coupons (满减, contract §11): templates, coupons issued to members, their use at the till.

Coupons sit below merchants: the POS prices and records a sale with a coupon through
`coupons.redeeming`; settlement reads the alliance's coupon lines through `coupons.reads`.
Coupons import neither (merchants' names are read from the table by name).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the member's coupon API and page, and `flask coupons`."""
    from valliance import jobs
    from valliance.coupons import api, cli, models, portal, rule_models  # noqa: F401 (metadata)
    from valliance.coupons.jobs import expire
    from valliance.coupons.wording import terms_text
    from valliance.extensions import api as rest_api
    from valliance.extensions import csrf
    from valliance.i18n import N_

    csrf.exempt(api.bp)  # bearer tokens, not cookies: CSRF does not apply
    rest_api.register_blueprint(api.bp)
    app.register_blueprint(portal.bp)  # 我的优惠券 in the member portal
    app.cli.add_command(cli.coupons_cli)
    app.jinja_env.globals["coupon_terms"] = terms_text
    jobs.register("coupons.expire", expire, label=N_("优惠券到期"), daily_at="00:40")
