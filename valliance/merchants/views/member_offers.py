"""Member-facing offer pages: active offers of approved merchants, priced for the visitor's tier.

Anyone may browse; a signed-in member sees the terms of their own tier (a tier override
replaces the base percent_off), everyone else the `standard` terms.
"""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from valliance import money
from valliance.extensions import db
from valliance.input_guard import bounded_int
from valliance.members.labels import tier_name
from valliance.merchants import labels
from valliance.merchants.models import CATEGORIES
from valliance.merchants.services.priced_offers import PAGE_SIZE, districts, find_offer, list_offers
from valliance.web.navigation import FLASH

bp = Blueprint("offers", __name__, url_prefix="/offers", template_folder="../templates")

MAX_PAGE = 10_000  #: a larger page number is no page (and no OFFSET a database holds)


def visitor_tier() -> tuple[str, bool]:
    """(tier to price for, whether a member is signed in)."""
    if current_user.is_authenticated and getattr(current_user, "is_member", False):
        return current_user.member.tier, True
    return "standard", False


def _render(template: str, **context) -> str:
    # Helpers passed explicitly, not by a context processor: the member portal renders the
    # list too (/me/offers), and a blueprint's context processor runs only for its own routes.
    return render_template(template, tier_name=tier_name, yuan=money.format_yuan,
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
                   pages=pages, category=category, district=district, categories=CATEGORIES,
                   districts=districts(db.session), tier=tier, signed_in=signed_in)


@bp.get("/<offer_id>")
def detail(offer_id: str):
    """One offer: the merchant's details and what the visitor's tier gets there."""
    tier, signed_in = visitor_tier()
    item = find_offer(db.session, offer_id, tier)
    if item is None:
        abort(404)
    return _render("merchants/offer.html", item=item, tier=tier, signed_in=signed_in)
