"""Coupons at the till (contract §11): read one for a sale, check it, use it once, restore it.

The arithmetic's order is the contract's: the offer's discount first, then the coupon's
value (only when amount ≥ min_spend, capped at amount − discount), then points. Using a
coupon is one conditional UPDATE (… WHERE status = 'active'): however many sales race for
it, one changes the row and the others find it used (coupon_invalid), on every engine.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from valliance.coupons.models import CODE_DIGITS, Coupon, CouponLine, CouponTemplate
from valliance.db import SHANGHAI
from valliance.errors import CouponInvalid, CouponMinSpend
from valliance.members import codes

#: what an unknown code reads as
UNKNOWN = "unknown"


@dataclass(frozen=True)
class CouponTerms:
    """A coupon scanned at the till, as the sale needs it (status UNKNOWN: no such code)."""

    code: str
    status: str
    id: str | None = None
    member_id: str | None = None
    valid_until: date | None = None
    value: int = 0
    min_spend: int = 0
    #: None: valid at every alliance merchant (the alliance pays it back)
    merchant_id: str | None = None


coupons, templates = Coupon.__table__, CouponTemplate.__table__
_FOR_SALE = select(
    coupons.c.id, coupons.c.member_id, coupons.c.status, coupons.c.valid_until,
    templates.c.value, templates.c.min_spend, templates.c.merchant_id,
).join(templates, templates.c.id == coupons.c.template_id)


def find_for_sale(conn: Connection, code: str) -> CouponTerms:
    """The coupon with this code (read without a lock: using it is what decides)."""
    if not (len(code) == CODE_DIGITS and codes.luhn_valid(code)):
        return CouponTerms(code, UNKNOWN)
    row = conn.execute(_FOR_SALE.where(coupons.c.code == code)).first()
    if row is None:
        return CouponTerms(code, UNKNOWN)
    return CouponTerms(code, row.status, row.id, row.member_id, row.valid_until, row.value,
                       row.min_spend, row.merchant_id)


def coupon_value(coupon: CouponTerms, *, member_id: str, merchant_id: str, today: date,
                 amount: int, discount: int) -> int:
    """What the coupon takes off this sale; coupon_invalid or coupon_min_spend otherwise."""
    if (coupon.status != "active" or coupon.member_id != member_id
            or coupon.valid_until < today
            or coupon.merchant_id not in (None, merchant_id)):
        raise CouponInvalid()
    if amount < coupon.min_spend:
        raise CouponMinSpend(details={"min_spend": [str(coupon.min_spend)]})
    return min(coupon.value, amount - discount)


def use_coupon(session: Session, coupon: CouponTerms, *, member_id: str, now: datetime) -> None:
    """Take the coupon for a sale, once: coupon_invalid when another sale took it first."""
    today = now.astimezone(SHANGHAI).date()
    taken = session.execute(
        update(coupons).where(coupons.c.id == coupon.id, coupons.c.member_id == member_id,
                              coupons.c.status == "active", coupons.c.valid_until >= today)
        .values(status="used", used_at=now))
    if taken.rowcount != 1:
        raise CouponInvalid()


def link_purchase(session: Session, coupon: CouponTerms, *, purchase_id: str, merchant_id: str,
                  value: int, now: datetime) -> None:
    """Record which purchase used the coupon (its row now exists), and, for an alliance-wide
    coupon, the line the alliance pays the merchant back."""
    session.execute(update(coupons).where(coupons.c.id == coupon.id)
                    .values(used_purchase_id=purchase_id))
    if coupon.merchant_id is None and value:
        session.add(CouponLine(coupon_id=coupon.id, purchase_id=purchase_id,
                               merchant_id=merchant_id, value_fen=value, created_at=now))
        session.flush()


def restore_after_refund(session: Session, *, code: str, purchase_id: str,
                         now: datetime) -> bool:
    """A refund completed the purchase: its coupon is active again if still within validity.
    Whether it was restored (the alliance's line follows the refunds: take_back_share)."""
    today = now.astimezone(SHANGHAI).date()
    restored = session.execute(
        update(coupons).where(coupons.c.code == code, coupons.c.status == "used",
                              coupons.c.used_purchase_id == purchase_id,
                              coupons.c.valid_until >= today)
        .values(status="active", used_purchase_id=None, used_at=None))
    return restored.rowcount == 1


def take_back_share(session: Session, *, code: str, purchase_id: str, merchant_id: str,
                    share: int, now: datetime) -> None:
    """A refund's share of an alliance-wide coupon's value, taken back from the merchant: the
    goods came back, so the alliance no longer owes that part (a −share line). Over refunds
    that complete the purchase the shares add up to the value, whatever becomes of the coupon;
    a merchant's own coupon has no line."""
    coupon = session.execute(select(coupons.c.id, templates.c.merchant_id)
                             .join(templates, templates.c.id == coupons.c.template_id)
                             .where(coupons.c.code == code)).first()
    if coupon is None or coupon.merchant_id is not None or not share:
        return
    session.add(CouponLine(coupon_id=coupon.id, purchase_id=purchase_id,
                           merchant_id=merchant_id, value_fen=-share, created_at=now))
    session.flush()
