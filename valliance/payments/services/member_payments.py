"""Member payments: start one, then fulfil, fail or refund it as Stripe's events say.

Points are credited only from a verified webhook, once per payment: every change locks the
payment's row first, and each verb looks at the status it finds under that lock, so two
events that mean the same thing (checkout.session.completed and payment_intent.succeeded,
or two deliveries of one event) apply once whatever their order.

Out-of-order events: Stripe only sends a refund for money it took, so a refund that arrives
before the success first fulfils the payment and then reverses its share; the late success
changes nothing. A refund whose PaymentIntent no event has tied to a payment yet is stored
and applied when the payment succeeds (see stripe_events). A failure after a success is stale and
ignored; a success after a failure is applied (the member tried again, e.g. another card, and
the money did arrive). Refunds carry Stripe's cumulative amount_refunded, so an older refund
event arriving after a newer one is stale too.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance import money
from valliance import points as accounts  # the ledger's public face
from valliance import points as ledger
from valliance.db import utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members.models import Member
from valliance.payments.models import KINDS, PAID_STATUSES, Payment
from valliance.payments.services import bill_points
from valliance.points import ALLIANCE_PAYMENTS

CURRENCY = "cny"
BILL_MIN_FEN = 100  #: ¥1
BILL_MAX_FEN = 1_000_000  #: ¥10,000
#: statuses from which the money can still arrive
OPEN_STATUSES = frozenset({"created", "pending", "failed"})

# What handling an event did, stored on the event row.
APPLIED = "applied"
ALREADY = "already_applied"
STALE = "stale"
MISMATCH = "mismatch"


def payment_amount(kind: str, amount_fen: int | None) -> int:
    """The amount a payment of this kind charges: a bill within ¥1–¥10,000, or the VIP fee."""
    if kind not in KINDS:
        raise ValidationError(details={"kind": [bilingual("请选择缴费项目")]})
    if kind == "vip_fee":
        return current_app.config["VIP_FEE_FEN"]
    if amount_fen is None:
        raise ValidationError(details={"amount": [bilingual("请输入金额")]})
    if not BILL_MIN_FEN <= amount_fen <= BILL_MAX_FEN:
        raise ValidationError(details={"amount": [
            bilingual(
                "金额须在 %(money)s 至 %(money_2)s 之间",
                money=money.format_yuan(BILL_MIN_FEN),
                money_2=money.format_yuan(BILL_MAX_FEN),
            )]})
    return amount_fen


def start_payment(session: Session, member: Member, kind: str, amount_fen: int | None,
                  points: int = 0, *, now: datetime | None = None) -> Payment:
    """Record a payment the member is about to make, holding the points it uses (a bill
    only, within the configured share); Stripe is asked after the commit."""
    now = now or utcnow()
    payment = Payment(id=new_id("pay"), member_id=member.id, kind=kind,
                      amount=payment_amount(kind, amount_fen), currency=CURRENCY,
                      status="created", points_credited=0, points_reversed=0,
                      points_redeemed=0, points_value=0, points_returned=0,
                      refunded_amount=0, created_at=now, updated_at=now)
    session.add(payment)
    session.flush()
    bill_points.hold_points(session, payment, member, points)
    session.flush()
    return payment


def record_checkout(session: Session, payment_id: str, checkout_session_id: str) -> Payment:
    """Remember the Checkout Session Stripe opened for a payment (the member is now there)."""
    payment = lock_payment(session, payment_id)
    if payment.stripe_checkout_session_id != checkout_session_id:
        payment.stripe_checkout_session_id = checkout_session_id
    if payment.status == "created":
        payment.status = "pending"
    session.flush()
    return payment


def payments_of(session: Session, member_id: str, limit: int = 50) -> list[Payment]:
    """A member's payments, newest first."""
    return list(session.scalars(
        select(Payment).where(Payment.member_id == member_id)
        .order_by(Payment.created_at.desc(), Payment.id).limit(limit)))


def member_payment(session: Session, member_id: str, payment_id: str) -> Payment | None:
    """One of this member's payments; another member's is simply not found."""
    payment = session.get(Payment, payment_id)
    return payment if payment is not None and payment.member_id == member_id else None


def lock_payment(session: Session, payment_id: str) -> Payment | None:
    """Read a payment under a row lock, fresh from the database."""
    return session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update()
                          .execution_options(populate_existing=True))


