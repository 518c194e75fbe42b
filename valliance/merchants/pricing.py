"""The contract's purchase and refund arithmetic (§5), as pure functions over integers."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from valliance import money


@dataclass(frozen=True)
class OfferTerms:
    offer_id: str
    #: for the member's tier (a tier override replaces the base rate)
    percent_off: Decimal
    points_per_yuan: int
    created_at: datetime


def best_offer(offers: list[OfferTerms], multiplier: Decimal,
               point_value_fen: int) -> OfferTerms | None:
    """Highest effective percent; ties → higher percent_off, then the earlier offer."""
    def rank(offer: OfferTerms):
        effective = money.effective_percent(offer.percent_off, offer.points_per_yuan,
                                            multiplier, point_value_fen)
        return (-effective, -offer.percent_off, offer.created_at, offer.offer_id)

    return min(offers, key=rank, default=None)


def offer_is_active(active: bool, valid_from: date | None, valid_until: date | None,
                    today: date) -> bool:
    """Switched on and today within its (inclusive) validity dates."""
    return active and (valid_from is None or valid_from <= today) and (
        valid_until is None or today <= valid_until)


@dataclass(frozen=True)
class Price:
    percent_off: Decimal
    discount: int
    redeem_points: int
    points_value: int
    payable: int
    points_earned: int
    #: what a coupon took off (contract §11), after the discount and before points
    coupon_value: int = 0


def price_purchase(amount: int, terms: OfferTerms | None, multiplier: Decimal,
                   redeem_points: int, point_value_fen: int, coupon_value: int = 0) -> Price:
    """Steps 1–5 of contract §5 with §11's coupon between the discount and the points (the
    caller has checked the redemption and the coupon are allowed)."""
    percent_off = terms.percent_off if terms else Decimal(0)
    points_per_yuan = terms.points_per_yuan if terms else 1
    discount = money.discount_fen(amount, percent_off)
    points_value = redeem_points * point_value_fen
    payable = amount - discount - coupon_value - points_value
    earned = money.points_earned(payable, points_per_yuan, multiplier)
    return Price(percent_off, discount, redeem_points, points_value, payable, earned,
                 coupon_value)


def refund_share(total: int, refunded_before: int, refunded_now: int, amount: int) -> int:
    """What a refund gives back of total: floor(total × R / amount) minus what went before.

    R is the cumulative refunded list price; the refund that completes the purchase (R =
    amount) gives back exactly what remains, since floor(total × amount / amount) = total.
    """
    after = money.proportional_floor(total, refunded_before + refunded_now, amount)
    return after - money.proportional_floor(total, refunded_before, amount)
