"""Coupon templates and issuing coupons to members (contract §11). Services flush, never commit."""

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.coupons.models import CODE_DIGITS, Coupon, CouponTemplate
from valliance.db import SHANGHAI, Base, utcnow
from valliance.errors import NotFound, ValidationError, VallianceError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members import codes, tiers
from valliance.members.models import Member
from valliance.members.services import find_member_by_phone, normalize_phone

MAX_VALUE = 100_000_000  #: ¥1,000,000 in fen, as a POS amount
MAX_DAYS = 3660
#: sources naming a person (audited); campaigns and rules are audited where they run
PERSONS = ("staff:", "merchant_user:")


class CouponNotIssued(VallianceError):
    """The template refuses another coupon for this member (limits, tier, retired)."""

    status, code, pages_only = 422, "coupon_not_issued", True
    message = bilingual("未能发放优惠券")


def _whole(details: dict, field: str, value, low: int, high: int) -> int | None:
    """An integer in [low, high]; a message in details otherwise."""
    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        details[field] = [bilingual("须为 %(low)s 到 %(high)s 之间的整数", low=low, high=high)]
    return number


def _tiers(details: dict, value) -> str | None:
    names = [name.strip() for name in (value or ()) if name.strip()]
    unknown = [name for name in names if name not in tiers.TIER_ORDER]
    if unknown:
        details["tiers"] = [bilingual("未知等级：%(tiers)s", tiers=", ".join(unknown))]
    return ",".join(sorted(set(names), key=tiers.TIER_ORDER.index)) or None


def create_template(session: Session, *, title: str, value, min_spend, merchant_id=None,
                    valid_days=30, per_member=1, total_limit=None, tier_names=(),
                    created_by: str) -> CouponTemplate:
    """A coupon template: value fen off a purchase of at least min_spend fen."""
    details: dict = {}
    title = (title or "").strip()
    if not 1 <= len(title) <= 100:
        details["title"] = [bilingual("必填，最多100个字符")]
    numbers = {field: _whole(details, field, raw, low, high) for field, raw, low, high in (
        ("value", value, 1, MAX_VALUE), ("min_spend", min_spend, 0, MAX_VALUE),
        ("valid_days", valid_days, 1, MAX_DAYS), ("per_member", per_member, 1, 1000),
        ("total_limit", total_limit, 1, 10**9))}
    for field, raw in (("value", value), ("min_spend", min_spend)):
        if raw is None:
            details[field] = [bilingual("必填")]
    merchants = Base.metadata.tables["merchants"]
    if merchant_id and session.scalar(select(merchants.c.id).where(
            merchants.c.id == merchant_id)) is None:
        details["merchant"] = [bilingual("没有这个商户")]
    tier_list = _tiers(details, tier_names)
    if details:
        raise ValidationError(details=details)
    template = CouponTemplate(id=new_id("ctp"), title=title, merchant_id=merchant_id or None,
                              tiers=tier_list, created_by=created_by, status="active",
                              issued_count=0, **numbers)
    session.add(template)
    session.flush()
    record_event(session, actor=created_by, action="coupon_template.create",
                 subject=template.id, merchant_id=template.merchant_id, value=template.value,
                 min_spend=template.min_spend)
    return template


def new_code() -> str:
    """A random 12-digit coupon code whose last digit is a Luhn check digit."""
    body = str(secrets.randbelow(10 ** (CODE_DIGITS - 1))).zfill(CODE_DIGITS - 1)
    return body + codes.luhn_check_digit(body)


def valid_until(issued_at: datetime, valid_days: int) -> date:
    """The last Asia/Shanghai date a coupon issued at that moment may be used: valid_days
    days after the day of issue (contract §11: "for how many days after issue"; 1: the day of
    issue and the next)."""
    return issued_at.astimezone(SHANGHAI).date() + timedelta(days=valid_days)


def _locked_template(session: Session, template_id: str) -> CouponTemplate:
    # The row lock serializes issues of one template (PostgreSQL; SQLite's BEGIN IMMEDIATE
    # already does): the per-member and total limits are counted, then kept.
    template = session.scalar(select(CouponTemplate).where(CouponTemplate.id == template_id)
                              .with_for_update())
    if template is None:
        raise NotFound(bilingual("没有这个优惠券模板"), details={"template_id": [template_id]})
    return template


