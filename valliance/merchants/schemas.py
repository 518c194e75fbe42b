"""POS API bodies and answers (shape and format only)."""

from marshmallow import Schema, fields, validate

MAX_AMOUNT = 100_000_000  #: ¥1,000,000 in fen


class QuoteIn(Schema):
    card = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=1, max=MAX_AMOUNT))
    redeem_points = fields.Integer(strict=True, load_default=0,
                                   validate=validate.Range(min=0, max=MAX_AMOUNT * 100))


class PurchaseIn(QuoteIn):
    reference = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=100))


class RefundIn(Schema):
    amount = fields.Integer(strict=True, load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=MAX_AMOUNT))


class QuoteOut(Schema):
    merchant_id = fields.String()
    card_last4 = fields.String()
    tier = fields.String()
    amount = fields.Integer()
    percent_off = fields.Raw(metadata={"type": "number"})
    discount = fields.Integer()
    redeem_points = fields.Integer()
    points_value = fields.Integer()
    payable = fields.Integer()
    points_earned = fields.Integer()
    points_balance = fields.Integer()


class RefundOut(Schema):
    id = fields.String()
    purchase_id = fields.String()
    amount = fields.Integer()
    cash_refund = fields.Integer()
    points_reversed = fields.Integer()
    points_returned = fields.Integer()
    points_balance = fields.Integer()
    created_at = fields.String()


class PurchaseOut(QuoteOut):
    id = fields.String()
    reference = fields.String(allow_none=True)
    refunded_amount = fields.Integer()
    created_at = fields.String()
    refunds = fields.List(fields.Nested(RefundOut))


class PosMerchantOut(Schema):
    id = fields.String()
    name = fields.String()
    #: always "approved" here: any other status answers 403 merchant_not_active
    status = fields.String()


class PosTerminalOut(Schema):
    terminal_id = fields.String()
    #: as given when the terminal was created; may be empty
    terminal_name = fields.String()
    merchant = fields.Nested(PosMerchantOut)
