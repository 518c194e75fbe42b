"""满就送 rules: made by alliance staff or a merchant owner, switched off, and applied to a sale.

A sale qualifies for a rule when it is at the rule's merchant (any alliance merchant for a
rule without one), the rule is switched on and today lies within its dates, and what the
member spent — `payable + points_value`, the list price less the member discount and any
coupon used — is at least its `min_spend` (docs/coupons.md). Each qualifying rule issues one
coupon through issuing.issue_coupon; a member at the template's per-member limit, or a
template all given out, gets none and the sale goes on. Services flush, never commit.
"""

from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.coupons.issuing import MAX_VALUE, CouponNotIssued, issue_coupon
from valliance.coupons.models import Coupon, CouponTemplate
from valliance.coupons.rule_models import CouponRule, CouponRuleGrant
from valliance.db import SHANGHAI, Base
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.money import format_yuan, yuan_to_fen

rules_table = CouponRule.__table__


def _day(details: dict, field: str, value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        details[field] = [bilingual("请填写日期（年-月-日）")]
        return None


def _min_spend(details: dict, fen, yuan) -> int:
    """The least spend in fen, given in fen (the shell) or typed in yuan (the pages)."""
    try:
        number = yuan_to_fen(yuan) if yuan is not None else int(str(fen).strip())
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_VALUE:
        details["min_spend"] = [bilingual("请填写 %(low)s 到 %(high)s 之间的金额",
                                          low=format_yuan(1), high=format_yuan(MAX_VALUE))]
    return number


def create_rule(session: Session, *, template_id: str, merchant_id: str | None,
                min_spend=None, min_spend_yuan: str | None = None, starts_on=None,
                ends_on=None, created_by: str, own_merchant_id: str | None = None
                ) -> CouponRule:
    """A rule "spend ≥ min_spend fen (or min_spend_yuan yuan) at the merchant → a coupon of
    the template".

    own_merchant_id: the rule is a merchant owner's: for its own shop, with one of its own
    templates only. Without it (alliance staff) merchant_id may be None (any merchant).
    """
    details: dict = {}
    if own_merchant_id is not None:
        merchant_id = own_merchant_id
    template = session.get(CouponTemplate, template_id) if template_id else None
    if template is None or template.status != "active" or (
            own_merchant_id is not None and template.merchant_id != own_merchant_id):
        details["template_id"] = [bilingual("请选择一个启用中的优惠券模板")]
    elif merchant_id and template.merchant_id not in (None, merchant_id):
        details["template_id"] = [bilingual(
            "这张优惠券只能在另一家商户使用，请选择本店或全联盟的优惠券")]
    elif not merchant_id and template.merchant_id is not None:
        # sales at every shop would give away one shop's coupons, at that shop's cost
        details["template_id"] = [bilingual("适用全部商户的规则只能送全联盟通用的优惠券")]
    merchants = Base.metadata.tables["merchants"]
    if merchant_id and session.scalar(select(merchants.c.id).where(
            merchants.c.id == merchant_id)) is None:
        details["merchant_id"] = [bilingual("没有这个商户")]
    spend = _min_spend(details, min_spend, min_spend_yuan)
    first, last = _day(details, "starts_on", starts_on), _day(details, "ends_on", ends_on)
    if first and last and last < first:
        details["ends_on"] = [bilingual("结束日期不能早于开始日期")]
    if details:
        raise ValidationError(details=details)
    rule = CouponRule(id=new_id("crl"), merchant_id=merchant_id or None,
                      template_id=template.id, min_spend=spend, active=True,
                      starts_on=first, ends_on=last, created_by=created_by)
    session.add(rule)
    session.flush()
    record_event(session, actor=created_by, action="coupon_rule.create", subject=rule.id,
                 merchant_id=rule.merchant_id, template_id=template.id, min_spend=spend)
    return rule


def switch_rule(session: Session, rule_id: str, *, active: bool, actor: str,
                own_merchant_id: str | None = None) -> CouponRule:
    """Switch a rule on or off (a merchant owner: only its own shop's rules)."""
    rule = session.get(CouponRule, rule_id)
    if rule is None or (own_merchant_id is not None and rule.merchant_id != own_merchant_id):
        raise NotFound(bilingual("没有这条满就送规则"))
    if rule.active != active:
        rule.active = active
        session.flush()
        record_event(session, actor=actor, action="coupon_rule.switch", subject=rule.id,
                     merchant_id=rule.merchant_id, active=active)
    return rule


def qualifying_rules(session: Session, *, merchant_id: str, spent: int, today: date
                     ) -> list[CouponRule]:
    """The switched-on rules a sale of `spent` fen at this merchant qualifies for today."""
    return list(session.scalars(
        select(CouponRule).join(CouponTemplate, CouponTemplate.id == CouponRule.template_id)
        .where(CouponRule.active.is_(True), CouponTemplate.status == "active",
               or_(CouponRule.merchant_id == merchant_id, CouponRule.merchant_id.is_(None)),
               CouponRule.min_spend <= spent,
               or_(CouponRule.starts_on.is_(None), CouponRule.starts_on <= today),
               or_(CouponRule.ends_on.is_(None), CouponRule.ends_on >= today))
        .order_by(CouponRule.min_spend.desc(), CouponRule.id)))


def issue_for_sale(session: Session, *, member, merchant_id: str, spent: int,
                   purchase_id: str, now: datetime) -> list[dict]:
    """Issue the coupons a recorded sale earned; what the till's answer shows of each.

    member: anything with the member's `id` and `tier` (the sale's SaleMember).
    """
    issued = []
    today = now.astimezone(SHANGHAI).date()
    for rule in qualifying_rules(session, merchant_id=merchant_id, spent=spent, today=today):
        try:
            coupon = issue_coupon(session, rule.template_id, member, source=f"rule:{rule.id}",
                                  now=now)
        except CouponNotIssued:  # at the member's or the template's limit: the sale goes on
            continue
        session.add(CouponRuleGrant(rule_id=rule.id, purchase_id=purchase_id,
                                    coupon_id=coupon.id, created_at=now))
        template = session.get(CouponTemplate, rule.template_id)
        issued.append({"code": coupon.code, "title": template.title, "value": template.value,
                       "min_spend": template.min_spend,
                       "valid_until": coupon.valid_until.isoformat()})
    session.flush()
    return issued


def void_for_refund(session: Session, purchase_id: str) -> int:
    """The purchase was refunded in full: void the coupons it earned that are still unused
    (a used one stays used: its sale stands); how many were voided."""
    granted = select(CouponRuleGrant.coupon_id).where(
        CouponRuleGrant.purchase_id == purchase_id).scalar_subquery()
    result = session.execute(update(Coupon).where(Coupon.id.in_(granted),
                                                  Coupon.status == "active")
                             .values(status="void").execution_options(
                                 synchronize_session=False))
    return result.rowcount or 0


def rule_floor_subquery(merchant_id_column):
    """The least min_spend of the switched-on rules that may apply at a merchant (None: no
    rule): the purchase lane hands a sale that may qualify to the app (dates and templates are
    left to qualifying_rules)."""
    return (select(func.min(rules_table.c.min_spend))
            .where(rules_table.c.active.is_(True),
                   or_(rules_table.c.merchant_id == merchant_id_column,
                       rules_table.c.merchant_id.is_(None)))
            .scalar_subquery())
