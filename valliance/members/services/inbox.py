"""The member's portal inbox: messages written to it (campaigns, programmes, the service
desk) and what the member reads. post_many is the one write path for new messages."""

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.members.models import InboxMessage

TITLE_MAX = 100
BODY_MAX = 1000


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
