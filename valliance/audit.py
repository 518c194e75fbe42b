"""The audit trail: who changed what, when and why — staff actions, merchants' offers,
terminals and staff, approvals, refunds from the portal, adjustments. The app only ever adds
rows; the database refuses UPDATE and DELETE (migration 0016), and each row carries the hash
of the one before it, so `flask audit verify` proves nothing was changed, removed or slipped
in between.

Rows are chained in `seq` order. A writer takes the chain's lock (a PostgreSQL advisory lock
held to commit; SQLite has one writer at a time), reads the last link and adds the next.
Take it last: record a transaction's events after its ledger postings and row locks, as
refunds do (points.reverse, then record_event). A path that held the chain's lock and then
waited for a member's account row would deadlock against one that holds the row and waits
for the chain.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow

#: the hash the first link points back to
GENESIS = "0" * 64
#: pg_advisory_xact_lock key of the chain (any constant no other lock uses)
CHAIN_LOCK = 0x41554454  # "AUDT"


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_merchant_id_id", "merchant_id", "id"),
                      Index("ix_audit_events_subject", "subject", "id"),
                      Index("ix_audit_events_actor", "actor", "id"),
                      Index("ix_audit_events_created_at", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "staff:<id>", "merchant_user:<id>", "member:<id>" or "cli"
    actor: Mapped[str] = mapped_column(String(60))
    #: a verb in dotted form: "offer.create", "terminal.revoke", "merchant.approve"
    action: Mapped[str] = mapped_column(String(40))
    #: the id of the thing acted on
    subject: Mapped[str] = mapped_column(String(60))
    #: the merchant the event belongs to, so its owner can read its own trail
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.id"))
    #: JSON object with what changed
    detail: Mapped[str] = mapped_column(Text, default="{}")
    #: why, in the words of the person who did it ("" when the action needs none)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: the link's place in the chain: 1, 2, 3 … with no gap
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    #: the hash of the link before (GENESIS for the first)
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: sha256 of prev_hash and this row's fields (link_hash)
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def details(self) -> dict:
        return json.loads(self.detail or "{}")


def link_hash(prev_hash: str, seq: int, created_at: datetime, actor: str, action: str,
              subject: str, merchant_id: str | None, detail: str, reason: str) -> str:
    """The hash of one link: everything the row says, and the hash of the row before."""
    stamp = created_at.replace(tzinfo=None).isoformat(timespec="microseconds")
    body = json.dumps([prev_hash, seq, stamp, actor, action, subject, merchant_id or "",
                       detail, reason or ""], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _last_link(session: Session) -> tuple[int, str]:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    row = conn.execute(select(AuditEvent.seq, AuditEvent.hash)
                       .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def record_event(session: Session, *, actor: str, action: str, subject: str,
                 merchant_id: str | None = None, reason: str = "", **detail) -> AuditEvent:
    """Add the next link of the trail (flushed at once: the chain is read from the table).

    Call it after the transaction's ledger postings: the chain's lock is held to commit and
    must be the last lock taken (see the module's note)."""
    session.flush()  # earlier links of this transaction are in the table before we read it
    seq, prev_hash = _last_link(session)
    event = AuditEvent(actor=actor, action=action, subject=subject, merchant_id=merchant_id,
                       detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
                       reason=(reason or "").strip(), created_at=utcnow(), seq=seq + 1,
                       prev_hash=prev_hash)
    event.hash = link_hash(prev_hash, event.seq, event.created_at, actor, action, subject,
                           merchant_id, event.detail, event.reason)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    links: int
    #: the first link that does not hold (None when all do)
    broken_seq: int | None = None
    problem: str = ""


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the chain in seq order; the first link whose place, back-pointer or hash is
    wrong is reported (and any row placed before the first link: INSERT is allowed)."""
    expected_seq, prev_hash, links = 1, GENESIS, 0
    columns = (AuditEvent.seq, AuditEvent.created_at, AuditEvent.actor, AuditEvent.action,
               AuditEvent.subject, AuditEvent.merchant_id, AuditEvent.detail,
               AuditEvent.reason, AuditEvent.prev_hash, AuditEvent.hash)
    stray = session.scalar(select(AuditEvent.seq).where(AuditEvent.seq < 1)
                           .order_by(AuditEvent.seq).limit(1))
    if stray is not None:
        return ChainReport(False, 0, stray, "not a link of the chain")
    after = 0
    while True:
        rows = session.execute(select(*columns).where(AuditEvent.seq > after)
                               .order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return ChainReport(True, links)
        for (seq, created_at, actor, action, subject, merchant_id, detail, reason, back,
             stored) in rows:
            if seq != expected_seq:
                return ChainReport(False, links, expected_seq, "missing link")
            if back != prev_hash:
                return ChainReport(False, links, seq, "points to the wrong link")
            if link_hash(back, seq, created_at, actor, action, subject, merchant_id, detail,
                         reason) != stored:
                return ChainReport(False, links, seq, "changed after it was written")
            expected_seq, prev_hash, links, after = seq + 1, stored, links + 1, seq


def events_for_merchant(session: Session, merchant_id: str, *, limit: int = 50,
                        before: int | None = None) -> list[AuditEvent]:
    """The merchant's trail, newest first."""
    query = select(AuditEvent).where(AuditEvent.merchant_id == merchant_id)
    if before:
        query = query.where(AuditEvent.id < before)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
