"""The merchant approval queue: what staff read (counts per status, search, pages)."""

import math
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from valliance.merchants.models import MERCHANT_STATUSES, Merchant, MerchantUser
from valliance.staff.models import StaffUser

PER_PAGE = 20
MAX_QUERY = 100


@dataclass
class QueuePage:
    merchants: list[Merchant]
    #: merchant id → its owners' accounts
    owners: dict[str, list[MerchantUser]]
    total: int
    page: int
    pages: int


def _matching(query, q: str):
    q = (q or "").strip()[:MAX_QUERY]
    if not q:
        return query
    return query.where(or_(Merchant.name.icontains(q, autoescape=True),
                           Merchant.licence_no.startswith(q.upper(), autoescape=True)))


def status_counts(session: Session, q: str = "") -> dict[str, int]:
    """How many merchants (matching the search) are in each status; every status present."""
    rows = session.execute(_matching(
        select(Merchant.status, func.count()).group_by(Merchant.status), q)).all()
    counts = dict.fromkeys(MERCHANT_STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


def merchant_queue(session: Session, *, status: str | None, q: str = "", page: int = 1,
                   per_page: int = PER_PAGE) -> QueuePage:
    """One page of merchants in a status (None: every status), newest applications first."""
    base = select(Merchant) if status is None else select(Merchant).where(
        Merchant.status == status)
    base = _matching(base, q)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    merchants = list(session.scalars(base.order_by(Merchant.created_at.desc(), Merchant.id.desc())
                                     .offset((page - 1) * per_page).limit(per_page)))
    owners: dict[str, list[MerchantUser]] = {m.id: [] for m in merchants}
    if merchants:
        for user in session.scalars(select(MerchantUser).where(
                MerchantUser.merchant_id.in_(list(owners)), MerchantUser.role == "owner")
                .order_by(MerchantUser.created_at)):
            owners[user.merchant_id].append(user)
    return QueuePage(merchants, owners, total, page, pages)


def merchant_accounts(session: Session, merchant_id: str) -> list[MerchantUser]:
    """Everyone who signs in for this merchant: owners first."""
    return list(session.scalars(select(MerchantUser).where(
        MerchantUser.merchant_id == merchant_id).order_by(
        MerchantUser.role.desc(), MerchantUser.created_at)))


def staff_names(session: Session, staff_ids: set[str]) -> dict[str, str]:
    """staff id → name, for showing who reviewed what."""
    if not staff_ids:
        return {}
    return dict(session.execute(select(StaffUser.id, StaffUser.name).where(
        StaffUser.id.in_(list(staff_ids)))).all())
