"""Serve the OpenAPI document's Swagger UI from the installed bundle: no CDN, works offline."""

import swagger_ui_bundle
from flask import Blueprint, Flask, send_from_directory

bp = Blueprint("api_docs", __name__)


@bp.get("/api/v1/docs/assets/<path:filename>")
def swagger_asset(filename: str):
    """Send one file of the vendored Swagger UI."""
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


def init_app(app: Flask) -> None:
    """Register the asset route beside flask-smorest's /api/v1/docs page."""
    app.register_blueprint(bp)
