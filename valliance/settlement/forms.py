"""Settlement page forms (Flask-WTF: each carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from valliance.web.forms import REQUIRED


class PayoutPaidForm(FlaskForm):
    """Staff record the bank transfer that paid a merchant."""

    reference = StringField(validators=[DataRequired(REQUIRED), Length(max=255)])


class ClosePeriodForm(FlaskForm):
    """Finance staff confirm closing a period: the cutoff the confirmation showed, and a note."""

    cutoff_seq = IntegerField(validators=[InputRequired()])
    note = TextAreaField(validators=[Optional(), Length(max=500)])
