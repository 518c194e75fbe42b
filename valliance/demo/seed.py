"""`seed_demo`: members of every tier, six months of trade at the demo merchants, closed months,
members' birthdays and consent to marketing, the logins' inbox messages.

Everything is written by the services that write it in production: members are enrolled,
purchases and refunds recorded by the POS service, referrals by the directory's, past months
closed by settlement. Re-running creates nothing twice: only members not there yet are
enrolled, and only they are given a history.
"""

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from valliance.db import SHANGHAI, utcnow
from valliance.demo import plan
from valliance.demo.bill_points import seed_bill_points
from valliance.demo.care import seed_care
from valliance.demo.coupon_pages import seed_coupons
from valliance.demo.coupon_rules import seed_coupon_rules
from valliance.demo.desk import seed_desk
from valliance.demo.expiry import seed_expiry
from valliance.demo.invitations import seed_invitations
from valliance.demo.marketing import seed_marketing
from valliance.demo.profiles import seed_profiles
from valliance.demo.roster import (
    DEMO_PASSWORD,
    DEMO_SEED,
    FROZEN,
    HISTORY_DAYS,
    DemoMember,
    DemoResult,
    demo_roster,
    login_members,
    lost_card,
)
from valliance.demo.shops import (
    demo_merchants,
    demo_operator,
    demo_partners,
    demo_tills,
    partner_logins,
)
from valliance.demo.trade import play_trade
from valliance.demo.winback import lapsed_regulars, seed_winback
from valliance.directory.services import OperatorSeat
from valliance.members import services
from valliance.members.models import AnnualSpend, Member, TierChange
from valliance.members.services.tier_review import review_reason
from valliance.passwords import new_hash
from valliance.points import last_seq
from valliance.settlement.services import SettlementRefused, close_period, period_of


def seed_demo(session, *, if_empty: bool = False, seed: int = DEMO_SEED,
              now: datetime | None = None) -> DemoResult:
    """Create the demo alliance and its history (what is missing of it); flush, never commit."""
    result = DemoResult()
    roster = demo_roster(seed)
    logins = login_members(roster)
    if not (if_empty and session.scalar(select(func.count()).select_from(Member))):
        now = now or utcnow()
        merchants = demo_merchants(session, now)
        demo_partners(session)
        created = _enroll(session, roster, random.Random(seed + 1), now)
        result.members, result.created = len(created), bool(created)
        if created:
            _history(session, roster, created, random.Random(seed + 2), now, merchants, result)
            seed_profiles(session, roster, created, random.Random(seed + 3), now)
            seed_marketing(session, now)
            result.purchases += seed_winback(session, now)  # its sales follow the history's
            result.purchases += seed_care(session, roster, now)
            result.purchases += seed_coupons(session, now, [m.phone for m in logins.values()],
                                             merchants)
            seed_bill_points(session, [created[i] for i in sorted(created)], now,
                             frozenset(m.phone for m in logins.values()))
            result.purchases += seed_coupon_rules(session, now)
            invited = seed_invitations(session, [m.phone for m in logins.values()], merchants,
                                       now)  # members, purchases, refunds: added to the counts
            result.members += invited[0]
            result.purchases, result.refunds = (result.purchases + invited[1],
                                                result.refunds + invited[2])
            result.purchases += seed_expiry(session, roster, now)
            seed_desk(session, roster, now, seed + 19)
    present = set(session.scalars(select(Member.phone).where(
        Member.phone.in_([m.phone for m in logins.values()]))))
    result.logins = [{"tier": m.tier, "phone": m.phone, "password": DEMO_PASSWORD, "name": m.name}
                     for m in logins.values() if m.phone in present]
    partner_logins(session, result)
    return result


