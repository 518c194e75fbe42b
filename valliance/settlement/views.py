"""The merchant portal's settlement pages (`bp`): the merchant's monthly statements — list,
printable page, CSV and paying what is owed (owners). The staff's are in staff_views."""

from flask import Blueprint, abort, render_template, request, url_for

from valliance.db import SHANGHAI
from valliance.extensions import db, select_locale
from valliance.i18n import bilingual
from valliance.merchants.views import portal
from valliance.merchants.views.portal import current_merchant, owner_required
from valliance.payments import stripe_client
from valliance.payments.checkout import CHECKOUT_CSP, redirect_to_checkout
from valliance.settlement import services, wording
from valliance.settlement import statement_csv as csv_files
from valliance.web.forms import ConfirmForm

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
    return csv_files.csv_response(closed, [(found, current_merchant().name)],
                                  f"statement-{found.period}.csv")
