"""What member pages call things, in the visitor's language: tiers, history rows, card states."""

from valliance.members import tiers
from valliance.web.i18n import english, tr

KIND_LABELS = {
    "accrue": ("积分获得", "Earned"), "redeem": ("积分抵扣", "Redeemed"),
    "reverse": ("积分冲回", "Reversed"), "return": ("积分退还", "Returned"),
    "expire": ("积分过期", "Expired"), "adjust": ("积分调整", "Adjusted"),
    "payment": ("缴费积分", "Bill payment"),
}
CARD_STATUS_LABELS = {
    "active": ("正常", "Active"), "frozen": ("已冻结", "Frozen"),
    "lost": ("已挂失", "Reported lost"), "replaced": ("已换卡", "Replaced"),
    "expired": ("已过期", "Expired"),
}
TIER_NAMES_EN = {"standard": "Standard", "silver": "Silver", "gold": "Gold",
                 "diamond": "Diamond"}
PAYMENT_LABELS = {"bill": ("话费缴纳", "Telecom bill"), "vip_fee": ("VIP年费", "VIP annual fee")}


def tier_name(tier: str) -> str:
    """The tier's name: 金卡, Gold."""
    return TIER_NAMES_EN[tier] if english() else tiers.TIER_NAMES_ZH[tier]


def kind_label(kind: str) -> str:
    """What a history row's kind is called."""
    return tr(*KIND_LABELS.get(kind, (kind, kind)))


def status_label(status: str) -> str:
    """What a card's status is called."""
    return tr(*CARD_STATUS_LABELS.get(status, (status, status)))
