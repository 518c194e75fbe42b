"""Member API answer for old brings new (shape and format only)."""

from marshmallow import Schema, fields


class MemberReferralOut(Schema):
    code = fields.String(required=True, metadata={
        "description": "the member's invitation code (8 characters, no 0/O/1/I); the sign-up "
                       "link is /me/signup?ref=CODE"})
    invited = fields.Integer(required=True, metadata={
        "description": "newcomers who signed up with the code"})
    rewarded = fields.Integer(required=True, metadata={
        "description": "of them, those whose first qualifying purchase rewarded the member "
                       "(not clawed back)"})
