"""Settlement page forms (Flask-WTF: each carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from valliance.web.forms import REQUIRED


class PayoutPaidForm(FlaskForm):
    """Staff record the bank transfer that paid a merchant."""

    reference = StringField(validators=[DataRequired(REQUIRED), Length(max=255)])
