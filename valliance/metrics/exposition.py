"""What a scrape answers: every process's values, and the figures read at scrape time."""

import hashlib
import hmac
import logging
import os

from flask import Flask
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from valliance import jobs
from valliance.api_support import bearer_secret
from valliance.errors import NotFound, Unauthorized

log = logging.getLogger(__name__)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def check_token(app: Flask, authorization: str) -> None:
    """Let the scrape through with `Bearer <METRICS_TOKEN>`: 404 without a token configured
    (the endpoint does not exist), 401 with any other credential (contract §14)."""
    expected = app.config.get("METRICS_TOKEN")
    if not expected:
        raise NotFound()
    given = bearer_secret(authorization) or ""
    # digests of equal length: the comparison takes the same time whatever was sent
    if not hmac.compare_digest(_digest(given), _digest(expected)):
        raise Unauthorized()


class Scrape:
    """A registry for one scrape: the counters, then what is read now (the job queue)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # every worker's files, the dead ones' counters too (gunicorn.conf.py: child_exit)
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()
        yield from self._jobs()

    def _jobs(self):
        try:
            counts = jobs.backend(self.app).counts()
        except Exception as exc:  # noqa: BLE001 (Redis away: the rest of the scrape stands)
            log.warning("metrics: the job queue did not answer (%s)", type(exc).__name__)
            return
        family = GaugeMetricFamily("valliance_jobs", "Jobs by state, read from the job queue "
                                   "when scraped (queued: its depth)", labels=["state"])
        for state, count in counts.items():
            family.add_metric([state], count)
        yield family


def scrape(app: Flask, authorization: str) -> bytes:
    """The Prometheus text for an authorized scrape (check_token's errors otherwise)."""
    check_token(app, authorization)
    return generate_latest(Scrape(app))
