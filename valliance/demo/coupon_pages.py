"""The demo's coupons: an alliance-wide 满100减20 made by the marketing staff, a 满50减10 that
the demo shop's owner made for the shop, and a retired new-member coupon; coupons issued by
hand to the demo logins and other members, some spent through real purchases
(`purchases.record_purchase`, the POS's own service), one expired — so the member's
我的优惠券, the staff's coupon pages and the owner's 本店优惠券 each show data."""

from datetime import datetime, timedelta

from sqlalchemy import select

from valliance.coupons import issuing
from valliance.coupons.models import CouponTemplate
from valliance.db import today_shanghai
from valliance.demo.clock import moments_after_last_posting
from valliance.demo.roster import DEMO_SHOP
from valliance.members.models import Member
from valliance.merchants.models import Merchant, MerchantUser, Terminal
from valliance.merchants.services import purchases
from valliance.staff.models import StaffUser

#: how many other members (besides the logins) get each coupon, and how many of them spend it
OTHERS, SPENT = 14, 6


def _creators(session) -> tuple[str, str]:
    staff = session.scalar(select(StaffUser).where(StaffUser.username == "mkt"))
    owner = session.scalar(select(MerchantUser).where(MerchantUser.merchant_id == DEMO_SHOP,
                                                      MerchantUser.role == "owner"))
    return (f"staff:{staff.id}" if staff else "demo",
            f"merchant_user:{owner.id}" if owner else "demo")


def _spend(session, merchant: Merchant, member: Member, code: str, amount: int,
           at: datetime) -> None:
    till = session.scalar(select(Terminal.id).where(Terminal.merchant_id == merchant.id)
                          .order_by(Terminal.id).limit(1))
    purchases.record_purchase(session, merchant, till, member.card.number, amount, 0, None,
                              at=at, coupon=code)


#: the demo staff's alliance-wide template (made once: the seed's mark of having run)
ALLIANCE_TITLE = "满100减20 全联盟通用"


def seed_coupons(session, now: datetime, login_phones: list[str],
                 merchants: dict[str, Merchant]) -> int:
    """Once: when the demo has not made its coupon templates yet (the campaign's and the
    rules' are theirs: demo/coupon_rules.py); flushed with the rest of the seed; the purchases
    made with coupons."""
    if DEMO_SHOP not in merchants or session.scalar(select(CouponTemplate.id).where(
            CouponTemplate.title == ALLIANCE_TITLE)) is not None:
        return 0
    sold = 0
    staff, owner = _creators(session)
    alliance = issuing.create_template(
        session, title=ALLIANCE_TITLE, value=2000, min_spend=10000, valid_days=30,
        per_member=1, total_limit=500, created_by=staff)
    shop = issuing.create_template(
        session, title="老王火锅 满50减10", value=1000, min_spend=5000, valid_days=14,
        per_member=1, merchant_id=DEMO_SHOP, created_by=owner)
    welcome = issuing.create_template(
        session, title="新会员 无门槛减5元", value=500, min_spend=0, valid_days=7, per_member=1,
        created_by=staff)
    logins = list(session.scalars(select(Member).where(Member.phone.in_(login_phones))
                                  .order_by(Member.phone)))
    others = list(session.scalars(select(Member).where(
        Member.phone.not_in(login_phones), Member.membership_status == "active")
        .order_by(Member.created_at.desc(), Member.id).limit(OTHERS)))
    issued_at, today = now - timedelta(days=9), today_shanghai()
    # the sales come after the ledger's last transfer (its ids grow with its dates, as at real
    # tills) and before now, a few minutes apart
    moments = moments_after_last_posting(session, now, window=timedelta(hours=6))
    elsewhere = next(m for mid, m in sorted(merchants.items()) if mid != DEMO_SHOP)
    for n, member in enumerate([*logins, *others]):
        if member.card is None or member.card.status != "active":
            continue
        big = issuing.issue_coupon(session, alliance.id, member, source=staff, now=issued_at)
        small = issuing.issue_coupon(session, shop.id, member, source=staff,
                                     now=issued_at + timedelta(days=3))
        # spent at the tills (the till checks validity on today's date: a demo seeded at
        # another moment, in a test, spends none)
        if (n == 0 or len(logins) <= n < len(logins) + SPENT) and big.valid_until >= today:
            at = next(moments)
            _spend(session, merchants[DEMO_SHOP] if n % 2 else elsewhere, member, big.code,
                   12800 + 700 * n, at)
            sold += 1
            if n % 3 == 0:
                _spend(session, merchants[DEMO_SHOP], member, small.code, 6600 + 300 * n,
                       next(moments))
                sold += 1
        if n < len(logins):  # the logins: one used, the rest active; one lapsed welcome
            issuing.issue_coupon(session, welcome.id, member, source=staff,
                                 now=now - timedelta(days=20))
        if n == 0 and sold:  # the first login: another one after spending it
            issuing.issue_coupon(session, alliance.id, member, source=staff, now=now)
    issuing.retire_template(session, welcome.id, actor=staff)
    return sold
