"""When campaigns run: the job that runs one, the minute tick that starts the due ones and
releases messages the quiet hours held back, and that release itself."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from valliance import jobs
from valliance.db import utcnow
from valliance.i18n import N_
from valliance.marketing.campaign_models import Campaign, CampaignDelivery
from valliance.marketing.services import campaign_delivery, send_rules
from valliance.marketing.services.campaign_send import BATCH, SendCounts, run_campaign
from valliance.members.models import Member
from valliance.messaging import OutboxMessage, deliver_pending, stale_claims_or_retries

SEND_JOB = "marketing.send_campaign"
RELEASE_JOB = "marketing.release_deferred"
DELIVER_JOB = "messaging.deliver"
#: seconds a run, a release or a delivery may take on RQ (whose default, 180 s, stops a run of
#: 100,000 members part way: each attempt resumed where the last stopped, the SMS only queued
#: at the end, and a delivery killed mid-batch leaves its claimed messages "sending")
LONG_JOB = 4 * 3600

deliveries = CampaignDelivery.__table__


def enqueue_run(campaign_id: str, started_by: str = "schedule") -> None:
    """Queue a run of the campaign (one at a time per campaign: the key is the campaign);
    started_by says who asked ("staff:<id>", or the schedule)."""
    jobs.enqueue(SEND_JOB, campaign_id, started_by, key=f"campaign:{campaign_id}")


def send_job(session: Session, campaign_id: str, started_by: str = "schedule") -> dict:
    """The job: run the campaign unless it was paused or stopped since it was queued; then
    queue the SMS delivery."""
    status = session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
    if status is None or status in ("paused", "stopped", "finished", "draft"):
        return {"skipped": status}
    result: SendCounts = run_campaign(session, campaign_id, started_by=started_by)
    jobs.enqueue(DELIVER_JOB, key=DELIVER_JOB)
    return result.as_json()


def deliver_job(session: Session) -> int:
    """The job: hand the queued SMS to the gateway (valliance.messaging); campaigns' only
    outside the quiet hours, and only until they begin."""
    return deliver_pending(session, marketing_until=send_rules.marketing_until(utcnow()))


def tick(session: Session, now: datetime | None = None) -> dict:
    """Every minute: queue the runs that are due (or died part way), the 09:00 release, and
    the SMS delivery."""
    now = now or utcnow()
    # a campaign still "sending" had its run die (a killed worker): queuing it again resumes
    # it, and queues nothing while its run is alive (the key is the campaign)
    due = session.scalars(select(Campaign.id).where(
        Campaign.status.in_(("scheduled", "sending")), Campaign.next_run_at <= now)
        .order_by(Campaign.next_run_at)).all()
    for campaign_id in due:
        enqueue_run(campaign_id)
    releasing = not send_rules.in_quiet_hours(now) and session.scalar(
        select(deliveries.c.id).join(Campaign, Campaign.id == deliveries.c.campaign_id)
        .where(deliveries.c.status == "deferred", deliveries.c.due_at <= now,
               Campaign.status != "paused").limit(1)) is not None
    if releasing:
        jobs.enqueue(RELEASE_JOB, key=RELEASE_JOB)
    waiting = (OutboxMessage.status == "pending") | stale_claims_or_retries()
    if send_rules.in_quiet_hours(now):  # campaigns' messages wait for 09:00
        waiting = waiting & OutboxMessage.marketing.is_(False)
    pending = session.scalar(select(OutboxMessage.id).where(waiting).limit(1)) is not None
    if pending:
        jobs.enqueue(DELIVER_JOB, key=DELIVER_JOB)
    return {"runs": len(due), "release": bool(releasing), "deliver": pending}


def release_deferred(session: Session, now: datetime | None = None) -> dict:
    """Send the messages the quiet hours held back whose time has come (a batch at a time,
    committed as it goes): to members who still accept marketing, for campaigns still live.
    A stopped campaign's are cancelled; a paused one's wait for it to resume; a member who
    opted out since is marked opted out (and no longer counts towards the cap)."""
    now = now or utcnow()
    released = {"sent": 0, "cancelled": 0, "opted_out": 0}
    if send_rules.in_quiet_hours(now):
        return released
    while True:
        rows = session.execute(
            select(deliveries.c.id, deliveries.c.campaign_id, deliveries.c.member_id,
                   Campaign.status, Member.marketing_opt_in)
            .join(Campaign, Campaign.id == deliveries.c.campaign_id)
            .join(Member, Member.id == deliveries.c.member_id)
            .where(deliveries.c.status == "deferred", deliveries.c.due_at <= now,
                   Campaign.status != "paused")
            .order_by(deliveries.c.id).limit(BATCH)
            .with_for_update(of=deliveries, skip_locked=True)).all()
        if not rows:
            return released
        _release(session, rows, released, now)
        session.commit()
        jobs.enqueue(DELIVER_JOB, key=DELIVER_JOB)


def _release(session: Session, rows, released: dict, now: datetime) -> None:
    by_campaign: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        if row.status == "stopped":
            outcome = "cancelled"
        elif not row.marketing_opt_in:
            outcome = "opted_out"
        else:
            by_campaign.setdefault(row.campaign_id, []).append((row.id, row.member_id))
            continue
        session.execute(update(deliveries).where(deliveries.c.id == row.id)
                        .values(status=outcome, **({"reached_at": None}
                                                   if outcome == "opted_out" else {})))
        released[outcome] += 1
    for campaign_id, pairs in by_campaign.items():
        campaign_delivery.deliver(session, session.get(Campaign, campaign_id), pairs, now=now)
        released["sent"] += len(pairs)


def register_jobs() -> None:
    jobs.register(SEND_JOB, send_job, label=N_("发送营销活动"), timeout=LONG_JOB)
    jobs.register(RELEASE_JOB, release_deferred, label=N_("发送免打扰时段暂缓的消息"),
                  timeout=LONG_JOB)
    jobs.register(DELIVER_JOB, deliver_job, label=N_("发送短信"), timeout=LONG_JOB)
    jobs.register("marketing.campaigns_tick", tick, label=N_("营销活动定时检查"),
                  every_minutes=1)
