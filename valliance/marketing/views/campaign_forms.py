"""The campaign pages' forms: the campaign itself (checked by services.campaign_fields, so the
form only carries the fields and the CSRF token), an action's reason, and one's own phone."""

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from valliance.coupons.wording import terms_text
from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.i18n import _
from valliance.marketing.campaign_models import CHANNELS, SCHEDULE_KINDS, Campaign
from valliance.marketing.labels import channel_name, schedule_name
from valliance.marketing.models import Segment
from valliance.marketing.services.campaign_fields import active_coupon_templates, active_offers

#: the fields a campaign form posts (as services.campaign_fields reads them)
FIELDS = ("name", "channel", "message", "segment_id", "offer_id", "bonus_points",
          "coupon_template_id", "control_percent", "schedule_kind", "send_at", "daily_at")


class CampaignForm(FlaskForm):
    name = StringField()
    channel = RadioField(default="sms", validate_choice=False)
    message = TextAreaField()
    segment_id = SelectField(validate_choice=False)
    offer_id = SelectField(validate_choice=False)
    bonus_points = StringField(default="0")
    coupon_template_id = SelectField(validate_choice=False)
    control_percent = StringField(default="0")
    schedule_kind = RadioField(default="now", validate_choice=False)
    send_at = StringField()
    daily_at = StringField()

    def fill_choices(self) -> "CampaignForm":
        """The channels, schedules, saved segments and active offers to pick from."""
        self.channel.choices = [(c, channel_name(c)) for c in CHANNELS]
        self.schedule_kind.choices = [(k, schedule_name(k)) for k in SCHEDULE_KINDS]
        segments = db.session.execute(select(Segment.id, Segment.name).order_by(Segment.name))
        self.segment_id.choices = [("", _("请选择客户分群"))] + [(s.id, s.name) for s in segments]
        self.offer_id.choices = [("", _("不关联优惠"))] + [
            (offer.id, f"{merchant} · {offer.title}")
            for offer, merchant in active_offers(db.session)]
        self.coupon_template_id.choices = [("", _("不发优惠券"))] + [
            (t.id, f"{t.title} · {terms_text(t.value, t.min_spend)}")
            for t in active_coupon_templates(db.session)]
        return self

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in FIELDS}


def campaign_form(campaign: Campaign | None = None, **kwargs) -> CampaignForm:
    """The form, blank or holding a campaign's fields (GET), or the posted ones (POST)."""
    if campaign is not None and "formdata" in kwargs:
        send_at = campaign.send_at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") \
            if campaign.send_at else ""
        kwargs.update(name=campaign.name, channel=campaign.channel, message=campaign.message,
                      segment_id=campaign.segment_id or "", offer_id=campaign.offer_id or "",
                      bonus_points=str(campaign.bonus_points),
                      coupon_template_id=campaign.coupon_template_id or "",
                      control_percent=str(campaign.control_percent),
                      schedule_kind=campaign.schedule_kind, send_at=send_at,
                      daily_at=campaign.daily_at or "")
    return CampaignForm(**kwargs).fill_choices()


class ReasonForm(FlaskForm):
    """An action on a campaign and why (the audit trail keeps it)."""

    reason = StringField(validators=[Optional(), Length(max=200)])


class PhoneForm(FlaskForm):
    """One's own mobile phone, for test sends."""

    phone = StringField()
