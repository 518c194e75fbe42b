"""The coupon template form, shared by the alliance staff's page and the merchant owner's: the
value and the minimum spend are typed in yuan and read to exact fen by `money.yuan_to_fen`;
the rules (ranges, tiers, the merchant) are `issuing.create_template`'s."""

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from valliance.errors import ValidationError
from valliance.i18n import bilingual
from valliance.members.labels import tier_name
from valliance.members.models import TIERS
from valliance.money import yuan_to_fen
from valliance.web.forms import REQUIRED

#: the merchant select's value for "valid at every alliance merchant"
ALLIANCE = ""


class TemplateForm(FlaskForm):
    title = StringField(validators=[DataRequired(REQUIRED), Length(max=100)])
    value = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    min_spend = StringField(validators=[Optional(), Length(max=20)])
    valid_days = StringField(default="30", validators=[DataRequired(REQUIRED), Length(max=6)])
    per_member = StringField(default="1", validators=[DataRequired(REQUIRED), Length(max=6)])
    total_limit = StringField(validators=[Optional(), Length(max=12)])
    tiers = SelectMultipleField(choices=[], validate_choice=False,
                                widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers.choices = [(tier, tier_name(tier)) for tier in TIERS]

    def fields_for_service(self) -> dict:
        """The template's fields for issuing.create_template: yuan read to fen (a ValidationError
        naming the fields typed wrong)."""
        problems, fen = {}, {}
        for name in ("value", "min_spend"):
            try:
                fen[name] = yuan_to_fen(self[name].data or "0")
            except ValueError:
                problems[name] = [bilingual("请输入金额，如 12.50")]
        if problems:
            raise ValidationError(details=problems)
        return {"title": self.title.data, **fen, "valid_days": self.valid_days.data,
                "per_member": self.per_member.data,
                "total_limit": (self.total_limit.data or "").strip() or None,
                "tier_names": self.tiers.data or ()}


class StaffTemplateForm(TemplateForm):
    """The staff's form adds where the coupon is valid: every alliance merchant, or one."""

    merchant = SelectField(choices=[], validate_choice=False, default=ALLIANCE)

    def fields_for_service(self) -> dict:
        return {**super().fields_for_service(), "merchant_id": self.merchant.data or None}


class PhoneForm(FlaskForm):
    """Issue a coupon by hand to the member with this phone."""

    phone = StringField(validators=[DataRequired(REQUIRED), Length(max=30)])
