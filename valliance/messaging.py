"""Outgoing SMS through an outbox: written with the request's data, sent after its commit.

Who sends them is chosen by `SMS_PROVIDER` (configured_sender): `aliyun`, Aliyun's SMS service
(valliance.sms_aliyun); `http`, a generic gateway over HTTPS (HttpSmsGateway, also chosen when
`SMS_PROVIDER` is unset and `SMS_GATEWAY_URL` is set); `console` (the default: development,
`make run`), which writes each message to the log so the operator of a development server can
read sign-up codes. In production (`PRODUCTION=1`) the console sender refuses to send: the
messages stay pending and the refusal is logged. Tests put their own sender in
`app.extensions["sms_sender"]`.

Each row records its delivery: status (pending, sending, sent, failed), attempts and the last
error. A failed send is kept (status failed, body intact) and tried again by the next delivery,
up to MAX_ATTEMPTS times.

Messages that carry a one-time code are queued with `secret=True`. Their body is sealed
(valliance.secret_box: Fernet, keys from DATA_ENCRYPTION_KEYS) while it waits, so a database
dump, backup or replica never shows a live code, and it is blanked when the message is handed to
the sender: nobody needs a code again once it has left (a member who did not get it asks for a
new one), and the row keeps who was texted and when. A gateway sender never logs a body; only
the console sender does, and only because it is the development stand-in for the gateway.
Sign-up and claim call the gateway after their answer has gone (deliver_after_response), so
how long the answer took does not tell whether the phone was texted.
"""

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Boolean, Index, Integer, String, false, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from valliance import secret_box
from valliance.db import Base, BigId, UTCDateTime, utcnow
from valliance.sms_senders import (  # noqa: F401 (the senders, where callers look for them)
    ConsoleSender,
    HttpSmsGateway,
    Sender,
    SendRefused,
    _app_sender,
    configured_sender,
    provider_name,
)

log = logging.getLogger("valliance.sms")
BODY_MAX = 500
#: what a sent secret message's body becomes
SENT_SECRET = "(sent)"  # noqa: S105 — a placeholder, not a password
#: a failed message is tried this many times in all, then left failed for an operator
MAX_ATTEMPTS = 3
ERROR_MAX = 200


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
    #: a campaign's message: sent after the others, and only before `marketing_until`
    marketing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: when a delivery claimed it (status sending); a claim older than RECLAIM_AFTER is stale
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: pending (queued), sending (claimed by a worker), sent, failed (tried, kept for a retry),
    #: cancelled (a marketing message whose campaign stopped or member opted out first)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the last failure's kind or the provider's error code (never the message's text)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX))


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


def queue_many(session: Session, messages: list[tuple[str, str]], *, marketing: bool = True
               ) -> list[int]:
    """Queue (recipient, body) SMS in one statement, never secret: marketing (campaigns) or,
    with marketing=False, service messages (expiry reminders); their ids, in the order given."""
    if not messages:
        return []
    if any(len(body) > BODY_MAX for _, body in messages):
        raise ValueError("SMS body too long")
    now = utcnow()
    table = OutboxMessage.__table__
    result = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"channel": "sms", "recipient": recipient, "body": body, "secret": False,
          "marketing": marketing, "created_at": now, "status": "pending", "attempts": 0}
         for recipient, body in messages])
    return [row[0] for row in result]


#: how many messages one delivery claims (and commits the outcomes of) at a time
CLAIM_BATCH = 200
#: a claim this old belongs to a delivery that died (killed between its claim and its
#: outcomes): the message is claimed again — sent twice at worst, never lost. Longer than a
#: batch can take with a slow gateway (200 × a 5 s timeout ≈ 17 minutes).
RECLAIM_AFTER = timedelta(minutes=30)


def deliver_pending(session: Session, sender: Sender | None = None, *,
                    marketing_until: datetime | None = None) -> int:
    """Send queued messages (call after the commit that queued them); the number sent.

    Messages are claimed a batch at a time (status sending) and the claim committed before
    they are sent, so no transaction stays open during the gateway calls and two workers never
    send the same message (PostgreSQL: a worker skips rows another is claiming). Each outcome
    is then written and the batch committed: sent (a secret body blanked), failed (attempts
    and the error's kind or the provider's code recorded, the body kept for the next
    delivery), or back to pending when the sender refuses (the console sender in production).
    One call makes one pass, oldest first: a message that fails now waits for the next call. A
    failure is logged (never with the text) and does not fail the request. A message claimed
    more than RECLAIM_AFTER ago and still sending was left by a delivery that died: it is
    claimed again.

    Sign-up codes, alerts and test sends go first; marketing messages (campaigns) only when
    the caller says until when they may go (`marketing_until`: the start of the quiet hours,
    worked out by the marketing jobs) and only while it has not come — a request's delivery
    never carries a campaign's backlog.
    """
    sender = sender or _app_sender()
    session.rollback()
    sent = _pass(session, sender, marketing=False, until=None)
    if marketing_until is not None:
        sent += _pass(session, sender, marketing=True, until=marketing_until)
    return sent


