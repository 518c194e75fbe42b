"""Cases for staff: self-referrals, phones rewarded before, yearly caps hit, clawbacks."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.errors import NotFound
from valliance.ids import new_id
from valliance.invitations.models import InvitationFlag


def flag(session: Session, *, referrer_id: str, reason: str, invitation_id: str | None = None,
         at: datetime | None = None) -> InvitationFlag:
    """Record a case for staff to review."""
    row = InvitationFlag(id=new_id("ivf"), referrer_id=referrer_id, reason=reason,
                         invitation_id=invitation_id, created_at=at or utcnow())
    session.add(row)
    session.flush()
    return row


def mark_reviewed(session: Session, flag_id: str, *, actor: str,
                  now: datetime | None = None) -> InvitationFlag:
    """Staff reviewed a case (audited); reviewing it again changes nothing."""
    row = session.scalar(select(InvitationFlag).where(InvitationFlag.id == flag_id)
                         .with_for_update())
    if row is None:
        raise NotFound()
    if row.reviewed_at is None:
        row.reviewed_at, row.reviewed_by = now or utcnow(), actor
        session.flush()
        record_event(session, actor=actor, action="invitation.flag_reviewed", subject=row.id,
                     reason=row.reason, referrer_id=row.referrer_id)
    return row
