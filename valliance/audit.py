"""The audit trail: who changed what, when — merchants' offers, terminals and staff, approvals,
refunds from the portal. The app only ever adds rows."""

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from valliance.db import Base, BigId, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_merchant_id_id", "merchant_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "staff:<id>", "merchant_user:<id>" or "cli"
    actor: Mapped[str] = mapped_column(String(60))
    #: a verb in dotted form: "offer.create", "terminal.revoke", "merchant.approve"
    action: Mapped[str] = mapped_column(String(40))
    #: the id of the thing acted on
    subject: Mapped[str] = mapped_column(String(60))
    #: the merchant the event belongs to, so its owner can read its own trail
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey("merchants.id"))
    #: JSON object with what changed
    detail: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def details(self) -> dict:
        return json.loads(self.detail or "{}")


def record_event(session: Session, *, actor: str, action: str, subject: str,
                 merchant_id: str | None = None, **detail) -> AuditEvent:
    """Add one event to the trail (flushed with the change it describes)."""
    event = AuditEvent(actor=actor, action=action, subject=subject, merchant_id=merchant_id,
                       detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True))
    session.add(event)
    return event


def events_for_merchant(session: Session, merchant_id: str, *, limit: int = 50,
                        before: int | None = None) -> list[AuditEvent]:
    """The merchant's trail, newest first."""
    query = select(AuditEvent).where(AuditEvent.merchant_id == merchant_id)
    if before:
        query = query.where(AuditEvent.id < before)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
