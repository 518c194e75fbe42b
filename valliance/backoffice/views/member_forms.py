"""Member care's forms (Flask-WTF: each carries a CSRF token); labels live in the templates."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from valliance.i18n import bilingual
from valliance.members.models import TIERS
from valliance.web.forms import REQUIRED

MAX_REASON = 500
REASON_LENGTH = Length(max=MAX_REASON, message=bilingual("不超过%(n)s字", n=MAX_REASON))


class ReasonForm(FlaskForm):
    """An action on a member: why (required, kept in the audit log)."""

    reason = TextAreaField(validators=[DataRequired(bilingual("请填写原因")), REASON_LENGTH])


class ConfirmedForm(ReasonForm):
    """An action that cannot be undone by a click: the staff user ticks to confirm it."""

    confirm = BooleanField(validators=[DataRequired(bilingual("请勾选确认"))])


class TierForm(ReasonForm):
    tier = SelectField(choices=list(TIERS), validators=[DataRequired(REQUIRED)])


class EnrolForm(ReasonForm):
    phone = StringField(validators=[DataRequired(REQUIRED), Length(max=20)])
    name = StringField(validators=[DataRequired(REQUIRED), Length(max=50)])
    tier = SelectField(choices=list(TIERS), default="standard",
                       validators=[DataRequired(REQUIRED)])


class ManagerForm(FlaskForm):
    """The member's account manager: a staff user's id, or the clear button."""

    staff_id = StringField(validators=[Length(max=40)])


def action_form(action: str, *, formdata=None, confirmed: frozenset = frozenset()):
    """The form of one action on the member page (prefixed: several share a page)."""
    kind = TierForm if action == "tier" else ConfirmedForm if action in confirmed else ReasonForm
    if formdata is None:
        return kind(prefix=action, formdata=None)
    return kind(prefix=action)
