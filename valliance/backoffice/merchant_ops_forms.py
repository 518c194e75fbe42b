"""Merchant operations' forms (Flask-WTF: each carries a CSRF token); labels live in templates,
the rules in the services."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from valliance.i18n import bilingual
from valliance.merchants.models import CATEGORIES
from valliance.web.forms import REQUIRED

MAX_REASON = 200
REASON_LENGTH = Length(max=MAX_REASON, message=bilingual("不超过%(MAX_NOTE)s字",
                                                         MAX_NOTE=MAX_REASON))


class RevokeTerminalForm(FlaskForm):
    """Revoke one terminal's key: why (kept in the audit log)."""

    reason = TextAreaField(validators=[DataRequired(REQUIRED), REASON_LENGTH])


class ListingForm(FlaskForm):
    """What customers see that staff may correct: industry, district, typical spend (yuan)."""

    category = SelectField(choices=list(CATEGORIES), validate_choice=False)
    district = StringField(validators=[DataRequired(REQUIRED), Length(max=50)])
    avg_spend = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    reason = TextAreaField(validators=[DataRequired(REQUIRED), REASON_LENGTH])


class ImportForm(FlaskForm):
    """The CSV upload (the file itself is read from request.files)."""
