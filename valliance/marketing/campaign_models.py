"""Campaigns, their runs, and one delivery row per member reached or passed over.

A campaign names its audience (a segment's filters, copied when it is created), a channel
(sms or inbox), a message template, an optional reward and a schedule. Each run ("round": the
one-off campaign's only round, "once", or a recurring campaign's day, "2026-12-07") writes one
`campaign_deliveries` row per member of the audience saying what happened to them; the unique
(campaign, round, member) is what makes a run safe to retry or to run twice at once.
"""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

CHANNELS = ("sms", "inbox")
#: draft (being written), scheduled (waiting for its time or its next day), sending (a run in
#: progress), paused, stopped (for good), finished (a one-off campaign that ran)
CAMPAIGN_STATUSES = ("draft", "scheduled", "sending", "paused", "stopped", "finished")
#: now (sent when staff press send), at (once, at send_at), daily (every day at daily_at)
SCHEDULE_KINDS = ("now", "at", "daily")
#: what happened to one member in one round (see services/send_rules.py)
DELIVERY_STATUSES = ("sent", "deferred", "control", "capped", "opted_out", "cancelled")
#: what became of a reached member's coupon
COUPON_OUTCOMES = ("issued", "refused")
#: the round of a one-off campaign
ONCE = "once"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="status"),
        CheckConstraint(_in("schedule_kind", SCHEDULE_KINDS), name="schedule_kind"),
        CheckConstraint("control_percent BETWEEN 0 AND 50", name="control_percent"),
        CheckConstraint("bonus_points >= 0", name="bonus_points"),
        Index("ix_campaigns_status_next_run_at", "status", "next_run_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    #: the template: text with {name}, {tier}, {balance}, {expiring_points}, {expiring_date},
    #: {offer} (services/templates.py)
    message: Mapped[str] = mapped_column(String(500))
    #: the saved segment it was made from (its filters are copied into `filters`)
    segment_id: Mapped[str | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    #: the audience: segment filters as services.segment_filters reads them
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the offer whose title {offer} shows (and whose merchant counts redemptions)
    offer_id: Mapped[str | None] = mapped_column(ForeignKey("offers.id"))
    #: points credited (ledger kind reward) to each member reached, 0 for none
    bonus_points: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: a coupon template issued to each member reached (issue #18)
    coupon_template_id: Mapped[str | None] = mapped_column(String(40))
    #: not counted against MARKETING_MAX_PER_30_DAYS (the birthday greeting); never exempt
    #: from the opt-out, the quiet hours or good standing
    cap_exempt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: a daily campaign reaches or holds out a member again only after they bought since and
    #: at least this many days later (win-back: once per lapse); None: once a year
    reentry_days: Mapped[int | None] = mapped_column(Integer)
    #: the programme that owns it (birthday, winback): its page changes, starts and stops it;
    #: the campaign pages refuse to (a coupon or bonus set there would double the gift)
    programme: Mapped[str | None] = mapped_column(String(16))
    #: percent of the audience held out (no message, no reward), fixed per campaign and member
    control_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    schedule_kind: Mapped[str] = mapped_column(String(16), default="now")
    #: schedule at: when (UTC)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: schedule daily: the time of day "HH:MM" in Asia/Shanghai
    daily_at: Mapped[str | None] = mapped_column(String(5))
    #: when the scheduler should next start a run (None: not scheduled)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignRun(Base):
    """One round of a campaign: started, finished, and who or what started it."""

    __tablename__ = "campaign_runs"
    __table_args__ = (UniqueConstraint("campaign_id", "round"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    round: Mapped[str] = mapped_column(String(10))
    #: "staff:<id>", "schedule", "cli"
    started_by: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignDelivery(Base):
    """What one run did for one member of the audience."""

    __tablename__ = "campaign_deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "round", "member_id"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        CheckConstraint(_in("coupon_outcome", COUPON_OUTCOMES), name="coupon_outcome"),
        # the 30-day cap: messages a member was sent (or will be, deferred) since a moment
        Index("ix_campaign_deliveries_member_id_reached_at", "member_id", "reached_at"),
        # the 09:00 release of messages deferred by the quiet hours
        Index("ix_campaign_deliveries_due_at", "due_at",
              sqlite_where=text("status = 'deferred'"),
              postgresql_where=text("status = 'deferred'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    round: Mapped[str] = mapped_column(String(10))
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(16))
    #: when the member was reached (sent, or deferred: counts for the cap from then on);
    #: None for members held out, capped or opted out
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: deferred: when the message may go (09:00 Asia/Shanghai)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the message was handed to its channel
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the SMS in the outbox (its delivery status), or the inbox message
    outbox_message_id: Mapped[int | None] = mapped_column(BigId)
    inbox_message_id: Mapped[int | None] = mapped_column(BigId)
    #: the reward's ledger transfer
    reward_transfer_id: Mapped[int | None] = mapped_column(BigId)
    #: the campaign's coupon: "issued" (coupon_id), "refused" (the member held their limit or
    #: the template was all given out: the message still went); None: no coupon
    coupon_outcome: Mapped[str | None] = mapped_column(String(8))
    coupon_id: Mapped[str | None] = mapped_column(ForeignKey("coupons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
