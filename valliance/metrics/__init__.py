"""Prometheus metrics: what the app counts, and `GET /metrics` (contract §14).

The counters live in prometheus_client. With PROMETHEUS_MULTIPROC_DIR set (gunicorn with
several workers) every process writes its values to files in that directory and a scrape,
answered by any one worker, sums them (MultiProcessCollector; gunicorn.conf.py's child_exit
forgets a dead worker's live gauges); without it, the process's default registry.

Labels stay few: a route is the URL rule (`/api/v1/pos/purchases/<purchase_id>`), never the
path a client sent; no member, merchant or terminal ids. Figures that another system holds
(the job queue) are read when Prometheus scrapes (exposition.py), not kept here.

A sale is counted where it is written (merchants.services.purchases.sell, whoever calls it:
the POS API, the purchase lane, the till page, the demo): a transaction retried after a
deadlock counts its sale again — the ledger, not this counter, is the record of sales.
"""

from flask import Flask
from prometheus_client import Counter, Gauge, disable_created_metrics

disable_created_metrics()  # the *_created series: half the scrape, and no dashboard reads them

#: sales recorded, and those that spent points (contract §5)
PURCHASES = Counter("valliance_purchases", "Purchases recorded")
REDEMPTIONS = Counter("valliance_redemptions", "Purchases that spent points")
REFUNDS = Counter("valliance_refunds", "Refunds recorded")
POINTS_ISSUED = Counter("valliance_points_issued", "Points members earned with purchases")
POINTS_REDEEMED = Counter("valliance_points_redeemed", "Points members spent at merchants")
#: sign-ins refused for a wrong password (or phone), by who signs in: member, staff, merchant
FAILED_LOGINS = Counter("valliance_failed_logins", "Failed sign-ins", ["kind"])
#: the purchase lane (merchants/lane): sales it answered itself, and sales it tried and handed
#: to the app, by why (expected: a rule of the generic path; database_error; bug)
LANE_SALES = Counter("valliance_lane_sales", "Purchases answered by the purchase lane")
LANE_FALLBACKS = Counter("valliance_lane_fallbacks",
                         "Purchases the lane tried and handed to the app", ["reason"])
#: database connections in use and the most the pools may hold, summed over live workers
POOL_CHECKED_OUT = Gauge("valliance_db_pool_checked_out", "Database connections checked out",
                         multiprocess_mode="livesum")
POOL_CAPACITY = Gauge("valliance_db_pool_capacity",
                      "Database connections the pool may hold (pool_size + max_overflow)",
                      multiprocess_mode="livesum")
#: the same of the read replica's pool (DATABASE_REPLICA_URL; 0 without one)
REPLICA_POOL_CHECKED_OUT = Gauge("valliance_db_pool_replica_checked_out",
                                 "Read replica connections checked out",
                                 multiprocess_mode="livesum")
REPLICA_POOL_CAPACITY = Gauge("valliance_db_pool_replica_capacity",
                              "Read replica connections the pool may hold",
                              multiprocess_mode="livesum")

#: the kinds of user whose failed sign-ins are counted
KINDS = ("member", "staff", "merchant")
_FAILED_LOGINS = {kind: FAILED_LOGINS.labels(kind) for kind in KINDS}


def count_sale(points_earned: int, points_redeemed: int) -> None:
    """Count a recorded sale and the points it moved."""
    PURCHASES.inc()
    if points_earned:
        POINTS_ISSUED.inc(points_earned)
    if points_redeemed:
        REDEMPTIONS.inc()
        POINTS_REDEEMED.inc(points_redeemed)


def count_failed_login(kind: str) -> None:
    """Count a refused sign-in of this kind of user (member, staff, merchant)."""
    _FAILED_LOGINS[kind].inc()


def init_app(app: Flask) -> None:
    """Watch the database pool and serve `/metrics` (create_app puts web.Measured, which
    times every request, between the purchase lane and Flask)."""
    from valliance.metrics import api, web

    app.register_blueprint(api.bp)
    app.teardown_request(web.note_route)
    web.watch_pool(app)
