"""The merchant application form (Flask-WTF, with its CSRF token); the rules are the service's."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from valliance.web.forms import REQUIRED


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
    confirm = PasswordField(validators=[
        DataRequired(REQUIRED),
        EqualTo("password", message="两次输入的密码不一致 / The passwords do not match"),
    ])
    agree = BooleanField(validators=[DataRequired(
        "请阅读并同意加盟协议 / Read and accept the alliance agreement")])
