"""The OpenAPI document (contract §1, §10) and its Swagger UI, served offline from the bundle.

The document tells the truth about every operation without each route repeating it: the
ContractDocs plugin gives each /api/ operation its credential (terminal key, operator key or
member token, by path) and the error answers every such operation can give (401 and 403 with
a credential; 400 and 413 with a body; 404 with a path id; 422 and 500 always), each
in the contract's error body, whose `error` enum is every code the app defines
(errors.API_ERROR_CODES). Routes add what only they answer (409, 429, …) with alt_response.
"""

import swagger_ui_bundle
from apispec import BasePlugin
from flask import Blueprint, Flask, send_from_directory
from marshmallow import Schema, fields

from valliance.errors import API_ERROR_CODES
from valliance.i18n import bilingual

bp = Blueprint("api_docs", __name__)

#: the bearer credentials of contract §2, by the path prefix they open
SECURITY_SCHEMES = {
    "terminalKey": ("/api/v1/pos/", "A POS terminal's key: `flask terminals create --merchant ID`"
                    " or the merchant portal's 终端 page (shown once)"),
    "operatorKey": ("/api/v1/directory/", "A 114 operator's key: `flask operators create`"),
    "memberToken": ("/api/v1/member/", "A member token from POST /api/v1/member/session"),
}
#: operations anyone may call (no credential)
PUBLIC = {("post", "/api/v1/member/session")}
#: HTTP statuses → the name flask-smorest gives their component response
_NAMES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
          409: "CONFLICT", 413: "REQUEST_ENTITY_TOO_LARGE", 422: "UNPROCESSABLE_ENTITY",
          429: "TOO_MANY_REQUESTS", 500: "INTERNAL_SERVER_ERROR"}


class ErrorOut(Schema):
    """The contract's error body (§1): always these three members, never anything else."""

    error = fields.String(required=True, metadata={
        "description": "the contract's error code (§1, §10)",
        "enum": sorted(API_ERROR_CODES)})
    message = fields.String(required=True, metadata={
        "description": "中文 / English", "example": bilingual("积分不足")})
    details = fields.Dict(required=True, metadata={
        "description": "validation_error: each top-level field (or header, query parameter) → "
                       "its messages; internal_error: the request_id; otherwise facts or {}"})


def _statuses(method: str, path: str, operation: dict) -> list[int]:
    # 422: any query string may carry a NUL byte, refused before the route (input_guard)
    statuses = [422, 500]
    if operation.get("security") != []:
        statuses += [401, 403]
    if "requestBody" in operation:
        statuses += [400, 413]
    if "{" in path:
        statuses.append(404)
    return statuses


class ContractDocs(BasePlugin):
    """apispec plugin: each /api/ operation's credential and error answers (see module doc)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        if not path or not path.startswith("/api/"):
            return
        for method, operation in (operations or {}).items():
            if (method, path) in PUBLIC:
                operation["security"] = []
            elif "security" not in operation:
                operation["security"] = [{name: []} for name, (prefix, _) in
                                         SECURITY_SCHEMES.items() if path.startswith(prefix)]
            responses = operation.setdefault("responses", {})
            for status in _statuses(method, path, operation):
                if status not in responses and str(status) not in responses:
                    responses[str(status)] = _NAMES[status]
            for status, response in responses.items():
                # a route's alt_response(409, description=…) answers the error body too
                if int(status) >= 400 and isinstance(response, dict) and "content" not in response:
                    response["content"] = {"application/json": {"schema": {
                        "$ref": "#/components/schemas/ErrorOut"}}}


def register(api) -> None:
    """Name the credentials and make the error enum whole, once every blueprint is in."""
    for name, (_, description) in SECURITY_SCHEMES.items():
        if name not in api.spec.components.security_schemes:
            api.spec.components.security_scheme(
                name, {"type": "http", "scheme": "bearer", "description": description})
    error = api.spec.components.schemas.get("ErrorOut", {}).get("properties", {}).get("error")
    if error is not None:  # codes defined after the schema was read (feature packages)
        error["enum"] = sorted(API_ERROR_CODES)


@bp.get("/api/v1/docs/assets/<path:filename>")
def swagger_asset(filename: str):
    """Send one file of the vendored Swagger UI."""
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


def init_app(app: Flask) -> None:
    """Register the asset route beside flask-smorest's /api/v1/docs page."""
    app.register_blueprint(bp)
