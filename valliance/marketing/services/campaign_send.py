"""Running a campaign: one round for its whole audience, a batch of members at a time.

    run_campaign(session, campaign_id, started_by="staff:…")  → SendCounts

A run reads the audience (the campaign's filters, as a segment preview counts them), leaves
out the members this round already decided, and decides the rest a batch at a time under
MARKETING_LOCK (send_rules: opted out, capped, held out, deferred, sent). Each batch writes
its delivery rows, credits the rewards through the ledger and queues the messages, then
commits: a run that dies part way is resumed by running it again (the job is retried), and
two runs of one campaign at once decide each member once. Between batches the run stops when
the campaign has been paused or stopped. Unlike most jobs, a run commits as it goes: each
batch is whole, and holding 100,000 members' rows in one transaction helps nobody.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, insert_many_ignoring_conflict, select_where_in, utcnow
from valliance.errors import NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.marketing.campaign_models import (
    ONCE,
    Campaign,
    CampaignDelivery,
    CampaignRun,
)
from valliance.marketing.services import campaign_coupons, campaign_delivery, send_rules
from valliance.marketing.services.segment_filters import parse_filters
from valliance.marketing.services.segments import members_of
from valliance.marketing.signals import members_reached
from valliance.members.models import Member
from valliance.merchants.models import Purchase
from valliance.points import reward

BATCH = 1000
#: PostgreSQL advisory lock (two-key form) that sends hold while deciding a batch: the 30-day
#: cap is counted and written under it, so two campaigns never both take a member's last slot
MARKETING_LOCK = (17, 1)

deliveries = CampaignDelivery.__table__


@dataclass(frozen=True)
class SendCounts:
    targeted: int = 0
    sent: int = 0
    deferred: int = 0
    control: int = 0
    capped: int = 0
    opted_out: int = 0

    def as_json(self) -> dict:
        return asdict(self)


def counts(session: Session, campaign_id: str, round: str | None = None) -> SendCounts:
    """What the campaign's rounds (or one round) decided so far; `targeted` counts every
    member decided (a cancelled deferred message still counts as targeted and deferred)."""
    query = select(deliveries.c.status, func.count()).where(
        deliveries.c.campaign_id == campaign_id)
    if round is not None:
        query = query.where(deliveries.c.round == round)
    by_status = dict(session.execute(query.group_by(deliveries.c.status)).all())
    by_status["deferred"] = by_status.get("deferred", 0) + by_status.pop("cancelled", 0)
    return SendCounts(targeted=sum(by_status.values()),
                      **{status: by_status.get(status, 0)
                         for status in ("sent", "deferred", "control", "capped",
                                        "opted_out")})


def round_moment(campaign: Campaign, now: datetime) -> datetime:
    """The moment a run's round stands for: a daily campaign's scheduled run when it is due
    (a run late past midnight still serves yesterday's birthdays), else now."""
    if campaign.schedule_kind == "daily" and campaign.next_run_at \
            and campaign.next_run_at <= now:
        return campaign.next_run_at
    return now


def round_of(campaign: Campaign, now: datetime) -> str:
    """A one-off campaign has one round; a daily one a round per day (Asia/Shanghai): the day
    of its scheduled run, or today when run by hand."""
    if campaign.schedule_kind != "daily":
        return ONCE
    return round_moment(campaign, now).astimezone(SHANGHAI).date().isoformat()


def run_campaign(session: Session, campaign_id: str, *, started_by: str,
                 now: datetime | None = None, commit: Callable | None = None) -> SendCounts:
    """Run the campaign's current round now (see the module's doc); its counts after.
    commit ends each batch (session.commit; the demo seed, one transaction, passes flush)."""
    commit = commit or session.commit
    clock = (lambda: now) if now is not None else utcnow  # a run dated by hand ends then too
    # the row lock orders the run after a pause or stop being committed (PostgreSQL)
    campaign = session.get(Campaign, campaign_id, with_for_update=True, populate_existing=True)
    if campaign is None:
        raise NotFound(bilingual("营销活动不存在"))
    if campaign.status in ("paused", "stopped"):
        raise ValidationError(bilingual("活动已暂停或停止，不能发送"),
                              details={"status": [campaign.status]})
    now = now or utcnow()
    round, moment = round_of(campaign, now), round_moment(campaign, now)
    insert_many_ignoring_conflict(
        session.connection(), CampaignRun.__table__,
        [{"campaign_id": campaign.id, "round": round, "started_by": started_by,
          "started_at": now}], ["campaign_id", "round"])
    campaign.status = "sending"
    commit()
    audience = _undecided(session, campaign, round, moment)
    for start in range(0, len(audience), BATCH):
        status = _status(session, campaign.id)
        if status != "sending":  # paused (resumed later) or stopped (for good)
            if status == "stopped":
                _finish(session, campaign, round, clock())
                commit()
            return counts(session, campaign.id, round)
        # each batch on the clock: a long run that reaches 21:00 defers the rest
        _decide_batch(session, campaign, round, audience[start:start + BATCH], clock())
        commit()
    _finish(session, campaign, round, clock())
    commit()
    return counts(session, campaign.id, round)


def _status(session: Session, campaign_id: str) -> str:
    """The campaign's status, held (PostgreSQL: FOR SHARE) until the batch commits: a stop or
    pause waits for the batch, then sees its rows (and cancels what it held for 09:00)."""
    return session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)
                          .with_for_update(read=True))


