"""A member's tier changed by staff outside the yearly review (a goodwill upgrade, a
correction): the tier, how long it holds, and a TierChange row saying why."""

from datetime import timedelta

from sqlalchemy.orm import Session

from valliance.db import today_shanghai
from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.members.models import TIERS, Member, TierChange

#: a tier set by staff holds this long (the yearly review does not lower it before then,
#: as for a tier granted on joining: tier_review.review_tiers)
GRANT_DAYS = 365
#: what a staff change's TierChange.reason starts with
STAFF_REASON = "staff"
MAX_REASON = 200


def change_tier(session: Session, member: Member, tier: str, *, reason: str) -> TierChange:
    """Set the member's tier now; refuses an unknown tier, the same tier, or no reason."""
    if tier not in TIERS:
        raise ValidationError(details={"tier": [f"one of {', '.join(TIERS)}"]})
    if tier == member.tier:
        raise ValidationError(details={"tier": [bilingual("会员已是该等级")]})
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(details={"reason": [bilingual("请填写原因")]})
    change = TierChange(member_id=member.id, from_tier=member.tier, to_tier=tier,
                        reason=f"{STAFF_REASON}: {reason}"[:MAX_REASON])
    member.tier = tier
    member.tier_valid_until = today_shanghai() + timedelta(days=GRANT_DAYS)
    session.add(change)
    session.flush()
    return change
