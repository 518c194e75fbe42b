"""GET /metrics: Prometheus text, for a scraper holding METRICS_TOKEN (contract §14)."""

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from valliance.extensions import limiter
from valliance.metrics import exposition

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@limiter.exempt
def metrics():
    """Every metric of every worker, and the job queue read now."""
    body = exposition.scrape(current_app, request.headers.get("Authorization", ""))
    return Response(body, content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
