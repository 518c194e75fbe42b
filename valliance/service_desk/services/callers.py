"""A member who phones the desk: found by their phone or a card's number (the members
package's own look-ups) — or the ticket they read out — their recent tickets, and a ticket
opened for them in their name (channel "desk")."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.errors import CardNotFound, NotFound, ValidationError
from valliance.i18n import bilingual
from valliance.members.models import Member
from valliance.members.services.cards import find_card
from valliance.members.services.enrollment import find_member_by_phone, normalize_phone
from valliance.service_desk.models import Ticket
from valliance.service_desk.services import tickets

QUERY_MAX = 40
#: the caller's tickets shown beside the form
RECENT = 5
NOBODY = bilingual("没有找到这位会员，请核对手机号或卡号")


def find_caller(session: Session, raw: str) -> Member:
    """The member whose phone (11 digits, +86 allowed) or card number (16 digits, a replaced
    card too) was typed; ValidationError on `q` otherwise."""
    text = "".join((raw or "").split())[:QUERY_MAX]
    if not text:
        raise ValidationError(details={"q": [bilingual("请输入手机号或卡号")]})
    try:
        member = find_member_by_phone(session, normalize_phone(text))
    except ValidationError:  # not a phone: a card's number, then
        try:
            member = find_card(session, text)[0].member
        except CardNotFound:
            member = None
    if member is None:
        raise ValidationError(details={"q": [NOBODY]})
    return member


def ticket_by_number(session: Session, raw: str) -> Ticket | None:
    """The ticket whose number (T and eight digits, any case) was typed, if it is one."""
    text = "".join((raw or "").split()).upper()
    if not (len(text) == 9 and text[0] == "T" and text[1:].isascii() and text[1:].isdigit()):
        return None
    return session.scalar(select(Ticket).where(Ticket.number == text))


def recent_tickets(session: Session, member_id: str, limit: int = RECENT) -> list[Ticket]:
    """The member's newest tickets: the desk sees a fault already reported before opening
    another."""
    return list(session.scalars(select(Ticket).where(Ticket.member_id == member_id)
                                .order_by(Ticket.created_at.desc(), Ticket.id).limit(limit)))


def get_member(session: Session, member_id: str | None) -> Member:
    member = session.get(Member, member_id) if member_id else None
    if member is None:
        raise NotFound(bilingual("没有这位会员"))
    return member


def open_for_caller(session: Session, member_id: str | None, *, by: str,
                    now: datetime | None = None, **fields) -> Ticket:
    """Open a ticket for the member on the phone: their service level, channel desk, opened
    by the desk user (fields as tickets.open_ticket takes them)."""
    return tickets.open_ticket(session, get_member(session, member_id), channel="desk",
                               opened_by=by, now=now, **fields)
