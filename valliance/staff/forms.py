"""Staff page forms (Flask-WTF: every one carries a CSRF token); labels live in templates."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from valliance.i18n import bilingual
from valliance.merchants.services.onboarding import MAX_NOTE
from valliance.web.forms import REQUIRED


class StaffLoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(REQUIRED), Length(max=40)])
    password = PasswordField(validators=[DataRequired(REQUIRED), Length(max=128)])


class ReviewForm(FlaskForm):
    """One review action's form; whether the note is required is the service's rule."""

    note = TextAreaField(validators=[Length(max=MAX_NOTE, message=(
        bilingual("不超过%(MAX_NOTE)s字", MAX_NOTE=MAX_NOTE)))])
