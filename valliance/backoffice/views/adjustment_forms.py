"""The adjustment pages' forms (Flask-WTF: each carries a CSRF token); labels live in
templates, the service checks the rules (the form only what a browser can get wrong)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from valliance.backoffice.services.adjustments import MAX_NOTE, REASON_NAMES
from valliance.i18n import _, bilingual
from valliance.web.forms import REQUIRED

TOO_LONG = bilingual("不超过%(MAX_NOTE)s字", MAX_NOTE=MAX_NOTE)


class AdjustmentForm(FlaskForm):
    points = IntegerField(validators=[InputRequired(REQUIRED)], invalid_value_message=bilingual(
        "请填写整数积分（扣减填负数，如 -300）"))
    reason = SelectField(validators=[DataRequired(REQUIRED)])
    note = TextAreaField(validators=[DataRequired(REQUIRED), Length(max=MAX_NOTE,
                                                                    message=TOO_LONG)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [("", _("请选择"))] + [
            (code, _(name)) for code, name in REASON_NAMES.items()]


class RejectForm(FlaskForm):
    reason = TextAreaField(validators=[DataRequired(REQUIRED), Length(max=MAX_NOTE,
                                                                      message=TOO_LONG)])
