"""The demo's 积分抵话费: members who paid part of a telecom bill with points, through the
payments services as the pages and Stripe's events would (the Checkout itself is skipped):
bills paid (points captured), one still at Stripe's page (points held), one whose Checkout
expired (points given back)."""

from datetime import datetime

from sqlalchemy import select

from valliance import points
from valliance.demo.clock import moments_after_last_posting
from valliance.members.models import Member
from valliance.payments import services as payments
from valliance.payments.models import Payment

#: (bill in fen, share of the most points allowed in percent, what happened); the demo's
#: logins come first, so each of them shows one of the states
BILLS = (
    (12_850, 60, "paid"), (7_650, 50, "held"), (23_600, 80, "paid"), (15_000, 100, "expired"),
    (9_900, 60, "paid"), (5_800, 50, "paid"), (16_800, 100, "paid"),
)


def seed_bill_points(session, members: list[Member], now: datetime,
                     first: frozenset[str] = frozenset()) -> int:
    """Once (when no payment used points yet): the bills above, each by the next member with
    points to spend (the phones in `first` before the others); the payments made."""
    if session.scalar(select(Payment.id).where(Payment.points_redeemed > 0).limit(1)):
        return 0
    payers = sorted((m for m in members if not m.points_frozen
                     and points.get_balance(session, m.points_account_id).available >= 1000),
                    key=lambda m: m.phone not in first)
    made = 0
    moments = moments_after_last_posting(session, now)  # the ledger's ids grow with its dates
    for (amount, share, outcome), member in zip(BILLS, payers, strict=False):
        most = payments.most_points(session, member, amount)
        at = next(moments)
        payment = payments.start_payment(session, member, "bill", amount, most * share // 100,
                                         now=at)
        if outcome == "paid":
            payments.succeed_payment(session, payment, amount=payment.card_amount,
                                     currency=payment.currency,
                                     payment_intent_id=f"pi_demo_{payment.id}", now=at)
        elif outcome == "expired":
            payments.fail_payment(session, payment, "expired", now=at)
        else:
            payment.status = "pending"
        made += 1
    session.flush()
    return made
