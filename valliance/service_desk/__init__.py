"""The VIP service desk (issue #19, contract §12): members report faults and ask for services,
the desk works the queue by time left against configured service levels, each VIP member has
one account manager, and the report measures the promise (80 % of faults fixed within 5 h).

It sits above members, marketing (quiet hours, SMS delivery) and staff; nothing below imports
it (docs/service-desk.md).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the member API, the report pages, the jobs and the models."""
    from valliance.extensions import api as rest_api
    from valliance.extensions import csrf
    from valliance.service_desk import api, jobs, models, report_views  # noqa: F401 (models: metadata)
    from valliance.service_desk.clock import Hours

    # a mistyped setting stops the start, not the first ticket
    Hours.parse(app.config["SERVICE_BUSINESS_HOURS"], app.config["SERVICE_BUSINESS_DAYS"])

    csrf.exempt(api.bp)  # bearer tokens, not cookies: CSRF does not apply
    rest_api.register_blueprint(api.bp)
    jobs.register_jobs()
    app.register_blueprint(report_views.bp)