def find_payment(session: Session, *, payment_id: str | None = None,
                 payment_intent_id: str | None = None,
                 checkout_session_id: str | None = None) -> Payment | None:
    """Find and lock the payment an event is about: by our id (metadata), else Stripe's ids."""
    # Ids come from event JSON: anything but a short string names no payment of ours.
    payment_id, payment_intent_id, checkout_session_id = (
        value if isinstance(value, str) and len(value) <= 255 else None
        for value in (payment_id, payment_intent_id, checkout_session_id))
    found_id = None
    if payment_id:
        found_id = session.scalar(select(Payment.id).where(Payment.id == payment_id))
    if found_id is None and payment_intent_id:
        found_id = session.scalar(select(Payment.id).where(
            Payment.stripe_payment_intent_id == payment_intent_id))
    if found_id is None and checkout_session_id:
        found_id = session.scalar(select(Payment.id).where(
            Payment.stripe_checkout_session_id == checkout_session_id))
    return lock_payment(session, found_id) if found_id else None


def points_for(amount_fen: int, points_per_yuan: int) -> int:
    """floor(fen × points per yuan / 100): what a payment earns."""
    return money.points_earned(amount_fen, points_per_yuan, 1)


def _matches(payment: Payment, amount: int | None, currency: str | None) -> bool:
    return (type(amount) is int and amount == payment.card_amount  # never a float or a bool
            and isinstance(currency, str) and currency.lower() == payment.currency)


def _link(payment: Payment, payment_intent_id: str | None,
          checkout_session_id: str | None) -> None:
    if payment_intent_id and not payment.stripe_payment_intent_id:
        payment.stripe_payment_intent_id = payment_intent_id
    if checkout_session_id and not payment.stripe_checkout_session_id:
        payment.stripe_checkout_session_id = checkout_session_id


def succeed_payment(session: Session, payment: Payment, *, amount: int | None,
                    currency: str | None, payment_intent_id: str | None = None,
                    checkout_session_id: str | None = None, now: datetime | None = None) -> str:
    """The money arrived: mark the (locked) payment succeeded and credit its points, once.
    now: when (default the clock; the demo passes its own)."""
    if not _matches(payment, amount, currency):
        return MISMATCH
    _link(payment, payment_intent_id, checkout_session_id)
    if payment.status in PAID_STATUSES:
        session.flush()
        return ALREADY
    now = now or utcnow()
    member = session.get(Member, payment.member_id)
    bill_points.capture_points(session, payment, now)
    # No points are earned on the part paid with points (as at the till, contract §5).
    points = points_for(payment.card_amount, current_app.config["BILL_POINTS_PER_YUAN"])
    if member.points_frozen:
        # Contract §3: while membership is frozen no points are earned; the bill is still paid.
        points, payment.note = 0, "membership_frozen"
    elif payment.status == "failed" and payment.note != bill_points.POINTS_UNAVAILABLE:
        payment.note = None  # the member tried again and this time it went through
    if points:
        source = accounts.system_account(session.connection(), ALLIANCE_PAYMENTS)
        posting = ledger.accrue(session, member_account=member.points_account_id,
                                source_account=source, points=points, kind="payment", now=now)
        payment.accrual_transfer_id = posting.transfer_id
    payment.points_credited = points
    payment.status = "succeeded"
    payment.paid_at = payment.updated_at = now
    session.flush()
    return APPLIED


def fail_payment(session: Session, payment: Payment, reason: str,
                 payment_intent_id: str | None = None, now: datetime | None = None) -> str:
    """The attempt failed: a payment whose money has not arrived shows it; a paid one ignores it."""
    if payment.status in PAID_STATUSES:
        return STALE
    _link(payment, payment_intent_id, None)
    now = now or utcnow()
    released = bill_points.release_points(session, payment, reason, now)
    if payment.status == "failed" and payment.note == reason and not released:
        session.flush()
        return ALREADY
    payment.status, payment.note, payment.updated_at = "failed", reason[:200], now
    session.flush()
    return APPLIED


def refund_payment(session: Session, payment: Payment, amount_refunded: int) -> str:
    """Stripe refunded amount_refunded fen in all so far: reverse that share of the points.

    The share is cumulative, like a POS refund: floor(points × refunded / amount) minus what
    earlier refunds reversed, so the last refund gives back exactly what is left. The ledger's
    reversal never takes a balance below zero (what it cannot take is owed).
    """
    if not 0 < amount_refunded <= payment.card_amount:
        return MISMATCH
    if amount_refunded <= payment.refunded_amount:
        return STALE  # an older refund, or this one again
    if payment.status not in PAID_STATUSES:
        raise RuntimeError("refund_payment needs a paid payment")  # callers succeed it first
    target = money.proportional_floor(payment.points_credited, amount_refunded,
                                      payment.card_amount)
    reversed_now = target - payment.points_reversed
    now = utcnow()
    if reversed_now > 0:
        ledger.reverse(session, payment.accrual_transfer_id, reversed_now, now=now)
    payment.points_reversed = target
    bill_points.return_points(session, payment, amount_refunded, now)
    payment.refunded_amount = amount_refunded
    payment.status = ("refunded" if amount_refunded == payment.card_amount
                      else "partially_refunded")
    payment.refunded_at = payment.updated_at = now
    session.flush()
    return APPLIED
