"""The win-back settings form: it only carries the fields and the CSRF token; the service
(services/programme.py) checks them."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from valliance.extensions import db
from valliance.i18n import _
from valliance.marketing.campaign_models import CHANNELS
from valliance.marketing.labels import cell_name, channel_name
from valliance.marketing.models import RFM_CELLS
from valliance.money import format_yuan
from valliance.winback.services.programme import Settings, coupon_templates

#: the fields the form posts (as services.programme.save reads them)
FIELDS = ("enabled", "lapse_days", "min_purchases", "rfm_cells", "reentry_days",
          "window_days", "channel", "message", "bonus_points", "control_percent",
          "coupon_template_id")


class SettingsForm(FlaskForm):
    enabled = BooleanField()
    lapse_days = StringField()
    min_purchases = StringField()
    rfm_cells = SelectMultipleField(validate_choice=False, widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput())
    reentry_days = StringField()
    window_days = StringField()
    channel = RadioField(validate_choice=False)
    message = TextAreaField()
    bonus_points = StringField()
    control_percent = StringField()
    coupon_template_id = SelectField(validate_choice=False)

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in FIELDS}


def settings_form(current: Settings | None = None) -> SettingsForm:
    """The form holding the saved settings (GET) or the posted ones (POST)."""
    kwargs = {}
    if current is not None:
        kwargs = {name: getattr(current, name) for name in FIELDS}
        kwargs.update({name: str(kwargs[name]) for name in (
            "lapse_days", "min_purchases", "reentry_days", "window_days", "bonus_points",
            "control_percent")}, formdata=None)
    form = SettingsForm(**kwargs)
    form.rfm_cells.choices = [(cell, cell_name(cell)) for cell in RFM_CELLS]
    form.channel.choices = [(c, channel_name(c)) for c in CHANNELS]
    form.coupon_template_id.choices = [("", _("不发优惠券"))] + [
        (t.id, _("%(title)s（满%(min)s减%(value)s）", title=t.title, min=format_yuan(t.min_spend),
                 value=format_yuan(t.value)))
        for t in coupon_templates(db.session)]
    return form
