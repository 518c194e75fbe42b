"""GET /healthz: whether the app and its database answer (liveness, for load balancers and
monitors); GET /readyz: whether this node should get traffic (contract §14)."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from valliance.extensions import db, limiter
from valliance.site.readiness import readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when the app and its database answer, 503 when the database does not."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", db="unreachable"), 503
    return jsonify(status="ok", db="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """200 when the database answers at the newest migration and Redis (if set) answers."""
    ready, report = readiness(current_app, db.session)
    return jsonify(report), 200 if ready else 503
