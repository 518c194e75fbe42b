"""The VIP service desk (issue #19, contract §12): members report faults and ask for services,
the desk works the queue by time left against configured service levels, each VIP member has
one account manager, and the report measures the promise (80 % of faults fixed within 5 h).

It sits above members, marketing (quiet hours, SMS delivery) and staff; nothing below imports
it (docs/service-desk.md).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the member API, portal and staff pages, the report, `flask desk`, the jobs and
    the models."""
    from valliance.extensions import api as rest_api
    from valliance.extensions import csrf
    from valliance.service_desk import api, cli, jobs, models, portal, report_views, views  # noqa: F401
    from valliance.service_desk.clock import Hours

    # a mistyped setting stops the start, not the first ticket
    Hours.parse(app.config["SERVICE_BUSINESS_HOURS"], app.config["SERVICE_BUSINESS_DAYS"])

    csrf.exempt(api.bp)  # bearer tokens, not cookies: CSRF does not apply
    rest_api.register_blueprint(api.bp)
    app.register_blueprint(portal.bp)  # 我的工单 in the member portal
    app.register_blueprint(views.bp)  # the desk's staff pages
    app.cli.add_command(cli.desk_cli)
    app.register_blueprint(report_views.bp)  # measuring the promise
    jobs.register_jobs()
