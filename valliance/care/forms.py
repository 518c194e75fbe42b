"""The birthday programme's form (staff)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField

from valliance.i18n import N_, lazy_gettext


class ProgrammeForm(FlaskForm):
    enabled = BooleanField(lazy_gettext("启用（每天 10:00 问候本月过生日、尚未问候的会员）"))
    channel = RadioField(lazy_gettext("问候渠道"), choices=[
        ("inbox", lazy_gettext("站内消息")), ("sms", lazy_gettext("短信"))], default="inbox")
    message = TextAreaField(lazy_gettext("问候语"))
    cap_exempt = BooleanField(
        lazy_gettext("不计入每30天营销条数上限（退订会员、夜间免打扰仍然遵守）"))
    control_percent = StringField(lazy_gettext("对照组比例（%）"), default="0")
    gift = RadioField(lazy_gettext("生日礼"), choices=[
        ("none", lazy_gettext("无（仅问候）")), ("points", lazy_gettext("赠送积分")),
        ("double", lazy_gettext("生日当月联盟商户消费双倍积分")),
        ("coupon", lazy_gettext("优惠券"))], default="none")
    bonus_points = StringField(lazy_gettext("赠送积分数"))
    coupon_template_id = SelectField(lazy_gettext("优惠券模板"), choices=[], validate_choice=False)


GIFT_NAMES = {"none": N_("无（仅问候）"), "points": N_("赠送积分"),
              "double": N_("生日当月联盟商户消费双倍积分"), "coupon": N_("优惠券")}
