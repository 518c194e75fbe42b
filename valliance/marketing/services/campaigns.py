"""Campaigns: create one and change it while it is a draft or paused (each audited), read one,
and the list page's rows. Scheduling, pausing, stopping and test sends are in
campaign_lifecycle; sending is the engine's (campaign_send)."""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound, ValidationError
from valliance.i18n import N_, bilingual
from valliance.ids import new_id
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.labels import campaign_status_bilingual
from valliance.marketing.services import campaign_send
from valliance.marketing.services.campaign_fields import CampaignFields, parse_campaign
from valliance.marketing.services.segment_filters import parse_filters
from valliance.marketing.services.segments import members_of
from valliance.members.models import Member

PER_PAGE = 20
#: the statuses in which a campaign's fields may still change
EDITABLE = ("draft", "paused")


@dataclass(frozen=True)
class CampaignPage:
    campaigns: list[Campaign]
    #: campaign id → how many members its audience names now
    audience: dict[str, int]
    #: campaign id → the engine's counts (all rounds): {"targeted", "sent", …}
    counts: dict[str, dict]
    page: int
    pages: int
    total: int


def get_campaign(session: Session, campaign_id: str, *, lock: bool = False) -> Campaign:
    query = select(Campaign).where(Campaign.id == campaign_id)
    campaign = session.scalar(query.with_for_update() if lock else query)
    if campaign is None:
        raise NotFound(bilingual("没有这个营销活动"))
    return campaign


def audience_size(session: Session, campaign: Campaign) -> int:
    """How many members the campaign's audience names now (in good standing: who a run
    would decide)."""
    ids = members_of(session, parse_filters(campaign.filters or {})).where(
        Member.membership_status == "active").subquery()
    return session.scalar(select(func.count()).select_from(ids)) or 0


def _apply(campaign: Campaign, fields: CampaignFields) -> None:
    for name, value in asdict(fields).items():
        setattr(campaign, name, value)
    campaign.updated_at = utcnow()


def _audited(campaign: Campaign) -> dict:
    """What an audit row keeps of a campaign's fields."""
    return {"name": campaign.name, "channel": campaign.channel, "message": campaign.message,
            "segment_id": campaign.segment_id, "filters": campaign.filters,
            "offer_id": campaign.offer_id, "bonus_points": campaign.bonus_points,
            "coupon_template_id": campaign.coupon_template_id,
            "control_percent": campaign.control_percent,
            "schedule_kind": campaign.schedule_kind, "send_at": campaign.send_at,
            "daily_at": campaign.daily_at}


def create_campaign(session: Session, data: Mapping, *, actor: str,
                    staff_id: str | None = None) -> Campaign:
    """A new draft campaign from data (checked by campaign_fields; audited)."""
    campaign = Campaign(id=new_id("cmp"), status="draft", created_by=staff_id)
    _apply(campaign, parse_campaign(session, data))
    session.add(campaign)
    session.flush()
    record_event(session, actor=actor, action="campaign.create", subject=campaign.id,
                 reason="created", **_audited(campaign))
    return campaign


#: the programmes that own campaigns (Campaign.programme), by the name staff know them by
PROGRAMME_NAMES = {"birthday": N_("生日关怀"), "winback": N_("会员挽回")}


def refuse_unless_owner(campaign: Campaign, programme: str | None) -> None:
    """A programme's campaign is changed by that programme's page only."""
    if campaign.programme is not None and campaign.programme != programme:
        raise ValidationError(bilingual(
            "这是“%(programme)s”计划的活动，请在该计划的页面修改",
            programme=bilingual(PROGRAMME_NAMES.get(campaign.programme, campaign.programme))))


def update_campaign(session: Session, campaign_id: str, data: Mapping, *, actor: str,
                    programme: str | None = None) -> Campaign:
    """Change a draft or paused campaign (audited, with what it was). programme: the
    programme changing its own campaign (the campaign pages pass none)."""
    campaign = get_campaign(session, campaign_id, lock=True)
    refuse_unless_owner(campaign, programme)
    if campaign.status not in EDITABLE:
        raise ValidationError(bilingual(
            "活动状态为“%(status)s”，只有草稿或已暂停的活动可以修改",
            status=campaign_status_bilingual(campaign.status)))
    fields = parse_campaign(session, data, campaign_id=campaign.id)
    _keep_what_was_sent(session, campaign, fields)
    before = _audited(campaign)
    _apply(campaign, fields)
    if campaign.status == "paused":  # its next run follows the schedule as changed (resume)
        campaign.next_run_at = None
    session.flush()
    record_event(session, actor=actor, action="campaign.update", subject=campaign.id,
                 reason="edited", before=before, **_audited(campaign))
    return campaign


#: what a campaign that reached anyone keeps: its control group (who is held out), what
#: each member gets and by which channel — changed halfway, the report compares nothing
FIXED_ONCE_SENT = {"control_percent": N_("对照组比例"), "bonus_points": N_("赠送积分"),
                   "coupon_template_id": N_("赠送优惠券"), "channel": N_("发送渠道")}


def _keep_what_was_sent(session: Session, campaign: Campaign, fields: CampaignFields) -> None:
    changed = [name for name in FIXED_ONCE_SENT if getattr(fields, name) != getattr(campaign, name)]
    if not changed or session.scalar(select(CampaignDelivery.id).where(
            CampaignDelivery.campaign_id == campaign.id).limit(1)) is None:
        return
    raise ValidationError(details={name: [bilingual(
        "活动已开始发送，不能再改%(field)s（否则对照组与效果报告失去意义）",
        field=bilingual(FIXED_ONCE_SENT[name]))] for name in changed})


def campaigns_page(session: Session, page: int = 1, per_page: int = PER_PAGE) -> CampaignPage:
    """One page of campaigns, newest first, with their audience sizes now."""
    total = session.scalar(select(func.count()).select_from(Campaign)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = list(session.scalars(select(Campaign).order_by(
        Campaign.created_at.desc(), Campaign.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    return CampaignPage(rows, {c.id: audience_size(session, c) for c in rows},
                        _counts(session, rows), page, pages, total)


def _counts(session: Session, rows: list[Campaign]) -> dict[str, dict]:
    if not rows:
        return {}
    return {c.id: campaign_send.counts(session, c.id).as_json() for c in rows}
