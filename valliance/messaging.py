"""Outgoing SMS through an outbox: written with the request's data, sent after its commit.

Who sends them: with `SMS_GATEWAY_URL` set, an SMS gateway over HTTPS (HttpSmsGateway); without
it (development, `make run`) the console sender writes each message to the log, so the operator
of a development server can read sign-up codes. Tests put their own sender in
`app.extensions["sms_sender"]`.

Messages that carry a one-time code are queued with `secret=True`. Their body is sealed
(valliance.secret_box: Fernet, keys from DATA_ENCRYPTION_KEYS) while it waits, so a database
dump, backup or replica never shows a live code, and it is blanked when the message is handed to
the sender: nobody needs a code again once it has left (a member who did not get it asks for a
new one), and the row keeps who was texted and when. A gateway sender never logs a body; only
the console sender does, and only because it is the development stand-in for the gateway.
Sign-up and claim call the gateway after their answer has gone (deliver_after_response), so
how long the answer took does not tell whether the phone was texted.
"""

import json
import logging
import urllib.request
from datetime import datetime
from typing import Protocol

from flask import current_app
from sqlalchemy import Boolean, Index, String, false, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from valliance import secret_box
from valliance.db import Base, BigId, UTCDateTime, utcnow

log = logging.getLogger("valliance.sms")
BODY_MAX = 500
#: what a sent secret message's body becomes
SENT_SECRET = "(sent)"  # noqa: S105 — a placeholder, not a password


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    #: the messages sent to one phone (the back office's member page)
    __table_args__ = (Index("ix_outbox_messages_recipient", "recipient", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    recipient: Mapped[str] = mapped_column(String(64))
    #: the text; for a secret message, sealed until sent and then SENT_SECRET
    body: Mapped[str] = mapped_column(String(BODY_MAX))
    #: the body holds a one-time code (see the module's docstring)
    secret: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Sender(Protocol):
    def send(self, recipient: str, body: str) -> None: ...


class ConsoleSender:
    """Print messages where the operator of a development server sees them (no gateway)."""

    def send(self, recipient: str, body: str) -> None:
        log.warning("SMS to %s: %s", recipient, body)


class HttpSmsGateway:
    """An SMS gateway over HTTP(S): POST {"to", "text"} as JSON, with a bearer token if set.

    Any 2xx answer means the gateway took the message; anything else raises (without the
    message's text, so an error logged by the outbox never carries a code).
    """

    #: a network round trip: where whether a message went must not show in the answer's time,
    #: it is sent after the answer (deliver_after_response)
    round_trip = True

    def __init__(self, url: str, token: str = "", timeout: float = 5.0):
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, recipient: str, body: str) -> None:
        request = urllib.request.Request(  # noqa: S310 — the operator's configured https URL
            self.url, method="POST", data=json.dumps({"to": recipient, "text": body}).encode(),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            if not 200 <= answer.status < 300:
                raise RuntimeError(f"SMS gateway answered HTTP {answer.status}")


def configured_sender(config) -> Sender:
    """The sender the configuration asks for: the gateway when SMS_GATEWAY_URL is set."""
    url = config.get("SMS_GATEWAY_URL", "")
    if url:
        return HttpSmsGateway(url, config.get("SMS_GATEWAY_TOKEN", ""))
    return ConsoleSender()


def _app_sender() -> Sender:
    sender = current_app.extensions.get("sms_sender")
    if sender is None:
        sender = current_app.extensions["sms_sender"] = configured_sender(current_app.config)
    return sender


def queue_sms(session: Session, recipient: str, body: str, *, secret: bool = False
              ) -> OutboxMessage:
    """Queue an SMS in the current transaction; secret=True for a body with a one-time code."""
    stored = secret_box.seal(body) if secret else body
    if len(stored) > BODY_MAX:
        raise ValueError("SMS body too long")
    message = OutboxMessage(recipient=recipient, body=stored, secret=secret)
    session.add(message)
    session.flush()
    return message


def deliver_pending(session: Session, sender: Sender | None = None) -> int:
    """Send queued messages (call after the commit that queued them); the number sent.

    Each message is claimed and committed before it is sent, so no transaction stays open
    during the gateway call and two workers never send the same message; a secret message's
    body is blanked in the same commit. A gateway error is logged (never with the text) and
    does not fail the request; the message stays claimed for an operator to see.
    """
    sender = sender or _app_sender()
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
            .returning(OutboxMessage.recipient, OutboxMessage.body, OutboxMessage.secret)
        ).first()
        if claimed is not None and claimed.secret:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                            .values(body=SENT_SECRET))
        session.commit()
        if claimed is None:
            continue  # another worker took it
        try:
            body = secret_box.unseal(claimed.body) if claimed.secret else claimed.body
            sender.send(claimed.recipient, body)
            sent += 1
        except Exception as exc:  # the gateway's failure must not undo the member's sign-up
            if claimed.secret:  # the error's text might quote the message: its kind only
                log.error("SMS %s to %s could not be sent: %s", message_id, claimed.recipient,
                          type(exc).__name__)
            else:
                log.exception("SMS %s to %s could not be sent", message_id, claimed.recipient)
    return sent


def deliver_after_response(response):
    """Send the queued messages once the response has gone out, when the sender is a network
    gateway: its round trip then cannot tell a stranger, by how long the answer took, whether
    a message was sent (sign-up and claim answer alike for every phone). Other senders (the
    development console, tests' recorders) send at once. The response, for chaining.
    """
    from valliance.extensions import db  # (the models above are imported by extensions' users)

    sender = _app_sender()
    if not getattr(sender, "round_trip", False):
        deliver_pending(db.session, sender)
        return response
    app = current_app._get_current_object()

    def deliver():
        with app.app_context():
            try:
                deliver_pending(db.session, sender)
            finally:
                db.session.remove()

    response.call_on_close(deliver)
    return response
