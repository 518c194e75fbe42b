"""The VIP service desk (contract §12): tickets and their events, the teams that work them,
the configured service levels, and each VIP member's account manager.

A ticket's clock (docs/service-desk.md) is kept on the ticket: the counted seconds used until
`running_since`, and the moment it is due. The report reads what the last resolution stored
(`fix_seconds`, `within_target`), so a month's share never depends on today's configuration.
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

KINDS = ("fault", "install", "move", "value_added", "billing", "other")
STATUSES = ("open", "assigned", "in_progress", "waiting_member", "resolved", "closed")
#: the statuses in which the clock runs
RUNNING = ("open", "assigned", "in_progress")
#: the statuses of a ticket still to be worked (the queue)
UNRESOLVED = (*RUNNING, "waiting_member")
CHANNELS = ("portal", "app", "desk")
#: the queue's two parts, by time left: running tickets, then paused ones (their indexes and
#: services/queue.py's query)
RUNNING_WHERE = f"status IN ({', '.join(repr(status) for status in RUNNING)})"
PAUSED_WHERE = "status = 'waiting_member'"
VISIBILITIES = ("member", "internal")
SUMMARY_MAX = 500
NOTE_MAX = 1000


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ServiceTeam(Base):
    """A team of engineers (装维一组, 政企支撑…) with a lead, to whom its overdue tickets go."""

    __tablename__ = "service_teams"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    lead_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceTeamMember(Base):
    """An engineer's team (one team each)."""

    __tablename__ = "service_team_members"

    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("service_teams.id"), index=True)


class ServiceLevel(Base):
    """How many minutes a kind of ticket may take for a tier (tier "*": every tier without
    its own row). Without any row the contract's defaults hold (a fault 5 h, others 24 h)."""

    __tablename__ = "service_levels"
    __table_args__ = (CheckConstraint(_in("kind", KINDS), name="kind"),
                      CheckConstraint("minutes BETWEEN 1 AND 43200", name="minutes"))

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceClock(Base):
    """Which clock a kind runs on: `24x7` (the default) or `business` hours."""

    __tablename__ = "service_clocks"
    __table_args__ = (CheckConstraint(_in("kind", KINDS), name="kind"),
                      CheckConstraint("clock IN ('24x7', 'business')", name="clock"))

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    clock: Mapped[str] = mapped_column(String(8))
    updated_by: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    """A fault reported or a service asked for by a member (or for them, by the desk)."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        # the queue, escalation and the overdue count read running tickets by due time
        Index("ix_tickets_running", "due_at", "id", postgresql_where=text(RUNNING_WHERE),
              sqlite_where=text(RUNNING_WHERE)),
        Index("ix_tickets_paused", "due_at", "id", postgresql_where=text(PAUSED_WHERE),
              sqlite_where=text(PAUSED_WHERE)),
        Index("ix_tickets_member_created", "member_id", "created_at"),
        Index("ix_tickets_created", "created_at"),
        Index("ix_tickets_resolved", "resolved_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: what people read out on the phone: T and eight digits
    number: Mapped[str] = mapped_column(String(12), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(16))
    #: the member's tier when the ticket was opened (its service level and the report's)
    tier: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX))
    contact_phone: Mapped[str] = mapped_column(String(11))
    address: Mapped[str | None] = mapped_column(String(200))
    preferred_time: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    #: the status a paused ticket returns to
    resume_status: Mapped[str | None] = mapped_column(String(16))
    waiting_reason: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("service_teams.id"), index=True)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    #: the desk user who opened it for a member who phoned in (None: the member did)
    opened_by: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the service level when opened, in minutes, and the clock it runs on
    target_minutes: Mapped[int] = mapped_column(Integer)
    clock: Mapped[str] = mapped_column(String(8))
    #: counted seconds used before `running_since`
    used_seconds: Mapped[int] = mapped_column(Integer, default=0)
    #: when the clock last started; None while it is paused or stopped
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the service level runs out (kept as it was while the clock stands)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the overdue ticket went to its team lead (once)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: counted seconds used at the last resolution, and whether that was within the target
    fix_seconds: Mapped[int | None] = mapped_column(Integer)
    within_target: Mapped[bool | None] = mapped_column(Boolean)
    #: times it was reopened after a resolution (the member's "not fixed", or the desk)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketEvent(Base):
    """A change of status, an assignment or a note; `visibility` member: the member sees it.

    A change the member should know of is told them once (`notify`): in the inbox at once,
    by SMS at once or — in the quiet hours, unless it is a fault's resolution — at `sms_due_at`,
    when the desk's job queues it: `sms_queued_at` set and `sms_due_at` cleared by one
    conditional update (once; only what waits has an `sms_due_at`, so the index's
    range holds nothing else)."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        CheckConstraint(_in("visibility", VISIBILITIES), name="visibility"),
        Index("ix_ticket_events_ticket", "ticket_id", "id"),
        Index("ix_ticket_events_sms_due", "sms_due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    #: the status after this event (None: a note or an assignment that kept the status)
    status: Mapped[str | None] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    #: what happened: opened, assigned, status, note, reopened, rated, escalated
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    visibility: Mapped[str] = mapped_column(String(8), default="member")
    #: the staff user who did it (None: the member or the system)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sms_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountManager(Base):
    """A VIP (gold, diamond) member's one account manager, a staff user."""

    __tablename__ = "account_managers"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id"), index=True)
    assigned_by: Mapped[str | None] = mapped_column(String(60))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
