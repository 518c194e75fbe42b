"""What the share page, the member API and the staff page read."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from valliance.invitations.models import Invitation, InvitationFlag
from valliance.members.models import Member

#: statuses of an invitation whose newcomer made the qualifying purchase
CONVERTED = ("rewarded", "refused", "clawed_back")


def _referrer_rewarded():
    return (Invitation.status == "rewarded") & (
        (Invitation.referrer_points > 0) | Invitation.referrer_coupon.is_not(None))


def member_counts(session: Session, member_id: str) -> tuple[int, int]:
    """(invited, rewarded): newcomers who signed up with the member's code, and those whose
    first purchase earned the member a reward that stands (not clawed back)."""
    invited, rewarded = session.execute(select(
        func.count(), func.coalesce(func.sum(case((_referrer_rewarded(), 1), else_=0)), 0))
        .where(Invitation.referrer_id == member_id)).one()
    return int(invited), int(rewarded)  # PostgreSQL sums are numeric


@dataclass(frozen=True)
class ReferrerRow:
    member_id: str
    name: str
    phone_masked: str
    invited: int
    converted: int
    rewarded: int
    #: points credited to both sides of the referrer's invitations, and taken back
    points_paid: int
    points_clawed_back: int


def ranked_referrers(session: Session, *, page: int = 1, per_page: int | None = None
                     ) -> tuple[list[ReferrerRow], int]:
    """Referrers, most converted first (then most invited); (rows of the page — all of them
    without per_page — , total)."""
    converted = func.sum(case((Invitation.status.in_(CONVERTED), 1), else_=0))
    paid = func.sum(Invitation.referrer_points + Invitation.newcomer_points)
    query = (select(Invitation.referrer_id, Member.name, Member.phone, func.count(), converted,
                    func.sum(case((Invitation.status == "rewarded", 1), else_=0)), paid,
                    func.sum(Invitation.clawed_back_points))
             .join(Member, Member.id == Invitation.referrer_id)
             .group_by(Invitation.referrer_id, Member.name, Member.phone)
             .order_by(converted.desc(), func.count().desc(), Invitation.referrer_id))
    total = session.scalar(select(func.count(func.distinct(Invitation.referrer_id))))
    if per_page is not None:
        query = query.limit(per_page).offset((page - 1) * per_page)
    rows = session.execute(query).all()
    return [ReferrerRow(r[0], r[1], f"{r[2][:3]}****{r[2][-4:]}", *(int(n or 0) for n in r[3:]))
            for r in rows], total or 0


@dataclass(frozen=True)
class Totals:
    invited: int
    converted: int
    rewarded: int
    points_paid: int
    points_clawed_back: int


def totals(session: Session) -> Totals:
    row = session.execute(select(
        func.count(), func.sum(case((Invitation.status.in_(CONVERTED), 1), else_=0)),
        func.sum(case((Invitation.status == "rewarded", 1), else_=0)),
        func.sum(Invitation.referrer_points + Invitation.newcomer_points),
        func.sum(Invitation.clawed_back_points))).one()
    return Totals(*(int(n or 0) for n in row))  # PostgreSQL sums are numeric


@dataclass(frozen=True)
class FlagRow:
    id: str
    reason: str
    created_at: datetime
    name: str
    phone_masked: str
    reviewed_at: datetime | None
    reviewed_by: str | None


def flags(session: Session, *, page: int, per_page: int) -> tuple[list[FlagRow], int]:
    """Flagged cases, those not reviewed first, newest first; (rows of the page, total)."""
    query = (select(InvitationFlag, Member.name, Member.phone)
             .join(Member, Member.id == InvitationFlag.referrer_id)
             .order_by(InvitationFlag.reviewed_at.is_not(None), InvitationFlag.created_at.desc(),
                       InvitationFlag.id))
    total = session.scalar(select(func.count()).select_from(InvitationFlag))
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return [FlagRow(f.id, f.reason, f.created_at, name, f"{phone[:3]}****{phone[-4:]}",
                    f.reviewed_at, f.reviewed_by) for f, name, phone in rows], total or 0
