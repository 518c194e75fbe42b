"""The birthday gift, given when the programme's greeting reaches a member (issue #18).

The marketing engine decides who is reached (opted in to marketing, in good standing, not in
the control group, once a year; the greeting is deferred to 09:00 in the quiet hours) and
announces each batch (marketing.signals.members_reached); for the programme's campaign this
gives each member reached the configured gift, in the batch's transaction, and records it in
`birthday_gifts` (one a year: a member already given one this year gets nothing more):

- points: a `reward` of N points from the alliance (reason "birthday:<year>");
- double: double points at alliance merchants for the rest of the birthday month (the till
  reads the row: merchants.services.birthday_points);
- coupon: one coupon of the template (coupons.issuing.issue_coupon, source "birthday"); a
  template that refuses (its limits) leaves the gift without a coupon;
- none: the greeting alone (the row still says the member was greeted).
"""

import calendar
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.care.services.programme import get_programme
from valliance.coupons.issuing import CouponNotIssued, issue_coupon
from valliance.db import SHANGHAI, select_where_in
from valliance.marketing.campaign_models import ONCE
from valliance.members.gift_models import BirthdayGift
from valliance.members.models import Member
from valliance.points import reward


def month_of(day: date) -> tuple[date, date]:
    """The first and the last day of day's month."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def on_members_reached(campaign, *, session: Session, reached: list[tuple[int, str]],
                       round: str, now: datetime) -> None:
    """members_reached receiver: gifts for the programme's campaign, nothing for others."""
    programme = get_programme(session)
    if programme is None or programme.campaign_id != campaign.id:
        return
    day = now.astimezone(SHANGHAI).date() if round == ONCE else date.fromisoformat(round)
    give_gifts(session, programme, reached, day=day, now=now)


def give_gifts(session: Session, programme, reached: list[tuple[int, str]], *, day: date,
               now: datetime) -> int:
    """Give the programme's gift to each member reached who has none this year; how many."""
    ids = [member_id for _, member_id in reached]
    given = {row[0] for row in select_where_in(session, select(BirthdayGift.member_id).where(
        BirthdayGift.year == day.year), BirthdayGift.member_id, ids)}
    members = {row[0].id: row[0] for row in select_where_in(
        session, select(Member), Member.id, ids)}
    first, last = month_of(day)
    count = 0
    # reward credits lock member accounts: in account id order (the ledger's rule)
    for delivery_id, member_id in sorted(
            reached, key=lambda pair: members[pair[1]].points_account_id):
        if member_id in given:
            continue
        gift = BirthdayGift(member_id=member_id, year=day.year, kind=programme.gift,
                            campaign_id=programme.campaign_id, delivery_id=delivery_id,
                            points=0, created_at=now)
        if programme.gift == "points" and programme.bonus_points:
            posting = reward(session, member_account=members[member_id].points_account_id,
                             points=programme.bonus_points, reason=f"birthday:{day.year}",
                             now=now)
            gift.points, gift.transfer_id = programme.bonus_points, posting.transfer_id
        elif programme.gift == "double":
            gift.double_from, gift.double_until = max(first, day), last
        elif programme.gift == "coupon" and programme.coupon_template_id:
            try:
                gift.coupon_id = issue_coupon(session, programme.coupon_template_id,
                                              members[member_id], source="birthday",
                                              now=now).id
            except CouponNotIssued:
                gift.coupon_id = None
        session.add(gift)
        count += 1
    session.flush()
    return count