def _pass(session: Session, sender: Sender, *, marketing: bool, until: datetime | None) -> int:
    sent, after = 0, 0
    while until is None or utcnow() < until:
        claimed_at = utcnow()
        claimed = _claim(session, after, marketing, claimed_at)
        session.commit()
        if not claimed:
            return sent
        after = max(row.id for row in claimed)
        for row in claimed:
            # the outcome is this claim's only while it holds (a stale claim taken again is
            # the other delivery's to finish)
            mine = (OutboxMessage.id == row.id) & (OutboxMessage.claimed_at == claimed_at)
            if until is not None and utcnow() >= until:  # the deadline came mid-batch
                session.execute(update(OutboxMessage).where(mine)
                                .values(status="pending", claimed_at=None))
                continue
            outcome = _send_one(sender, row.id, row)
            session.execute(update(OutboxMessage).where(mine).values(**outcome))
            sent += outcome["status"] == "sent"
        session.commit()
    return sent


def cancel_pending(session: Session, *, ids=None, recipient: str | None = None) -> int:
    """Cancel marketing messages not yet handed to the gateway (pending, or failed and waiting
    for a retry): those with these ids (a stopped campaign's), or to this phone (a member who
    opted out). How many."""
    where = [OutboxMessage.marketing.is_(True),
             OutboxMessage.status.in_(("pending", "failed"))]
    if ids is not None:
        where.append(OutboxMessage.id.in_(ids))
    if recipient is not None:
        where.append(OutboxMessage.recipient == recipient)
    return session.execute(update(OutboxMessage).where(*where).values(status="cancelled")
                           .execution_options(synchronize_session=False)).rowcount


def stale_claims_or_retries():
    """The condition of messages a delivery should pick up besides pending ones: failed with
    tries left, or claimed by a delivery that died."""
    return or_((OutboxMessage.status == "failed") & (OutboxMessage.attempts < MAX_ATTEMPTS),
               (OutboxMessage.status == "sending")
               & (OutboxMessage.claimed_at < utcnow() - RECLAIM_AFTER))


def _claim(session: Session, after: int, marketing: bool, now: datetime) -> list:
    """Mark the next batch of deliverable messages (ids above `after`) sending; their rows."""
    waiting = (select(OutboxMessage.id)
               .where(OutboxMessage.id > after, OutboxMessage.sent_at.is_(None),
                      OutboxMessage.marketing.is_(marketing),
                      or_(OutboxMessage.status == "pending", stale_claims_or_retries()))
               .order_by(OutboxMessage.id).limit(CLAIM_BATCH))
    if session.get_bind().dialect.name == "postgresql":
        waiting = waiting.with_for_update(skip_locked=True)
    # UPDATE … RETURNING gives no order (PostgreSQL): oldest first is sorted here
    return sorted(session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(waiting.scalar_subquery()),
               OutboxMessage.status.in_(("pending", "failed", "sending")))
        .values(status="sending", claimed_at=now)
        .returning(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.body,
                   OutboxMessage.secret)
        .execution_options(synchronize_session=False)), key=lambda row: row.id)


def _send_one(sender: Sender, message_id: int, claimed) -> dict:
    """Hand one claimed message to the sender; the row's new values."""
    try:
        body = secret_box.unseal(claimed.body) if claimed.secret else claimed.body
        sender.send(claimed.recipient, body)
    except SendRefused as exc:
        log.error("SMS %s to %s not sent: %s", message_id, claimed.recipient, exc)
        return {"status": "pending", "last_error": str(exc)[:ERROR_MAX]}
    except Exception as exc:  # the gateway's failure must not undo the member's sign-up
        if claimed.secret:  # the error's text might quote the message: its kind only
            log.error("SMS %s to %s could not be sent: %s", message_id, claimed.recipient,
                      type(exc).__name__)
        else:
            log.exception("SMS %s to %s could not be sent", message_id, claimed.recipient)
        error = getattr(exc, "code", None) or type(exc).__name__
        return {"status": "failed", "attempts": OutboxMessage.attempts + 1,
                "last_error": str(error)[:ERROR_MAX]}
    return {"status": "sent", "sent_at": utcnow(), "attempts": OutboxMessage.attempts + 1,
            "last_error": None, **({"body": SENT_SECRET} if claimed.secret else {})}


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
