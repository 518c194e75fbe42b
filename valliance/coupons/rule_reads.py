"""What the 满就送 pages show of the rules: one page of them with what each gave and brought.

Per rule: coupons issued (grants), used at a till, the value they took off (¥, the sales'
`coupon_value`), and the purchases that followed — purchases by members given a coupon by the
rule, made after they got it, at the rule's merchant (at any merchant for an alliance-wide
rule), the qualifying purchase not counted.
"""

import math
from dataclasses import dataclass

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from valliance.coupons.models import Coupon, CouponTemplate
from valliance.coupons.rule_models import CouponRule, CouponRuleGrant
from valliance.db import Base

PER_PAGE = 20


@dataclass(frozen=True)
class RuleRow:
    rule: CouponRule
    template: CouponTemplate
    #: the rule's merchant's name (None: every alliance merchant)
    merchant_name: str | None
    issued: int = 0
    used: int = 0
    #: fen the used coupons took off their sales
    value_used: int = 0
    followed: int = 0


@dataclass(frozen=True)
class RulePage:
    rows: list[RuleRow]
    page: int
    pages: int
    total: int


def _figures(session: Session, rule_ids: list[str]) -> dict[str, tuple[int, int, int, int]]:
    if not rule_ids:
        return {}
    purchases = Base.metadata.tables["purchases"]
    grant, coupon = CouponRuleGrant, Coupon
    used = session.execute(
        select(grant.rule_id, func.count(grant.id),
               func.count(coupon.id).filter(coupon.status == "used"),
               func.coalesce(func.sum(purchases.c.coupon_value).filter(
                   coupon.status == "used"), 0))
        .join(coupon, coupon.id == grant.coupon_id)
        .outerjoin(purchases, purchases.c.id == coupon.used_purchase_id)
        .where(grant.rule_id.in_(rule_ids)).group_by(grant.rule_id)).all()
    followed = dict(session.execute(
        select(grant.rule_id, func.count(distinct(purchases.c.id)))
        .join(CouponRule, CouponRule.id == grant.rule_id)
        .join(coupon, coupon.id == grant.coupon_id)
        .join(purchases, and_(purchases.c.member_id == coupon.member_id,
                              purchases.c.created_at > grant.created_at,
                              purchases.c.id != grant.purchase_id,
                              or_(CouponRule.merchant_id.is_(None),
                                  purchases.c.merchant_id == CouponRule.merchant_id)))
        .where(grant.rule_id.in_(rule_ids)).group_by(grant.rule_id)).all())
    return {rule_id: (issued, n_used, int(value), followed.get(rule_id, 0))
            for rule_id, issued, n_used, value in used}


def rules_page(session: Session, *, merchant_id: str | None = None, page: int = 1,
               per_page: int = PER_PAGE) -> RulePage:
    """One page of rules, switched-on first, newest first (merchant_id: that shop's only)."""
    merchants = Base.metadata.tables["merchants"]
    where = [CouponRule.merchant_id == merchant_id] if merchant_id else []
    total = session.scalar(select(func.count()).select_from(CouponRule).where(*where)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(CouponRule, CouponTemplate, merchants.c.name)
        .join(CouponTemplate, CouponTemplate.id == CouponRule.template_id)
        .outerjoin(merchants, merchants.c.id == CouponRule.merchant_id).where(*where)
        .order_by(CouponRule.active.desc(), CouponRule.created_at.desc(), CouponRule.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    figures = _figures(session, [rule.id for rule, _t, _n in rows])
    return RulePage([RuleRow(rule, template, name, *figures.get(rule.id, (0, 0, 0, 0)))
                     for rule, template, name in rows], page, pages, total)


def templates_for_rules(session: Session, merchant_id: str | None = None
                        ) -> list[tuple[CouponTemplate, str | None]]:
    """Active templates a rule may issue, with their merchant's name (None: alliance-wide):
    every one for alliance staff, the shop's own for its owner (merchant_id)."""
    merchants = Base.metadata.tables["merchants"]
    query = (select(CouponTemplate, merchants.c.name)
             .outerjoin(merchants, merchants.c.id == CouponTemplate.merchant_id)
             .where(CouponTemplate.status == "active"))
    if merchant_id:
        query = query.where(CouponTemplate.merchant_id == merchant_id)
    return [(t, name) for t, name in session.execute(
        query.order_by(CouponTemplate.merchant_id.is_not(None), merchants.c.name,
                       CouponTemplate.title, CouponTemplate.id)).all()]
