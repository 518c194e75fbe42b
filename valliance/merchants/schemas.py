"""POS API bodies and answers (shape and format only)."""

from marshmallow import Schema, fields, post_load, validate

from valliance.api_support import iso_shanghai
from valliance.money import percent_json

MAX_AMOUNT = 100_000_000  #: ¥1,000,000 in fen


def fen(description: str, **metadata) -> dict:
    """Field metadata for an amount of money: integer fen (分), CNY (contract §1)."""
    return {"description": f"{description}, in fen (分): 12850 = ¥128.50", **metadata}


class QuoteIn(Schema):
    card = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "16-digit card number (static code) or 22-digit pay code",
        "example": "9123456789012345"})
    amount = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=1, max=MAX_AMOUNT),
                            metadata=fen("The list price of the sale", example=12850))
    redeem_points = fields.Integer(strict=True, load_default=0,
                                   validate=validate.Range(min=0, max=MAX_AMOUNT * 100),
                                   metadata={"description": "points to spend (needs a pay code)"})


    coupon = fields.String(allow_none=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "a coupon's 12-digit code (contract §11); omitted or null: none",
        "example": "123456789015"})

    @post_load
    def _no_coupon(self, data: dict, **_) -> dict:
        # "coupon": null is no coupon, as is leaving it out: one idempotency fingerprint
        if data.get("coupon") is None:
            data.pop("coupon", None)
        return data


class PurchaseIn(QuoteIn):
    reference = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=100),
                              metadata={"description": "the till's receipt number",
                                        "example": "receipt-0001"})


class RefundIn(Schema):
    amount = fields.Integer(strict=True, load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=MAX_AMOUNT),
                            metadata=fen("How much of the purchase's list price to refund; "
                                         "omitted: all that remains", example=5000))


class QuoteOut(Schema):
    merchant_id = fields.String(required=True)
    card_last4 = fields.String(required=True)
    tier = fields.String(required=True)
    amount = fields.Integer(required=True, metadata=fen("The list price"))
    percent_off = fields.Raw(required=True, metadata={"type": "number", "example": 12})
    discount = fields.Integer(required=True, metadata=fen("The discount"))
    redeem_points = fields.Integer(required=True)
    points_value = fields.Integer(required=True, metadata=fen("What the points paid"))
    payable = fields.Integer(required=True, metadata=fen("The cash the member pays"))
    points_earned = fields.Integer(required=True)
    points_balance = fields.Integer(required=True)
    coupon = fields.String(required=True, allow_none=True,
                           metadata={"description": "the coupon's code, or null"})
    coupon_value = fields.Integer(required=True, metadata=fen(
        "What the coupon took off (after the discount, before points; 0 without one)"))


class RefundOut(Schema):
    id = fields.String(required=True)
    purchase_id = fields.String(required=True)
    amount = fields.Integer(required=True, metadata=fen("The list price refunded"))
    cash_refund = fields.Integer(required=True, metadata=fen("The cash given back"))
    points_reversed = fields.Integer(required=True)
    points_returned = fields.Integer(required=True)
    points_balance = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class PurchaseOut(QuoteOut):
    id = fields.String(required=True)
    reference = fields.String(required=True, allow_none=True)
    refunded_amount = fields.Integer(required=True, metadata=fen("The list price refunded so far"))
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    refunds = fields.List(fields.Nested(RefundOut), metadata={
        "description": "only in GET /api/v1/pos/purchases/{id}"})


class IssuedCouponOut(Schema):
    code = fields.String(required=True, metadata={"description": "12 digits"})
    title = fields.String(required=True)
    value = fields.Integer(required=True, metadata=fen("What the coupon takes off"))
    min_spend = fields.Integer(required=True, metadata=fen("The least list price it applies to"))
    valid_until = fields.String(required=True, metadata={"format": "date"})


class PurchaseCreatedOut(PurchaseOut):
    coupons_issued = fields.List(fields.Nested(IssuedCouponOut), required=True, metadata={
        "description": "coupons this purchase earned by 满就送 rules (empty when none)"})


class PosMerchantOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    #: always "approved" here: any other status answers 403 merchant_not_active
    status = fields.String(required=True)


class PosTerminalOut(Schema):
    terminal_id = fields.String(required=True)
    #: as given when the terminal was created; may be empty
    terminal_name = fields.String(required=True)
    merchant = fields.Nested(PosMerchantOut, required=True)


# The answers are rendered by these functions rather than by dumping the *Out schemas above:
# marshmallow's dump costs more CPU than the rest of a till's common sale on the purchase lane
# (docs/benchmarks.md). tests/unit/test_pos_answers.py proves that each one gives exactly what
# its schema dumps.

def quote_answer(merchant_id: str, quote, amount: int) -> dict:
    """QuoteOut of a quote (services.sale_context.Quote): the purchase's fields, unrecorded."""
    price = quote.price
    return {"merchant_id": merchant_id, "card_last4": quote.card.last4,
            "tier": quote.card.member.tier, "amount": amount,
            "percent_off": percent_json(price.percent_off), "discount": price.discount,
            "redeem_points": price.redeem_points, "points_value": price.points_value,
            "payable": price.payable, "points_earned": price.points_earned,
            "points_balance": quote.points_balance,
            "coupon": quote.coupon.code if quote.coupon else None,
            "coupon_value": price.coupon_value}


def refund_answer(refund) -> dict:
    """RefundOut of a refund row."""
    return {"id": refund.id, "purchase_id": refund.purchase_id, "amount": refund.amount,
            "cash_refund": refund.cash_refund, "points_reversed": refund.points_reversed,
            "points_returned": refund.points_returned, "points_balance": refund.points_balance,
            "created_at": iso_shanghai(refund.created_at)}


def purchase_answer(row: dict, card_last4: str, points_balance: int) -> dict:
    """PurchaseOut of a purchase's columns (a dict), without its refunds."""
    return {"id": row["id"], "reference": row["reference"], "merchant_id": row["merchant_id"],
            "card_last4": card_last4, "tier": row["tier"], "amount": row["amount"],
            "percent_off": percent_json(row["percent_off"]), "discount": row["discount"],
            "redeem_points": row["redeem_points"], "points_value": row["points_value"],
            "payable": row["payable"], "points_earned": row["points_earned"],
            "points_balance": points_balance, "coupon": row.get("coupon_code"),
            "coupon_value": row.get("coupon_value", 0),
            "refunded_amount": row["refunded_amount"],
            "created_at": iso_shanghai(row["created_at"])}


def purchase_detail(purchase, card_last4: str) -> dict:
    """PurchaseOut of a purchase row with its refunds (GET /api/v1/pos/purchases/{id})."""
    row = {column: getattr(purchase, column) for column in _PURCHASE_FIELDS}
    body = purchase_answer(row, card_last4, purchase.points_balance)
    body["refunds"] = [refund_answer(refund) for refund in purchase.refunds]
    return body


_PURCHASE_FIELDS = ("id", "reference", "merchant_id", "tier", "amount", "percent_off",
                    "discount", "redeem_points", "points_value", "payable", "points_earned",
                    "refunded_amount", "coupon_code", "coupon_value", "created_at")
