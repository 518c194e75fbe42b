"""Payments' verbs: members' payments (start, then fulfil, fail or refund as Stripe says) and
Stripe's webhook events (stored once, applied at most once). Callers use this package."""

from valliance.payments.services.bill_points import (
    most_points,
    points_cap,
    points_offer,
    points_state,
)
from valliance.payments.services.member_payments import (
    ALREADY,
    APPLIED,
    BILL_MAX_FEN,
    BILL_MIN_FEN,
    CURRENCY,
    MISMATCH,
    OPEN_STATUSES,
    STALE,
    fail_payment,
    find_payment,
    lock_payment,
    member_payment,
    payment_amount,
    payments_of,
    points_for,
    record_checkout,
    refund_payment,
    start_payment,
    succeed_payment,
)
from valliance.payments.services.stripe_events import (
    AWAITING_PAYMENT,
    DUPLICATE,
    HANDLED_TYPES,
    IGNORED,
    UNKNOWN_PAYMENT,
    receive_event,
)

__all__ = [
    "ALREADY", "APPLIED", "AWAITING_PAYMENT", "BILL_MAX_FEN", "BILL_MIN_FEN", "CURRENCY",
    "DUPLICATE", "HANDLED_TYPES", "IGNORED", "MISMATCH", "OPEN_STATUSES", "STALE",
    "UNKNOWN_PAYMENT", "fail_payment", "most_points", "points_cap", "points_offer",
    "points_state", "find_payment", "lock_payment", "member_payment",
    "payment_amount", "payments_of", "points_for", "receive_event", "record_checkout",
    "refund_payment", "start_payment", "succeed_payment",
]
