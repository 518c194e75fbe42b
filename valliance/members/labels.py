"""What member pages call things, in the visitor's language: tiers, history rows, card states,
birthdays."""

from datetime import date

from babel.dates import format_skeleton
from flask_babel import get_locale

from valliance.i18n import N_, N_ctx, _, label_text
from valliance.members import tiers

KIND_LABELS = {
    "accrue": (N_("积分获得"), "Earned"), "redeem": (N_ctx("Redeemed", "积分抵扣"), "Redeemed"),
    "reverse": (N_("积分冲回"), "Reversed"), "return": (N_("积分退还"), "Returned"),
    "expire": (N_("积分过期"), "Expired"), "adjust": (N_("积分调整"), "Adjusted"),
    "payment": (N_("缴费积分"), "Bill payment"), "reward": (N_("奖励积分"), "Reward"),
}
CARD_STATUS_LABELS = {
    "active": (N_("正常"), "Active"), "frozen": (N_("已冻结"), "Frozen"),
    "lost": (N_("已挂失"), "Reported lost"), "replaced": (N_("已换卡"), "Replaced"),
    "expired": (N_("已过期"), "Expired"),
}
TIER_NAMES_EN = {"standard": "Standard", "silver": "Silver", "gold": "Gold",
                 "diamond": "Diamond"}
PAYMENT_LABELS = {
    "bill": (N_("话费缴纳"), "Telecom bill"),
    "vip_fee": (N_("VIP年费"), "VIP annual fee"),
}


def tier_name(tier: str) -> str:
    """The tier's name: 金卡, Gold."""
    return _(tiers.TIER_NAMES_ZH[tier])


def kind_label(kind: str) -> str:
    """What a history row's kind is called."""
    return label_text(KIND_LABELS.get(kind, (kind, kind)))


def status_label(status: str) -> str:
    """What a card's status is called."""
    return label_text(CARD_STATUS_LABELS.get(status, (status, status)))


def _calendar(skeleton: str, month: int, day: int = 1) -> str:
    # 2000 was a leap year: February 29 is a birthday too
    return format_skeleton(skeleton, date(2000, month, day), locale=get_locale() or "zh_CN")


def month_name(month: int) -> str:
    """A month as the visitor's calendar names it: 5月, May."""
    return _calendar("MMM", month)


def birthday_text(month: int | None, day: int | None) -> str:
    """A birthday (no year) as the visitor's calendar writes it: 5月12日, May 12 ("" for none)."""
    if month is None or day is None:
        return ""
    return _calendar("MMMd", month, day)
