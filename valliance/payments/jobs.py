"""Payments' jobs: give back points held for payments that no Stripe event settled.

Stripe's Checkout for a payment with points expires half an hour before its hold, and the
checkout.session.expired event releases the points. If that event never arrives (a webhook
outage, a Checkout never opened because Stripe was unreachable), this job releases every
hold past its expiry and marks its payment failed, as the event would have.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from valliance import jobs
from valliance import points as ledger
from valliance.db import utcnow
from valliance.i18n import N_
from valliance.payments.services import member_payments

#: the payment note (and the hold's reason) for a hold the job let go
HOLD_EXPIRED = "expired"


def release_expired_holds(session: Session, now: datetime | None = None) -> dict:
    """Release the points of every hold past its expiry; the job's result counts them."""
    now = now or utcnow()
    released = points = 0
    for hold_id, reference in ledger.expired_holds(session, now=now):
        kind, _, payment_id = reference.partition(":")
        # the payment's lock first, then the hold's: the webhook's order (no deadlock)
        payment = member_payments.lock_payment(session, payment_id) if kind == "payment" else None
        if payment is not None and payment.paid:
            continue  # the success event captured it under this same lock
        if payment is not None:
            member_payments.fail_payment(session, payment, HOLD_EXPIRED)  # releases it
        if ledger.release(session, hold_id, reason=HOLD_EXPIRED, now=now).changed or (
                payment is not None):
            found = ledger.find_hold(session, reference)
            if found.status == ledger.RELEASED:
                released, points = released + 1, points + found.points
    session.flush()
    return {"released": released, "points": points}


def register_jobs() -> None:
    jobs.register("payments.release_holds", release_expired_holds,
                  label=N_("释放过期的积分冻结"), every_minutes=10)
