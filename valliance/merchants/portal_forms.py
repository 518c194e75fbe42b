"""Merchant portal forms (Flask-WTF: each carries a CSRF token). Messages are "中文 / English"."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

from valliance.merchants.models import MERCHANT_ROLES
from valliance.merchants.offer_terms import MAX_TITLE, TITLE_TOO_LONG, UNITS

REQUIRED = "必填 / Required"
NUMBER = Regexp(r"^\s*\d{1,3}(\.\d{1,3})?\s*$",
                message="请输入数字，如 8.8 / A number such as 8.8")
YUAN = Regexp(r"^\s*\d{1,9}(\.\d{1,2})?\s*$",
              message="请输入金额，如 12.50 / An amount such as 12.50")


class OfferForm(FlaskForm):
    title = StringField(validators=[DataRequired(REQUIRED),
                                    Length(max=MAX_TITLE, message=TITLE_TOO_LONG)])
    description = TextAreaField(validators=[Optional(), Length(max=2000)])
    #: how the discounts below are typed: 折 (8.8 = 12 % off) or percent off
    unit = RadioField(choices=list(UNITS), default="zhe",
                      validators=[AnyOf(UNITS, message=REQUIRED)])
    #: blank = no discount; converted to percent off on the server (offer_terms)
    discount = StringField(validators=[Optional(), NUMBER])
    standard_discount = StringField(validators=[Optional(), NUMBER])
    silver_discount = StringField(validators=[Optional(), NUMBER])
    gold_discount = StringField(validators=[Optional(), NUMBER])
    diamond_discount = StringField(validators=[Optional(), NUMBER])
    points_per_yuan = IntegerField(validators=[
        NumberRange(0, 100, "须为 0 到 100 的整数 / a whole number 0–100")], default=1)
    valid_from = DateField(validators=[Optional()])
    valid_until = DateField(validators=[Optional()])
    active = BooleanField(default=True)


class TerminalForm(FlaskForm):
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=100)])


class StaffForm(FlaskForm):
    phone = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=50)])
    role = StringField(default="cashier", validators=[
        AnyOf(MERCHANT_ROLES, message="角色须为店主或收银员 / owner or cashier")])
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])
    confirm = PasswordField(validators=[
        DataRequired(REQUIRED),
        EqualTo("password", message="两次输入的密码不一致 / The passwords do not match"),
    ])


class RefundForm(FlaskForm):
    #: blank refunds everything not refunded yet
    amount = StringField(validators=[Optional(), YUAN])
    #: one per rendered form, so a double submit refunds once
    token = HiddenField(validators=[DataRequired(REQUIRED), Length(min=16, max=64)])
