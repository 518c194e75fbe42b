"""Member portal: the alliance's offers, priced for the member's tier (merchant_side supplies
the list: merchants sit above members)."""

from valliance.members.auth import member_required
from valliance.members.merchant_side import merchant_side
from valliance.members.views import bp


@bp.get("/offers")
@member_required
def offers():
    """Offers from alliance merchants, priced for this member's tier."""
    return merchant_side().offers_page()
