"""What the back office's member page shows of the desk: the member's account manager, who
may be made one, and their recent tickets."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.members.models import Member
from valliance.service_desk.models import Ticket
from valliance.service_desk.services.managers import VIP_TIERS, manager_choices, manager_of
from valliance.staff.models import StaffUser

#: the most tickets the member page lists (newest first)
RECENT = 10


@dataclass(frozen=True)
class MemberDesk:
    manager: StaffUser | None
    #: whether the member's tier has an account manager (gold, diamond)
    vip: bool
    #: the active staff users who may be made their manager
    choices: list[StaffUser]
    tickets: list[Ticket]
    total: int


def member_desk(session: Session, member: Member) -> MemberDesk:
    """The member's account manager and recent tickets."""
    tickets = list(session.scalars(
        select(Ticket).where(Ticket.member_id == member.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(RECENT)))
    total = session.scalar(select(func.count()).select_from(Ticket)
                           .where(Ticket.member_id == member.id)) or 0
    vip = member.tier in VIP_TIERS
    return MemberDesk(manager_of(session, member.id), vip,
                      manager_choices(session) if vip else [], tickets, total)
