"""Member API shapes of the service desk (contract §12): marshmallow, shape and format only."""

from marshmallow import Schema, fields, validate

from valliance.i18n import bilingual
from valliance.members.schemas import ShanghaiTime
from valliance.service_desk.models import KINDS, NOTE_MAX, STATUSES, SUMMARY_MAX

TOO_LONG = bilingual("过长")


class TicketIn(Schema):
    """A fault reported or a service asked for."""

    # the words are checked by the service (tickets.open_ticket), every bad field at once
    kind = fields.String(required=True, metadata={"enum": list(KINDS), "example": "fault"})
    summary = fields.String(required=True, metadata={"maxLength": SUMMARY_MAX,
                                                     "example": "宽带断网，光猫红灯闪烁"})
    contact_phone = fields.String(required=True, metadata={"example": "13800138000"})
    address = fields.String(load_default=None, allow_none=True, metadata={"maxLength": 200})
    preferred_time = fields.String(load_default=None, allow_none=True,
                                   metadata={"maxLength": 100, "example": "工作日晚上7点后"})


class TicketCreatedOut(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    created_at = ShanghaiTime(required=True)
    due_at = ShanghaiTime(required=True, metadata={
        "description": "when the service level promises it done; while the ticket waits "
                       "for the member (waiting_member) the clock stands and due_at is the "
                       "one it had, set anew when the ticket resumes"})


class TicketOut(TicketCreatedOut):
    number = fields.String(required=True, metadata={"example": "T04821937"})
    summary = fields.String(required=True)
    contact_phone = fields.String(required=True)
    address = fields.String(allow_none=True)
    preferred_time = fields.String(allow_none=True)
    waiting_reason = fields.String(allow_none=True)
    resolved_at = ShanghaiTime(allow_none=True)
    closed_at = ShanghaiTime(allow_none=True)
    rating = fields.Integer(allow_none=True)
    can_reopen = fields.Boolean(required=True)
    can_rate = fields.Boolean(required=True)
    account_manager = fields.String(allow_none=True, metadata={
        "description": "the VIP member's account manager's name"})


class TicketEventOut(Schema):
    status = fields.String(allow_none=True, metadata={
        "description": "the status after it, null for a note"})
    note = fields.String(allow_none=True)
    created_at = ShanghaiTime(required=True)


class TicketDetailOut(TicketOut):
    events = fields.List(fields.Nested(TicketEventOut), required=True)


class TicketsOut(Schema):
    tickets = fields.List(fields.Nested(TicketOut), required=True)


class ReopenIn(Schema):
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=NOTE_MAX, error=TOO_LONG))


class RatingIn(Schema):
    score = fields.Integer(required=True, strict=True,
                           validate=validate.Range(min=1, max=5,
                                                   error=bilingual("评分为1到5的整数")))
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=500, error=TOO_LONG))


class RatingOut(Schema):
    id = fields.String(required=True)
    score = fields.Integer(required=True)
    comment = fields.String(allow_none=True)
    rated_at = ShanghaiTime(required=True)
