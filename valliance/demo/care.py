"""The demo's birthday and holiday care (issue #18): the birthday programme configured with
double points for the birthday month (10 % held out), its greeting sent to last month's and
this month's birthdays (a printed login among them), two sales in a double-points month, and
the 春节 and 中秋 greetings scheduled for 2027 — all through the services staff use."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from valliance.care.services.programme import configure, get_programme
from valliance.db import SHANGHAI
from valliance.demo.clock import moments_after_last_posting
from valliance.demo.roster import DemoMember, login_members
from valliance.marketing.campaign_models import Campaign
from valliance.marketing.services import campaign_lifecycle, send_rules
from valliance.marketing.services.campaign_send import run_campaign
from valliance.marketing.services.campaigns import create_campaign
from valliance.members.gift_models import BirthdayGift
from valliance.members.models import Member
from valliance.members.services.birthday import set_birthday
from valliance.members.services.marketing_consent import set_marketing_opt_in
from valliance.merchants.models import Merchant, Terminal
from valliance.merchants.services.purchases import record_purchase
from valliance.staff.models import StaffUser

GREETING = "亲爱的{name}，V卡联盟祝您生日快乐！本月在联盟商户消费可得双倍积分，愿您天天开心。"
#: the lunar holidays' Gregorian dates (the demo greets the next one after it is seeded)
SPRING_FESTIVALS = (date(2027, 2, 6), date(2028, 1, 26), date(2029, 2, 13), date(2030, 2, 3),
                    date(2031, 1, 23), date(2032, 2, 11))
MID_AUTUMNS = (date(2027, 9, 15), date(2028, 10, 3), date(2029, 9, 22), date(2030, 9, 12),
               date(2031, 10, 1), date(2032, 9, 19))
#: (name, dates, Asia/Shanghai time of day, message)
HOLIDAYS = (
    ("春节问候", SPRING_FESTIVALS, time(9, 30), "{name}您好，V卡联盟恭祝您新春快乐，阖家幸福！"),
    ("中秋问候", MID_AUTUMNS, time(10, 0), "{name}您好，月圆人团圆，V卡联盟祝您中秋快乐！"),
)


def next_holiday(dates, at: time, now: datetime) -> datetime | None:
    """The first of these holidays still to come (None: past the table's last year)."""
    return next((moment for moment in (datetime.combine(day, at, SHANGHAI) for day in dates)
                 if moment > now), None)


#: what the birthday members bought in their double-points month (fen)
SALES = (16_800, 9_350, 23_600)
#: members without a birthday who give one this month or last (the programme has an audience)
BIRTHDAYS = 10


def seed_care(session, roster: list[DemoMember], now: datetime) -> int:
    """Once: when the programme is not configured yet (flushed with the rest of the seed);
    the purchases it recorded."""
    if get_programme(session) is not None:
        return 0
    staff = session.scalar(select(StaffUser).where(StaffUser.username == "mkt"))
    actor = f"staff:{staff.id}" if staff else "demo"
    this_month = now.astimezone(SHANGHAI).date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    _birthdays(session, this_month.month, last_month.month)
    login = next(iter(login_members(roster).values()), None)
    if login is not None:  # the printed login's inbox shows the greeting
        member = session.scalar(select(Member).where(Member.phone == login.phone))
        set_birthday(session, member, this_month.month, min(now.astimezone(SHANGHAI).day, 28),
                     actor="demo", via="demo")
        set_marketing_opt_in(session, member, True, actor="demo", via="demo")
    programme = configure(session, {
        "enabled": True, "channel": "inbox", "message": GREETING, "cap_exempt": False,
        "control_percent": "10", "gift": "double"}, actor=actor)
    campaign = session.get(Campaign, programme.campaign_id)
    for first in (last_month, this_month):
        campaign.next_run_at = None  # the round is the day the demo says, not the schedule's
        run_campaign(session, campaign.id, started_by=actor, commit=session.flush,
                     now=datetime.combine(first, time(10, 0), SHANGHAI))
    campaign.next_run_at = send_rules.next_daily(campaign.daily_at, now)
    sales = _double_sales(session, this_month, now)
    for name, dates, time_of_day, message in HOLIDAYS:
        at = next_holiday(dates, time_of_day, now)
        if at is None:
            continue
        holiday = create_campaign(session, {
            "name": name, "channel": "sms", "filters": {"opted_in": True}, "message": message,
            "control_percent": "0", "bonus_points": "0", "schedule_kind": "at",
            "send_at": at}, actor=actor)
        campaign_lifecycle.schedule(session, holiday.id, actor=actor, reason="demo")
    return sales


def _birthdays(session, this_month: int, last_month: int) -> None:
    """Members who agreed to marketing and gave no birthday give one in these two months."""
    quiet = session.scalars(select(Member).where(
        Member.birth_month.is_(None), Member.marketing_opt_in.is_(True))
        .order_by(Member.phone).limit(BIRTHDAYS)).all()
    for index, member in enumerate(quiet):
        set_birthday(session, member, (this_month, last_month)[index % 2], 10 + index,
                     actor="demo", via="demo")


def _double_sales(session, this_month, now: datetime) -> int:
    """A few members in their double-points month buy at an alliance merchant's till, just
    after the demo's last ledger posting (the ledger's ids grow with its dates); how many."""
    till = session.scalar(select(Terminal).join(Merchant, Merchant.id == Terminal.merchant_id)
                          .where(Merchant.status == "approved", Terminal.revoked_at.is_(None))
                          .order_by(Terminal.created_at))
    members = session.scalars(select(Member).join(
        BirthdayGift, BirthdayGift.member_id == Member.id).where(
        BirthdayGift.kind == "double", BirthdayGift.double_from == this_month,
        Member.membership_status == "active").order_by(Member.id).limit(len(SALES))).all()
    members = [member for member in members if member.card and member.card.status == "active"]
    if till is None:
        return 0
    moments = moments_after_last_posting(session, now)
    merchant = session.get(Merchant, till.merchant_id)
    for member, amount in zip(members, SALES, strict=False):
        record_purchase(session, merchant, till.id, member.card.number, amount, 0, None,
                        at=next(moments))
    return min(len(members), len(SALES))
