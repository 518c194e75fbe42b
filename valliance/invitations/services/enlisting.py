"""A sign-up that names an invitation code: the code is checked, the invitation recorded."""

from datetime import datetime

from sqlalchemy.orm import Session

from valliance.db import utcnow
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.ids import new_id
from valliance.invitations.codes import looks_valid, normalize
from valliance.invitations.models import Invitation
from valliance.invitations.services.codes import referrer_of_code
from valliance.invitations.services.flags import flag
from valliance.members.models import Member
from valliance.members.services.sale_watch import watch_sales


def check_code(session: Session, *, phone: str, code: str) -> None:
    """An unknown code is the form's error; a member typing their own code (their phone is a
    member already: the sign-up goes no further) is flagged for staff, and told nothing."""
    code = normalize(code)
    referrer_id = referrer_of_code(session, code) if looks_valid(code) else None
    if referrer_id is None:
        unknown = bilingual("邀请码不存在，请核对后重新输入，或留空")
        raise ValidationError(details={"ref": [unknown]})
    referrer = session.get(Member, referrer_id)
    if referrer.phone == phone:
        flag(session, referrer_id=referrer_id, reason="self_referral_attempt")


def record_invitation(session: Session, *, member: Member, code: str | None,
                      at: datetime | None = None) -> Invitation | None:
    """Who invited the member who just signed up (None: no code, or the member's own)."""
    referrer_id = referrer_of_code(session, normalize(code)) if code else None
    if referrer_id is None or referrer_id == member.id:
        return None
    invitation = Invitation(id=new_id("inv"), referrer_id=referrer_id, newcomer_id=member.id,
                            code=normalize(code), status="pending", created_at=at or utcnow())
    session.add(invitation)
    watch_sales(session, member.id, True)  # its first purchases go the app's way: seen here
    session.flush()
    return invitation
