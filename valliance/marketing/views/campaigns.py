"""Campaigns: list, create, preview, test-send, schedule, pause, stop, report (marketing)."""

from flask import render_template

from valliance.marketing.views import bp
from valliance.staff.roles import MARKETING, role_required


@bp.get("/campaigns", endpoint="campaigns")
@role_required(MARKETING)
def campaigns_list():
    """Every campaign, newest first (placeholder until the pages land)."""
    return render_template("staff/forbidden.html", roles=[]), 501
