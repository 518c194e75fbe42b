"""Every request's latency and status: Measured around Flask, the purchase lane's own sales
observed by the lane (it sits in front of Measured and answers them beneath Flask)."""

from time import perf_counter

from flask import Flask, request
from prometheus_client import Counter, Histogram
from sqlalchemy import event

from valliance.metrics import (
    POOL_CAPACITY,
    POOL_CHECKED_OUT,
    REPLICA_POOL_CAPACITY,
    REPLICA_POOL_CHECKED_OUT,
)

#: a request that matched no URL rule (404s, most 405s)
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

#: requests by route (the URL rule), method and status class (2xx …); `_count` is the count
REQUESTS = Histogram(
    "valliance_http_request_duration_seconds",
    "Time from the request reaching the app to its answer being handed to the server",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
RATE_LIMITED = Counter("valliance_rate_limited", "Requests answered 429", ["route"])

#: the WSGI environ key where Flask's request leaves the URL rule it matched
ROUTE = "valliance.route"
#: labelled children by (route, method, status class): labels() takes a lock each time
_CHILDREN: dict[tuple[str, str, str], object] = {}


def observe(route: str, method: str, status: str, seconds: float) -> None:
    """Count one answered request: its route (URL rule), method, status ("201") and time."""
    key = (route, method if method in METHODS else "other", status[0] + "xx")
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = REQUESTS.labels(*key)
    child.observe(seconds)
    if status == "429":
        RATE_LIMITED.labels(route).inc()


def note_route(_exc=None) -> None:
    """Leave the request's URL rule in its environ for Measured (a teardown: it always runs,
    whatever the hooks before it answered)."""
    rule = request.url_rule
    request.environ[ROUTE] = rule.rule if rule is not None else UNMATCHED


class Measured:
    """WSGI middleware around the Flask app: observes each request it answers (the purchase
    lane, in front of it, observes the sales it answers itself)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = perf_counter()
        status = "500"

        def noting_status(line, headers, exc_info=None):
            nonlocal status
            status = line[:3]
            return start_response(line, headers, exc_info)

        try:
            return self.wsgi_app(environ, noting_status)
        finally:
            observe(environ.get(ROUTE, UNMATCHED), environ.get("REQUEST_METHOD", ""), status,
                    perf_counter() - started)


def watch_pool(app: Flask) -> None:
    """Keep the pool gauges (the primary's, and the read replica's when there is one): its
    capacity now, the connections checked out as they move."""
    from valliance.extensions import db
    from valliance.replica import replica_engine

    with app.app_context():
        _watch(db.engine, POOL_CAPACITY, POOL_CHECKED_OUT)
    replica = replica_engine(app)
    if replica is not None:
        _watch(replica, REPLICA_POOL_CAPACITY, REPLICA_POOL_CHECKED_OUT)


def _watch(engine, capacity, checked_out) -> None:
    pool = engine.pool
    if hasattr(pool, "size"):  # a QueuePool (SQLite's and PostgreSQL's default)
        capacity.set(pool.size() + max(0, getattr(pool, "_max_overflow", 0)))
    event.listen(engine, "checkout", lambda *_: checked_out.inc())
    event.listen(engine, "checkin", lambda *_: checked_out.dec())
