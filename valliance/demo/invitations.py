"""The demo's old brings new: two login members invite friends — rewarded first purchases,
one below the minimum, one still waiting, one clawed back by a full refund — and one member
typed their own code at sign-up (flagged). All through the services the portal and the till
use; the trade is dated this month (settlement's past months are closed)."""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from valliance.db import SHANGHAI
from valliance.demo.clock import moments_after_last_posting
from valliance.demo.roster import DEMO_PASSWORD
from valliance.invitations.models import Invitation
from valliance.invitations.services import codes, enlisting
from valliance.members import services
from valliance.members.models import AnnualSpend
from valliance.members.services.birthday import set_birthday
from valliance.merchants.models import Terminal
from valliance.merchants.services.purchases import record_purchase
from valliance.merchants.services.refunds import refund_purchase
from valliance.passwords import new_hash

#: (referrer: index in the login phones, name, phone, first purchase fen or None, refunded)
NEWCOMERS = (
    (0, "赵新月", "19912340001", 8800, False),
    (0, "钱晓峰", "19912340002", 12000, True),
    (0, "孙悦", "19912340003", None, False),
    (0, "李嘉怡", "19912340004", 3000, False),
    (1, "周子涵", "19912340005", 6600, False),
    (1, "吴思远", "19912340006", 15800, False),
)


def seed_invitations(session, login_phones: list[str], merchants: dict, now: datetime
                     ) -> tuple[int, int, int]:
    """Once: when the demo has no invitation yet (flushed with the rest of the seed); the
    members it enrolled, the purchases and refunds it recorded."""
    if session.scalar(select(Invitation.id).limit(1)) is not None or len(login_phones) < 2:
        return 0, 0, 0
    referrers = [services.find_member_by_phone(session, phone) for phone in login_phones[:2]]
    if None in referrers:
        return 0, 0, 0
    merchant = next(iter(merchants.values()))
    till = session.scalar(select(Terminal.id).where(Terminal.merchant_id == merchant.id)
                          .order_by(Terminal.created_at).limit(1))
    sold = refunds = 0
    password_hash = new_hash(DEMO_PASSWORD)  # the newcomers sign in like every demo login
    month_start = now.astimezone(SHANGHAI).replace(day=1, hour=0, minute=0, second=0,
                                                   microsecond=0)
    # after the ledger's last transfer (its ids grow with its dates, as at real tills), this month
    moments = moments_after_last_posting(session, now, window=now - max(
        now - timedelta(days=6), month_start + timedelta(minutes=1)))
    for i, (which, name, phone, amount, refunded) in enumerate(NEWCOMERS):
        referrer = referrers[which]
        newcomer = services.enroll_member(session, phone=phone, name=name, actor="demo",
                                          password_hash=password_hash)
        at = next(moments)
        # new this year, as the roster's members are kept: the standard tier reviewed on
        # last year's spend (none) until the year's end; the purchases below count theirs
        year = at.astimezone(SHANGHAI).year
        newcomer.tier_valid_until = date(year, 12, 31)
        session.add_all([AnnualSpend(member_id=newcomer.id, year=spent, telecom_fen=0,
                                     alliance_fen=0) for spent in (year - 1, year)])
        newcomer.created_at = newcomer.claimed_at = at
        if i % 3 != 2:  # most give their birthday in the profile, as the roster's do
            set_birthday(session, newcomer, i * 2 + 1, 10 + i, actor="demo", via="demo")
        enlisting.record_invitation(session, member=newcomer,
                                    code=codes.code_of(session, referrer.id), at=at)
        if amount is None:
            continue
        purchase = record_purchase(session, merchant, till, newcomer.card.number, amount, 0,
                                   None, at=next(moments))
        sold += 1
        if refunded:
            refund_purchase(session, merchant, purchase.id, None, at=next(moments))
            refunds += 1
    # a member typing their own code at sign-up: flagged for staff
    enlisting.check_code(session, phone=referrers[1].phone,
                         code=codes.code_of(session, referrers[1].id))
    session.flush()
    return len(NEWCOMERS), sold, refunds
