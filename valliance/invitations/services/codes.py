"""A member's invitation code, made on first need (the share page, the API)."""

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.invitations.codes import new_code
from valliance.invitations.models import InvitationCode

_ATTEMPTS = 5


def code_of(session: Session, member_id: str) -> str:
    """The member's code; made now if the member has none (racing requests make one)."""
    code = session.scalar(select(InvitationCode.code)
                          .where(InvitationCode.member_id == member_id))
    if code is not None:
        return code
    insert = (postgresql.insert if session.connection().dialect.name == "postgresql"
              else sqlite.insert)
    for _ in range(_ATTEMPTS):
        # one statement that gives way to another request's code, or to a taken code
        session.execute(insert(InvitationCode.__table__).values(
            member_id=member_id, code=new_code(), created_at=utcnow()).on_conflict_do_nothing())
        code = session.scalar(select(InvitationCode.code)
                              .where(InvitationCode.member_id == member_id))
        if code is not None:
            return code
    raise RuntimeError("no free invitation code after several attempts")


def referrer_of_code(session: Session, code: str) -> str | None:
    """The member whose code this is, or None."""
    return session.scalar(select(InvitationCode.member_id).where(InvitationCode.code == code))
