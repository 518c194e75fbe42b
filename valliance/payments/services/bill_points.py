"""积分抵话费: part of a telecom bill paid with points, the rest by card through Stripe.

The points and the card succeed or fail together. When the payment starts, its points are
held in the ledger (points.hold, reference "payment:<id>"); when Stripe says the money
arrived they are captured (a `redeem` to the alliance's bills account: the alliance's own
cost, never a merchant's); when the payment fails or its Checkout expires they are released,
and a job releases what no event settled (payments.jobs). A success after a release (the
member tried another card in the same Checkout) holds and captures them again if the member
still has them. Refunds give back the points in proportion to the card money refunded.

Each verb runs under the payment's row lock (member_payments), and the ledger's hold row
is locked too, so duplicate or racing events settle a hold once.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from valliance import money
from valliance import points as ledger
from valliance.errors import InsufficientPoints, ValidationError
from valliance.i18n import bilingual
from valliance.members.models import Member
from valliance.payments.models import Payment

log = logging.getLogger(__name__)

#: Stripe's Checkout must expire this long before the hold does (and lasts at least 30 min)
CHECKOUT_MARGIN = timedelta(minutes=30)
MIN_HOLD = timedelta(minutes=60)
#: payment notes
POINTS_UNAVAILABLE = "points_unavailable"


def point_value_fen() -> int:
    return current_app.config["POINT_VALUE_FEN"]


def max_share_percent() -> int | None:
    """The configured share of a bill points may pay; None when it is not 0 … 100 (the
    guard: points are then turned off rather than paying a whole bill)."""
    share = current_app.config.get("BILL_POINTS_MAX_SHARE_PERCENT", 50)
    if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
        log.error("BILL_POINTS_MAX_SHARE_PERCENT=%r is not 0 … 100: no points on bills", share)
        return None
    return share


def points_cap(amount_fen: int) -> int:
    """The most points a bill of this amount may use (their value leaves ≥ 1 fen to the card)."""
    share = max_share_percent()
    if share is None or amount_fen < 1:
        return 0
    return money.bill_points_cap(amount_fen, share, point_value_fen())


def hold_minutes() -> timedelta:
    minutes = current_app.config.get("BILL_POINTS_HOLD_MINUTES", 90)
    return max(timedelta(minutes=minutes), MIN_HOLD)


def hold_expires_at(payment: Payment) -> datetime:
    return payment.created_at + hold_minutes()


def checkout_expires_at(payment: Payment) -> datetime:
    """When Stripe's Checkout for a payment with points expires: before its hold does (fixed
    by the payment, so a resumed Checkout asks Stripe with the same parameters)."""
    return hold_expires_at(payment) - CHECKOUT_MARGIN


def points_offer(session: Session, member: Member) -> tuple[int, int | None]:
    """(the member's available points, the share of a bill points may pay or None)."""
    available = ledger.get_balance(session, member.points_account_id).available
    return max(available, 0), (None if member.points_frozen else max_share_percent())


def most_points(session: Session, member: Member, amount_fen: int) -> int:
    """"Use the most": the cap of this bill or the member's available points, the fewer."""
    if member.points_frozen:
        return 0
    return min(points_cap(amount_fen), points_offer(session, member)[0])


def hold_points(session: Session, payment: Payment, member: Member, points: int) -> None:
    """Set `points` of the member's points aside for a new bill payment (validated here)."""
    if points == 0:
        return
    errors = None
    if payment.kind != "bill":
        errors = bilingual("积分只能抵扣话费")
    elif member.points_frozen:
        errors = bilingual("会员资格冻结期间不能使用积分")
    elif not 0 < points <= points_cap(payment.amount):
        errors = bilingual("本次最多可用 %(points)s 积分", points=f"{points_cap(payment.amount):,}")
    if errors is not None:
        raise ValidationError(details={"points": [errors]})
    try:
        ledger.hold(session, member_account=member.points_account_id, points=points,
                    reference=payment.hold_reference, expires_at=hold_expires_at(payment),
                    now=payment.created_at)
    except InsufficientPoints:
        have = points_offer(session, member)[0]
        raise InsufficientPoints(details={"points": [bilingual(
            "积分不足，可用 %(points)s 积分", points=f"{have:,}")]}) from None
    payment.points_redeemed = points
    payment.points_value = points * point_value_fen()


def _hold(session: Session, payment: Payment) -> ledger.HoldState | None:
    return ledger.find_hold(session, payment.hold_reference) if payment.points_redeemed else None


def capture_points(session: Session, payment: Payment, now: datetime) -> None:
    """The card money arrived: spend the held points (again held first if they were released).

    If the member no longer has them, the payment says so (note points_unavailable)."""
    found = _hold(session, payment)
    if found is None or found.status == ledger.CAPTURED:
        return
    if found.status == ledger.RELEASED:
        try:  # released before the money came: hold them anew, then capture
            ledger.rehold(session, found.id, now=now)
        except InsufficientPoints:
            payment.note = POINTS_UNAVAILABLE
            log.warning("payment %s: paid after its points were released and spent",
                        payment.id)
            return
    ledger.capture(session, found.id, now=now)


def release_points(session: Session, payment: Payment, reason: str, now: datetime) -> bool:
    """The payment failed or expired: give its held points back (once)."""
    found = _hold(session, payment)
    if found is None or found.status != ledger.PENDING:
        return False
    return ledger.release(session, found.id, reason=reason, now=now).changed


def return_points(session: Session, payment: Payment, amount_refunded: int,
                  now: datetime) -> None:
    """A refund of `amount_refunded` card fen in all: give back that share of the points
    spent (floor(points × refunded / card amount); the full refund gives back the rest)."""
    found = _hold(session, payment)
    if found is None or found.transfer_id is None:
        return
    target = money.proportional_floor(payment.points_redeemed, amount_refunded,
                                      payment.card_amount)
    if target > payment.points_returned:
        ledger.reverse(session, found.transfer_id, target - payment.points_returned, now=now)
        payment.points_returned = target


def points_state(session: Session, payment: Payment) -> str | None:
    """Where the payment's points stand: pending (held), captured or released; None: none."""
    found = _hold(session, payment)
    return found.status if found else None
