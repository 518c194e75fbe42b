"""The expiry reminders' programme page (marketing and finance)."""

from flask import current_app, render_template

from valliance.db import utcnow
from valliance.extensions import db
from valliance.marketing.services.expiry_report import expiry_report
from valliance.marketing.views import bp
from valliance.money import format_yuan
from valliance.staff.roles import FINANCE, MARKETING, role_required


@bp.get("/expiry", endpoint="expiry")
@role_required(MARKETING, FINANCE)
def expiry_page():
    """Reminders sent by stage, the points they covered and what became of them; breakage."""
    report = expiry_report(db.session, now=utcnow(),
                           point_value_fen=int(current_app.config.get("POINT_VALUE_FEN", 1)))
    config = current_app.config
    return render_template("marketing/expiry.html", report=report, yuan=format_yuan,
                           year_end=config.get("POINTS_EXPIRE_AT_YEAR_END", True),
                           validity_days=config.get("POINTS_VALIDITY_DAYS", 730))
