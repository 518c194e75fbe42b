"""The directory's pages: the 114 operator console, and the staff page of referrals and
their conversions by week, operator, merchant and category.

The console is static HTML; static/js/console.js keeps the operator's key in sessionStorage
(gone when the tab closes) and calls the directory API with it.
"""

from datetime import date, timedelta

from flask import Blueprint, render_template, request

from valliance.db import today_shanghai
from valliance.directory.services import referral_report
from valliance.merchants.labels import CATEGORY_NAMES_EN, category_name
from valliance.merchants.models import CATEGORIES
from valliance.replica import reading_session
from valliance.staff.roles import MARKETING, MERCHANT_OPS, role_required

bp = Blueprint("console", __name__, url_prefix="/directory", template_folder="templates")
report_bp = Blueprint("referral_report", __name__, url_prefix="/staff/referrals",
                      template_folder="templates")
DEFAULT_DAYS = 56  #: eight weeks
MAX_DAYS = 366


@bp.get("/console")
def page():
    """Caller phone, search box, ranked offers with their read-out script, log a referral."""
    return render_template("directory/console.html", categories=CATEGORIES,
                           category_en=CATEGORY_NAMES_EN)


@report_bp.context_processor
def _helpers() -> dict:
    return {"FLASH": "portal", "category_name": category_name}


def _day(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return default


@report_bp.get("/", endpoint="page")  # staff/_layout.html links to referral_report.page
@role_required(MERCHANT_OPS, MARKETING)
def referrals():
    """Referrals made between two Shanghai dates (inclusive) and how many converted."""
    last = _day("to", today_shanghai())
    first = _day("from", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    report = referral_report(reading_session(), first, last)
    return render_template("directory/referrals.html", report=report)
