"""The POS API's answers (contract §5): one shape for every path that renders a sale."""


from valliance.api_support import iso_shanghai
from valliance.merchants.models import Purchase, Refund
from valliance.money import percent_json


def quote_json(merchant_id: str, quote, amount: int) -> dict:
    """A quote (pos_context.Quote): the purchase's fields, nothing recorded."""
    price = quote.price
    return {"merchant_id": merchant_id, "card_last4": quote.card.last4,
            "tier": quote.card.member.tier, "amount": amount,
            "percent_off": percent_json(price.percent_off), "discount": price.discount,
            "redeem_points": price.redeem_points, "points_value": price.points_value,
            "payable": price.payable, "points_earned": price.points_earned,
            "points_balance": quote.points_balance}


def refund_json(refund: Refund) -> dict:
    return {"id": refund.id, "purchase_id": refund.purchase_id, "amount": refund.amount,
            "cash_refund": refund.cash_refund, "points_reversed": refund.points_reversed,
            "points_returned": refund.points_returned, "points_balance": refund.points_balance,
            "created_at": iso_shanghai(refund.created_at)}


def purchase_json(purchase: Purchase, card_last4: str, *, with_refunds: bool = False) -> dict:
    body = {"id": purchase.id, "reference": purchase.reference,
            "merchant_id": purchase.merchant_id, "card_last4": card_last4,
            "tier": purchase.tier, "amount": purchase.amount,
            "percent_off": percent_json(purchase.percent_off), "discount": purchase.discount,
            "redeem_points": purchase.redeem_points, "points_value": purchase.points_value,
            "payable": purchase.payable, "points_earned": purchase.points_earned,
            "points_balance": purchase.points_balance,
            "refunded_amount": purchase.refunded_amount,
            "created_at": iso_shanghai(purchase.created_at)}
    if with_refunds:
        body["refunds"] = [refund_json(refund) for refund in purchase.refunds]
    return body