def _enroll(session, roster: list[DemoMember], rng: random.Random, now: datetime
            ) -> dict[int, Member]:
    """Enroll the roster's members not enrolled yet, by roster index."""
    today = now.astimezone(SHANGHAI).date()
    this_year = today.year
    password_hash = new_hash(DEMO_PASSWORD)  # once: every demo login shares it
    created = {}
    for index, demo in enumerate(roster):
        if services.find_member_by_phone(session, demo.phone):
            continue  # seeded before: never duplicate or fail
        spend = demo.telecom_fen + demo.alliance_fen
        member = services.enroll_member(session, phone=demo.phone, name=demo.name,
                                        tier=demo.tier, actor="demo",
                                        reason=review_reason(this_year - 1, spend))
        member.password_hash = password_hash
        joined = now - timedelta(days=HISTORY_DAYS + rng.randint(1, 400))
        member.created_at = member.claimed_at = member.card.issued_at = joined
        # the tier came from last year's spend: granted at this year's review (or on joining)
        granted = max(joined, datetime(this_year, 1, 1, tzinfo=SHANGHAI))
        for change in session.scalars(select(TierChange).where(
                TierChange.member_id == member.id)):
            change.created_at = granted
        member.tier_valid_until = date(this_year, 12, 31)
        session.add(AnnualSpend(member_id=member.id, year=this_year - 1,
                                telecom_fen=demo.telecom_fen, alliance_fen=demo.alliance_fen))
        # This year's telephone bills so far, about as much as last year's, pro rata; what
        # they spend at the alliance is what the history's purchases add.
        fraction = rng.uniform(0.6, 1.0) * (today.timetuple().tm_yday / 366)
        session.add(AnnualSpend(member_id=member.id, year=this_year,
                                telecom_fen=int(demo.telecom_fen * fraction), alliance_fen=0))
        created[index] = member
    session.flush()
    return created


def _history(session, roster: list[DemoMember], created: dict[int, Member],
             rng: random.Random, now: datetime, merchants: dict, result: DemoResult) -> None:
    """Six months of trade of the members just enrolled (the idle ones stopped two to three
    months ago: win-back's lapsed regulars), then the past months closed."""
    logins = {m.phone for m in login_members(roster).values()}
    active = [i for i in created if roster[i].history or roster[i].phone in logins]
    quiet = {FROZEN, lost_card(roster)}
    events = plan.plan_trade(rng, now, [m.tier for m in roster], active, quiet)
    idle = [i for i in created if i not in active and i not in quiet]
    events = sorted([*events, *lapsed_regulars(rng, now, idle)],
                    key=lambda event: event.at)
    operator = demo_operator(session)
    first_seq = last_seq(session)
    played = play_trade(session, events, members=created, merchants=merchants,
                        tills=demo_tills(session),
                        operator=OperatorSeat(operator.id, operator.name))
    result.purchases, result.refunds, result.referrals = (
        played.purchases, played.refunds, played.referrals)
    result.transfers = last_seq(session) - first_seq
    if FROZEN in created:
        services.set_membership(session, created[FROZEN], "frozen")
    if lost_card(roster) in created:
        services.set_card_status(session, created[lost_card(roster)].card, "lost")
    _keep_last_years_spend(session, roster, created, now)
    if events:
        result.periods = close_past_months(session, events[0].at, now)
    session.flush()


def _keep_last_years_spend(session, roster: list[DemoMember], created: dict[int, Member],
                           now: datetime) -> None:
    """Purchases of the history made last year were part of the spend that earned the tier.

    (Six months back crosses the new year for a demo seeded in the first half of the year.)
    """
    last_year = now.astimezone(SHANGHAI).year - 1
    by_member = {member.id: roster[index] for index, member in created.items()}
    rows = session.scalars(select(AnnualSpend).where(
        AnnualSpend.year == last_year, AnnualSpend.member_id.in_(list(by_member)))
        .execution_options(populate_existing=True))
    for row in rows:
        demo = by_member[row.member_id]
        extra = row.alliance_fen - demo.alliance_fen
        if extra > 0:
            row.telecom_fen = max(0, demo.telecom_fen - extra)


def _next(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def close_past_months(session, since: datetime, now: datetime) -> list[str]:
    """Close every month from the one of `since` to the last one ended; the periods closed.

    Stops at a month settlement refuses (a database whose later months were closed already).
    """
    closed = []
    period, current = period_of(since), period_of(now)
    while period < current:
        try:
            close_period(session, period, now=now, actor="demo")
        except SettlementRefused:
            break
        closed.append(period)
        period = _next(period)
    return closed
