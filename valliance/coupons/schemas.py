"""Member API answers for coupons (shape and format only)."""

from marshmallow import Schema, fields


class CouponMerchantOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class MemberCouponOut(Schema):
    code = fields.String(required=True, metadata={
        "description": "12 digits (Luhn-checked): show it, or its QR, at the till"})
    title = fields.String(required=True)
    value = fields.Integer(required=True, metadata={"description": "fen off the purchase"})
    min_spend = fields.Integer(required=True, metadata={
        "description": "the least list price, in fen, it applies to"})
    merchant = fields.Nested(CouponMerchantOut, required=True, allow_none=True, metadata={
        "description": "the one merchant it is valid at; null: every alliance merchant"})
    valid_until = fields.String(required=True, metadata={
        "format": "date", "description": "the last Asia/Shanghai date it may be used"})
    status = fields.String(required=True, metadata={
        "enum": ["active", "used", "expired", "void"]})


class MemberCouponsOut(Schema):
    coupons = fields.List(fields.Nested(MemberCouponOut), required=True, metadata={
        "description": "active first (soonest to lapse first), then the others, newest first"})
