"""Escalation: a ticket whose clock ran out goes to its team's lead, once.

The desk's job runs every minute (jobs: service_desk.tick), so a ticket is escalated within
the minute it falls due; the escalation is an internal event on the ticket, the dashboard
flags it, and the lead gets an SMS when their staff account has a phone.
"""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.i18n import DEFAULT_LOCALE, N_, catalog
from valliance.messaging import queue_sms
from valliance.service_desk.models import RUNNING, ServiceTeam, Ticket, TicketEvent
from valliance.staff.models import StaffUser

LEAD_TEXT = N_("工单%(number)s已超过承诺时限，请跟进。")
NOTE_LEAD = N_("已超时，升级给班组长%(lead)s")
NOTE_NO_LEAD = N_("已超时，升级给客服主管（未指定班组长）")


def _zh(msgid: str) -> str:
    return catalog(DEFAULT_LOCALE).gettext(msgid)


def escalate_overdue(session: Session, *, now: datetime | None = None, limit: int = 500
                     ) -> int:
    """Escalate the running tickets due by now and not yet escalated; how many. Each once:
    the flag is set by a conditional update, so two jobs at once escalate it once."""
    now = now or utcnow()
    overdue = session.execute(
        select(Ticket.id, Ticket.number, Ticket.team_id)
        .where(Ticket.status.in_(RUNNING), Ticket.due_at <= now,
               Ticket.escalated_at.is_(None))
        .order_by(Ticket.due_at).limit(limit)).all()
    escalated = 0
    for ticket_id, number, team_id in overdue:
        won = session.execute(
            update(Ticket).where(Ticket.id == ticket_id, Ticket.escalated_at.is_(None))
            .values(escalated_at=now).execution_options(synchronize_session=False)).rowcount
        if not won:
            continue
        lead = _lead_of(session, team_id)
        note = (_zh(NOTE_LEAD) % {"lead": lead.name}) if lead else _zh(NOTE_NO_LEAD)
        session.add(TicketEvent(ticket_id=ticket_id, action="escalated", note=note,
                                visibility="internal", created_at=now))
        if lead is not None and lead.phone:
            queue_sms(session, lead.phone, _zh(LEAD_TEXT) % {"number": number})
        escalated += 1
    session.flush()
    return escalated


def _lead_of(session: Session, team_id: str | None) -> StaffUser | None:
    if team_id is None:
        return None
    team = session.get(ServiceTeam, team_id)
    lead = session.get(StaffUser, team.lead_id) if team and team.lead_id else None
    return lead if lead is not None and lead.active else None  # a lead who left: the desk's
