"""The purchase lane: a till's common sale answered beneath Flask, on PostgreSQL (contract §5).

At a busy till the purchase is the request that counts, and Flask's machinery around it —
the request and app contexts, URL matching, the extensions' hooks, the response object —
cost more CPU than the sale itself (docs/benchmarks.md). This WSGI layer, in front of the
app, is an HTTP adapter only: it parses `POST /api/v1/pos/purchases`, calls the service that
records every sale (services.purchases.sell) with the ledger's one-statement writer
(points.AtOnce), and renders its answer. Everything it cannot answer it hands, body and all,
to the app, which answers it as it always did — every error and replay in the contract's
order:

- another path or method, a query string (`?lang=` sets a cookie), SQLite, the lane switched
  off (POS_PURCHASE_LANE=0) or host checks configured (TRUSTED_HOSTS, SERVER_NAME), a body
  too big or not declared: handed over unread;
- a body shorter than declared, a body or header the API would refuse, a sale the writer
  leaves to the generic path (points.NotAtOnce: a redemption, points owed, a key seen
  before), a domain error (the app answers it after the idempotency check): handed over;
- a database error (logged as a warning with its SQLSTATE) or a bug (logged at ERROR with
  its traceback): handed over, and counted in `fallbacks` so that tests see them.

Every sale tried and handed over is counted in valliance_lane_fallbacks_total by why; the
sales the lane answers, in valliance_lane_sales_total and in the request histogram (the app's
layer, web.Measured, never sees them).

Handing over is always safe: the writer writes all or nothing, and what it wrote is found by
the idempotency key, so even a sale whose answer was lost is replayed, not sold twice.

Same answer as the app: the body is rendered by the app's JSON provider and carries the
app's security headers and request id; tests compare the two byte for byte.
"""

import io
import logging
import time
from collections import Counter

import psycopg
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from valliance import logs, metrics, points
from valliance.api_support import bearer_secret, json_object, load
from valliance.errors import REQUEST_ID_ENVIRON, VallianceError, request_id_for
from valliance.extensions import db
from valliance.merchants.schemas import PurchaseIn
from valliance.merchants.services import purchases
from valliance.metrics import web as metrics_web
from valliance.security import security_headers

log = logging.getLogger(__name__)

PATH = "/api/v1/pos/purchases"
#: a purchase body is ~100 bytes; anything much bigger is the app's to refuse
MAX_BODY = 16 * 1024


def _declared_size(environ) -> int | None:
    """The body's declared length (CONTENT_LENGTH), or None when there is no sane one."""
    size = environ.get("CONTENT_LENGTH", "")
    return int(size) if size.isascii() and size.isdigit() else None


class Handover(Exception):
    """The app answers this request (the lane has written nothing)."""


#: why a purchase was handed to the app after the lane tried it: by design, or not
EXPECTED, DATABASE_ERROR, BUG = "expected", "database_error", "bug"
_FALLBACKS = {why: metrics.LANE_FALLBACKS.labels(why) for why in (EXPECTED, DATABASE_ERROR, BUG)}


class PurchaseLane:
    """WSGI middleware: answers the common purchase itself, hands everything else to the app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._on_postgres: bool | None = None  # known at the first purchase
        #: purchases the lane tried and handed over, by why (EXPECTED, DATABASE_ERROR, BUG)
        self.fallbacks: Counter[str] = Counter()

    def __call__(self, environ, start_response):
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST"
                or environ.get("QUERY_STRING")):
            return self.wsgi_app(environ, start_response)
        size = _declared_size(environ)
        if size is None or size > self._max_body() or not self._enabled():
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        # one id for the lane's log lines and, handed over, the app's (errors.request_id)
        rid = environ[REQUEST_ID_ENVIRON] = request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))
        with logs.context(request_id=rid):
            return self._answer(environ, start_response, size, started)

    def _answer(self, environ, start_response, size: int, started: float):
        raw = environ["wsgi.input"].read(size)
        environ["wsgi.input"] = io.BytesIO(raw)  # the app reads it again if it answers
        if len(raw) != size:  # the client stopped short: the app says so
            return self.wsgi_app(environ, start_response)
        try:
            with self.app.app_context():
                body = self._sell(environ, raw)
        except (Handover, points.NotAtOnce, VallianceError):
            return self._hand_over(EXPECTED, environ, start_response)
        except (psycopg.Error, SQLAlchemyError) as exc:
            code = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None),
                                                               "sqlstate", None)
            log.warning("purchase lane: database error %s (%s); the app answers the request",
                        code, type(exc).__name__)
            return self._hand_over(DATABASE_ERROR, environ, start_response)
        except Exception:  # noqa: BLE001 (logged at ERROR and counted: tests fail on it)
            # A bug: the sale is not lost (the app answers it), but it is loud.
            log.exception("purchase lane failed; the app answers the request")
            return self._hand_over(BUG, environ, start_response)
        logs.lane_access_line(PATH, 201, started)
        answer = self._created(environ, start_response, body)
        metrics.LANE_SALES.inc()
        metrics_web.observe(PATH, "POST", "201", time.perf_counter() - started)
        return answer

    def _hand_over(self, why: str, environ, start_response):
        """Count a sale the lane tried and leaves to the app, and let the app answer it."""
        self.fallbacks[why] += 1
        _FALLBACKS[why].inc()
        return self.wsgi_app(environ, start_response)

    def _created(self, environ, start_response, body: dict):
        """201 with the body and headers the app would have answered with."""
        response = self.app.json.response(body)
        headers = response.headers.to_wsgi_list()
        headers.append(("X-Request-ID", environ[REQUEST_ID_ENVIRON]))
        headers += security_headers(environ.get("wsgi.url_scheme") in {"https", "wss"})
        start_response("201 CREATED", headers)
        return [response.get_data()]

    def _max_body(self) -> int:
        return min(MAX_BODY, self.app.config.get("MAX_CONTENT_LENGTH") or MAX_BODY)

    def _enabled(self) -> bool:
        config = self.app.config
        if (not config["POS_PURCHASE_LANE"] or config.get("TRUSTED_HOSTS")
                or config.get("SERVER_NAME")):
            return False  # (the app checks the Host header against those; the lane doesn't)
        if self._on_postgres is None:
            with self.app.app_context():
                self._on_postgres = db.engine.dialect.name == "postgresql"
        return self._on_postgres

    def _sell(self, environ, raw: bytes) -> dict:
        """The sale's answer, or an exception that hands the request to the app."""
        data = load(PurchaseIn, json_object(raw))
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
        token = bearer_secret(environ.get("HTTP_AUTHORIZATION", ""))
        if not 1 <= len(key) <= 255 or not token or data["redeem_points"] or data.get("coupon"):
            # (a redemption or a coupon: sell_at_once would refuse it after a read)
            raise Handover()
        fingerprint = points.request_fingerprint("POST", PATH, data)
        environ[purchases.TRIED_AT_ONCE] = True  # handed over, the route does not try again
        return purchases.sell_on_postgres(db.engine, token, key, fingerprint, data)
