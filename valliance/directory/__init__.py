"""The 114 directory: offer search for operators, caller lookup, referrals, the console."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the directory API, the operator console and the commands."""
    from valliance.directory import api as directory_api
    from valliance.directory import cli as search_cli  # also loads the search entries' hook
    from valliance.directory import console, models, operator_cli, report_views  # noqa: F401
    from valliance.extensions import api, csrf, limit_in_views_only, login

    csrf.exempt(directory_api.bp)  # operator keys, not cookies: CSRF does not apply
    # its routes' own limits (per operator key) are checked in their wrappers; the
    # before-request check would look for blueprint-wide ones, of which there are none
    limit_in_views_only(directory_api.bp.name)
    api.register_blueprint(directory_api.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(report_views.bp)  # staff: referrals and conversions
    login.blueprint_login_views[report_views.bp.name] = "staff.login"
    app.cli.add_command(operator_cli.operators_cli)
    app.cli.add_command(search_cli.directory_cli)  # flask directory reindex
