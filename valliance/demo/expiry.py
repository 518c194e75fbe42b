"""The demo's expiry reminders: members with telecom-bill points of the old system expiring in
the coming weeks (the portal's points page lists them, the 30- and 7-day reminders went out),
and members whose such points expired today after reminders 30 and 7 days before — half of
them spent part of those points at a till first, so the programme page shows what the
reminders brought and what expired. All through the services real work uses, once."""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from valliance.db import SHANGHAI
from valliance.demo.clock import moments_after_last_posting
from valliance.demo.roster import login_members
from valliance.demo.shops import demo_tills
from valliance.marketing.expiry_models import ExpiryReminder
from valliance.marketing.services.expiry_reminders import send_reminders
from valliance.members.models import Member
from valliance.members.services import pay_codes
from valliance.merchants.models import Merchant, Purchase
from valliance.merchants.services import purchases
from valliance.points import ALLIANCE_PAYMENTS, accrue, expire_due, system_account

#: members with points expiring in the coming weeks, and members whose points expired today
SOON, PAST = 10, 8


def seed_expiry(session, roster, now: datetime) -> int:
    """Once: when no reminder has been recorded yet (flushed with the rest of the seed); the
    purchases it recorded."""
    if session.scalar(select(ExpiryReminder.id).limit(1)) is not None:
        return 0
    # after the ledger's last posting (its ids grow with its dates; a seeder before may have
    # posted at now itself)
    now = next(moments_after_last_posting(session, now))
    members = _members(session, roster)
    soon, past = members[:SOON], members[SOON:SOON + PAST]
    today = now.astimezone(SHANGHAI).date()
    source = system_account(session.connection(), ALLIANCE_PAYMENTS)
    for i, member in enumerate(soon):  # last days: 5 to 28 days from today
        ends = datetime.combine(today + timedelta(days=6 + i), time(), SHANGHAI)
        accrue(session, member_account=member.points_account_id, source_account=source,
               points=300 + 150 * (i % 9), kind="payment", expires_at=ends, now=now)
    expired_at = datetime.combine(today, time(), SHANGHAI)  # the end of yesterday
    for i, member in enumerate(past):
        accrue(session, member_account=member.points_account_id, source_account=source,
               points=400 + 100 * (i % 5), kind="payment", expires_at=expired_at, now=now)
    for days in (30, 7):  # the reminders those members got
        _remind_all(session, expired_at - timedelta(days=days) + timedelta(hours=10))
    _spend(session, past[::2], now)
    expire_due(session, now=now)
    _remind_all(session, _last_ten_oclock(now))
    return len(past[::2])


def _members(session, roster) -> list[Member]:
    """Active members who have not paid with points yet (their pay code is unused), the
    demo's logins first."""
    redeemed = select(Purchase.member_id).where(Purchase.redeem_points > 0)
    found = list(session.scalars(select(Member).where(
        Member.membership_status == "active", Member.id.not_in(redeemed))
        .order_by(Member.phone)))
    logins = {m.phone for m in login_members(roster).values()}
    return ([m for m in found if m.phone in logins]
            + [m for m in found if m.phone not in logins and m.card
               and m.card.status == "active"])


def _remind_all(session, moment: datetime) -> None:
    after = 0
    while True:
        batch = send_reminders(session, now=moment, after=after)
        if batch.last is None:
            return
        after = batch.last


def _spend(session, members: list[Member], now: datetime) -> None:
    """Each spends 200 points (the soonest-expiring first) on a ¥120 bill at a demo shop."""
    tills = demo_tills(session)
    merchant_id = min(tills)
    merchant = session.get(Merchant, merchant_id)
    for member in members:
        purchases.record_purchase(session, merchant, tills[merchant_id],
                                  pay_codes.current_code(member.card)[0], 12000, 200, None,
                                  at=now)


def _last_ten_oclock(now: datetime) -> datetime:
    """The latest 10:00 Asia/Shanghai at or before now (when the daily reminders run)."""
    local = now.astimezone(SHANGHAI)
    ten = local.replace(hour=10, minute=0, second=0, microsecond=0)
    return ten if ten <= local else ten - timedelta(days=1)

