"""The win-back programme's report (docs/winback.md): of the members it reached and of those
it held out, how many came back (bought within the window after entering), the uplift with
its Agresti–Caffo interval (marketing.services.uplift), what it cost (bonus points, coupons)
and what those who came back spent. Counted per entry: a member who lapsed twice and entered
twice counts twice, each entry judged on its own window."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from valliance.coupons.models import Coupon, CouponLine, CouponTemplate
from valliance.db import SHANGHAI, utcnow
from valliance.marketing.campaign_models import CampaignDelivery
from valliance.marketing.services.uplift import Uplift, uplift
from valliance.merchants.models import Purchase
from valliance.points import points_of_transfers
from valliance.winback.models import WinbackCoupon
from valliance.winback.services.programme import programme

REACHED = ("sent", "deferred")
CONTROL = "control"

d = CampaignDelivery


@dataclass
class WinbackReport:
    window_days: int = 30
    #: entries reached (sent, or held for 09:00) and held out
    reached: int = 0
    control: int = 0
    #: members passed over: not agreeing to marketing, or at the 30-day cap that day
    opted_out: int = 0
    capped: int = 0
    #: entries whose member bought (not refunded in full) within the window after entering
    came_back: int = 0
    control_came_back: int = 0
    #: what they bought in those windows, fen (amount − refunded)
    spend_fen: int = 0
    control_spend_fen: int = 0
    bonus_points: int = 0
    bonus_fen: int = 0
    coupons_issued: int = 0
    #: the face value of the coupons issued, fen
    coupons_issued_fen: int = 0
    coupons_used: int = 0
    #: what the used coupons took off purchases, fen
    coupons_used_fen: int = 0
    #: when the last entry's window ends (None: nobody entered yet)
    window_ends_at: datetime | None = None
    complete: bool = False

    @property
    def entered(self) -> int:
        return self.reached + self.control

    @property
    def uplift(self) -> Uplift:
        return uplift(self.came_back, self.reached, self.control_came_back, self.control)

    @property
    def cost_fen(self) -> int:
        return self.bonus_fen + self.coupons_used_fen

    @property
    def window_ends_on(self) -> date | None:
        return self.window_ends_at.astimezone(SHANGHAI).date() if self.window_ends_at else None


def _plus_days(session: Session, moment, days: int):
    if session.get_bind().dialect.name == "postgresql":
        return moment + literal_column(f"interval '{int(days)} days'")
    # SQLite keeps UTC times as text "YYYY-MM-DD HH:MM:SS.ffffff": the same shape
    return func.strftime("%Y-%m-%d %H:%M:%f", moment, f"+{int(days)} days")


def _entries(session: Session, campaign_id: str, days: int):
    """Rows by status: how many, how many came back, what those spent in their window."""
    row = aliased(CampaignDelivery)
    moment = func.coalesce(row.reached_at, row.created_at)
    back = (select(row.id.label("id"),
                   func.sum(Purchase.amount - Purchase.refunded_amount).label("spend"))
            .join(Purchase, and_(Purchase.member_id == row.member_id,
                                 Purchase.created_at >= moment,
                                 Purchase.created_at < _plus_days(session, moment, days),
                                 Purchase.refunded_amount < Purchase.amount))
            .where(row.campaign_id == campaign_id, row.status.in_((*REACHED, CONTROL)))
            .group_by(row.id).subquery("back"))
    return session.execute(
        select(d.status, func.count(), func.count(back.c.id),
               func.coalesce(func.sum(back.c.spend), 0),
               func.max(func.coalesce(d.reached_at, d.created_at)))
        .outerjoin(back, back.c.id == d.id)
        .where(d.campaign_id == campaign_id).group_by(d.status)).all()


def _coupons(session: Session, campaign_id: str) -> tuple[int, int, int, int]:
    given = (select(WinbackCoupon.coupon_id).join(d, d.id == WinbackCoupon.delivery_id)
             .where(d.campaign_id == campaign_id, WinbackCoupon.coupon_id.is_not(None)))
    issued, face = session.execute(
        select(func.count(), func.coalesce(func.sum(CouponTemplate.value), 0))
        .select_from(Coupon).join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
        .where(Coupon.id.in_(given))).one()
    used, value = session.execute(
        select(func.count(), func.coalesce(func.sum(CouponLine.value_fen), 0))
        .select_from(Coupon).join(CouponLine, and_(CouponLine.coupon_id == Coupon.id,
                                                   CouponLine.purchase_id
                                                   == Coupon.used_purchase_id))
        .where(Coupon.id.in_(given), Coupon.status == "used")).one()
    return int(issued), int(face), int(used), int(value)


def report(session: Session, *, settings_from: Session | None = None,
           now: datetime | None = None) -> WinbackReport:
    """The programme's report (all zeros before its first save), read in session; the
    programme's settings read in settings_from when given (the primary, for a page a save
    redirects to, while the figures may come from a replica that lags)."""
    saved = programme(settings_from or session)
    if saved is None:
        return WinbackReport()
    result = WinbackReport(window_days=saved.window_days)
    last = None
    for status, rows, back, spend, latest in _entries(session, saved.campaign_id,
                                                      saved.window_days):
        if status in REACHED:
            result.reached += rows
            result.came_back += back
            result.spend_fen += int(spend)
        elif status == CONTROL:
            result.control += rows
            result.control_came_back += back
            result.control_spend_fen += int(spend)
        elif status in ("opted_out", "capped"):
            setattr(result, status, getattr(result, status) + rows)
        if status in (*REACHED, CONTROL) and latest is not None and (
                last is None or latest > last):
            last = latest
    result.bonus_points = points_of_transfers(session, select(d.reward_transfer_id).where(
        d.campaign_id == saved.campaign_id, d.reward_transfer_id.is_not(None)))
    result.bonus_fen = result.bonus_points * int(current_app.config["POINT_VALUE_FEN"])
    (result.coupons_issued, result.coupons_issued_fen, result.coupons_used,
     result.coupons_used_fen) = _coupons(session, saved.campaign_id)
    if last is not None:
        result.window_ends_at = last + timedelta(days=saved.window_days)
        result.complete = (now or utcnow()) >= result.window_ends_at
    return result
