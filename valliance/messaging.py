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

import json
import logging
import urllib.request
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import Boolean, Index, Integer, String, false, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from valliance import secret_box
from valliance.db import Base, BigId, UTCDateTime, utcnow

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
    #: pending (queued), sending (claimed by a worker), sent, failed (tried, kept for a retry)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the last failure's kind or the provider's error code (never the message's text)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX))


class Sender(Protocol):
    def send(self, recipient: str, body: str) -> None: ...


class SendRefused(Exception):
    """The sender will not send here (the console sender in production): the message waits."""


class ConsoleSender:
    """Print messages where the operator of a development server sees them (no gateway)."""

    #: set in production: a console is no way to reach a phone
    refuse = False

    def send(self, recipient: str, body: str) -> None:
        if self.refuse:
            raise SendRefused("SMS_PROVIDER is console in production: set a real provider")
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


def provider_name(config) -> str:
    """SMS_PROVIDER, or http when only SMS_GATEWAY_URL is set, else console."""
    name = (config.get("SMS_PROVIDER") or "").strip().lower()
    if not name:
        name = "http" if config.get("SMS_GATEWAY_URL") else "console"
    return name


def configured_sender(config) -> Sender:
    """The sender SMS_PROVIDER names (module docstring); an unknown name is an error."""
    name = provider_name(config)
    if name == "aliyun":
        from valliance.sms_aliyun import AliyunSmsSender

        return AliyunSmsSender.from_config(config)
    if name == "http":
        return HttpSmsGateway(config.get("SMS_GATEWAY_URL", ""),
                              config.get("SMS_GATEWAY_TOKEN", ""))
    if name != "console":
        raise ValueError(f"unknown SMS_PROVIDER {name!r} (console, aliyun or http)")
    sender = ConsoleSender()
    sender.refuse = bool(config.get("PRODUCTION"))
    return sender


def warn_if_console_in_production(app) -> None:
    """At start-up: say loudly that a production app with the console sender sends no SMS."""
    if app.config.get("PRODUCTION") and provider_name(app.config) == "console":
        log.warning("PRODUCTION is set but SMS_PROVIDER is console: no SMS will be sent "
                    "(messages stay pending) until SMS_PROVIDER is aliyun or http")


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


def queue_many(session: Session, messages: list[tuple[str, str]]) -> list[int]:
    """Queue (recipient, body) marketing SMS in one statement (campaigns: never secret);
    their ids, in the order given."""
    if not messages:
        return []
    if any(len(body) > BODY_MAX for _, body in messages):
        raise ValueError("SMS body too long")
    now = utcnow()
    table = OutboxMessage.__table__
    result = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"channel": "sms", "recipient": recipient, "body": body, "secret": False,
          "marketing": True, "created_at": now, "status": "pending", "attempts": 0}
         for recipient, body in messages])
    return [row[0] for row in result]


#: how many messages one delivery claims (and commits the outcomes of) at a time
CLAIM_BATCH = 200
#: a claim this old belongs to a delivery that died (killed between its claim and its
#: outcomes): the message is claimed again — sent twice at worst, never lost
RECLAIM_AFTER = timedelta(minutes=15)


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
        claimed = _claim(session, after, marketing)
        session.commit()
        if not claimed:
            return sent
        after = max(row.id for row in claimed)
        for row in claimed:
            outcome = _send_one(sender, row.id, row)
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                            .values(**outcome))
            sent += outcome["status"] == "sent"
        session.commit()
    return sent


def _claim(session: Session, after: int, marketing: bool) -> list:
    """Mark the next batch of deliverable messages (ids above `after`) sending; their rows."""
    now = utcnow()
    waiting = (select(OutboxMessage.id)
               .where(OutboxMessage.id > after, OutboxMessage.sent_at.is_(None),
                      OutboxMessage.marketing.is_(marketing),
                      or_(OutboxMessage.status == "pending",
                          (OutboxMessage.status == "failed")
                          & (OutboxMessage.attempts < MAX_ATTEMPTS),
                          (OutboxMessage.status == "sending")
                          & (OutboxMessage.claimed_at < now - RECLAIM_AFTER)))
               .order_by(OutboxMessage.id).limit(CLAIM_BATCH))
    if session.get_bind().dialect.name == "postgresql":
        waiting = waiting.with_for_update(skip_locked=True)
    return list(session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(waiting.scalar_subquery()),
               OutboxMessage.status.in_(("pending", "failed", "sending")))
        .values(status="sending", claimed_at=now)
        .returning(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.body,
                   OutboxMessage.secret)
        .execution_options(synchronize_session=False)))


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
