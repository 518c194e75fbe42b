"""One ticket as the desk sees it: the ticket, its member, who works it, its clock, every event
(internal ones too) with who did it, and the moves the desk may make from here."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import NotFound
from valliance.members.models import Member
from valliance.service_desk.models import ServiceTeam, Ticket, TicketEvent
from valliance.service_desk.services.queue import light_of
from valliance.service_desk.services.tickets import MOVES, NO_TICKET, used_seconds
from valliance.staff.models import StaffUser


@dataclass(frozen=True)
class EventRow:
    event: TicketEvent
    #: the staff user who did it (None: the member or the system)
    staff_name: str | None


@dataclass(frozen=True)
class TicketFile:
    ticket: Ticket
    member: Member
    team_name: str | None
    assignee_name: str | None
    opened_by_name: str | None
    events: list[EventRow]
    used_seconds: int
    #: seconds of the service level still to use (negative: over it), by the counted clock
    left_seconds: int
    light: str
    #: where the desk may move it (tickets.MOVES)
    moves: tuple[str, ...]

    @property
    def paused(self) -> bool:
        return self.ticket.status == "waiting_member"

    @property
    def running(self) -> bool:
        return self.ticket.running_since is not None


def ticket_file(session: Session, ticket_id: str, *, now: datetime | None = None
                ) -> TicketFile:
    """The ticket's page (NotFound when there is none)."""
    now = now or utcnow()
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(NO_TICKET)
    events = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                             .order_by(TicketEvent.id)).all()
    ids = {e.staff_id for e in events} | {ticket.assignee_id, ticket.opened_by}
    names = dict(session.execute(select(StaffUser.id, StaffUser.name)
                                 .where(StaffUser.id.in_(ids - {None}))).all())
    team = session.get(ServiceTeam, ticket.team_id) if ticket.team_id else None
    used = used_seconds(ticket, now)
    if ticket.running_since is not None:
        left = int((ticket.due_at - now).total_seconds())
    else:  # paused or stopped: what the level leaves, counted
        left = ticket.target_minutes * 60 - used
    return TicketFile(
        ticket, session.get(Member, ticket.member_id), team and team.name,
        names.get(ticket.assignee_id), names.get(ticket.opened_by),
        [EventRow(e, names.get(e.staff_id)) for e in events], used, left,
        light_of(used, ticket.target_minutes * 60, ticket.status == "waiting_member"),
        MOVES.get(ticket.status, ()))
