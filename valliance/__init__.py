"""Valliance: the V-card merchant alliance platform."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from valliance.config import Config


def create_app(config: type[Config] | Config | None = None) -> Flask:
    """Build the application: config → purchase lane → extensions → blueprints → errors → cli.

    The purchase lane (merchants/lane) is WSGI middleware in front of the app.
    """
    app = Flask(__name__, instance_relative_config=True, static_folder="../static")
    Config.apply(app, config)
    from valliance import logs

    logs.init_app(app)
    from valliance.merchants.lane import PurchaseLane
    from valliance.metrics.web import Measured

    # The till's common purchase, answered beneath Flask (inside ProxyFix: it needs the scheme);
    # every other request's time is measured around Flask (the lane measures its own sales)
    app.wsgi_app = PurchaseLane(app, Measured(app.wsgi_app))
    if app.config["TRUSTED_PROXY_HOPS"]:
        # Behind a load balancer: the client's address (for rate limits) comes from it.
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.json.ensure_ascii = False  # Chinese as characters, not \u escapes (contract §1)

    from valliance import extensions

    extensions.init_app(app)
    from valliance import replica  # DATABASE_REPLICA_URL: refused beside SQLite

    replica.init_app(app)

    from valliance import jobs

    jobs.init_app(app)

    from valliance import (
        api_docs,
        backoffice,
        backup,
        coupons,
        directory,
        invitations,
        marketing,
        members,
        merchants,
        payments,
        security,
        settlement,
        site,
        staff,
    )

    site.init_app(app)
    members.init_app(app)
    coupons.init_app(app)
    merchants.init_app(app)
    staff.init_app(app)
    directory.init_app(app)
    payments.init_app(app)
    settlement.init_app(app)
    marketing.init_app(app)
    invitations.init_app(app)
    from valliance import winback  # above marketing and coupons

    winback.init_app(app)
    backoffice.init_app(app)
    from valliance import care  # birthday care (issue #18): above marketing and coupons

    care.init_app(app)
    from valliance import service_desk  # the VIP service desk (issue #19)

    service_desk.init_app(app)
    backup.init_app(app)  # flask backup create | restore (issue #20)
    api_docs.init_app(app)
    security.init_app(app)

    from valliance import errors, input_guard

    errors.init_app(app)
    input_guard.init_app(app)  # last: its check runs before every other hook (§10)
    api_docs.register(extensions.api)
    from valliance import startup  # production refuses unsafe settings (issue #20)

    startup.refuse_unsafe_settings(app)
    app.cli.add_command(startup.check_command)
    from valliance.demo.published import live_published_keys

    startup.register_database_check(live_published_keys)

    from valliance.demo import demo_cli  # the demo seeds every package: wired here, at the top
    from valliance.points import models as ledger_models  # noqa: F401 (metadata)
    from valliance.points.cli import ledger_cli
    from valliance.points.jobs import register_jobs as register_ledger_jobs

    register_ledger_jobs()

    app.cli.add_command(ledger_cli)
    app.cli.add_command(demo_cli)
    from valliance import metrics

    metrics.init_app(app)
    return app
