"""Outgoing SMS through an outbox: written with the request's data, sent after its commit.

SMS cannot leave this machine, so the default sender writes each message to the log (the
console of `make run`); a real gateway is another sender with the same `send` method.
"""

import logging
from datetime import datetime
from typing import Protocol

from flask import current_app
from sqlalchemy import String, select, update
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
    """Send queued messages (call after the commit that queued them); the number sent.

    Each message is claimed and committed before it is sent, so no transaction stays open
    during the gateway call and two workers never send the same message. A gateway error is
    logged and does not fail the request; the message stays claimed for an operator to see.
    """
    sender = sender or current_app.extensions.get("sms_sender") or ConsoleSender()
    pending = session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
    ).all()
    session.rollback()
    sent = 0
    for message_id in pending:
        claimed = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.sent_at.is_(None))
            .values(sent_at=utcnow())
            .returning(OutboxMessage.recipient, OutboxMessage.body)
        ).first()
        session.commit()
        if claimed is None:
            continue  # another worker took it
        try:
            sender.send(claimed.recipient, claimed.body)
            sent += 1
        except Exception:  # the gateway's failure must not undo the member's sign-up
            log.exception("SMS %s to %s could not be sent", message_id, claimed.recipient)
    return sent
