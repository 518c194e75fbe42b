"""Settlement pages. Merchant portal (`bp`): the merchant's monthly statements — list,
printable page, CSV and paying what is owed (owners). Staff (`staff_bp`): closed periods,
their statements, and marking payouts paid."""

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from valliance.csv_cells import text_cell
from valliance.db import SHANGHAI
from valliance.extensions import db, select_locale
from valliance.i18n import _, bilingual
from valliance.merchants.views import portal
from valliance.merchants.views.portal import current_merchant, owner_required
from valliance.money import format_yuan
from valliance.payments import stripe_client
from valliance.payments.checkout import CHECKOUT_CSP, redirect_to_checkout
from valliance.settlement import services, wording
from valliance.settlement.forms import PayoutPaidForm
from valliance.staff.auth import current_staff
from valliance.staff.roles import FINANCE, role_required
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

bp = Blueprint("settlement", __name__, url_prefix="/merchant/statements",
               template_folder="templates", static_folder="static",
               static_url_path="/static")
# The portal layout's helpers (tr, yuan, role_label, FLASH…), so these pages share it.
bp.context_processor(portal._helpers)
bp.context_processor(lambda: wording.HELPERS)


@bp.after_request
def _allow_checkout(response):
    if request.endpoint in ("settlement.statement", "settlement.pay"):
        # the pay button leads (through our 303) to Stripe's Checkout
        response.headers["Content-Security-Policy"] = CHECKOUT_CSP
    return response


CSV_HEADER = ["期间 Period", "商户 Merchant", "账单号 Statement", "起始序号(不含) From seq",
              "截止序号 To seq", "发放积分 Points issued", "每分成本(分) Cost per point (fen)",
              "应付联盟(分) Owed by merchant (fen)", "兑换积分 Points redeemed",
              "每分补偿(分) Reimbursement per point (fen)", "联盟应付(分) Owed to merchant (fen)",
              "净额(分) Net (fen, + merchant pays)", "状态 Status", "付款参考 Reference"]


@bp.get("/")
@owner_required
def statements():
    """The merchant's statements, newest month first."""
    rows = services.statements_of(db.session, current_merchant().id)
    return render_template("settlement/statements.html", rows=rows)


@bp.get("/<statement_id>")
@owner_required
def statement(statement_id: str):
    """One statement, laid out to print."""
    found = services.statement_of(db.session, current_merchant().id, statement_id)
    closed = services.closed_period(db.session, found.period)
    return render_template("settlement/statement.html", s=found, period=closed,
                           merchant=current_merchant(), tz=SHANGHAI, form=ConfirmForm(),
                           can_pay=stripe_client.configured(),
                           paid_now=request.args.get("checkout") == "done")


@bp.post("/<statement_id>/pay")
@owner_required
def pay(statement_id: str):
    """Pay what the statement says the merchant owes, through Stripe's Checkout."""
    due = services.collection_due(db.session, current_merchant().id, statement_id)
    if not ConfirmForm().validate_on_submit() or not stripe_client.configured():
        abort(400)
    params = stripe_client.statement_checkout_params(
        settlement_id=due.id, merchant_id=due.merchant_id, amount=due.amount_fen,
        description=bilingual("V卡联盟结算单 %(period)s", period=due.statement.period),
        success_url=url_for("settlement.statement", statement_id=statement_id,
                            checkout="done", _external=True),
        cancel_url=url_for("settlement.statement", statement_id=statement_id, _external=True),
        locale=select_locale())
    settlement_id = due.id
    return redirect_to_checkout(
        params, lambda session_id: services.record_statement_checkout(
            db.session, settlement_id, session_id),
        url_for("settlement.statement", statement_id=statement_id))


@bp.get("/<statement_id>.csv")
@owner_required
def statement_csv(statement_id: str):
    """One statement as CSV (UTF-8 with a BOM, so that Excel reads the Chinese)."""
    found = services.statement_of(db.session, current_merchant().id, statement_id)
    closed = services.closed_period(db.session, found.period)
    due = found.settlement
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerow([found.period, text_cell(current_merchant().name), found.id, closed.lower_seq,
                     closed.cutoff_seq, found.points_issued, closed.cost_per_point_fen,
                     found.cost_fen, found.points_redeemed, closed.reimburse_per_point_fen,
                     found.reimbursement_fen, found.net_fen,
                     due.status if due else "settled",
                     text_cell(due.reference or "") if due else ""])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=statement-{found.period}.csv"})


# --- staff: closed periods, each period's statements, marking payouts paid -------------------

staff_bp = Blueprint("settlement_staff", __name__, url_prefix="/staff/settlement",
                     template_folder="templates")


@staff_bp.context_processor
def _staff_helpers() -> dict:
    return {"FLASH": FLASH, "yuan": format_yuan, "tz": SHANGHAI, **wording.HELPERS}


@staff_bp.get("/")
@role_required(FINANCE)
def periods():
    """Every closed period with its alliance-wide figures."""
    return render_template("settlement/staff_periods.html",
                           periods=services.closed_periods(db.session))


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
