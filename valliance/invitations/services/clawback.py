"""A qualifying purchase refunded in full within 30 days takes both rewards back.

Points go back through the ledger's reversal of the reward transfer (points.reverse): what
the member's balance no longer covers is owed and collected from the member's next credits,
as with any reversed accrual. A coupon given as a reward is voided while still unused; a used
one stays used (its value is spent) and the case is flagged like every clawback.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance import points
from valliance.coupons.issuing import void_coupon
from valliance.coupons.models import Coupon
from valliance.invitations.models import Invitation
from valliance.invitations.services.flags import flag

CLAWBACK_DAYS = 30  #: contract §11
ACTOR = "system:invitations"


def on_refund(session: Session, purchase, at: datetime) -> Invitation | None:
    """Claw back the invitation this fully refunded purchase qualified, within 30 days."""
    if purchase.refunded_amount != purchase.amount:
        return None  # a partial refund keeps the rewards
    invitation = session.scalar(select(Invitation).where(
        Invitation.purchase_id == purchase.id, Invitation.status == "rewarded")
        .with_for_update())
    if invitation is None or at - purchase.created_at > timedelta(days=CLAWBACK_DAYS):
        return None
    taken = 0
    for side in ("newcomer", "referrer"):
        transfer_id = getattr(invitation, f"{side}_transfer_id")
        if transfer_id is not None:
            reward_points = getattr(invitation, f"{side}_points")
            points.reverse(session, transfer_id, reward_points, now=at)
            taken += reward_points
    for side in ("newcomer", "referrer"):
        code = getattr(invitation, f"{side}_coupon")
        if code and session.scalar(select(Coupon.status).where(Coupon.code == code)) == "active":
            void_coupon(session, code, actor=ACTOR)
    invitation.status, invitation.clawed_back_at = "clawed_back", at
    invitation.clawed_back_points = taken
    flag(session, referrer_id=invitation.referrer_id, reason="clawback",
         invitation_id=invitation.id, at=at)
    return invitation
