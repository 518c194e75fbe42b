"""积分抵话费: the programme's page (finance, marketing): what points spent on bills cost the
alliance and which bills members paid with points."""

from flask import render_template, request

from valliance.backoffice.services.bill_points import bill_points_page
from valliance.backoffice.views import bp
from valliance.extensions import db
from valliance.i18n import N_, label_text
from valliance.input_guard import bounded_int
from valliance.staff.roles import FINANCE, MARKETING, role_required

HOLD_STATES = {
    "pending": (N_("冻结中"), "Held"),
    "captured": (N_("已扣除"), "Spent"),
    "released": (N_("已退回"), "Given back"),
}


@bp.get("/programmes/bill-points")
@role_required(FINANCE, MARKETING)
def bill_points():
    """Points spent on bills (points and ¥), bills, members, held now and released."""
    report = bill_points_page(db.session,
                              page=request.args.get("page", 1, type=bounded_int(1)))
    return render_template("backoffice/bill_points.html", report=report,
                           hold_state=lambda s: label_text(HOLD_STATES.get(s, (s, s))))
