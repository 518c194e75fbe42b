"""A campaign's life: schedule (draft → scheduled), pause, resume, stop, and a test send to the
staff member's own phone; each audited with who and why.

The engine (campaign_send) starts runs: its scheduler takes campaigns that are `scheduled`
with `next_run_at` due. Scheduling "now" sets `next_run_at` to now; the caller also queues a
run at once (start_now) after its commit, so the engine reads the committed status.
"""

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import ValidationError
from valliance.i18n import N_, bilingual
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.labels import campaign_status_bilingual
from valliance.marketing.services import (
    campaign_delivery,
    campaign_schedule,
    send_rules,
    templates,
)
from valliance.marketing.services.campaigns import get_campaign, refuse_unless_owner
from valliance.marketing.services.segment_filters import parse_filters
from valliance.marketing.services.segments import members_of
from valliance.members.models import Member
from valliance.merchants.models import Offer
from valliance.messaging import BODY_MAX, cancel_pending, queue_sms
from valliance.staff.models import StaffUser

TEST_PREFIX = "【测试】"
#: what a test send is filled with when the audience names nobody
SAMPLE_VALUES = templates.MemberValues(name="王小明", tier_zh="金卡", balance=1_280,
                                       expiring_points=200, expiring_at=None)
#: action → the statuses a campaign may be in for it
MOVES = {
    "schedule": ("draft",),
    "pause": ("scheduled", "sending"),
    "resume": ("paused",),
    "stop": ("draft", "scheduled", "sending", "paused"),
}
#: what a refused move says (the campaign's status as a parameter)
REFUSED = {
    "schedule": N_("活动状态为“%(status)s”，不能排期"),
    "pause": N_("活动状态为“%(status)s”，不能暂停"),
    "resume": N_("活动状态为“%(status)s”，不能恢复"),
    "stop": N_("活动状态为“%(status)s”，不能停止"),
}


def _moving(session: Session, campaign_id: str, action: str, programme: str | None) -> Campaign:
    campaign = get_campaign(session, campaign_id, lock=True)
    refuse_unless_owner(campaign, programme)
    if campaign.status not in MOVES[action]:
        raise ValidationError(bilingual(REFUSED[action],
                                        status=campaign_status_bilingual(campaign.status)))
    return campaign


def _audit(session: Session, campaign: Campaign, action: str, actor: str, reason: str,
           before: str, **detail) -> None:
    campaign.updated_at = utcnow()
    session.flush()
    record_event(session, actor=actor, action=f"campaign.{action}", subject=campaign.id,
                 reason=reason, before=before, status=campaign.status,
                 next_run_at=campaign.next_run_at, **detail)


def _next_run(campaign: Campaign):
    now = utcnow()
    if campaign.schedule_kind == "now":
        return now
    if campaign.schedule_kind == "at":
        if campaign.send_at is None or campaign.send_at <= now:
            raise ValidationError(details={"send_at": [bilingual("发送时间须晚于现在")]})
        return campaign.send_at
    return send_rules.next_daily(campaign.daily_at, now)


def schedule(session: Session, campaign_id: str, *, actor: str, reason: str = "",
             programme: str | None = None) -> Campaign:
    """Draft → scheduled: next_run_at is now, send_at, or the next daily time (audited).
    A "now" campaign's run is queued by the caller after its commit (start_now)."""
    campaign = _moving(session, campaign_id, "schedule", programme)
    before = campaign.status
    campaign.next_run_at = _next_run(campaign)
    campaign.status = "scheduled"
    _audit(session, campaign, "schedule", actor, reason, before)
    return campaign


def start_now(campaign: Campaign, actor: str = "schedule") -> bool:
    """Queue a run at once for a campaign scheduled to go now (call after the commit)."""
    if campaign.status != "scheduled" or campaign.schedule_kind != "now":
        return False
    campaign_schedule.enqueue_run(campaign.id, actor)
    return True