def _refuse(message) -> CouponNotIssued:
    return CouponNotIssued(message)


def issue_coupon(session: Session, template_id: str, member: Member, *, source: str,
                 now: datetime | None = None) -> Coupon:
    """Issue one coupon of the template to the member, within its limits."""
    now = now or utcnow()
    template = _locked_template(session, template_id)
    if template.status != "active":
        raise _refuse(bilingual("该优惠券模板已停用"))
    if template.tiers and member.tier not in template.tiers.split(","):
        raise _refuse(bilingual("会员等级不符合该优惠券"))
    today = now.astimezone(SHANGHAI).date()
    held = session.scalar(select(func.count()).select_from(Coupon).where(
        Coupon.template_id == template.id, Coupon.member_id == member.id,
        Coupon.status == "active", Coupon.valid_until >= today))
    if held >= template.per_member:
        raise _refuse(bilingual("该会员已持有 %(held)s 张此优惠券", held=held))
    if template.total_limit is not None and template.issued_count >= template.total_limit:
        raise _refuse(bilingual("该优惠券已发完"))
    template.issued_count += 1
    code = new_code()
    while session.scalar(select(Coupon.id).where(Coupon.code == code)) is not None:
        code = new_code()
    coupon = Coupon(id=new_id("cpn"), code=code, template_id=template.id, member_id=member.id,
                    status="active", issued_at=now,
                    valid_until=valid_until(now, template.valid_days), source=source)
    session.add(coupon)
    session.flush()
    if source == "cli" or source.startswith(PERSONS):  # a person chose to give it
        record_event(session, actor=source, action="coupon.issue", subject=coupon.id,
                     merchant_id=template.merchant_id, template_id=template.id,
                     member_id=member.id)
    return coupon


def issue_to_phone(session: Session, template_id: str, phone: str, *, source: str,
                   now: datetime | None = None) -> Coupon:
    """issue_coupon to the member enrolled with this phone."""
    member = find_member_by_phone(session, normalize_phone(phone))
    if member is None:
        missing = bilingual("没有这个手机号的会员")
        raise NotFound(missing, details={"phone": [missing]})
    return issue_coupon(session, template_id, member, source=source, now=now)


def void_coupon(session: Session, code: str, *, actor: str) -> Coupon:
    """Void an active coupon (a used one stays used)."""
    coupon = session.scalar(select(Coupon).where(Coupon.code == code).with_for_update())
    if coupon is None:
        raise NotFound(bilingual("没有这张优惠券"), details={"code": [code]})
    if coupon.status != "active":
        raise _refuse(bilingual("只有未使用的优惠券可以作废"))
    coupon.status = "void"
    record_event(session, actor=actor, action="coupon.void", subject=coupon.id,
                 template_id=coupon.template_id)
    session.flush()
    return coupon


def get_template(session: Session, template_id: str, *,
                 merchant_id: str | None = None) -> CouponTemplate:
    """A template; with merchant_id, only that merchant's own (anyone else's: not found)."""
    template = session.get(CouponTemplate, template_id)
    if template is None or (merchant_id is not None and template.merchant_id != merchant_id):
        raise NotFound(bilingual("没有这个优惠券模板"))
    return template


def find_coupon(session: Session, template_id: str, code: str) -> Coupon:
    """A coupon of this template (another template's: not found)."""
    coupon = session.scalar(select(Coupon).where(Coupon.code == code,
                                                 Coupon.template_id == template_id))
    if coupon is None:
        raise NotFound(bilingual("没有这张优惠券"))
    return coupon


def retire_template(session: Session, template_id: str, *, actor: str,
                    merchant_id: str | None = None) -> CouponTemplate:
    """Switch a template off: no more coupons are issued from it (those issued stay usable)."""
    template = get_template(session, template_id, merchant_id=merchant_id)
    if template.status != "retired":
        template.status = "retired"
        session.flush()
        record_event(session, actor=actor, action="coupon_template.retire",
                     subject=template.id, merchant_id=template.merchant_id)
    return template


def expire_coupons(session: Session, today: date) -> int:
    """Mark active coupons past their last day expired (they already read as expired)."""
    result = session.execute(update(Coupon).where(Coupon.status == "active",
                                                  Coupon.valid_until < today)
                             .values(status="expired"))
    return result.rowcount or 0
