"""What the adjustment pages read: the queue by status (pending first), one member's, pages."""

import math
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.backoffice.models import ADJUSTMENT_STATUSES, PointAdjustment
from valliance.members.models import Member
from valliance.staff.models import StaffUser

PER_PAGE = 20


@dataclass(frozen=True)
class AdjustmentPage:
    adjustments: list[PointAdjustment]
    page: int
    pages: int
    total: int
    #: member id → the member, for the rows shown
    members: dict[str, Member] = field(default_factory=dict)
    #: staff id → name, for the makers and deciders shown
    staff_names: dict[str, str] = field(default_factory=dict)


def _filtered(query, member_id: str | None):
    return query.where(PointAdjustment.member_id == member_id) if member_id else query


def status_counts(session: Session, member_id: str | None = None) -> dict[str, int]:
    """How many adjustments there are in each status (of one member, when named)."""
    rows = session.execute(_filtered(
        select(PointAdjustment.status, func.count()).group_by(PointAdjustment.status),
        member_id)).all()
    counts = dict.fromkeys(ADJUSTMENT_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


def staff_names(session: Session, ids) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(StaffUser.id, StaffUser.name)
                                .where(StaffUser.id.in_(ids))).all())


def adjustment_queue(session: Session, *, status: str, member_id: str | None = None,
                     page: int = 1, per_page: int = PER_PAGE) -> AdjustmentPage:
    """One page of adjustments in a status: pending oldest first (the next to decide on
    top), decided ones newest first."""
    query = _filtered(select(PointAdjustment).where(PointAdjustment.status == status), member_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    order = (PointAdjustment.created_at.asc() if status == ADJUSTMENT_STATUSES[0]
             else PointAdjustment.created_at.desc())
    rows = list(session.scalars(query.order_by(order, PointAdjustment.id)
                                .offset((page - 1) * per_page).limit(per_page)))
    members = {m.id: m for m in session.scalars(
        select(Member).where(Member.id.in_({r.member_id for r in rows})))} if rows else {}
    names = staff_names(session, {r.made_by for r in rows} | {r.decided_by for r in rows})
    return AdjustmentPage(adjustments=rows, page=page, pages=pages, total=total,
                          members=members, staff_names=names)