def pause(session: Session, campaign_id: str, *, actor: str, reason: str = "",
          programme: str | None = None) -> Campaign:
    """Scheduled or sending → paused (a run in progress stops after its batch; audited)."""
    campaign = _moving(session, campaign_id, "pause", programme)
    before, campaign.status = campaign.status, "paused"
    _audit(session, campaign, "pause", actor, reason, before)
    return campaign


def resume(session: Session, campaign_id: str, *, actor: str, reason: str = "",
           programme: str | None = None) -> Campaign:
    """Paused → scheduled: the run it was due for (a time that passed meanwhile: at once);
    after an edit, the next run of the schedule as changed."""
    campaign = _moving(session, campaign_id, "resume", programme)
    if campaign.next_run_at is None:
        campaign.next_run_at = _next_run(campaign)
    before, campaign.status = campaign.status, "scheduled"
    _audit(session, campaign, "resume", actor, reason, before)
    return campaign


def stop(session: Session, campaign_id: str, *, actor: str, reason: str = "",
         programme: str | None = None) -> Campaign:
    """Any live campaign → stopped, for good (audited with the reason, which staff give)."""
    if actor != "cli" and not (reason or "").strip():
        raise ValidationError(details={"reason": [bilingual("请填写停止活动的原因")]})
    campaign = _moving(session, campaign_id, "stop", programme)
    before, campaign.status, campaign.next_run_at = campaign.status, "stopped", None
    # the messages the quiet hours held back will not go: no longer counted toward any cap;
    # nor will its SMS still waiting in the outbox (a batch queued just before 21:00)
    session.execute(update(CampaignDelivery).where(CampaignDelivery.campaign_id == campaign.id,
                                                   CampaignDelivery.status == "deferred")
                    .values(status="cancelled")
                    .execution_options(synchronize_session=False))
    cancel_pending(session, ids=select(CampaignDelivery.outbox_message_id).where(
        CampaignDelivery.campaign_id == campaign.id,
        CampaignDelivery.outbox_message_id.is_not(None)).scalar_subquery())
    _audit(session, campaign, "stop", actor, reason, before)
    return campaign


def sample_member_id(session: Session, campaign: Campaign) -> str | None:
    """The newest member of the campaign's audience (None when it names nobody)."""
    ids = members_of(session, parse_filters(campaign.filters or {}))
    return session.scalar(ids.order_by(Member.created_at.desc(), Member.id).limit(1))


def sample_message(session: Session, campaign: Campaign) -> tuple[str | None, str]:
    """(the sample member's id or None, the message rendered for them or for made-up
    values when the audience is empty)."""
    member_id = sample_member_id(session, campaign)
    if member_id is None:
        offer = session.get(Offer, campaign.offer_id) if campaign.offer_id else None
        values = replace(SAMPLE_VALUES, expiring_at=utcnow() + timedelta(days=20),
                         offer=offer.title if offer else "")
        return None, templates.render(campaign.message, values)
    values = campaign_delivery.member_values(session, campaign, [member_id])[member_id]
    return member_id, templates.render(campaign.message, values)


def test_send(session: Session, campaign_id: str, staff: StaffUser) -> str:
    """Text the message, as one sample member would get it, to the staff member's own phone
    ("【测试】" first); no delivery row, so it counts toward no cap. Returns the text."""
    campaign = get_campaign(session, campaign_id)
    phone = session.scalar(select(StaffUser.phone).where(StaffUser.id == staff.id))
    if not phone:
        raise ValidationError(details={"phone": [bilingual(
            "请先填写您的手机号，测试短信将发到这个号码")]})
    member_id, text = sample_message(session, campaign)
    text = TEST_PREFIX + text
    text = campaign_delivery.sms_text(text) if campaign.channel == "sms" else text[:BODY_MAX]
    queue_sms(session, phone, text)
    record_event(session, actor=f"staff:{staff.id}", action="campaign.test_send",
                 subject=campaign.id, reason="test", phone=f"{phone[:3]}****{phone[-4:]}",
                 sample_member_id=member_id)
    return text
