"""What members do, split by verb; this face holds the verbs other packages call.

Modules: enrollment (phones, enrolling, membership), cards (issue, find, freeze, replace,
expire), authentication (passwords, app tokens), pay_codes and pay_guard (a card's one-use pay
codes and the limits on guessing them), otp (SMS codes), signup (sign-up and claiming an
imported account), reissue (a member replacing a lost card), tier_review (the yearly review),
tier_change (staff changing a tier outside the review), member_import and spend_import (the
operator's CSV files, sharing bulk), statement (what a member reads: balance and history).
"""

from valliance.members.services.authentication import (
    authenticate,
    change_password,
    create_token,
    member_for_token,
    revoke_token,
    revoke_tokens,
)
from valliance.members.services.cards import (
    CARD_VALIDITY_YEARS,
    expire_cards,
    find_card,
    issue_card,
    reissue_card,
    require_usable,
    set_card_status,
)
from valliance.members.services.enrollment import (
    PHONE_TAKEN,
    enroll_member,
    find_member_by_phone,
    normalize_phone,
    set_membership,
)

__all__ = [
    "CARD_VALIDITY_YEARS", "PHONE_TAKEN", "authenticate", "change_password", "create_token",
    "enroll_member", "expire_cards", "find_card", "find_member_by_phone", "issue_card",
    "member_for_token", "normalize_phone", "reissue_card", "require_usable", "revoke_token",
    "revoke_tokens", "set_card_status", "set_membership",
]
