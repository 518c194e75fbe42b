"""The public pages: home and health."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the home page and the health check."""
    from valliance.site import api, static_urls, views

    static_urls.init_app(app)

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
