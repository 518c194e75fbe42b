"""What a campaign's page reads: its audience now (count, a sample, the message as the first
of them gets it), its segment and offer, its runs and the engine's counts."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.coupons.models import CouponTemplate
from valliance.marketing.campaign_models import Campaign, CampaignRun
from valliance.marketing.models import Segment
from valliance.marketing.services import campaign_send
from valliance.marketing.services.campaign_lifecycle import sample_message
from valliance.marketing.services.campaigns import get_campaign
from valliance.marketing.services.segment_filters import Filters, parse_filters
from valliance.marketing.services.segments import Preview, preview
from valliance.merchants.models import Merchant, Offer
from valliance.staff.models import StaffUser

SAMPLE = 10


@dataclass(frozen=True)
class CampaignDetail:
    campaign: Campaign
    filters: Filters
    audience: Preview
    #: the message as the audience's first member gets it (made-up values for none)
    rendered: str
    segment: Segment | None
    offer: Offer | None
    merchant_name: str
    creator_name: str
    runs: list[CampaignRun]
    #: the coupon template each member reached is issued (None: no coupon)
    coupon_template: CouponTemplate | None
    #: the engine's figures (targeted, sent, deferred, control, capped, opted_out)
    counts: dict


def campaign_detail(session: Session, campaign_id: str) -> CampaignDetail:
    campaign = get_campaign(session, campaign_id)
    filters = parse_filters(campaign.filters or {})
    _member_id, rendered = sample_message(session, campaign)
    offer = session.get(Offer, campaign.offer_id) if campaign.offer_id else None
    runs = list(session.scalars(select(CampaignRun).where(
        CampaignRun.campaign_id == campaign.id).order_by(CampaignRun.started_at.desc(),
                                                         CampaignRun.id.desc())))
    creator = session.get(StaffUser, campaign.created_by) if campaign.created_by else None
    return CampaignDetail(
        campaign=campaign, filters=filters, audience=preview(session, filters, sample=SAMPLE),
        rendered=rendered,
        segment=session.get(Segment, campaign.segment_id) if campaign.segment_id else None,
        offer=offer, merchant_name=session.get(Merchant, offer.merchant_id).name if offer else "",
        creator_name=creator.name if creator else "",
        runs=runs, counts=campaign_send.counts(session, campaign.id).as_json(),
        coupon_template=session.get(CouponTemplate, campaign.coupon_template_id)
        if campaign.coupon_template_id else None)
