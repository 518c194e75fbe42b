"""Refunds (contract §5): one function refunds a purchase, for the POS API, the merchant
portal and the demo; the portal's form refunds once, whatever the browser does."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance import metrics, points
from valliance.audit import record_event
from valliance.coupons.redeeming import restore_after_refund, take_back_share
from valliance.coupons.rules import void_for_refund
from valliance.db import utcnow
from valliance.errors import NotFound, RefundExceedsPurchase, ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members.models import Card
from valliance.merchants import pricing
from valliance.merchants.models import Merchant, Purchase, Refund
from valliance.merchants.services import birthday_points
from valliance.merchants.services.purchases import key_scope
from valliance.merchants.signals import purchase_refunded
from valliance.money import format_yuan

__all__ = ["refund_once", "refund_purchase"]


def _refund_exceeds(remaining: int) -> RefundExceedsPurchase:
    """The refused refund, saying in yuan what can still be refunded (people read it)."""
    if remaining == 0:
        limit = bilingual("已全部退款，没有可退金额")
        refused = bilingual("退款超过剩余金额，已全部退款，没有可退金额")
    else:
        left = format_yuan(remaining)
        limit = bilingual("最多可退 %(left)s", left=left)
        refused = bilingual("退款超过剩余金额，最多可退 %(left)s", left=left)
    return RefundExceedsPurchase(refused, details={"amount": [limit]})


def refund_purchase(session: Session, merchant: Merchant, purchase_id: str,
                    amount: int | None, *, at: datetime | None = None) -> Refund:
    """Refund part or all of a purchase with the cumulative rounding rule of §5.

    at: when the refund happened, for a history recorded afterwards (the demo); default now.
    """
    at = at or utcnow()
    purchase = session.scalar(select(Purchase).where(Purchase.id == purchase_id)
                              .with_for_update())
    if purchase is None or purchase.merchant_id != merchant.id:
        raise NotFound()
    remaining = purchase.amount - purchase.refunded_amount
    amount = remaining if amount is None else amount
    if amount > remaining or remaining == 0:
        raise _refund_exceeds(remaining)
    before = purchase.refunded_amount
    cash = pricing.refund_share(purchase.payable, before, amount, purchase.amount)
    reversed_points = pricing.refund_share(purchase.points_earned, before, amount,
                                           purchase.amount)
    returned = pricing.refund_share(purchase.redeem_points, before, amount, purchase.amount)
    member = session.get(Card, purchase.card_id).member
    balance = points.get_balance(session, member.points_account_id).balance
    if reversed_points:
        balance = points.reverse(session, purchase.accrual_transfer_id, reversed_points,
                                 now=at).balance
    if returned:
        balance = points.reverse(session, purchase.redemption_transfer_id, returned,
                                 now=at).balance
    extra = birthday_points.take_back(session, purchase.id, before, amount, purchase.amount,
                                      at)
    balance = balance if extra is None else extra
    purchase.refunded_amount = before + amount
    if purchase.coupon_code:
        # the alliance takes back its share of an alliance-wide coupon with every refund
        take_back_share(session, code=purchase.coupon_code, purchase_id=purchase.id,
                        merchant_id=purchase.merchant_id, now=at, share=pricing.refund_share(
                            purchase.coupon_value, before, amount, purchase.amount))
        if purchase.refunded_amount == purchase.amount:
            # The refund that completes the purchase gives the coupon back while it is still
            # valid (contract §11); a partial refund never does.
            restore_after_refund(session, code=purchase.coupon_code, purchase_id=purchase.id,
                                 now=at)
    if purchase.refunded_amount == purchase.amount:
        void_for_refund(session, purchase.id)  # the 满就送 coupons it earned, still unused
    refund = Refund(id=new_id("ref"), purchase_id=purchase.id, amount=amount, cash_refund=cash,
                    points_reversed=reversed_points, points_returned=returned,
                    points_balance=balance, created_at=at)
    session.add(refund)
    points.count_spend(session, member.id, -cash, at=at)
    metrics.REFUNDS.inc()
    session.flush()
    purchase_refunded.send(session, purchase=purchase, refund=refund, at=at)
    if purchase_refunded.receivers:  # a listener may have moved points (a referral clawback)
        refund.points_balance = points.get_balance(session, member.points_account_id).balance
        session.flush()
    return refund


def refund_once(session: Session, merchant: Merchant, purchase_id: str, amount: int | None,
                *, token: str, actor: str) -> Refund | None:
    """Refund `amount` (None: all that is left) unless this form's token did already; the
    refund, or None for a repeat. The token is claimed in the refund's own transaction."""
    if amount is not None and amount <= 0:
        raise ValidationError(details={"amount": [bilingual("退款金额须大于0")]})
    claim = points.claim_key(session, key_scope(merchant.id), f"portal-refund:{token}",
                             points.request_fingerprint("POST", f"portal-refund/{purchase_id}",
                                                        {"amount": amount}))
    if claim.replay:
        return None
    refund = refund_purchase(session, merchant, purchase_id, amount)
    record_event(session, actor=actor, action="purchase.refund", subject=purchase_id,
                 merchant_id=merchant.id, refund_id=refund.id, amount=refund.amount,
                 cash_refund=refund.cash_refund)
    points.store_response(session, claim, 201, {"refund_id": refund.id})
    return refund
