"""Staff pages: closed periods, each period's statements, and marking payouts paid."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from valliance.db import SHANGHAI
from valliance.errors import VallianceError
from valliance.extensions import db
from valliance.money import format_yuan
from valliance.settlement import services, wording
from valliance.settlement.forms import PayoutPaidForm
from valliance.staff.auth import current_staff, staff_required
from valliance.web.i18n import tr

bp = Blueprint("settlement_staff", __name__, url_prefix="/staff/settlement",
               template_folder="templates")
FLASH = "portal"


@bp.context_processor
def _helpers() -> dict:
    return {"tr": tr, "FLASH": FLASH, "yuan": format_yuan, "tz": SHANGHAI, **wording.HELPERS}


@bp.get("/")
@staff_required
def periods():
    """Every closed period with its alliance-wide figures."""
    return render_template("settlement/staff_periods.html",
                           periods=services.closed_periods(db.session))


@bp.get("/<period>")
@staff_required
def period(period: str):
    """One period's statements and what is owed on each."""
    closed = services.closed_period(db.session, period)
    if closed is None:
        abort(404)
    return render_template("settlement/staff_period.html", period=closed,
                           rows=services.period_statements_named(db.session, period),
                           form=PayoutPaidForm())


@bp.post("/payouts/<settlement_id>/paid")
@staff_required
def payout_paid(settlement_id: str):
    """Mark a payout paid with the bank transfer's reference."""
    form = PayoutPaidForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        payout = services.mark_payout_paid(db.session, settlement_id, form.reference.data,
                                           actor=f"staff:{current_staff().id}")
    except VallianceError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, FLASH)
        return redirect(url_for(".periods"))
    period_name = payout.statement.period
    db.session.commit()
    flash(tr("已标记为已付。", "Marked paid."), FLASH)
    return redirect(url_for(".period", period=period_name))
