"""The staff page of the 114 channel: referrals and conversions by week, operator, merchant
and category."""

from datetime import date, timedelta

from flask import Blueprint, render_template, request

from valliance.db import today_shanghai
from valliance.directory.report import referral_report
from valliance.extensions import db
from valliance.merchants.labels import category_name
from valliance.staff.auth import staff_required
from valliance.web.i18n import tr

bp = Blueprint("referral_report", __name__, url_prefix="/staff/referrals",
               template_folder="templates")
DEFAULT_DAYS = 56  #: eight weeks
MAX_DAYS = 366


@bp.context_processor
def _helpers() -> dict:
    return {"tr": tr, "FLASH": "portal", "category_name": category_name}


def _day(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return default


@bp.get("/")
@staff_required
def page():
    """Referrals made between two Shanghai dates (inclusive) and how many converted."""
    last = _day("to", today_shanghai())
    first = _day("from", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    report = referral_report(db.session, first, last)
    return render_template("directory/referrals.html", report=report)
