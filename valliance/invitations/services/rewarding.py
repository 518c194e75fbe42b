"""The newcomer's first qualifying purchase rewards both members, once (old brings new).

Called in the purchase's transaction (merchants' purchase_recorded). The invitation is taken
by one conditional UPDATE (pending → rewarded): of two first purchases at once, the second
waits for the first's row lock and then finds nothing pending; the invitation's unique
purchase and the rewarded phone's primary key stand behind it.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from valliance import points
from valliance.coupons.issuing import issue_coupon
from valliance.db import SHANGHAI
from valliance.errors import VallianceError
from valliance.invitations.models import Invitation, InvitationCode, RewardedPhone
from valliance.invitations.services.flags import flag
from valliance.invitations.services.guards import phone_hash, phone_rewarded_before, same_person
from valliance.members.models import Member
from valliance.members.services.sale_watch import watch_sales


def pending_invitation(session: Session, newcomer_id: str) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.newcomer_id == newcomer_id,
                                                   Invitation.status == "pending"))


def on_purchase(session: Session, purchase: dict) -> Invitation | None:
    """Reward the invitation this purchase qualifies, if any (its status says how it went)."""
    config = current_app.config
    if purchase["payable"] < config["REFERRAL_MIN_SPEND_FEN"]:
        return None
    invitation = pending_invitation(session, purchase["member_id"])
    if invitation is None:
        return None
    at = purchase["created_at"]
    taken = session.execute(
        update(Invitation).where(Invitation.id == invitation.id,
                                 Invitation.status == "pending")
        .values(status="rewarded", purchase_id=purchase["id"], rewarded_at=at)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return None  # another first purchase took it
    watch_sales(session, invitation.newcomer_id, False)  # nothing more to wait for
    session.refresh(invitation)
    referrer, newcomer = (session.get(Member, invitation.referrer_id),
                          session.get(Member, invitation.newcomer_id))
    refusal = ("self_referral" if same_person(session, referrer, newcomer)
               else "phone_rewarded_before" if phone_rewarded_before(session, newcomer.phone)
               else None)
    if refusal:
        invitation.status = "refused"
        flag(session, referrer_id=referrer.id, reason=refusal, invitation_id=invitation.id,
             at=at)
        return invitation
    session.add(RewardedPhone(phone_hash=phone_hash(newcomer.phone),
                              invitation_id=invitation.id, created_at=at))
    _give(session, invitation, newcomer, "newcomer", at)
    if _within_cap(session, referrer.id, at):
        _give(session, invitation, referrer, "referrer", at)
    else:
        flag(session, referrer_id=referrer.id, reason="yearly_cap", invitation_id=invitation.id,
             at=at)
    session.flush()
    return invitation


def _within_cap(session: Session, referrer_id: str, at: datetime) -> bool:
    """Whether the referrer has been rewarded fewer than REFERRAL_YEARLY_CAP times this
    calendar year (Asia/Shanghai); the referrer's code row is locked while counting."""
    session.execute(select(InvitationCode.member_id)
                    .where(InvitationCode.member_id == referrer_id).with_for_update())
    year = at.astimezone(SHANGHAI).year
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    given = session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.referrer_id == referrer_id, Invitation.rewarded_at >= start,
        Invitation.rewarded_at < end,
        (Invitation.referrer_points > 0) | Invitation.referrer_coupon.is_not(None)))
    return given < current_app.config["REFERRAL_YEARLY_CAP"]


def _give(session: Session, invitation: Invitation, member: Member, side: str,
          at: datetime) -> None:
    """The configured points (a `reward` transfer) and coupon to one side of the invitation."""
    config = current_app.config
    reward_points = config["REFERRAL_REWARD_POINTS"]
    if reward_points > 0:
        posting = points.reward(session, member_account=member.points_account_id,
                                points=reward_points, reason=f"invitation:{invitation.id}",
                                now=at)
        setattr(invitation, f"{side}_transfer_id", posting.transfer_id)
        setattr(invitation, f"{side}_points", reward_points)
    template_id = config["REFERRAL_COUPON_TEMPLATE_ID"]
    if template_id:
        try:
            with session.begin_nested():
                coupon = issue_coupon(session, template_id, member,
                                      source=f"invitation:{invitation.id}", now=at)
            setattr(invitation, f"{side}_coupon", coupon.code)
        except VallianceError:  # the template is retired or its limits are reached
            flag(session, referrer_id=invitation.referrer_id, reason="coupon_not_issued",
                 invitation_id=invitation.id, at=at)
