"""POS API bodies and answers (shape and format only)."""

from marshmallow import Schema, fields, validate

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
