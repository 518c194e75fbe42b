"""Finance: the points liability (finance). Closing, verifying and paying settlement periods
are settlement's own staff pages (valliance/settlement/staff_views.py)."""

from flask import current_app, render_template

from valliance.backoffice.services.liability import liability as liability_report
from valliance.backoffice.views import bp
from valliance.extensions import db
from valliance.members.labels import tier_name
from valliance.staff.roles import FINANCE, role_required


@bp.get("/finance/liability")
@role_required(FINANCE)
def liability():
    """Outstanding points × the point value, by tier, with what expires soon and what is owed."""
    report = liability_report(db.session, int(current_app.config.get("POINT_VALUE_FEN", 1)))
    return render_template("backoffice/liability.html", report=report, tier_name=tier_name)
