"""Settlement page forms (Flask-WTF: each carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from valliance.i18n import bilingual
from valliance.web.forms import REQUIRED


class PayoutPaidForm(FlaskForm):
    """Staff record the bank transfer that paid a merchant."""

    reference = StringField(validators=[DataRequired(REQUIRED), Length(max=255, message=bilingual(
        "不超过%(MAX_NOTE)s字", MAX_NOTE=255))])


MAX_NOTE = 500  #: the close's note, as the audit log keeps it


class ClosePeriodForm(FlaskForm):
    """Finance staff confirm closing a period: the cutoffs the confirmation showed, and a note."""

    cutoff_seq = IntegerField(validators=[InputRequired()])
    #: the coupon lines' cutoff the confirmation showed (a coupon used since moves it too)
    coupon_cutoff_id = IntegerField(validators=[Optional()])
    note = TextAreaField(validators=[Optional(), Length(max=MAX_NOTE, message=bilingual(
        "不超过%(MAX_NOTE)s字", MAX_NOTE=MAX_NOTE))])
