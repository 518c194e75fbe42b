"""The demo's programme coupons: an alliance-wide 满100减20 that the demo campaign gives each
member it reaches, and a 满就送 rule at the demo shop (spend ¥150 → its own 满100减15), with a
few of today's sales that earned the rule's coupon and used the campaign's — all through the
services the till and the staff pages use (purchases.sell issues the rule's coupons)."""

from datetime import datetime, timedelta

from sqlalchemy import select

from valliance.coupons import issuing, rules
from valliance.coupons.models import Coupon, CouponTemplate
from valliance.coupons.rule_models import CouponRule
from valliance.db import SHANGHAI, today_shanghai
from valliance.demo.clock import moments_after_last_posting
from valliance.demo.roster import DEMO_SHOP
from valliance.demo.shops import DEMO_TILL_ID
from valliance.members.models import Card, Member
from valliance.merchants.models import Merchant
from valliance.merchants.services.purchases import record_purchase

CAMPAIGN_COUPON = "联盟回馈 满100减20"
RULE_COUPON = "老王火锅回头客 满100减15"
#: how many campaign coupons are used today, and how many members earn the rule's coupon
USED, EARNING = 3, 4


def campaign_coupon(session) -> str:
    """The alliance-wide template the demo campaign issues (made once); its id."""
    found = session.scalar(select(CouponTemplate.id).where(
        CouponTemplate.title == CAMPAIGN_COUPON))
    if found is not None:
        return found
    return issuing.create_template(session, title=CAMPAIGN_COUPON, value=2000, min_spend=10000,
                                   valid_days=60, per_member=1, created_by="demo").id


def _cards(session, *where, limit: int) -> list[tuple[str, str | None]]:
    """(card number, campaign coupon code or None) of members in good standing."""
    query = (select(Card.number, Coupon.code).join(Member, Member.id == Card.member_id)
             .outerjoin(Coupon, (Coupon.member_id == Member.id) & (Coupon.status == "active")
                        & Coupon.source.like("campaign:%"))
             .where(Card.status == "active", Member.membership_status == "active", *where)
             .order_by(Member.phone).limit(limit))
    return [(number, code) for number, code in session.execute(query).all()]


def seed_coupon_rules(session, now: datetime) -> int:
    """Once: the demo shop's rule, and today's sales with coupons (flushed with the seed);
    how many sales were made."""
    if session.scalar(select(CouponRule.id).limit(1)) is not None:
        return 0
    shop = session.get(Merchant, DEMO_SHOP)
    own = issuing.create_template(session, title=RULE_COUPON, value=1500, min_spend=10000,
                                  merchant_id=shop.id, valid_days=30, per_member=2,
                                  created_by="demo")
    rules.create_rule(session, template_id=own.id, merchant_id=shop.id, min_spend=15000,
                      created_by="demo")
    moments = moments_after_last_posting(session, now, window=timedelta(minutes=30))
    # (the till checks a coupon against the real today, even when the seed's clock is set)
    used = _cards(session, Coupon.code.is_not(None), Coupon.valid_until >= max(
        today_shanghai(), now.astimezone(SHANGHAI).date()), limit=USED)
    for number, code in used:
        # ¥168 less 12 % less the coupon's ¥20: below the rule's ¥150, so no new coupon
        record_purchase(session, shop, DEMO_TILL_ID, number, 16800, 0, None,
                        at=next(moments), coupon=code)
    earned = []
    for number, _code in _cards(session, Coupon.code.is_(None), limit=EARNING):
        sale = record_purchase(session, shop, DEMO_TILL_ID, number, 20000, 0, None,
                               at=next(moments))
        earned.append((number, sale.member_id))
    number, member_id = earned[0]  # one came back and used it at once
    code = session.scalar(select(Coupon.code).where(
        Coupon.member_id == member_id, Coupon.template_id == own.id,
        Coupon.valid_until >= today_shanghai()))
    if code is None:
        return len(used) + len(earned)
    record_purchase(session, shop, DEMO_TILL_ID, number, 12000, 0, None, at=next(moments),
                    coupon=code)
    return len(used) + len(earned) + 1
