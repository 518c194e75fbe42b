"""Stripe's webhook events: each is stored once for audit and applied at most once.

The event's row is inserted with ON CONFLICT DO NOTHING on Stripe's event id, in the same
transaction as what the event changes. A redelivery finds the row and only counts itself; two
deliveries racing each other serialize on the unique key (the second waits for the first's
commit, then finds its row). What an event changes is decided under the payment's row lock,
so two different events about one payment apply once too (see member_payments).
"""

import json
import logging
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from valliance.db import insert_ignoring_conflict, utcnow
from valliance.payments import signals
from valliance.payments.models import PAID_STATUSES, Payment, StripeEvent
from valliance.payments.services import member_payments

log = logging.getLogger(__name__)
events_table = StripeEvent.__table__

DUPLICATE = "duplicate"
IGNORED = "ignored"
UNKNOWN_PAYMENT = "unknown_payment"
AWAITING_PAYMENT = "awaiting_payment"


def _get(obj, *path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _created(event: dict) -> datetime | None:
    created = event.get("created")
    if isinstance(created, int) and not isinstance(created, bool):
        return datetime.fromtimestamp(created, UTC)
    return None


def receive_event(session: Session, event: dict, payload: str) -> str:
    """Store a verified event and apply it unless it was seen before; what handling did."""
    conn = session.connection()
    obj = _get(event, "data", "object")
    obj = obj if isinstance(obj, dict) else {}
    stored = insert_ignoring_conflict(conn, events_table, {
        "id": event["id"], "type": event["type"], "stripe_created_at": _created(event),
        "received_at": utcnow(), "deliveries": 1, "result": "received", "payload": payload,
        "payment_intent_id": _intent_of(event["type"], obj),
    }, ["id"], returning=events_table.c.id)
    if stored is None:
        conn.execute(update(events_table).where(events_table.c.id == event["id"])
                     .values(deliveries=events_table.c.deliveries + 1))
        return DUPLICATE
    payment, result = _apply(session, event["type"], obj)
    _record_result(session, event["id"], payment, result)
    if payment is not None and payment.paid and payment.stripe_payment_intent_id:
        _apply_waiting_refunds(session, payment)
    return result


def _record_result(session: Session, event_id: str, payment, result: str) -> None:
    values = {"result": result, "payment_id": payment.id if payment else None}
    if result == member_payments.APPLIED:
        values["applied_at"] = utcnow()
    elif result == member_payments.MISMATCH:
        log.warning("Stripe event %s does not match payment %s", event_id, values["payment_id"])
    session.execute(update(events_table).where(events_table.c.id == event_id).values(**values))


def _apply_waiting_refunds(session: Session, payment) -> None:
    """Apply refunds that arrived before anything tied their PaymentIntent to this payment."""
    waiting = session.execute(
        select(events_table.c.id, events_table.c.payload).where(
            events_table.c.payment_intent_id == payment.stripe_payment_intent_id,
            events_table.c.type == "charge.refunded",
            events_table.c.result == UNKNOWN_PAYMENT)
        .order_by(events_table.c.received_at)).all()
    for event_id, payload in waiting:
        charge = _get(json.loads(payload), "data", "object") or {}
        _record_result(session, event_id, payment, _ChargeRefunded.apply(session, payment, charge))


def _intent_of(event_type: str, obj: dict) -> str | None:
    if event_type.startswith("payment_intent."):
        return obj.get("id")
    return _intent_id(obj)


# --- what each event type means ----------------------------------------------------------


def _apply(session: Session, event_type: str, obj: dict) -> tuple[Payment | None, str]:
    if event_type in _CHECKOUT_PAID:
        claimed = _claimed_above(session, event_type, obj)
        if claimed is not None:
            return None, claimed
    handler = _HANDLERS.get(event_type)
    if handler is None:
        return None, IGNORED
    payment = handler.find(session, obj)
    if payment is None:
        return None, UNKNOWN_PAYMENT
    return payment, handler.apply(session, payment, obj)


#: a Checkout Session paid (or completed): a member's payment, or something a package above
#: payments opened it for (a merchant's monthly statement)
_CHECKOUT_PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def _claimed_above(session: Session, event_type: str, obj: dict) -> str | None:
    """What the package that opened this Checkout did with it; None when none claims it."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return None
    paid = event_type != "checkout.session.completed" or obj.get("payment_status") == "paid"
    for _receiver, result in signals.checkout_completed.send(
            session, metadata=metadata, paid=paid, amount=obj.get("amount_total"),
            currency=obj.get("currency"), reference=_intent_id(obj) or obj.get("id")):
        if result is not None:
            return result
    return None


class _CheckoutSession:
    @staticmethod
    def find(session, obj):
        return member_payments.find_payment(
            session, payment_id=_get(obj, "metadata", "payment_id") or obj.get(
                "client_reference_id"),
            payment_intent_id=_intent_id(obj), checkout_session_id=obj.get("id"))


def _intent_id(obj: dict) -> str | None:
    intent = obj.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    return intent if isinstance(intent, str) else None


class _SessionCompleted(_CheckoutSession):
    @staticmethod
    def apply(session, payment, obj):
        if obj.get("payment_status") != "paid":
            # A delayed method: checkout.session.async_payment_succeeded/failed follows.
            return AWAITING_PAYMENT
        return _SessionPaid.apply(session, payment, obj)


class _SessionPaid(_CheckoutSession):
    @staticmethod
    def apply(session, payment, obj):
        return member_payments.succeed_payment(
            session, payment, amount=obj.get("amount_total"), currency=obj.get("currency"),
            payment_intent_id=_intent_id(obj), checkout_session_id=obj.get("id"))


class _SessionFailed(_CheckoutSession):
    reason = "async_payment_failed"

    @classmethod
    def apply(cls, session, payment, obj):
        return member_payments.fail_payment(session, payment, cls.reason, _intent_id(obj))


class _SessionExpired(_SessionFailed):
    reason = "expired"


class _PaymentIntent:
    @staticmethod
    def find(session, obj):
        return member_payments.find_payment(session, payment_id=_get(obj, "metadata", "payment_id"),
                                     payment_intent_id=obj.get("id"))


class _IntentSucceeded(_PaymentIntent):
    @staticmethod
    def apply(session, payment, obj):
        received = obj.get("amount_received")
        return member_payments.succeed_payment(
            session, payment, amount=received if received else obj.get("amount"),
            currency=obj.get("currency"), payment_intent_id=obj.get("id"))


class _IntentFailed(_PaymentIntent):
    @staticmethod
    def apply(session, payment, obj):
        reason = _get(obj, "last_payment_error", "code") or "payment_failed"
        return member_payments.fail_payment(session, payment, str(reason), obj.get("id"))


class _ChargeRefunded:
    @staticmethod
    def find(session, obj):
        return member_payments.find_payment(session, payment_id=_get(obj, "metadata", "payment_id"),
                                     payment_intent_id=_intent_id(obj))

    @staticmethod
    def apply(session, payment, obj):
        intent = _intent_id(obj)
        if payment.stripe_payment_intent_id and intent not in (None,
                                                               payment.stripe_payment_intent_id):
            return member_payments.MISMATCH  # another charge's refund must not reverse these points
        if payment.status not in PAID_STATUSES:
            # Stripe refunds only money it took: the success event is late, so apply it now.
            if not (obj.get("paid") or obj.get("status") == "succeeded"):
                return member_payments.MISMATCH
            result = member_payments.succeed_payment(
                session, payment, amount=obj.get("amount"), currency=obj.get("currency"),
                payment_intent_id=_intent_id(obj))
            if result == member_payments.MISMATCH:
                return result
        elif obj.get("amount") != payment.card_amount:
            return member_payments.MISMATCH
        refunded = obj.get("amount_refunded")
        if not isinstance(refunded, int) or isinstance(refunded, bool):
            return member_payments.MISMATCH
        return member_payments.refund_payment(session, payment, refunded)


_HANDLERS = {
    "checkout.session.completed": _SessionCompleted,
    "checkout.session.async_payment_succeeded": _SessionPaid,
    "checkout.session.async_payment_failed": _SessionFailed,
    "checkout.session.expired": _SessionExpired,
    "payment_intent.succeeded": _IntentSucceeded,
    "payment_intent.payment_failed": _IntentFailed,
    "charge.refunded": _ChargeRefunded,
}
#: the event types Valliance acts on (the webhook endpoint in Stripe's dashboard needs these)
HANDLED_TYPES = tuple(_HANDLERS)
