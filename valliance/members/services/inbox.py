"""The member's portal inbox: messages written to it (campaigns, programmes, the service
desk) and what the member reads. post_many is the one write path for new messages; the
reading side (a page, the unread count, marking read) only ever sees the member's own."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import NotFound
from valliance.i18n import bilingual
from valliance.members.models import InboxMessage

TITLE_MAX = 100
BODY_MAX = 1000
PAGE_SIZE = 20
PAGE_MAX = 100
#: ids are 64-bit: a larger one cannot be a message
MAX_ID = 2**63 - 1
NO_MESSAGE = bilingual("没有这条消息")


def post_many(session: Session, messages: list[tuple[str, str, str]], *, source: str,
              now: datetime | None = None) -> list[int]:
    """Put (member id, title, body) messages in their members' inboxes in one statement; the
    new ids, in the order given (titles and bodies are cut to fit)."""
    if not messages:
        return []
    now = now or utcnow()
    rows = [{"member_id": member_id, "title": title[:TITLE_MAX], "body": body[:BODY_MAX],
             "source": source, "created_at": now} for member_id, title, body in messages]
    table = InboxMessage.__table__
    result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                             rows)
    return [row[0] for row in result]


def post(session: Session, member_id: str, title: str, body: str, *, source: str,
         now: datetime | None = None) -> int:
    """Put one message in a member's inbox (through post_many); its id."""
    return post_many(session, [(member_id, title, body)], source=source, now=now)[0]


@dataclass(frozen=True)
class InboxPage:
    #: newest first
    messages: list[InboxMessage]
    #: the `before` of the next (older) page, None on the last one
    next_before: int | None
    unread: int


def inbox_page(session: Session, member_id: str, *, limit: int = PAGE_SIZE,
               before: int | None = None) -> InboxPage:
    """One page of the member's messages, newest first (keyset: ids below `before`)."""
    limit = max(1, min(limit, PAGE_MAX))
    query = select(InboxMessage).where(InboxMessage.member_id == member_id)
    if before is not None:
        query = query.where(InboxMessage.id < before)
    rows = list(session.scalars(query.order_by(InboxMessage.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return InboxPage(rows, rows[-1].id if more else None, unread_count(session, member_id))


def unread_count(session: Session, member_id: str) -> int:
    """How many of the member's messages are unread (one query on the member's index)."""
    return session.scalar(select(func.count()).select_from(InboxMessage).where(
        InboxMessage.member_id == member_id, InboxMessage.read_at.is_(None))) or 0


def get_message(session: Session, member_id: str, message_id: int) -> InboxMessage:
    """The member's own message, or NotFound (another member's looks like none at all)."""
    message = session.scalar(select(InboxMessage).where(
        InboxMessage.id == message_id, InboxMessage.member_id == member_id))
    if message is None:
        raise NotFound(NO_MESSAGE)
    return message


def mark_read(session: Session, member_id: str, message_id: int, *,
              now: datetime | None = None) -> InboxMessage:
    """Mark the member's message read (kept as first read); the message."""
    message = get_message(session, member_id, message_id)
    if message.read_at is None:
        message.read_at = now or utcnow()
        session.flush()
    return message


def mark_all_read(session: Session, member_id: str, *, now: datetime | None = None) -> int:
    """Mark every unread message of the member read; how many were unread."""
    result = session.execute(
        update(InboxMessage)
        .where(InboxMessage.member_id == member_id, InboxMessage.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0
