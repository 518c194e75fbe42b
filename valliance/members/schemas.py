"""Member API shapes (contract §7): marshmallow, shape and format only.

The `*Out` schemas serialise what the services return (members.services.statement).
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from valliance.api_support import iso_shanghai
from valliance.i18n import bilingual
from valliance.members.models import CARD_STATUSES, TIERS
from valliance.points import MEMBER_KINDS

LIMIT_RANGE = bilingual("每页 1–100 条")
TOO_LONG = bilingual("过长")


class ShanghaiTime(fields.String):
    """A moment as ISO 8601 with the +08:00 offset."""

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return iso_shanghai(value)


class SessionIn(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=32, error=TOO_LONG),
                          metadata={"example": "13800138000"})
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(max=256, error=TOO_LONG))


class SessionOut(Schema):
    token = fields.String(required=True, metadata={"description": "shown once; send as Bearer"})
    expires_at = ShanghaiTime(required=True, metadata={"format": "date-time"})


class LedgerQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50,
                           validate=validate.Range(min=1, max=100, error=LIMIT_RANGE))
    before = fields.String(metadata={"description": "the `next` of the previous page"})
    kind = fields.String(metadata={"description": "comma-separated: " + ", ".join(
        sorted(MEMBER_KINDS))})


class MemberInfo(Schema):
    id = fields.String()
    name = fields.String()
    phone_masked = fields.String(metadata={"example": "138****8000"})


class CardInfo(Schema):
    number = fields.String(metadata={"example": "9123456789012345"})
    status = fields.String(validate=validate.OneOf(CARD_STATUSES))


class PointsInfo(Schema):
    balance = fields.Integer()
    owed = fields.Integer(metadata={"description": "points still owed after a refund"})
    frozen = fields.Boolean(metadata={"description": "membership frozen: no earning, no spending"})


class MeOut(Schema):
    member = fields.Nested(MemberInfo)
    card = fields.Nested(CardInfo, allow_none=True)
    tier = fields.String(validate=validate.OneOf(TIERS))
    points = fields.Nested(PointsInfo)


class MerchantRef(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)


class LedgerEntryOut(Schema):
    id = fields.String()
    kind = fields.String(validate=validate.OneOf(sorted(MEMBER_KINDS)))
    points = fields.Integer(metadata={"description": "signed: + to the member, − from"})
    balance_after = fields.Integer()
    merchant = fields.Nested(MerchantRef, allow_none=True)
    created_at = ShanghaiTime(metadata={"format": "date-time"})


class LedgerOut(Schema):
    entries = fields.List(fields.Nested(LedgerEntryOut), attribute="lines")
    next = fields.String(attribute="next_before", allow_none=True,
                         metadata={"description": "cursor of the older page"})


class PayCodeOut(Schema):
    code = fields.String(metadata={"description": "22 digits: card number + 6-digit time code"})
    expires_in = fields.Integer(metadata={"description": "seconds until the next code"})


class StrictBoolean(fields.Boolean):
    """true or false only (not "yes", 1 or "on")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Marketing(Schema):
    """The member's consent to marketing messages (campaigns); PUT it to change it."""

    opted_in = StrictBoolean(required=True,
                              metadata={"description": "true: marketing SMS are welcome"})


class InboxQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=20,
                           validate=validate.Range(min=1, max=100, error=LIMIT_RANGE))
    before = fields.String(metadata={"description": "the `next` of the previous page"})


class InboxMessageOut(Schema):
    id = fields.String()
    title = fields.String()
    body = fields.String()
    created_at = ShanghaiTime(metadata={"format": "date-time"})
    read = fields.Function(lambda message: message.read_at is not None,
                           metadata={"type": "boolean"})


class InboxOut(Schema):
    messages = fields.List(fields.Nested(InboxMessageOut))
    next = fields.String(attribute="next_before", allow_none=True,
                         metadata={"description": "cursor of the older page"})
    unread = fields.Integer(metadata={"description": "unread messages in the whole inbox"})


class UnreadOut(Schema):
    unread = fields.Integer()


class Birthday(Schema):
    """The member's birthday, no year (null and null: not given); PUT nulls to clear it."""

    month = fields.Integer(required=True, strict=True, allow_none=True,
                           metadata={"example": 5, "description": "1–12, or null"})
    day = fields.Integer(required=True, strict=True, allow_none=True,
                         metadata={"example": 12, "description": "1–31 as the month has "
                                   "(February 29 allowed), or null"})
