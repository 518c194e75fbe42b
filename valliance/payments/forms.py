"""The payment form (Flask-WTF: CSRF on). Shape only: the limits are the service's rules."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import Length, ValidationError

from valliance.i18n import bilingual
from valliance.money import yuan_to_fen

KIND_CHOICES = ["bill", "vip_fee"]  #: labels come from the template, in the visitor's language


class PaymentForm(FlaskForm):
    kind = RadioField(choices=KIND_CHOICES, default="bill",
                      validate_choice=True)
    #: yuan as typed ("128.5", "¥1,280"); the fen are in `amount_fen` after validation
    amount = StringField(validators=[Length(max=20)])
    amount_fen: int | None = None
    #: 积分抵话费: how many points to pay with (digits; empty = none), or the most allowed
    points = StringField(validators=[Length(max=12)])
    use_max_points = BooleanField()
    points_count: int = 0

    def validate_amount(self, field) -> None:
        self.amount_fen = None
        text = (field.data or "").strip()
        if not text or self.kind.data != "bill":
            return
        try:
            self.amount_fen = yuan_to_fen(text)
        except ValueError:
            raise ValidationError(
                bilingual("请输入金额，最多两位小数")) from None

    def validate_points(self, field) -> None:
        self.points_count = 0
        text = (field.data or "").strip().replace(",", "").replace("，", "")
        if not text or self.kind.data != "bill" or self.use_max_points.data:
            return
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            raise ValidationError(bilingual("请输入整数积分"))
        self.points_count = int(text)
