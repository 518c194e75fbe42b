"""Directory API shapes (contract §6): marshmallow, shape and format only."""

from marshmallow import EXCLUDE, Schema, fields, validate

from valliance.i18n import bilingual
from valliance.members.models import CARD_STATUSES, TIERS
from valliance.merchants.models import CATEGORIES

TOO_LONG = bilingual("过长")


class OffersQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=50, error=TOO_LONG))
    category = fields.String(load_default=None, validate=validate.OneOf(
        CATEGORIES, error=bilingual("行业须为") + "、".join(CATEGORIES)))
    district = fields.String(load_default=None,
                             validate=validate.Length(max=50, error=TOO_LONG))
    caller = fields.String(load_default=None, validate=validate.Length(max=32, error=TOO_LONG))
    limit = fields.Integer(load_default=20, validate=validate.Range(
        min=1, max=100, error=bilingual("每页 1–100 条")))
    offset = fields.Integer(load_default=0, validate=validate.Range(
        min=0, max=10_000, error=bilingual("offset 须在 0–10000 之间")))


class CallerOut(Schema):
    has_vcard = fields.Boolean(required=True)
    tier = fields.String(allow_none=True, metadata={"enum": list(TIERS)})
    card_status = fields.String(allow_none=True, metadata={"enum": list(CARD_STATUSES)})


class CallerBrief(Schema):
    has_vcard = fields.Boolean(required=True)
    tier = fields.String(allow_none=True)


class MerchantOut(Schema):
    id = fields.String()
    name = fields.String()
    category = fields.String()
    district = fields.String()
    address = fields.String()
    phone = fields.String()
    avg_spend = fields.Integer(metadata={"description": "fen"})


class OfferOut(Schema):
    id = fields.String()
    title = fields.String()
    percent_off = fields.Raw(metadata={"type": "number", "example": 12})
    label = fields.String(metadata={"example": "8.8折"})
    points_per_yuan = fields.Integer()
    valid_until = fields.String(allow_none=True, metadata={"format": "date"})


class ResultOut(Schema):
    merchant = fields.Nested(MerchantOut)
    offer = fields.Nested(OfferOut)
    effective_percent = fields.Raw(metadata={"type": "number", "example": 15.0})
    script = fields.String(metadata={"example": "持V卡到老王火锅消费可享8.8折，每消费1元积3分。"})


class OffersOut(Schema):
    caller = fields.Nested(CallerBrief, allow_none=True)
    total = fields.Integer()
    results = fields.List(fields.Nested(ResultOut))


class ReferralIn(Schema):
    caller = fields.String(required=True, validate=validate.Length(max=32, error=TOO_LONG),
                           metadata={"example": "13800138000"})
    merchant_id = fields.String(required=True, validate=validate.Length(max=40, error=TOO_LONG))
    offer_id = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(max=40, error=TOO_LONG))


class ReferralCreated(Schema):
    id = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})


class ReferralOut(Schema):
    id = fields.String()
    caller_has_vcard = fields.Boolean()
    merchant_id = fields.String()
    offer_id = fields.String(allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})
    converted = fields.Boolean()
    converted_at = fields.String(allow_none=True, metadata={"format": "date-time"})
