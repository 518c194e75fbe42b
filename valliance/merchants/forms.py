"""The merchant pages' forms (Flask-WTF: each carries a CSRF token): the application to join,
and the portal's offers, terminals, staff and refunds. Messages are "中文 / English"; the rules
are the services'."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

from valliance.i18n import bilingual
from valliance.merchants.models import MERCHANT_ROLES
from valliance.merchants.services.offers import MAX_TITLE, TITLE_TOO_LONG, UNITS
from valliance.web.forms import REQUIRED

NUMBER = Regexp(r"^\s*\d{1,3}(\.\d{1,3})?\s*$",
                message=bilingual("请输入数字，如 8.8"))
#: an amount as typed in yuan (the refund form)
AMOUNT_TYPED = bilingual("请输入金额，如 12.50")
YUAN = Regexp(r"^\s*\d{1,9}(\.\d{1,2})?\s*$", message=AMOUNT_TYPED)
PASSWORDS_DIFFER = bilingual("两次输入的密码不一致")


class ApplyForm(FlaskForm):
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=100)])
    # The choices are set per request (labels in the visitor's language); the service checks
    # the value, with a message in both languages.
    category = SelectField(choices=[], validate_choice=False,
                           validators=[DataRequired(REQUIRED)])
    district = StringField(validators=[DataRequired(REQUIRED), Length(max=50)])
    address = StringField(validators=[DataRequired(REQUIRED), Length(max=200)])
    phone = StringField(validators=[DataRequired(REQUIRED), Length(max=30)])
    avg_spend = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    licence_no = StringField(validators=[DataRequired(REQUIRED), Length(max=40)])
    owner_name = StringField(validators=[DataRequired(REQUIRED), Length(max=50)])
    owner_phone = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])
    confirm = PasswordField(validators=[DataRequired(REQUIRED),
                                        EqualTo("password", message=PASSWORDS_DIFFER)])
    agree = BooleanField(validators=[DataRequired(
        bilingual("请阅读并同意加盟协议"))])


class OfferForm(FlaskForm):
    title = StringField(validators=[DataRequired(REQUIRED),
                                    Length(max=MAX_TITLE, message=TITLE_TOO_LONG)])
    description = TextAreaField(validators=[Optional(), Length(max=2000)])
    #: how the discounts below are typed: 折 (8.8 = 12 % off) or percent off
    unit = RadioField(choices=list(UNITS), default="zhe",
                      validators=[AnyOf(UNITS, message=REQUIRED)])
    #: blank = no discount; converted to percent off on the server (services.offers)
    discount = StringField(validators=[Optional(), NUMBER])
    standard_discount = StringField(validators=[Optional(), NUMBER])
    silver_discount = StringField(validators=[Optional(), NUMBER])
    gold_discount = StringField(validators=[Optional(), NUMBER])
    diamond_discount = StringField(validators=[Optional(), NUMBER])
    points_per_yuan = IntegerField(validators=[
        NumberRange(0, 100, bilingual("须为 0 到 100 的整数"))], default=1)
    valid_from = DateField(validators=[Optional()])
    valid_until = DateField(validators=[Optional()])
    active = BooleanField(default=True)


class TerminalForm(FlaskForm):
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=100)])


class StaffForm(FlaskForm):
    phone = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=50)])
    role = StringField(default="cashier", validators=[
        AnyOf(MERCHANT_ROLES, message=bilingual("角色须为店主或收银员"))])
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])
    confirm = PasswordField(validators=[DataRequired(REQUIRED),
                                        EqualTo("password", message=PASSWORDS_DIFFER)])


class RefundForm(FlaskForm):
    #: blank refunds everything not refunded yet
    amount = StringField(validators=[Optional(), YUAN])
    #: one per rendered form, so a double submit refunds once
    token = HiddenField(validators=[DataRequired(REQUIRED), Length(min=16, max=64)])
