"""What member pages show of merchants: the names of merchants and the amounts of purchases in
a member's history (supplied to members.merchant_side at init_app, with the offers page)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.members.merchant_side import Purchases
from valliance.merchants.models import Merchant, Purchase


def read_purchases(session: Session, merchant_ids: set[str], purchase_ids: set[str]
                   ) -> Purchases:
    """The names of these merchants and the amounts (fen) of these purchases."""
    names, amounts = {}, {}
    if merchant_ids:
        names = {merchant_id: name for merchant_id, name in session.execute(
            select(Merchant.id, Merchant.name).where(Merchant.id.in_(merchant_ids)))}
    if purchase_ids:
        amounts = {purchase_id: amount for purchase_id, amount in session.execute(
            select(Purchase.id, Purchase.amount).where(Purchase.id.in_(purchase_ids)))}
    return Purchases(names, amounts)
