"""The alliance's active offers of approved merchants, priced for a member's tier (a tier
override replaces the base percent_off) and ranked best first, as the directory ranks them."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from valliance import money
from valliance.db import today_shanghai
from valliance.members import tiers
from valliance.merchants.models import Merchant, Offer, OfferTierRate

PAGE_SIZE = 20


@dataclass(frozen=True)
class PricedOffer:
    offer: Offer
    merchant: Merchant
    percent_off: Decimal
    label: str
    #: points per yuan for this tier: the offer's rate × the tier multiplier
    points_per_yuan: Decimal
    effective_percent: Decimal


def _active(query, today: date):
    return query.where(Merchant.status == "approved", Offer.active.is_(True),
                       or_(Offer.valid_from.is_(None), Offer.valid_from <= today),
                       or_(Offer.valid_until.is_(None), Offer.valid_until >= today))


def price(offer: Offer, merchant: Merchant, tier: str) -> PricedOffer:
    """The offer's terms for a tier: label, points per yuan and effective percent."""
    multiplier = tiers.multiplier(tier)
    percent = offer.percent_off_for(tier)
    effective = money.effective_percent(percent, offer.points_per_yuan, multiplier,
                                        current_app.config["POINT_VALUE_FEN"])
    points = (offer.points_per_yuan * multiplier).normalize()
    return PricedOffer(offer, merchant, percent, money.discount_label(percent), points,
                       effective)


def list_offers(session: Session, tier: str, category: str | None, district: str | None,
                page: int) -> tuple[list[PricedOffer], int]:
    """One page of active offers, best for the tier first (the directory's ranking)."""
    rate = (OfferTierRate.__table__.alias("rate"))
    joined = select(Offer, Merchant).join(Merchant, Merchant.id == Offer.merchant_id).outerjoin(
        rate, and_(rate.c.offer_id == Offer.id, rate.c.tier == tier))
    query = _active(joined, today_shanghai())
    if category:
        query = query.where(Merchant.category == category)
    if district:
        query = query.where(Merchant.district == district)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    weight = tiers.multiplier(tier) * current_app.config["POINT_VALUE_FEN"]
    effective = func.coalesce(rate.c.percent_off, Offer.percent_off) + (
        Offer.points_per_yuan * weight)
    rows = session.execute(query.order_by(effective.desc(), Merchant.avg_spend, Merchant.name,
                                          Offer.id)
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return [price(offer, merchant, tier) for offer, merchant in rows], total


def districts(session: Session) -> list[str]:
    """Districts that have an approved merchant, for the filter."""
    return list(session.scalars(select(Merchant.district).where(Merchant.status == "approved")
                                .distinct().order_by(Merchant.district)))


def find_offer(session: Session, offer_id: str, tier: str) -> PricedOffer | None:
    """One active offer of an approved merchant, priced for the tier; None if there is none."""
    row = session.execute(_active(
        select(Offer, Merchant).join(Merchant, Merchant.id == Offer.merchant_id)
        .where(Offer.id == offer_id), today_shanghai())).first()
    return price(row[0], row[1], tier) if row is not None else None
