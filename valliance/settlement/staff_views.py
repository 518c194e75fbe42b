"""Settlement's staff pages (finance): closed periods and their statements, closing a period
after a confirmation that shows what it will write, verifying the periods against the
ledger, marking payouts paid, and the statements as CSV. The page closes a period through
the same service as `flask settlement close` (services.close_period)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.i18n import _
from valliance.money import format_yuan
from valliance.replica import reading_session
from valliance.settlement import services, wording
from valliance.settlement import statement_csv as csv_files
from valliance.settlement.forms import ClosePeriodForm, PayoutPaidForm
from valliance.staff.auth import current_staff
from valliance.staff.roles import FINANCE, role_required
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

staff_bp = Blueprint("settlement_staff", __name__, url_prefix="/staff/settlement",
                     template_folder="templates")


@staff_bp.context_processor
def _staff_helpers() -> dict:
    return {"FLASH": FLASH, "yuan": format_yuan, "tz": SHANGHAI, **wording.HELPERS}


@staff_bp.get("/")
@role_required(FINANCE)
def periods():
    """Every closed period with its alliance-wide figures, and the next month to close."""
    next_period = services.next_to_close(db.session)
    opens = services.period_bounds(next_period)[1] if next_period else None
    return render_template("settlement/staff_periods.html",
                           periods=services.closed_periods(db.session), next_period=next_period,
                           next_opens=opens,
                           next_open=bool(next_period and services.period_over(next_period)))


@staff_bp.get("/<period>")
@role_required(FINANCE)
def period(period: str):
    """One period's statements and what is owed on each."""
    closed = services.closed_period(db.session, period)
    if closed is None:
        abort(404)
    return render_template("settlement/staff_period.html", period=closed,
                           rows=services.period_statements_named(db.session, period),
                           form=PayoutPaidForm())


@staff_bp.get("/<period>/close")
@role_required(FINANCE)
def close_preview(period: str):
    """What closing the period will write, to confirm (or why it cannot close)."""
    try:
        plan = services.preview_close(db.session, period)
    except services.SettlementRefused as refused:
        return render_template("settlement/staff_close.html", period=period, plan=None,
                               refused=refused.message, form=None,
                               closed=services.closed_period(db.session, period)), 422
    names = services.merchant_names(db.session, [s.merchant_id for s in plan.statements])
    form = ClosePeriodForm(cutoff_seq=plan.period.cutoff_seq,
                           coupon_cutoff_id=plan.period.coupon_cutoff_id)
    return render_template("settlement/staff_close.html", period=period, plan=plan,
                           names=names, refused=None, form=form)


@staff_bp.post("/<period>/close")
@role_required(FINANCE)
@transactional
def close(period: str):
    """Close the period the confirmation showed (refused if its figures moved since)."""
    form = ClosePeriodForm()
    if not form.validate_on_submit():  # a note too long: back to the confirmation, saying so
        return _close_refused(form, period)
    on_error(form, lambda: _close_refused(form, period))
    services.close_period(db.session, period, actor=f"staff:{current_staff().id}",
                          reason=form.note.data or "", expect_cutoff=form.cutoff_seq.data,
                          expect_coupon_cutoff=form.coupon_cutoff_id.data, strict=True)
    flash(_("%(period)s 已结算。", period=period), FLASH)
    return redirect(url_for(".period", period=period))


def _close_refused(form: ClosePeriodForm, period: str):
    for message in [*form.form_errors, *form.note.errors, *form.cutoff_seq.errors,
                    *form.coupon_cutoff_id.errors]:
        flash(message, FLASH)
    return redirect(url_for(".close_preview", period=period))


@staff_bp.get("/verify")
@role_required(FINANCE)
def verify():
    """Every closed period reconciled with the ledger (the same check as `flask settlement
    verify`): what holds, and what does not."""
    report = services.reconcile(reading_session())
    failing: dict[str, list[str]] = {}
    for failure in report.failures:
        name, _sep, what = failure.partition(": ")
        failing.setdefault(name, []).append(what)
    return render_template("settlement/staff_verify.html", report=report, failing=failing,
                           periods=services.closed_periods(db.session))


@staff_bp.get("/<period>.csv")
@role_required(FINANCE)
def period_csv(period: str):
    """Every statement of a closed period, one row each, fen and yuan."""
    closed = services.closed_period(db.session, period)
    if closed is None:
        abort(404)
    return csv_files.csv_response(
        closed, services.period_statements_named(db.session, period),
        f"statements-{period}.csv", yuan=True)


@staff_bp.get("/statements/<statement_id>.csv")
@role_required(FINANCE)
def statement_csv(statement_id: str):
    """One statement of any merchant, fen and yuan."""
    statement, name = services.statement_named(db.session, statement_id)
    closed = services.closed_period(db.session, statement.period)
    return csv_files.csv_response(closed, [(statement, name)],
                                  f"statement-{statement.period}-{statement_id}.csv", yuan=True)


@staff_bp.post("/payouts/<settlement_id>/paid")
@role_required(FINANCE)
@transactional
def payout_paid(settlement_id: str):
    """Mark a payout paid with the bank transfer's reference."""
    form = PayoutPaidForm()
    if not form.validate_on_submit():
        abort(400)
    services.payout_of(db.session, settlement_id)  # a 404, never a message on the form
    on_error(form, lambda: _refused(form))
    payout = services.mark_payout_paid(db.session, settlement_id, form.reference.data,
                                       actor=f"staff:{current_staff().id}")
    flash(_("已标记为已付。"), FLASH)
    return redirect(url_for(".period", period=payout.statement.period))


def _refused(form: PayoutPaidForm):
    """Say why the payout could not be marked paid, back on the periods page."""
    for message in [*form.form_errors, *form.reference.errors]:
        flash(message, FLASH)
    return redirect(url_for(".periods"))
