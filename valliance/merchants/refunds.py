"""Refunds made in the merchant portal: once per form, whatever the browser does."""

from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.errors import ValidationError
from valliance.merchants import pos
from valliance.merchants.models import Merchant, Refund
from valliance.points.idempotency import claim_key, request_fingerprint, store_response


def refund_once(session: Session, merchant: Merchant, purchase_id: str, amount: int | None,
                *, token: str, actor: str) -> Refund | None:
    """Refund `amount` (None: all that is left) unless this form's token did already; the
    refund, or None for a repeat. The token is claimed in the refund's own transaction."""
    if amount is not None and amount <= 0:
        raise ValidationError(details={"amount": ["退款金额须大于0 / More than zero"]})
    claim = claim_key(session, f"merchant:{merchant.id}", f"portal-refund:{token}",
                      request_fingerprint("POST", f"portal-refund/{purchase_id}",
                                          {"amount": amount}))
    if claim.replay:
        return None
    refund = pos.refund_purchase(session, merchant, purchase_id, amount)
    record_event(session, actor=actor, action="purchase.refund", subject=purchase_id,
                 merchant_id=merchant.id, refund_id=refund.id, amount=refund.amount,
                 cash_refund=refund.cash_refund)
    store_response(session, claim, 201, {"refund_id": refund.id})
    return refund
