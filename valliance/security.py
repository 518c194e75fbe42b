"""Security headers on every answer; no cookie session on the key- and token-authenticated API;
cookies marked Secure whenever the request came over HTTPS."""

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self' 'wasm-unsafe-eval'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)

_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", _CSP),
    ("Permissions-Policy", "camera=(self), geolocation=()"),
)

#: paths whose callers authenticate with a terminal or operator key, a member token or a
#: Stripe signature: a session cookie means nothing there, and one is never set
_SESSIONLESS_PREFIXES = ("/api/", "/webhooks/")


class PageSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session for pages; a read-only empty session for the API."""

    def open_session(self, app, request):
        if request.path.startswith(_SESSIONLESS_PREFIXES):
            return self.make_null_session(app)  # writing to it raises; it is never saved
        return super().open_session(app, request)

    def get_cookie_secure(self, app) -> bool:
        return cookie_secure()


def cookie_secure() -> bool:
    """Whether cookies set now are Secure: always with SESSION_COOKIE_SECURE, else when this
    request came over HTTPS (directly, or through a trusted proxy: see ProxyFix)."""
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def security_headers(secure: bool, present: frozenset[str] = frozenset()) -> list:
    """The headers every answer carries, less those it already has (lower-case names)."""
    added = [(name, value) for name, value in _HEADERS if name.lower() not in present]
    if secure and "strict-transport-security" not in present:
        added.append(("Strict-Transport-Security", "max-age=31536000"))
    return added


def _add_headers(response):
    headers = response.headers
    present = frozenset(name.lower() for name, _ in headers.items())
    for name, value in security_headers(request.is_secure, present):
        headers.add(name, value)
    return response


def init_app(app: Flask) -> None:
    """Add the headers after every request; keep the API free of session cookies."""
    app.session_interface = PageSessionInterface()
    app.after_request(_add_headers)
