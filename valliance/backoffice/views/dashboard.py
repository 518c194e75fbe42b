"""The alliance dashboard (every role)."""

from flask import render_template

from valliance.backoffice.views import bp
from valliance.extensions import db
from valliance.staff import services as staff_services
from valliance.staff.roles import ANY, role_required


@bp.get("/")
@role_required(*ANY)
def dashboard():
    """What waits for someone, and the alliance at a glance."""
    return render_template("backoffice/dashboard.html",
                           counts=staff_services.status_counts(db.session))
