"""Member payment pages under /me/pay: pay a bill or the VIP fee, follow it, print a receipt.

The payment is recorded and committed first; Stripe is asked for a Checkout Session only
after that commit (no transaction stays open during the call), and the session's id is
recorded by a second, separate transaction. Points come only from the verified webhook, so
the page a member returns to says "processing" until Stripe's event has been applied.
"""

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from valliance.db import SHANGHAI
from valliance.extensions import db, select_locale
from valliance.i18n import N_, label_text
from valliance.members.auth import member_required
from valliance.money import format_yuan
from valliance.payments import services, stripe_client
from valliance.payments.checkout import CHECKOUT_CSP, redirect_to_checkout
from valliance.payments.forms import PaymentForm
from valliance.payments.models import Payment
from valliance.payments.services import bill_points
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__, url_prefix="/me/pay", template_folder="templates",
               static_folder="static", static_url_path="/static")

KIND_LABELS = {
    "bill": (N_("话费缴纳"), "Telecom bill"),
    "vip_fee": (N_("VIP年费"), "VIP annual fee"),
}
STATUS_LABELS = {
    "created": (N_("待支付"), "Not paid yet"),
    "pending": (N_("处理中"), "Processing"),
    "succeeded": (N_("已支付"), "Paid"),
    "failed": (N_("支付失败"), "Failed"),
    "refunded": (N_("已退款"), "Refunded"),
    "partially_refunded": (N_("部分退款"), "Partly refunded"),
}
NOTE_LABELS = {
    "expired": (N_("支付页面已过期"), "The payment page expired"),
    "card_declined": (N_("银行卡被拒绝"), "The card was declined"),
    "membership_frozen": (N_("会员资格冻结期间不累计积分"),
                          "No points while the membership is frozen"),
    "points_unavailable": (N_("积分已释放且不足，未能抵扣"),
                           "The points were released and are no longer there"),
    "payment_failed": (N_("支付未成功"), "The payment failed"),
}

#: where a payment's points stand (the ledger's hold)
HOLD_LABELS = {
    "pending": (N_("积分已冻结，支付成功后扣除"), "Points held until the payment succeeds"),
    "captured": (N_("积分已扣除"), "Points spent"),
    "released": (N_("积分已退回"), "Points given back"),
}


@bp.context_processor
def _helpers() -> dict:
    return {"FLASH": FLASH, "yuan": format_yuan, "tz": SHANGHAI,
            "configured": stripe_client.configured(),
            "kind_label": lambda k: label_text(KIND_LABELS.get(k, (k, k))),
            "payment_status": lambda s: label_text(STATUS_LABELS.get(s, (s, s))),
            "note_label": lambda n: label_text(NOTE_LABELS.get(n, (n, n)))}


@bp.after_request
def _allow_checkout(response):
    if request.endpoint != "payments.static":
        response.headers["Content-Security-Policy"] = CHECKOUT_CSP
        response.headers["Cache-Control"] = "private, no-store"  # a member's own payments
    return response


def _own_payment(payment_id: str) -> Payment:
    payment = services.member_payment(db.session, current_user.member.id, payment_id)
    if payment is None:
        abort(404)
    return payment


def _checkout(payment: Payment):
    """Send the member to Stripe's Checkout page for this (committed) payment."""
    params = stripe_client.checkout_params(
        payment_id=payment.id, member_id=payment.member_id, amount=payment.card_amount,
        currency=payment.currency, description=f"V卡联盟 {' / '.join(KIND_LABELS[payment.kind])}",
        expires_at=(bill_points.checkout_expires_at(payment) if payment.points_redeemed
                    else None),
        success_url=url_for("payments.detail", payment_id=payment.id, checkout="done",
                            _external=True),
        cancel_url=url_for("payments.detail", payment_id=payment.id, checkout="cancelled",
                           _external=True),
        locale=select_locale())
    payment_id = payment.id
    return redirect_to_checkout(
        params, lambda session_id: services.record_checkout(db.session, payment_id, session_id),
        url_for("payments.detail", payment_id=payment_id))


@bp.route("/", methods=["GET", "POST"])
@member_required
@transactional
def index():
    """The payment form (bill or VIP fee) and the member's payments."""
    form = PaymentForm()
    page = on_error(form, lambda: _index_page(form))
    if stripe_client.configured() and form.validate_on_submit():
        member = current_user.member
        points = form.points_count
        if form.kind.data == "bill" and form.use_max_points.data and form.amount_fen:
            points = services.most_points(db.session, member, form.amount_fen)
        payment = services.start_payment(db.session, member, form.kind.data, form.amount_fen,
                                         points if form.kind.data == "bill" else 0)
        return _checkout(payment)  # commits the payment before Stripe is asked
    return page()


def _index_page(form: PaymentForm):
    status = 200 if request.method == "GET" or stripe_client.configured() else 503
    available, share = services.points_offer(db.session, current_user.member)
    return render_template("payments/index.html", form=form,
                           points_available=available, points_share=share,
                           point_value_fen=current_app.config["POINT_VALUE_FEN"],
                           payments=services.payments_of(db.session, current_user.member.id),
                           vip_fee=current_app.config["VIP_FEE_FEN"],
                           min_fen=services.BILL_MIN_FEN,
                           max_fen=services.BILL_MAX_FEN), status


@bp.get("/<payment_id>")
@member_required
def detail(payment_id: str):
    """One payment: status, amount, points; "processing" until Stripe's event is applied."""
    payment = _own_payment(payment_id)
    state = services.points_state(db.session, payment)
    return render_template("payments/detail.html", payment=payment, form=ConfirmForm(),
                           returned=request.args.get("checkout"),
                           points_state=label_text(HOLD_LABELS[state]) if state else None)


@bp.post("/<payment_id>/checkout")
@member_required
def checkout(payment_id: str):
    """Go (back) to Stripe's page for a payment that has not been paid yet."""
    payment = _own_payment(payment_id)
    if payment.status not in ("created", "pending") or not stripe_client.configured():
        return redirect(url_for("payments.detail", payment_id=payment.id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _checkout(payment)


@bp.get("/<payment_id>/receipt")
@member_required
def receipt(payment_id: str):
    """A printable receipt for a paid payment."""
    payment = _own_payment(payment_id)
    if not payment.paid:
        return redirect(url_for("payments.detail", payment_id=payment.id))
    return render_template("payments/receipt.html", payment=payment,
                           member=current_user.member)
