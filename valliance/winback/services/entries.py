"""The programme's daily job: run today's round of its campaign through the marketing engine
(who lapsed enters: opt-out, the 30-day cap, the control group, the quiet hours and good
standing are the engine's rules), then give each member reached the programme's coupon.

    run(session, now=None) → {"targeted", "sent", …, "coupons"}

The engine commits its batches; the coupons are issued after the round, one
`winback_coupons` row per member reached, so a job that died between the two is retried and
issues each coupon once (the round decides nobody twice).
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance import jobs
from valliance.coupons.issuing import CouponNotIssued, issue_coupon
from valliance.db import utcnow
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.services import send_rules
from valliance.marketing.services.campaign_schedule import DELIVER_JOB
from valliance.marketing.services.campaign_send import round_of, run_campaign
from valliance.members.models import Member
from valliance.winback.models import WinbackCoupon, WinbackProgramme
from valliance.winback.services.programme import programme

JOB = "winback.run"
SOURCE = "winback"

d = CampaignDelivery


def run(session: Session, now: datetime | None = None) -> dict:
    """The job: today's round, when the programme is on and its campaign neither paused nor
    stopped; then the SMS delivery is queued."""
    saved = programme(session)
    if saved is None or not saved.enabled:
        return {"skipped": "off"}
    status = session.scalar(select(Campaign.status).where(Campaign.id == saved.campaign_id))
    if status not in ("scheduled", "sending"):
        return {"skipped": status}
    answer = run_round(session, saved, now=now)
    jobs.enqueue(DELIVER_JOB, key=DELIVER_JOB)
    return answer


def run_round(session: Session, saved: WinbackProgramme, *, now: datetime | None = None,
              commit: Callable | None = None) -> dict:
    """The round and its coupons (commit: as campaign_send.run_campaign's; the demo seed,
    one transaction, passes flush)."""
    moment = now or utcnow()
    campaign = session.get(Campaign, saved.campaign_id)
    round = round_of(campaign, moment)
    counts = run_campaign(session, campaign.id, started_by="winback", now=now, commit=commit)
    campaign = session.get(Campaign, saved.campaign_id, populate_existing=True)
    campaign.next_run_at = None  # the job runs it, never the minute tick
    issued = give_coupons(session, saved.coupon_template_id, campaign.id, round, moment)
    return {**counts.as_json(), "coupons": issued}


def give_coupons(session: Session, template_id: str | None, campaign_id: str, round: str,
                 now: datetime) -> int:
    """A coupon for each member the round reached who has none yet; how many were issued.
    A coupon the template refuses (its limits) is noted as none, and not tried again."""
    if not template_id:
        return 0
    waiting = session.execute(
        select(d.id, d.member_id).where(
            d.campaign_id == campaign_id, d.round == round, d.status.in_(send_rules.REACHED),
            ~select(WinbackCoupon.delivery_id).where(WinbackCoupon.delivery_id == d.id)
            .exists()).order_by(d.id)).all()
    issued = 0
    for delivery_id, member_id in waiting:
        member = session.get(Member, member_id)
        try:
            coupon_id = issue_coupon(session, template_id, member, source=SOURCE, now=now).id
            issued += 1
        except CouponNotIssued:
            coupon_id = None
        session.add(WinbackCoupon(delivery_id=delivery_id, coupon_id=coupon_id, created_at=now))
    session.flush()
    return issued
