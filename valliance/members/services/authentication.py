"""Members proving who they are: passwords, and the bearer tokens of the member app."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.members.models import Member, MemberToken
from valliance.members.services.enrollment import find_member_by_phone, normalize_phone
from valliance.passwords import check_password_strength, new_hash, password_matches

TOKEN_DAYS = 30


def change_password(session: Session, member: Member, current: str | None, new: str) -> None:
    """Set a new password (checking the current one) and revoke every API token."""
    if member.password_hash and not password_matches(member.password_hash, current):
        raise ValidationError(details={"current_password": [bilingual("当前密码不正确")]})
    check_password_strength(new)
    member.password_hash = new_hash(new)
    member.claimed_at = member.claimed_at or utcnow()
    revoke_tokens(session, member)
    session.flush()


def authenticate(session: Session, phone: str, password: str) -> Member | None:
    """The member with this phone and password, or None (same answer for either mistake)."""
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        return None
    member = find_member_by_phone(session, phone)
    # (same time whether or not the member exists or has a password)
    matches = password_matches(member.password_hash if member else None, password)
    return member if matches else None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, member: Member) -> tuple[str, MemberToken]:
    """A new bearer token for the member app; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    row = MemberToken(token_hash=_hash_token(token), member_id=member.id,
                      expires_at=utcnow() + timedelta(days=TOKEN_DAYS))
    session.add(row)
    session.flush()
    return token, row


def member_for_token(session: Session, token: str) -> Member | None:
    """The member a live token belongs to, or None (unknown, expired or revoked)."""
    row = session.scalar(select(MemberToken).where(MemberToken.token_hash == _hash_token(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return session.get(Member, row.member_id)


def revoke_token(session: Session, token: str) -> None:
    """Sign one app session out (the member's other tokens stay valid)."""
    session.execute(update(MemberToken).where(MemberToken.token_hash == _hash_token(token),
                                              MemberToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def revoke_tokens(session: Session, member: Member) -> None:
    """Revoke every token of the member (after a password change)."""
    session.execute(update(MemberToken).where(MemberToken.member_id == member.id,
                                              MemberToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
