"""What the member sees of their tickets (portal and API share it)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.service_desk.models import AccountManager, Ticket, TicketEvent
from valliance.staff.models import StaffUser

#: the most tickets a member's list shows (newest first)
MEMBER_LIST_MAX = 200


@dataclass(frozen=True)
class MemberEvent:
    status: str | None
    note: str | None
    created_at: datetime


def manager_name(session: Session, member_id: str) -> str | None:
    """The name of the member's account manager, if they have one still at work."""
    return session.scalar(select(StaffUser.name).join(
        AccountManager, AccountManager.staff_id == StaffUser.id)
        .where(AccountManager.member_id == member_id, StaffUser.active.is_(True)))


def member_tickets(session: Session, member_id: str) -> list[Ticket]:
    """The member's tickets, newest first."""
    return list(session.scalars(
        select(Ticket).where(Ticket.member_id == member_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MEMBER_LIST_MAX)))


def member_events(session: Session, ticket_id: str) -> list[MemberEvent]:
    """The events meant for the member, oldest first (internal notes, assignments to whom
    and escalations stay with the desk)."""
    rows = session.execute(
        select(TicketEvent.status, TicketEvent.note, TicketEvent.created_at, TicketEvent.action)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.visibility == "member")
        .order_by(TicketEvent.id)).all()
    return [MemberEvent(row.status, row.note if row.action != "assigned" else None,
                        row.created_at) for row in rows]


def as_member_sees(ticket: Ticket, manager: str | None) -> dict:
    """The ticket as the API and the portal give it to its member."""
    return {
        "id": ticket.id, "number": ticket.number, "kind": ticket.kind,
        "status": ticket.status, "created_at": ticket.created_at, "due_at": ticket.due_at,
        "summary": ticket.summary, "contact_phone": ticket.contact_phone,
        "address": ticket.address, "preferred_time": ticket.preferred_time,
        "waiting_reason": ticket.waiting_reason, "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at, "rating": ticket.rating,
        "can_reopen": ticket.status == "resolved",
        "can_rate": ticket.resolved_at is not None and ticket.rated_at is None,
        "account_manager": manager,
    }
