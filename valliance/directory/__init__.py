"""The 114 directory: offer search for operators, caller lookup, referrals, the console."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the directory API, the pages and the commands; keep search documents in step
    with the merchants package's writes."""
    from valliance import credentials
    from valliance.directory import api as directory_api
    from valliance.directory import (  # noqa: F401 (models: metadata)
        cli,
        documents,
        models,
        services,
        views,
    )
    from valliance.extensions import api, csrf, limit_in_views_only, login

    credentials.register("operator", services.operator_for_key)
    documents.subscribe()
    csrf.exempt(directory_api.bp)  # operator keys, not cookies: CSRF does not apply
    # its routes' own limits (per operator key) are checked in their wrappers; the
    # before-request check would look for blueprint-wide ones, of which there are none
    limit_in_views_only(directory_api.bp.name)
    api.register_blueprint(directory_api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.report_bp)  # staff: referrals and conversions
    login.blueprint_login_views[views.report_bp.name] = "staff.login"
    app.cli.add_command(cli.operators_cli)
    app.cli.add_command(cli.directory_cli)  # flask directory reindex
