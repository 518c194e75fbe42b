"""What the birthday programme cost and what it brought (its staff page), since it began.

Cost — all the alliance's: the bonus points given (`birthday_gifts.points`), the extra points
of double-points months net of what refunds took back (`birthday_bonuses`, each less its
refunds' share by §5's cumulative rule — the same floor the reversals took), and the birthday
coupons (source "birthday"): issued, used, and the value the sales took (`coupon_value`).
Points are valued at POINT_VALUE_FEN fen each. Result — from the programme's campaign report
(the marketing engine's): members reached, held out, buyers within 30 days of the greeting
against the control group's, the uplift.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.coupons.models import Coupon
from valliance.marketing.services.campaign_report import CampaignReport, report
from valliance.members.gift_models import BirthdayGift
from valliance.merchants.birthday_models import BirthdayBonus
from valliance.merchants.models import Purchase
from valliance.money import proportional_floor


@dataclass(frozen=True)
class Figures:
    gifts: int
    bonus_points: int
    double_members: int
    double_sales: int
    double_points: int
    coupons_issued: int
    coupons_used: int
    coupon_value: int
    point_value_fen: int
    report: CampaignReport | None

    @property
    def points_fen(self) -> int:
        return (self.bonus_points + self.double_points) * self.point_value_fen

    @property
    def total_fen(self) -> int:
        return self.points_fen + self.coupon_value


def programme_figures(session: Session, campaign_id: str | None) -> Figures:
    """The programme's cost and result (see the module's doc)."""
    gifts, bonus = session.execute(select(func.count(), func.coalesce(
        func.sum(BirthdayGift.points), 0))).one()
    double_members = session.scalar(select(func.count()).where(BirthdayGift.kind == "double"))
    extras = session.execute(select(BirthdayBonus.points, Purchase.refunded_amount,
                                    Purchase.amount)
                             .join(Purchase, Purchase.id == BirthdayBonus.purchase_id)).all()
    double_points = sum(points - proportional_floor(points, refunded, amount)
                        for points, refunded, amount in extras)
    issued, used = session.execute(select(
        func.count(), func.count().filter(Coupon.status == "used"))
        .where(Coupon.source == "birthday")).one()
    value = session.scalar(select(func.coalesce(func.sum(Purchase.coupon_value), 0))
                           .join(Coupon, Coupon.used_purchase_id == Purchase.id)
                           .where(Coupon.source == "birthday", Coupon.status == "used")) or 0
    return Figures(gifts, int(bonus), double_members or 0, len(extras), double_points, issued,
                   used, int(value), int(current_app.config["POINT_VALUE_FEN"]),
                   report(session, campaign_id) if campaign_id else None)
