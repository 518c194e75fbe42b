"""What member care's pages call things, in the request's language."""

from flask_babel import get_locale

from valliance.i18n import N_, _, label_text
from valliance.marketing.labels import cell_name
from valliance.members.labels import (
    PAYMENT_LABELS,
    birthday_text,
    kind_label,
    status_label,
    tier_name,
)
from valliance.members.services.tier_change import STAFF_REASON
from valliance.payments.views import STATUS_LABELS as PAYMENT_STATUS_LABELS
from valliance.service_desk.labels import kind_name as ticket_kind
from valliance.service_desk.labels import status_name as ticket_status

MEMBERSHIP_NAMES = {"active": N_("正常"), "frozen": N_("已冻结"), "expired": N_("已过期")}
#: audit action → what the member page's record of staff actions calls it
ACTION_NAMES = {
    "member.enrol": N_("开通会员"), "member.freeze": N_("冻结会员资格"),
    "member.unfreeze": N_("恢复会员资格"), "card.lost": N_("挂失"), "card.reissue": N_("补发新卡"),
    "member.tier": N_("调整等级"), "member.claim_sms": N_("重发激活短信"),
    "member.marketing_opt_in": N_("订阅优惠活动短信"),
    "member.marketing_opt_out": N_("退订优惠活动短信"),
    "member.birthday": N_("修改生日"),
}


def tier_reason(reason: str) -> str:
    """Why a tier changed: a staff user's words, a grant on joining, or the review's text."""
    if reason.startswith(STAFF_REASON + ": "):
        return _("员工调整：%(why)s", why=reason.partition(": ")[2])
    if reason == "enrolled":
        return _("开通时授予")
    return localized_pair(reason)


def localized_pair(text: str) -> str:
    """A reason stored as "中文 / English" in the request's language."""
    zh, sep, en = text.partition(" / ")
    if not sep:
        return text
    return en if get_locale().language == "en" else zh


def membership_name(status: str) -> str:
    return _(MEMBERSHIP_NAMES.get(status, status))


def action_name(action: str) -> str:
    return _(ACTION_NAMES[action]) if action in ACTION_NAMES else action


def payment_kind(kind: str) -> str:
    return label_text(PAYMENT_LABELS.get(kind, (kind, kind)))


def payment_status(status: str) -> str:
    return label_text(PAYMENT_STATUS_LABELS.get(status, (status, status)))


LABELS = {"tier_name": tier_name, "card_status": status_label, "kind_label": kind_label,
          "membership_name": membership_name, "action_name": action_name,
          "payment_kind": payment_kind, "payment_status": payment_status,
          "tier_reason": tier_reason, "rfm_cell_name": cell_name,
          "birthday_text": birthday_text, "ticket_kind": ticket_kind,
          "ticket_status": ticket_status}
