"""Member-facing offer pages: active offers of approved merchants, priced for the visitor's tier.

Anyone may browse; a signed-in member sees the terms of their own tier (a tier override
replaces the base percent_off), everyone else the `standard` terms.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from valliance import money
from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.input_guard import bounded_int
from valliance.members import tiers
from valliance.members.portal import tier_name
from valliance.merchants import labels
from valliance.merchants.models import CATEGORIES, Merchant, Offer, OfferTierRate
from valliance.web.i18n import tr
from valliance.web.navigation import FLASH

bp = Blueprint("offers", __name__, url_prefix="/offers", template_folder="../templates")

PAGE_SIZE = 20
MAX_PAGE = 10_000  #: a larger page number is no page (and no OFFSET a database holds)


@dataclass(frozen=True)
class PricedOffer:
    offer: Offer
    merchant: Merchant
    percent_off: Decimal
    label: str
    #: points per yuan for this tier: the offer's rate × the tier multiplier
    points_per_yuan: Decimal
    effective_percent: Decimal


def _today():
    return datetime.now(SHANGHAI).date()


def visitor_tier() -> tuple[str, bool]:
    """(tier to price for, whether a member is signed in)."""
    if current_user.is_authenticated and getattr(current_user, "is_member", False):
        return current_user.member.tier, True
    return "standard", False


def _active(query, today):
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
    query = _active(joined, _today())
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


def _render(template: str, **context) -> str:
    # Helpers passed explicitly, not by a context processor: the member portal renders the
    # list too (/me/offers), and a blueprint's context processor runs only for its own routes.
    return render_template(template, tr=tr, tier_name=tier_name, yuan=money.format_yuan,
                           FLASH=FLASH, points_text=lambda p: format(p, "f"), **labels.HELPERS,
                           **context)


@bp.get("/")
def index():
    """Active offers by category and district, 20 a page."""
    return render_offers_page()


def render_offers_page() -> str:
    """The offers list for the current request's filters and visitor."""
    tier, signed_in = visitor_tier()
    category = request.args.get("category") or None
    if category not in CATEGORIES:
        category = None
    district = (request.args.get("district") or "").strip() or None
    page = request.args.get("page", 1, type=bounded_int(1, MAX_PAGE))
    offers, total = list_offers(db.session, tier, category, district, page)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return _render("merchants/offers.html", offers=offers, total=total, page=page,
                           pages=pages, category=category, district=district,
                           categories=CATEGORIES, districts=districts(db.session), tier=tier,
                           signed_in=signed_in)


@bp.get("/<offer_id>")
def detail(offer_id: str):
    """One offer: the merchant's details and what the visitor's tier gets there."""
    row = db.session.execute(_active(
        select(Offer, Merchant).join(Merchant, Merchant.id == Offer.merchant_id)
        .where(Offer.id == offer_id), _today())).first()
    if row is None:
        abort(404)
    tier, signed_in = visitor_tier()
    return _render("merchants/offer.html", item=price(row[0], row[1], tier), tier=tier,
                           signed_in=signed_in)
