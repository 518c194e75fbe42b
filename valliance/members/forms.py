"""Member portal forms (Flask-WTF: every one carries a CSRF token).

Labels are rendered by the templates in the visitor's language; the messages here are
bilingual "中文 / English" like the domain errors, and the templates show one half.
"""

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Regexp

from valliance.i18n import bilingual
from valliance.web.forms import REQUIRED


class SignupForm(FlaskForm):
    phone = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=50)])
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])
    #: an invitation code (old brings new), optional; ?ref=CODE fills it in
    ref = StringField(validators=[Length(max=20)])


class CodeForm(FlaskForm):
    code = StringField(validators=[
        DataRequired(REQUIRED),
        Regexp(r"^\s*\d{6}\s*$", message=bilingual("请输入6位验证码")),
    ])


class ClaimForm(FlaskForm):
    phone = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])


class ClaimVerifyForm(CodeForm):
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])
    confirm = PasswordField(validators=[
        DataRequired(REQUIRED),
        EqualTo("password", message=bilingual("两次输入的密码不一致")),
    ])


class LoginForm(FlaskForm):
    phone = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])
    confirm = PasswordField(validators=[
        DataRequired(REQUIRED),
        EqualTo("password", message=bilingual("两次输入的密码不一致")),
    ])



class MarketingForm(FlaskForm):
    """One click: the choice the button stands for (1 yes, 0 no), so a repeated click is a no-op."""

    opted_in = HiddenField(validators=[AnyOf(("0", "1"))])


class BirthdayForm(FlaskForm):
    """Month and day selects ("" for none); the service says what is wrong with them."""

    month = StringField(validators=[Length(max=2)])
    day = StringField(validators=[Length(max=2)])

    def values(self, clear: bool = False) -> tuple:
        """(month, day) as numbers, None for a blank; text that is no number stays as given."""
        if clear:
            return None, None
        return tuple(_number(f.data) for f in (self.month, self.day))


def _number(text: str | None):
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() else text
