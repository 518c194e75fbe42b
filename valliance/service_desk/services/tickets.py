"""Every change of a ticket (house rule 11: one write path, whatever the caller): opening,
assignment, the moves through its statuses, notes, the member's "not fixed" and rating.

Statuses (contract §12): open → assigned → in_progress → resolved → closed; resolved goes back
to in_progress when the member says it is not fixed; waiting_member pauses the clock and
returns to where it was. The clock (service_desk.clock) runs in open, assigned and
in_progress; it stands while waiting for the member and stops at the resolution, which stores
the counted time and whether it was within the ticket's service level (the report's facts).
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import NotFound
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.members.models import Member
from valliance.service_desk.clock import add_counted, counted_seconds
from valliance.service_desk.models import NOTE_MAX, RUNNING, UNRESOLVED, Ticket, TicketEvent
from valliance.service_desk.services import levels, notices, teams
from valliance.service_desk.services.ticket_fields import invalid, report_fields, text

NO_TICKET = bilingual("没有这张工单")
#: where each status may go by the desk's hand (the member's "not fixed" is member_reopen)
MOVES = {
    "open": ("assigned", "in_progress", "waiting_member", "resolved", "closed"),
    "assigned": ("in_progress", "waiting_member", "resolved", "closed"),
    "in_progress": ("waiting_member", "resolved", "closed"),
    "waiting_member": ("resume",),
    "resolved": ("closed", "in_progress"),
    "closed": (),
}
#: a resolved ticket the member neither reopened nor rated is closed this long after
AUTO_CLOSE_AFTER = timedelta(days=7)
#: the same report (kind and words) again within this while is the ticket already opened
SAME_REPORT_WITHIN = timedelta(minutes=10)


def _new_number(session: Session) -> str:
    while True:
        number = f"T{secrets.randbelow(10**8):08d}"
        if session.scalar(select(Ticket.id).where(Ticket.number == number)) is None:
            return number


def open_ticket(session: Session, member: Member, *, kind, summary, contact_phone,
                address=None, preferred_time=None, channel: str = "portal",
                opened_by: str | None = None, now: datetime | None = None) -> Ticket:
    """Open a ticket for the member; its service level and due time come from the
    configuration for the kind and the member's tier. The member is told (notices). The
    same report again within SAME_REPORT_WITHIN gives the ticket already opened."""
    now = now or utcnow()
    summary, phone, address, preferred_time = report_fields(
        kind, summary, contact_phone, address, preferred_time)
    twin = _same_report(session, member.id, kind, summary, now)
    if twin is not None:  # a double tap, or the form sent twice: the ticket already made
        return twin
    minutes = levels.target_minutes(session, kind, member.tier)
    clock = levels.clock_of(session, kind)
    ticket = Ticket(
        id=new_id("tkt"), number=_new_number(session), member_id=member.id, kind=kind,
        tier=member.tier, summary=summary, contact_phone=phone, address=address,
        preferred_time=preferred_time, channel=channel, status="open", opened_by=opened_by,
        created_at=now, updated_at=now, target_minutes=minutes, clock=clock, used_seconds=0,
        running_since=now, due_at=add_counted(now, minutes * 60, levels.hours_for(clock)),
        reopen_count=0)
    session.add(ticket)
    session.flush()
    event = _event(session, ticket, "opened", status="open", from_status=None,
                   staff_id=opened_by, now=now)
    notices.tell_member(session, ticket, event, now=now)
    return ticket


def _same_report(session: Session, member_id: str, kind: str, summary: str, now: datetime
                 ) -> Ticket | None:
    return session.scalar(select(Ticket).where(
        Ticket.member_id == member_id, Ticket.kind == kind, Ticket.summary == summary,
        Ticket.status.in_(UNRESOLVED), Ticket.created_at >= now - SAME_REPORT_WITHIN)
        .order_by(Ticket.created_at.desc()).limit(1))


def locked(session: Session, ticket_id: str) -> Ticket:
    """The ticket, its row locked for this transaction and read afresh (NotFound when there
    is none)."""
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update()
                            .execution_options(populate_existing=True))
    if ticket is None:
        raise NotFound(NO_TICKET)
    return ticket


def used_seconds(ticket: Ticket, now: datetime) -> int:
    """The counted seconds the ticket has used by `now`."""
    running = 0
    if ticket.running_since is not None:
        running = counted_seconds(ticket.running_since, now, levels.hours_for(ticket.clock))
    return ticket.used_seconds + running


def _stop_clock(ticket: Ticket, now: datetime) -> None:
    ticket.used_seconds = used_seconds(ticket, now)
    ticket.running_since = None


def _start_clock(ticket: Ticket, now: datetime) -> None:
    ticket.running_since = now
    left = ticket.target_minutes * 60 - ticket.used_seconds
    if left > 0:  # an overdue ticket keeps the moment it fell due
        ticket.due_at = add_counted(now, left, levels.hours_for(ticket.clock))


def assign_ticket(session: Session, ticket_id: str, *, by: str, team_id: str | None,
                  assignee_id: str | None, note: str | None = None,
                  now: datetime | None = None) -> Ticket:
    """Give the ticket to a team and/or an engineer; an open ticket becomes assigned."""
    now = now or utcnow()
    ticket = locked(session, ticket_id)
    if ticket.status in ("resolved", "closed"):
        raise invalid("status", bilingual("工单已解决或关闭，不能再派单"))
    if team_id is None and assignee_id is None:
        raise invalid("assignee_id", bilingual("请选择班组或工程师"))
    teams.check_assignment(session, team_id, assignee_id)
    if team_id is None:  # an engineer alone: their own team works it with them
        team_id = teams.team_of(session, assignee_id)
    from_status = ticket.status
    ticket.team_id, ticket.assignee_id = team_id, assignee_id
    ticket.updated_at = now
    # to whom, and why, stays with the desk; the member hears only that it was assigned
    _event(session, ticket, "assigned", status=None, from_status=from_status, staff_id=by,
           note=text(note, "note", NOTE_MAX, required=False), visibility="internal", now=now)
    if from_status == "open":
        ticket.status = "assigned"
        event = _event(session, ticket, "status", status="assigned", from_status=from_status,
                       staff_id=by, now=now)
        notices.tell_member(session, ticket, event, now=now)
    return ticket


def change_status(session: Session, ticket_id: str, status: str, *, by: str,
                  note: str | None = None, now: datetime | None = None) -> Ticket:
    """Move the ticket (MOVES) by the desk's hand. waiting_member needs the reason (`note`,
    told the member); "resume" returns a paused ticket to where it was; resolved needs what
    was done (`note`, told the member); closing an unresolved ticket needs why."""
    now = now or utcnow()
    ticket = locked(session, ticket_id)
    if status not in MOVES.get(ticket.status, ()):
        raise invalid("status", bilingual("工单不能从这个状态改为所选状态"))
    # a pause says why, a resolution what was done, a close without one why (duplicate…)
    required = status in ("waiting_member", "resolved") or (
        status == "closed" and ticket.status != "resolved")
    note = text(note, "note", NOTE_MAX, required=required)
    from_status = ticket.status
    if status == "resume":
        status = ticket.resume_status or "in_progress"
        ticket.resume_status = ticket.waiting_reason = None
        _start_clock(ticket, now)
    elif status == "waiting_member":
        ticket.resume_status, ticket.waiting_reason = from_status, note[:200]
        _stop_clock(ticket, now)
    elif status == "resolved":
        _stop_clock(ticket, now)
        ticket.resolved_at = now
        ticket.fix_seconds = ticket.used_seconds
        ticket.within_target = ticket.used_seconds <= ticket.target_minutes * 60
    elif status == "closed":
        if from_status in RUNNING:
            _stop_clock(ticket, now)
        ticket.closed_at = now
    elif status == "in_progress" and from_status == "resolved":
        _reopen(ticket, now)
    ticket.status, ticket.updated_at = status, now
    event = _event(session, ticket, "status", status=status, from_status=from_status,
                   staff_id=by, note=note, now=now)
    notices.tell_member(session, ticket, event, now=now)
    return ticket


def _reopen(ticket: Ticket, now: datetime) -> None:
    ticket.reopen_count += 1
    ticket.resolved_at = ticket.fix_seconds = ticket.within_target = None
    ticket.escalated_at = None  # overdue again, it goes to the lead again
    _start_clock(ticket, now)


def add_note(session: Session, ticket_id: str, *, by: str, note, visibility: str,
             now: datetime | None = None) -> TicketEvent:
    """A note on the ticket: `internal` for the desk, `member` also told the member."""
    now = now or utcnow()
    if visibility not in ("member", "internal"):
        raise invalid("visibility", bilingual("请选择备注对谁可见"))
    ticket = locked(session, ticket_id)
    event = _event(session, ticket, "note", status=None, from_status=ticket.status,
                   staff_id=by, note=text(note, "note", NOTE_MAX, required=True),
                   visibility=visibility, now=now)
    ticket.updated_at = now
    if visibility == "member":
        notices.tell_member(session, ticket, event, now=now)
    return event


def member_ticket(session: Session, member_id: str, ticket_id: str, *, lock: bool = False
                  ) -> Ticket:
    """The member's own ticket (another member's, or none: NotFound)."""
    query = select(Ticket).where(Ticket.id == ticket_id, Ticket.member_id == member_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    ticket = session.scalar(query)
    if ticket is None:
        raise NotFound(NO_TICKET)
    return ticket


def member_reopen(session: Session, member_id: str, ticket_id: str, *, note=None,
                  now: datetime | None = None) -> Ticket:
    """The member says a resolved ticket is not fixed: it goes back to in_progress, its
    clock running on from where the resolution stopped it."""
    now = now or utcnow()
    ticket = member_ticket(session, member_id, ticket_id, lock=True)
    if ticket.status != "resolved":
        raise invalid("status", bilingual("只有已解决的工单可以反馈未解决"))
    note = text(note, "note", NOTE_MAX, required=False)
    _reopen(ticket, now)
    ticket.status, ticket.updated_at = "in_progress", now
    _event(session, ticket, "reopened", status="in_progress", from_status="resolved",
           staff_id=None, note=note, now=now)
    return ticket


def rate_ticket(session: Session, member_id: str, ticket_id: str, *, score, comment=None,
                now: datetime | None = None) -> Ticket:
    """The member rates a resolved (or closed after resolution) ticket, once: 1 to 5."""
    now = now or utcnow()
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise invalid("score", bilingual("评分为1到5的整数"))
    comment = text(comment, "comment", 500, required=False)
    ticket = member_ticket(session, member_id, ticket_id, lock=True)
    if ticket.resolved_at is None:
        raise invalid("score", bilingual("工单解决后才能评价"))
    if ticket.rated_at is not None:
        raise invalid("score", bilingual("这张工单已经评价过了"))
    ticket.rating, ticket.rating_comment, ticket.rated_at = score, comment, now
    _event(session, ticket, "rated", status=None, from_status=ticket.status, staff_id=None,
           note=comment, visibility="internal", now=now)
    return ticket


def close_resolved(session: Session, *, now: datetime | None = None, limit: int = 500
                   ) -> int:
    """Close tickets resolved more than AUTO_CLOSE_AFTER ago (the daily job); how many."""
    now = now or utcnow()
    ids = session.scalars(select(Ticket.id).where(
        Ticket.status == "resolved", Ticket.resolved_at < now - AUTO_CLOSE_AFTER)
        .order_by(Ticket.resolved_at).limit(limit)).all()
    closed = 0
    for ticket_id in ids:
        ticket = locked(session, ticket_id)
        # reopened by its member since it was read: theirs to work on, not to close
        if ticket.status == "resolved" and ticket.resolved_at < now - AUTO_CLOSE_AFTER:
            change_status(session, ticket_id, "closed", by=None, now=now)
            closed += 1
    return closed


def _event(session: Session, ticket: Ticket, action: str, *, status, from_status, staff_id,
           now: datetime, note: str | None = None, visibility: str = "member") -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, action=action, status=status,
                        from_status=from_status, note=note, visibility=visibility,
                        staff_id=staff_id, created_at=now)
    session.add(event)
    session.flush()
    return event
