"""Outgoing SMS through an outbox: written with the request's data, sent after its commit.

SMS cannot leave this machine, so the default sender writes each message to the log (the
console of `make run`); a real gateway is another sender with the same `send` method.
"""

import logging
from datetime import datetime
from typing import Protocol

from flask import current_app
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

log = logging.getLogger("valliance.sms")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    recipient: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Sender(Protocol):
    def send(self, recipient: str, body: str) -> None: ...


class ConsoleSender:
    """Print messages where the operator of a development server sees them."""

    def send(self, recipient: str, body: str) -> None:
        log.warning("SMS to %s: %s", recipient, body)


def queue_sms(session: Session, recipient: str, body: str) -> OutboxMessage:
    """Queue an SMS in the current transaction."""
    message = OutboxMessage(recipient=recipient, body=body)
    session.add(message)
    session.flush()
    return message


def deliver_pending(session: Session, sender: Sender | None = None) -> int:
    """Send every queued message and mark it sent (call after the commit that queued it)."""
    sender = sender or current_app.extensions.get("sms_sender") or ConsoleSender()
    pending = session.scalars(
        select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
    ).all()
    for message in pending:
        sender.send(message.recipient, message.body)
        message.sent_at = utcnow()
    session.commit()
    return len(pending)
