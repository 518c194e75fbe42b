"""A member's consent to marketing messages: set in the portal or the app, withdrawn by a
reply of TD (退订) to any message. Campaigns send only to members with marketing_opt_in.

Every change is audited (member.marketing_opt_in / member.marketing_opt_out) with who made it
and how; setting the value a member already has changes nothing and records nothing.
"""

from sqlalchemy.orm import Session

from valliance.audit import record_event
from valliance.db import utcnow
from valliance.members.models import Member
from valliance.members.services.enrollment import find_member_by_phone, normalize_phone
from valliance.messaging import cancel_pending

#: replies that opt out ("回复TD退订"): compared without spaces, case-insensitively
OPT_OUT_REPLIES = frozenset({"TD", "退订"})


def set_marketing_opt_in(session: Session, member: Member, opted_in: bool, *, actor: str,
                         via: str, reason: str = "") -> bool:
    """Record the member's choice; True when it changed (and was audited)."""
    if member.marketing_opt_in == opted_in:
        return False
    member.marketing_opt_in = opted_in
    member.marketing_opt_in_changed_at = utcnow()
    if not opted_in:  # what a campaign queued for them and the gateway has not taken
        cancel_pending(session, recipient=member.phone)
    session.flush()
    record_event(session, actor=actor, subject=member.id, reason=reason, via=via,
                 action="member.marketing_opt_in" if opted_in else "member.marketing_opt_out")
    return True


def is_opt_out_reply(text: str) -> bool:
    return "".join(str(text or "").split()).upper() in OPT_OUT_REPLIES


def opt_out_by_reply(session: Session, phone: str, text: str) -> Member | None:
    """An inbound SMS: opt its sender out when it says TD / td / 退订; the member it opted out
    (None: not an opt-out reply, an unknown phone, or already out)."""
    if not is_opt_out_reply(text):
        return None
    member = find_member_by_phone(session, normalize_phone(phone))
    if member is None:
        return None
    changed = set_marketing_opt_in(session, member, False, actor=f"member:{member.id}",
                                   via="sms-reply", reason=str(text).strip())
    return member if changed else None
