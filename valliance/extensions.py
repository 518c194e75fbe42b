"""Unbound extension instances; create_app binds them."""

from urllib.parse import urlencode

from flask import Flask, g, has_request_context, request
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
from valliance.db import Base, remove_session
from valliance.security import cookie_secure

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()


limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
#: blueprints whose requests skip Flask-Limiter's before-request check
_LIMITED_IN_VIEWS_ONLY: set[str] = set()
_PAST_THE_LIMITER_HOOK = "past_the_limiter_hook"


def limit_in_views_only(blueprint_name: str) -> None:
    """Skip Flask-Limiter's before-request check on a blueprint; its routes' own limits stay.

    That check looks for default, application and blueprint-wide limits (none here) and costs
    time on every request (docs/benchmarks.md). A limit decorated on a route is checked in the
    route's wrapper, which runs after _past_the_limiter_hook and so is not filtered out.
    """
    _LIMITED_IN_VIEWS_ONLY.add(blueprint_name)


@limiter.request_filter
def _in_the_limiter_hook() -> bool:
    return request.blueprint in _LIMITED_IN_VIEWS_ONLY and _PAST_THE_LIMITER_HOOK not in g


def _past_the_limiter_hook() -> None:
    # An app's before-request hooks run in the order they were added: this one after the
    # limiter's, so that from here on (the views) the request filter lets limits through.
    setattr(g, _PAST_THE_LIMITER_HOOK, True)


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
    # registered after Flask-SQLAlchemy's own teardown, so it runs first (Flask runs them in
    # reverse): the session is ended even when its connection is lost (valliance.db)
    app.teardown_appcontext(lambda exc: remove_session(db.session))
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    login.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    i18n.init_app(app)
    app.context_processor(lambda: {"locale": select_locale(), "lang_url": lang_url})
    app.after_request(_remember_locale)
    limiter.init_app(app)
    app.before_request(_past_the_limiter_hook)
    api.init_app(app)
    # Core's own tables; each feature imports its models at its init_app (and the factory
    # the ledger's), so that metadata (and Alembic) sees the whole schema.
    from valliance import messaging  # noqa: F401
