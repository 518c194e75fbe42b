"""The desk's queue: unresolved tickets ordered by time left, with their clock.

Running tickets come first, soonest due first (an overdue ticket has the least time left);
tickets waiting for the member follow (their clock stands). The light is what the page shows:
green, amber from 75 % of the service level used, red when overdue; grey while paused.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, aliased

from valliance.db import utcnow
from valliance.members.models import Member
from valliance.members.tiers import TIER_ORDER
from valliance.service_desk.models import (
    KINDS,
    PAUSED_WHERE,
    RUNNING,
    RUNNING_WHERE,
    UNRESOLVED,
    ServiceTeam,
    Ticket,
)
from valliance.service_desk.services.tickets import used_seconds
from valliance.staff.models import StaffUser

PER_PAGE = 50
AMBER_AT = 0.75
#: the status filter's extra choices beside the statuses themselves
OVERDUE, ESCALATED = "overdue", "escalated"
STATUS_FILTERS = (*UNRESOLVED, OVERDUE, ESCALATED)


@dataclass(frozen=True)
class QueueFilters:
    kind: str | None = None
    tier: str | None = None
    team_id: str | None = None
    #: a staff id, or "none": nobody assigned yet
    assignee_id: str | None = None
    #: one of UNRESOLVED, OVERDUE or ESCALATED (None: every unresolved ticket)
    status: str | None = None

    @classmethod
    def from_args(cls, args) -> "QueueFilters":
        """From the queue page's query string; what cannot be read is left out."""
        def pick(name: str, allowed=None) -> str | None:
            value = (args.get(name) or "").strip()[:40] or None
            return value if allowed is None or value in allowed else None
        return cls(kind=pick("kind", KINDS), tier=pick("tier", TIER_ORDER),
                   team_id=pick("team"), assignee_id=pick("assignee"),
                   status=pick("status", STATUS_FILTERS))

    def args(self) -> dict:
        """The query string that gives these filters back (the pager's links)."""
        return {key: value for key, value in (
            ("kind", self.kind), ("tier", self.tier), ("team", self.team_id),
            ("assignee", self.assignee_id), ("status", self.status)) if value}


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    member_name: str
    team_name: str | None
    assignee_name: str | None
    used_seconds: int
    #: seconds until due (negative: overdue), by the wall clock; while paused, what the
    #: service level leaves (counted)
    left_seconds: int
    #: green, amber, red, or paused
    light: str


@dataclass
class QueuePage:
    rows: list[QueueRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1


def light_of(used: int, target_seconds: int, paused: bool) -> str:
    """The clock's colour for this share of the service level used."""
    if paused:
        return "paused"
    if used > target_seconds:  # exactly the level is still within it
        return "red"
    return "amber" if used >= AMBER_AT * target_seconds else "green"


#: the two parts of the queue, each read along its own index (models: ix_tickets_running,
#: ix_tickets_paused) — literals, so that the planner matches the indexes' predicates
#: whatever plan it caches
RUNNING_ROWS = text(f"tickets.{RUNNING_WHERE}")
PAUSED_ROWS = text(f"tickets.{PAUSED_WHERE}")


#: running tickets by when they fall due; paused ones (their due time stands still) by the
#: time their level leaves them
BY_DUE_TIME = (Ticket.due_at, Ticket.id)
BY_TIME_LEFT = (Ticket.target_minutes * 60 - Ticket.used_seconds, Ticket.id)


def _where(filters: QueueFilters, now: datetime) -> list:
    where = []
    if filters.status in UNRESOLVED:
        where.append(Ticket.status == filters.status)
    elif filters.status == OVERDUE:
        where += [Ticket.status.in_(RUNNING), Ticket.due_at <= now]
    elif filters.status == ESCALATED:
        where.append(Ticket.escalated_at.is_not(None))
    if filters.kind:
        where.append(Ticket.kind == filters.kind)
    if filters.tier:
        where.append(Ticket.tier == filters.tier)
    if filters.team_id:
        where.append(Ticket.team_id == filters.team_id)
    if filters.assignee_id == "none":
        where.append(Ticket.assignee_id.is_(None))
    elif filters.assignee_id:
        where.append(Ticket.assignee_id == filters.assignee_id)
    return where


def _count(session: Session, where: list) -> int:
    return session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0


def _rows(session: Session, where: list, order: tuple, limit: int, offset: int) -> list:
    assignee = aliased(StaffUser)
    return session.execute(
        select(Ticket, Member.name, ServiceTeam.name, assignee.name)
        .join(Member, Member.id == Ticket.member_id)
        .outerjoin(ServiceTeam, ServiceTeam.id == Ticket.team_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .where(*where).order_by(*order).limit(limit).offset(offset)).all()


def queue_page(session: Session, filters: QueueFilters = QueueFilters(), *, page: int = 1,
               per_page: int = PER_PAGE, now: datetime | None = None) -> QueuePage:
    """One page of the queue under the filters, by time left: the running tickets, then the
    paused ones (each part in its own index's order)."""
    now = now or utcnow()
    where = _where(filters, now)
    running, paused = [RUNNING_ROWS, *where], [PAUSED_ROWS, *where]
    in_running = _count(session, running)
    total = in_running + _count(session, paused)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    offset = (page - 1) * per_page
    rows = (_rows(session, running, BY_DUE_TIME, per_page, offset)
            if offset < in_running else [])
    if len(rows) < per_page:
        rows += _rows(session, paused, BY_TIME_LEFT, per_page - len(rows),
                      max(0, offset - in_running))
    return QueuePage([_row(ticket, member, team, person, now)
                      for ticket, member, team, person in rows], total, page, pages)


def _row(ticket: Ticket, member_name: str, team: str | None, assignee: str | None,
         now: datetime) -> QueueRow:
    used = used_seconds(ticket, now)
    paused = ticket.status == "waiting_member"
    left = (ticket.target_minutes * 60 - used if paused
            else int((ticket.due_at - now).total_seconds()))
    return QueueRow(ticket, member_name, team, assignee, used, left,
                    light_of(used, ticket.target_minutes * 60, paused))


def overdue_count(session: Session, *, now: datetime | None = None) -> tuple[int, int]:
    """(running tickets overdue, of which escalated): the dashboard's flag."""
    now = now or utcnow()
    row = session.execute(
        select(func.count(), func.count(Ticket.escalated_at))
        .where(Ticket.status.in_(RUNNING), Ticket.due_at <= now)).one()
    return row[0], row[1]
