"""A campaign's coupon: one issued to each member a round reaches, as its bonus points are.

Issued when the member's delivery row is written (the row is written once per campaign,
round and member: a retried or doubled run issues nothing twice), through
coupons.issuing.issue_coupon with the source "campaign:<id>". A member who holds their limit
of the template, or a template all given out, gets none: the message still goes and the row
says "refused". Members held out (control), capped or opted out get nothing.
"""

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from valliance.coupons.issuing import CouponNotIssued, issue_coupon
from valliance.db import select_where_in
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.members.models import Member

deliveries = CampaignDelivery.__table__


def issue_to_reached(session: Session, campaign: Campaign, reached: list[tuple[int, str]],
                     now: datetime) -> None:
    """Issue the campaign's coupon to each (delivery id, member id) and note the outcome."""
    members = {row[0].id: row[0] for row in select_where_in(
        session, select(Member), Member.id, [member_id for _, member_id in reached])}
    outcomes = []
    for delivery_id, member_id in sorted(reached, key=lambda pair: pair[1]):
        try:
            coupon = issue_coupon(session, campaign.coupon_template_id, members[member_id],
                                  source=f"campaign:{campaign.id}", now=now)
        except CouponNotIssued:
            outcomes.append({"delivery": delivery_id, "outcome": "refused", "coupon": None})
            continue
        outcomes.append({"delivery": delivery_id, "outcome": "issued", "coupon": coupon.id})
    if outcomes:
        session.execute(update(deliveries).where(deliveries.c.id == bindparam("delivery"))
                        .values(coupon_outcome=bindparam("outcome"),
                                coupon_id=bindparam("coupon"))
                        .execution_options(synchronize_session=False), outcomes)
