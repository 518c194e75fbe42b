"""What a member is told of their ticket: each change they should know of, once.

A notice goes to the member's inbox at once and by SMS to the member's own phone: at once,
or — in the quiet hours (21:00–09:00, the marketing engine's), unless it is the resolution of
a fault — at the quiet hours' end, when the desk's job queues it (queue_due_sms: a
conditional update, so a retried or doubled job queues it once). Service messages: the
marketing cap does not count them, opting out of marketing does not stop them.
"""

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, utcnow
from valliance.i18n import DEFAULT_LOCALE, N_, catalog
from valliance.marketing.services.send_rules import in_quiet_hours, quiet_hours_end
from valliance.members.models import Member
from valliance.members.services.inbox import post
from valliance.messaging import queue_sms
from valliance.service_desk.models import Ticket, TicketEvent

SOURCE = "service_desk"
SMS_TEXT_MAX = 60
#: what the member is told of each new status (msgid; %(number)s the ticket's number)
STATUS_TEXT = {
    "open": N_("您的工单%(number)s已受理，我们承诺%(due)s前处理。"),
    "assigned": N_("您的工单%(number)s已派给专人处理。"),
    "in_progress": N_("您的工单%(number)s正在处理中。"),
    "waiting_member": N_("您的工单%(number)s需要您的配合：%(note)s"),
    "resolved": N_("您的工单%(number)s已处理：%(note)s。如未解决，请在会员中心反馈；欢迎评价。"),
    "closed": N_("您的工单%(number)s已关闭。"),
}
NOTE_TEXT = N_("您的工单%(number)s有新的进展：%(note)s")
TITLE = N_("工单进展")


def _zh(msgid: str) -> str:
    return catalog(DEFAULT_LOCALE).gettext(msgid)


def _due_text(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return _zh(N_("%(month)s月%(day)s日%(time)s")) % {
        "month": local.month, "day": local.day, "time": local.strftime("%H:%M")}


def notice_text(ticket: Ticket, event: TicketEvent, *, limit: int | None = None) -> str:
    """The words the member reads (Chinese: members are; a long note is cut for an SMS)."""
    note = (event.note or "").rstrip("。.")
    if limit is not None and len(note) > limit:
        note = note[:limit - 1] + "…"
    msgid = STATUS_TEXT[event.status] if event.status else NOTE_TEXT
    return _zh(msgid) % {"number": ticket.number, "note": note,
                         "due": _due_text(ticket.due_at)}


def tell_member(session: Session, ticket: Ticket, event: TicketEvent, *,
                now: datetime | None = None) -> None:
    """Tell the member of this event: the inbox now, the SMS now or after the quiet hours."""
    now = now or utcnow()
    post(session, ticket.member_id, _zh(TITLE), notice_text(ticket, event), source=SOURCE,
         now=now)
    fault_fixed = ticket.kind == "fault" and event.status == "resolved"
    if in_quiet_hours(now) and not fault_fixed:
        event.sms_due_at = quiet_hours_end(now)
    else:
        _queue(session, ticket, event, now)
    session.flush()


def _phone_of(session: Session, ticket: Ticket) -> str:
    # the member's own phone, proved at sign-up — not the contact phone typed on the ticket
    # (for the engineer to call): news never goes to a stranger's number
    return session.scalar(select(Member.phone).where(Member.id == ticket.member_id))


def _queue(session: Session, ticket: Ticket, event: TicketEvent, now: datetime) -> None:
    queue_sms(session, _phone_of(session, ticket),
              notice_text(ticket, event, limit=SMS_TEXT_MAX))
    event.sms_queued_at = now


def queue_due_sms(session: Session, *, now: datetime | None = None, limit: int = 500) -> int:
    """Queue the SMS the quiet hours held back whose time has come (the desk's job): for each
    ticket only the newest news — an older one a later change made stale (the night's "in
    progress" after the fault was fixed) is dropped, the inbox keeps it. Each once, however
    often the job runs or is retried. How many were queued."""
    now = now or utcnow()
    if in_quiet_hours(now):
        return 0
    due = session.scalars(
        select(TicketEvent).where(TicketEvent.sms_due_at <= now,
                                  TicketEvent.sms_queued_at.is_(None))
        .order_by(TicketEvent.id).limit(limit)).all()
    queued = 0
    for event in due:
        stale = session.scalar(select(TicketEvent.id).where(
            TicketEvent.ticket_id == event.ticket_id, TicketEvent.id > event.id,
            or_(TicketEvent.sms_due_at.is_not(None), TicketEvent.sms_queued_at.is_not(None)))
            .limit(1)) is not None
        claimed = session.execute(
            update(TicketEvent).where(TicketEvent.id == event.id,
                                      TicketEvent.sms_queued_at.is_(None))
            .values(sms_queued_at=None if stale else now, sms_due_at=None)
            .execution_options(synchronize_session=False)).rowcount
        if claimed and not stale:
            ticket = session.get(Ticket, event.ticket_id)
            queue_sms(session, _phone_of(session, ticket),
                      notice_text(ticket, event, limit=SMS_TEXT_MAX))
            queued += 1
    return queued
