"""Double points in a member's birthday month (issue #18): the alliance's extra, at the till.

A member the birthday programme reached with the double-points gift (members.gift_models:
a `double` gift whose month contains today, Asia/Shanghai) and who still agrees to marketing
earns, on each sale at an alliance merchant that month, as many points again as contract §5
gives. §5's `points_earned` keeps its meaning — the merchant's accrual, which it pays for in
settlement and which refunds reverse by §5's rule; the extra is a `reward` transfer from the
alliance's rewards account (reason "birthday:<purchase id>"), recorded in `birthday_bonuses`,
so the merchant's statement never sees it. The answer's `points_balance` includes it. A refund
takes back floor(extra × R / amount) cumulatively, like §5's points.

2 × §5's points, not floor(2 × …): the extra equals points_earned, so no new rounding.
"""

from datetime import datetime

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import Session

from valliance import points
from valliance.members.gift_models import BirthdayGift
from valliance.members.models import Member
from valliance.merchants import pricing
from valliance.merchants.birthday_models import BirthdayBonus

gifts, holders = BirthdayGift.__table__, Member.__table__


def double_points_column():
    """For the sale's one query: the card's member is in a double-points month on :today."""
    return and_(holders.c.marketing_opt_in.is_(True), exists(select(gifts.c.id).where(
        gifts.c.member_id == holders.c.id, gifts.c.kind == "double",
        gifts.c.double_from <= bindparam("today"), gifts.c.double_until >= bindparam("today"))))


def extra_points(points_earned: int, double: bool) -> int:
    """The alliance's extra for a sale: §5's points again in a double-points month."""
    return points_earned if double else 0


def credit(session: Session, *, member_account: int, purchase_id: str, extra: int,
           now: datetime) -> points.Posting:
    """Credit the sale's extra points (a `reward` from the alliance), before the sale's row."""
    return points.reward(session, member_account=member_account, points=extra,
                         reason=f"birthday:{purchase_id}", now=now)


def record(session: Session, *, purchase_id: str, member_id: str, merchant_id: str,
           extra: int, transfer_id: int, now: datetime) -> None:
    """The extra's row, once the purchase is written."""
    session.add(BirthdayBonus(purchase_id=purchase_id, member_id=member_id,
                              merchant_id=merchant_id, points=extra, transfer_id=transfer_id,
                              created_at=now))
    session.flush()


def take_back(session: Session, purchase_id: str, refunded_before: int, refunded_now: int,
              amount: int, now: datetime) -> int | None:
    """Reverse the refund's share of the sale's extra; the member's balance after, or None
    when there was nothing to take back."""
    bonus = session.get(BirthdayBonus, purchase_id)
    if bonus is None:
        return None
    share = pricing.refund_share(bonus.points, refunded_before, refunded_now, amount)
    if not share:
        return None
    return points.reverse(session, bonus.transfer_id, share, now=now).balance