def _undecided(session: Session, campaign: Campaign, round: str, moment: datetime) -> list[str]:
    """The round's audience at its moment: members in good standing the round has not decided
    and, for a daily campaign, that no round reached or held out in the last year (a birthday
    greeting once a year, however often a member changes their birthday)."""
    seen = deliveries.c.round == round
    if round != ONCE and campaign.reentry_days is not None:
        seen = seen | _same_lapse(campaign, round)
    elif round != ONCE:  # rounds are ISO days: a later round than the same day a year before
        seen = seen | (deliveries.c.status.in_((*send_rules.REACHED, "control"))
                       & (deliveries.c.round > send_rules.year_before(round)))
    audience = members_of(session, parse_filters(campaign.filters), now=moment).where(
        Member.membership_status == "active",
        ~select(deliveries.c.id).where(deliveries.c.campaign_id == campaign.id,
                                       deliveries.c.member_id == Member.id, seen).exists())
    return list(session.scalars(audience.order_by(Member.id)))


def _same_lapse(campaign: Campaign, round: str):
    """A campaign with a re-entry period (win-back): a member it reached, held out or found
    opted out is left out until they bought (a purchase not refunded in full) after that
    row, and its round is reentry_days or more before this one."""
    bought_since = select(Purchase.id).where(
        Purchase.member_id == deliveries.c.member_id,
        Purchase.created_at > deliveries.c.created_at,
        Purchase.refunded_amount < Purchase.amount).exists()
    return (deliveries.c.status.in_((*send_rules.REACHED, "control", "opted_out"))
            & ((deliveries.c.round > send_rules.days_before(round, campaign.reentry_days))
               | ~bought_since))


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                        {"a": MARKETING_LOCK[0], "b": MARKETING_LOCK[1]})
    # SQLite: the transaction began with the database's write lock (BEGIN IMMEDIATE)


def _decide_batch(session: Session, campaign: Campaign, round: str, member_ids: list[str],
                  now: datetime) -> None:
    _lock(session)
    decided = set(select_where_in(
        session, select(deliveries.c.member_id).where(deliveries.c.campaign_id == campaign.id,
                                                      deliveries.c.round == round),
        deliveries.c.member_id, member_ids))
    member_ids = [member_id for member_id in member_ids if member_id not in decided]
    if not member_ids:
        return
    opted_in = dict(select_where_in(
        session, select(Member.id, Member.marketing_opt_in), Member.id, member_ids))
    recent = dict(select_where_in(
        session, select(deliveries.c.member_id, func.count())
        .where(deliveries.c.status.in_(send_rules.REACHED),
               deliveries.c.reached_at > now - send_rules.CAP_WINDOW)
        .group_by(deliveries.c.member_id), deliveries.c.member_id, member_ids))
    cap = send_rules.max_per_30_days(current_app.config)
    quiet = send_rules.in_quiet_hours(now)
    due_at = send_rules.quiet_hours_end(now) if quiet else None
    rows = []
    for member_id in member_ids:
        status = send_rules.decide(
            opted_in=bool(opted_in.get(member_id)),
            reached_recently=0 if campaign.cap_exempt else recent.get(member_id, 0),
            cap=cap, held_out=send_rules.in_control(campaign.id, member_id,
                                                    campaign.control_percent), quiet=quiet)
        reached = status in send_rules.REACHED
        rows.append({"campaign_id": campaign.id, "round": round, "member_id": member_id,
                     "status": status, "reached_at": now if reached else None,
                     "due_at": due_at if status == "deferred" else None, "created_at": now})
    written = insert_many_ignoring_conflict(
        session.connection(), deliveries, rows, ["campaign_id", "round", "member_id"],
        returning=(deliveries.c.id, deliveries.c.member_id, deliveries.c.status))
    reached = [(row.id, row.member_id) for row in written if row.status in send_rules.REACHED]
    if campaign.bonus_points:
        _reward(session, campaign, reached, now)
    if campaign.coupon_template_id and reached:
        campaign_coupons.issue_to_reached(session, campaign, reached, now)
    if reached:  # programmes give their gifts in the batch's transaction (e.g. birthday care)
        members_reached.send(campaign, session=session, reached=reached, round=round, now=now)
    campaign_delivery.deliver(session, campaign, [
        (row.id, row.member_id) for row in written if row.status == "sent"], now=now)


def _reward(session: Session, campaign: Campaign, reached: list[tuple[int, str]],
            now: datetime) -> None:
    accounts = dict(select_where_in(session, select(Member.id, Member.points_account_id),
                                    Member.id, [member_id for _, member_id in reached]))
    transfers = []
    # accounts are locked in id order (the ledger's rule), never in members' order
    for delivery_id, member_id in sorted(reached, key=lambda pair: accounts[pair[1]]):
        posting = reward(session, member_account=accounts[member_id],
                         points=campaign.bonus_points, reason=f"campaign:{campaign.id}",
                         now=now)
        transfers.append({"delivery": delivery_id, "transfer": posting.transfer_id})
    if transfers:
        session.execute(update(deliveries).where(deliveries.c.id == bindparam("delivery"))
                        .values(reward_transfer_id=bindparam("transfer"))
                        .execution_options(synchronize_session=False), transfers)


def _finish(session: Session, campaign: Campaign, round: str, now: datetime) -> None:
    """The round is done: a one-off campaign is finished, a daily one waits for tomorrow
    (unless a stop or pause came first: the row is read under its lock)."""
    session.refresh(campaign, with_for_update=True)
    run = session.scalar(select(CampaignRun).where(CampaignRun.campaign_id == campaign.id,
                                                   CampaignRun.round == round))
    if run is not None and run.finished_at is None:
        run.finished_at = now
    if campaign.status != "sending":
        return
    if campaign.schedule_kind == "daily" and campaign.daily_at:
        campaign.status = "scheduled"
        campaign.next_run_at = send_rules.next_daily(campaign.daily_at, now)
    else:
        campaign.status, campaign.next_run_at = "finished", None
    campaign.updated_at = now
