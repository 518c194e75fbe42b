"""Money owed on statements: payouts staff mark paid, collections merchants pay through Stripe."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound
from valliance.i18n import bilingual
from valliance.payments import services as payments
from valliance.settlement.models import Settlement
from valliance.settlement.services.periods import SettlementRefused
from valliance.settlement.services.statements import statement_of


def payout_of(session: Session, settlement_id: str) -> Settlement:
    """A payout the alliance owes or paid (404 for anything else)."""
    payout = session.get(Settlement, settlement_id)
    if payout is None or payout.direction != "payout":
        raise NotFound()
    return payout


def mark_payout_paid(session: Session, settlement_id: str, reference: str, *,
                     actor: str) -> Settlement:
    """Record that the alliance paid a merchant what a statement owed it (once)."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 255:
        raise SettlementRefused(bilingual("请填写付款参考号"),
                                details={"reference": ["1–255 characters"]})
    payout = session.scalar(select(Settlement).where(Settlement.id == settlement_id)
                            .with_for_update())
    if payout is None or payout.direction != "payout":
        raise NotFound()
    if payout.status == "paid":
        if payout.reference == reference:
            return payout  # the same form sent twice
        raise SettlementRefused(bilingual(
            "已于此前标记为已付（%(reference)s）",
            reference=payout.reference,
        ))
    payout.status, payout.reference, payout.paid_by, payout.paid_at = (
        "paid", reference, actor, utcnow())
    record_event(session, actor=actor, action="payout.paid", subject=payout.id,
                 merchant_id=payout.merchant_id, statement=payout.statement_id,
                 amount_fen=payout.amount_fen, reference=reference)
    session.flush()
    return payout


def collection_due(session: Session, merchant_id: str, statement_id: str) -> Settlement:
    """What this merchant still owes on its statement (404 otherwise: paid, or not owed)."""
    found = statement_of(session, merchant_id, statement_id)
    due = found.settlement
    if due is None or due.direction != "collect" or due.status != "due":
        raise NotFound()
    return due


def record_statement_checkout(session: Session, settlement_id: str, checkout_id: str) -> None:
    """Remember the Checkout Session opened for paying a statement."""
    due = session.get(Settlement, settlement_id)
    if due is not None and due.status == "due":
        due.stripe_checkout_session_id = checkout_id
        session.flush()


#: what applying a Stripe event to a statement did (the webhook stores it with the event)
PAID, ALREADY_PAID, WRONG_AMOUNT = "applied", "already_applied", "mismatch"


def pay_collection_from_stripe(session: Session, settlement_id: str, *, amount, currency,
                               reference: str | None) -> str | None:
    """Mark a statement's collection paid from a verified Stripe event (once).

    None when no collection has this id; WRONG_AMOUNT (nothing changes) when the event's
    money is not exactly what the statement says.
    """
    due = session.scalar(select(Settlement).where(Settlement.id == settlement_id)
                         .with_for_update())
    if due is None or due.direction != "collect":
        return None
    if due.status == "paid":
        return ALREADY_PAID
    if type(amount) is not int or amount != due.amount_fen or currency != "cny":
        return WRONG_AMOUNT
    due.status, due.reference, due.paid_by, due.paid_at = (
        "paid", reference or "stripe", "stripe", utcnow())
    record_event(session, actor="stripe", action="collection.paid", subject=due.id,
                 merchant_id=due.merchant_id, statement=due.statement_id,
                 amount_fen=due.amount_fen, reference=due.reference)
    session.flush()
    return PAID


def apply_stripe_checkout(session: Session, *, metadata: dict, paid: bool, amount, currency,
                          reference: str | None) -> str | None:
    """Pay the collection a completed Checkout Session names (payments' checkout_completed).

    None when the session is not a statement's (it is then a member's payment).
    """
    settlement_id = metadata.get("settlement_id")
    if not settlement_id:
        return None
    if not paid:
        return payments.AWAITING_PAYMENT
    result = pay_collection_from_stripe(session, str(settlement_id), amount=amount,
                                        currency=currency, reference=reference)
    return payments.UNKNOWN_PAYMENT if result is None else result
