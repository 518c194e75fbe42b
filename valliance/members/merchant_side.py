"""What member pages show of merchants' data: supplied by the merchants package.

Merchants sits above members (it prices offers by a member's tier and records purchases on
members' cards), so members never imports it. At its init_app the merchants package supplies
the offers list a signed-in member sees and what it knows of the merchants and purchases in a
member's history. Until it does (an app without merchants), the offers page says offers are
coming and history rows name no merchant.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, render_template
from sqlalchemy.orm import Session

_KEY = "members.merchant_side"


@dataclass(frozen=True)
class Purchases:
    """What the merchants package tells of some merchants and purchases."""

    #: merchant id → name
    merchant_names: dict[str, str] = field(default_factory=dict)
    #: purchase id → amount in fen
    amounts: dict[str, int] = field(default_factory=dict)


#: (session, merchant ids, purchase ids) → what is known of them
PurchaseReader = Callable[[Session, set[str], set[str]], Purchases]


def _no_purchases(session: Session, merchant_ids: set[str], purchase_ids: set[str]
                  ) -> Purchases:
    return Purchases()


def _offers_coming():
    return render_template("members/offers.html")


@dataclass(frozen=True)
class MerchantSide:
    #: the response of /me/offers
    offers_page: Callable = _offers_coming
    read_purchases: PurchaseReader = _no_purchases


def supply(app: Flask, *, offers_page: Callable, read_purchases: PurchaseReader) -> None:
    """Show this offers page at /me/offers and read merchants and purchases through this."""
    app.extensions[_KEY] = MerchantSide(offers_page, read_purchases)


def merchant_side() -> MerchantSide:
    """What the current app's merchants package supplied (or the stand-ins)."""
    return current_app.extensions.get(_KEY) or MerchantSide()
