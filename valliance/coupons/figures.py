"""What a coupon template cost and brought, for the staff's and the merchant owner's pages.

Per template: coupons issued, used, the value the sales took (`purchases.coupon_value`, as
sold), what the alliance owes for it (its `coupon_lines`, net of refunds: what settlement
pays back; 0 for a merchant's own template), and the purchases that used its coupons with
their list-price total. Purchases are read by table name, as merchants' names are (coupons
sit below merchants)."""

import math
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from valliance.coupons.models import Coupon, CouponLine, CouponTemplate
from valliance.db import Base

PER_PAGE = 20


@dataclass
class Figures:
    issued: int = 0
    used: int = 0
    #: fen the sales took off with its coupons
    value_used: int = 0
    #: fen the alliance owes merchants for them (coupon lines, net of refunds)
    alliance_cost: int = 0
    purchases: int = 0
    #: list-price fen of those purchases
    spend: int = 0


@dataclass
class TemplatePage:
    rows: list[CouponTemplate]
    figures: dict[str, Figures] = field(default_factory=dict)
    merchant_names: dict[str, str] = field(default_factory=dict)
    page: int = 1
    pages: int = 1
    total: int = 0


def figures_of(session: Session, template_ids: list[str]) -> dict[str, Figures]:
    """Each template's figures (every id present, zeros when nothing happened)."""
    found = {tid: Figures() for tid in template_ids}
    if not template_ids:
        return found
    purchases = Base.metadata.tables["purchases"]
    mine = Coupon.template_id.in_(template_ids)
    for tid, status, count in session.execute(
            select(Coupon.template_id, Coupon.status, func.count())
            .where(mine).group_by(Coupon.template_id, Coupon.status)):
        found[tid].issued += count
        if status == "used":
            found[tid].used = count
    for tid, count, value, spend in session.execute(
            select(Coupon.template_id, func.count(), func.sum(purchases.c.coupon_value),
                   func.sum(purchases.c.amount))
            .join(purchases, purchases.c.coupon_code == Coupon.code)
            .where(mine).group_by(Coupon.template_id)):
        found[tid].purchases, found[tid].value_used, found[tid].spend = (
            count, int(value or 0), int(spend or 0))
    for tid, cost in session.execute(
            select(Coupon.template_id, func.sum(CouponLine.value_fen))
            .join(CouponLine, CouponLine.coupon_id == Coupon.id)
            .where(mine).group_by(Coupon.template_id)):
        found[tid].alliance_cost = int(cost or 0)
    return found


def templates_page(session: Session, page: int = 1, *, merchant_id: str | None = None,
                   per_page: int = PER_PAGE) -> TemplatePage:
    """One page of templates, newest first, with their figures: every template (staff), or
    one merchant's own (merchant_id)."""
    query = select(CouponTemplate)
    if merchant_id is not None:
        query = query.where(CouponTemplate.merchant_id == merchant_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = list(session.scalars(query.order_by(
        CouponTemplate.created_at.desc(), CouponTemplate.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    return TemplatePage(rows, figures_of(session, [t.id for t in rows]),
                        merchant_names(session, {t.merchant_id for t in rows}),
                        page, pages, total)


def merchant_names(session: Session, ids) -> dict[str, str]:
    """Merchants' names by id (for templates valid at one merchant)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    merchants = Base.metadata.tables["merchants"]
    return dict(session.execute(select(merchants.c.id, merchants.c.name)
                                .where(merchants.c.id.in_(ids))).all())


def coupons_page(session: Session, template_id: str, page: int = 1,
                 per_page: int = PER_PAGE) -> tuple[list, int, int]:
    """One page of a template's coupons, newest first, each with its member's name and phone:
    (rows, page, pages)."""
    members = Base.metadata.tables["members"]
    total = session.scalar(select(func.count()).select_from(Coupon)
                           .where(Coupon.template_id == template_id)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(Coupon, members.c.name, members.c.phone)
        .join(members, members.c.id == Coupon.member_id)
        .where(Coupon.template_id == template_id)
        .order_by(Coupon.issued_at.desc(), Coupon.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return rows, page, pages
