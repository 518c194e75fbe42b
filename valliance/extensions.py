"""Unbound extension instances; create_app binds them."""

from urllib.parse import urlencode

from flask import Flask, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from valliance import i18n
from valliance.api_docs import ContractDocs, ErrorOut
from valliance.db import Base
from valliance.security import cookie_secure

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class _Limiter(Limiter):
    """Flask-Limiter, without its before-request check on the blueprints listed here.

    That check evaluates default, application and blueprint-wide limits (none here) and cost
    ~0.1 ms a request even when nothing applied. A limit decorated on a route still applies:
    Flask-Limiter checks those in the route's own wrapper (the directory's per-key limits).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: names of the blueprints the before-request check skips
        self.unlimited_blueprints: set[str] = set()

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and request.blueprint in self.unlimited_blueprints:
            return None
        return super()._check_request_limit(callable_name, in_middleware)


limiter = _Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
api = Api(spec_kwargs={"extra_plugins": [ContractDocs()]})
api.ERROR_SCHEMA = ErrorOut  # the contract's {"error", "message", "details"} (§1)
api.DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own errors (ContractDocs)

#: the source language, then every language that has a catalog (valliance/translations/)
SUPPORTED_LOCALES = i18n.locales()


def select_locale() -> str:
    """Chinese unless the visitor chose another language (?lang=en, remembered in a cookie)."""
    if not has_request_context():  # the shell: the source language
        return i18n.DEFAULT_LOCALE
    chosen = request.args.get("lang") or request.cookies.get("lang")
    return chosen if chosen in SUPPORTED_LOCALES else i18n.DEFAULT_LOCALE


def lang_url(locale: str) -> str:
    """This page in another language, keeping its other query parameters (filters, pages)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [locale]
    return "?" + urlencode(args, doseq=True)


def _remember_locale(response):
    if b"lang=" not in request.query_string:  # most requests: no need to parse the query
        return response
    chosen = request.args.get("lang")
    if chosen in SUPPORTED_LOCALES:
        response.set_cookie("lang", chosen, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=cookie_secure())
    return response


def init_app(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    login.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    i18n.init_app(app)
    app.context_processor(lambda: {"locale": select_locale(), "lang_url": lang_url})
    app.after_request(_remember_locale)
    limiter.init_app(app)
    api.init_app(app)
    # Import every package's models so that metadata (and Alembic) sees the whole schema.
    from valliance import messaging  # noqa: F401
    from valliance.members import models as member_models  # noqa: F401
    from valliance.merchants import models as merchant_models  # noqa: F401
    from valliance.points import models  # noqa: F401
