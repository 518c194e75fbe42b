"""The staff accounts page's forms (labels live in the templates)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from valliance.staff.roles import ROLES
from valliance.web.forms import REQUIRED

MAX_REASON = 500


class _Roles(SelectMultipleField):
    """Checkboxes, one per role (the template draws them)."""

    def __init__(self, **kwargs):
        super().__init__(choices=list(ROLES), **kwargs)


def _reason(required: bool):
    checks = [DataRequired(REQUIRED)] if required else [Optional()]
    return TextAreaField(validators=[*checks, Length(max=MAX_REASON)])


class CreateStaffForm(FlaskForm):
    username = StringField(validators=[DataRequired(REQUIRED), Length(max=40)])
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=50)])
    roles = _Roles()
    #: blank: a password is made and shown once
    password = PasswordField(validators=[Optional(), Length(max=128)])
    reason = _reason(False)


class RolesForm(FlaskForm):
    roles = _Roles()
    reason = _reason(True)


class ActiveForm(FlaskForm):
    reason = _reason(True)


class PasswordForm(FlaskForm):
    #: blank: a password is made and shown once
    password = PasswordField(validators=[Optional(), Length(max=128)])
    reason = _reason(True)


class PhoneForm(FlaskForm):
    #: 11 digits (checked by the service); blank removes it
    phone = StringField(validators=[Optional(), Length(max=20)])
    reason = _reason(True)
