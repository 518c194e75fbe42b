"""The member portal's blueprint and the helpers its pages share (language, sign-in guard)."""

from functools import wraps

from flask import (
    Blueprint,
)
from flask_login import current_user

from valliance.extensions import login as login_manager
from valliance.members import tiers
from valliance.money import format_yuan
from valliance.web.i18n import bilingual, english, tr
from valliance.web.navigation import FLASH

bp = Blueprint("members", __name__, url_prefix="/me", template_folder="templates")

HISTORY_PAGE = 20
CHART_ENTRIES = 200
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


def tier_name(tier: str) -> str:
    return TIER_NAMES_EN[tier] if english() else tiers.TIER_NAMES_ZH[tier]


@bp.app_template_filter("bilingual")
def _bilingual_filter(message: str) -> str:
    return bilingual(message)


@bp.context_processor
def _helpers() -> dict:
    return {"tr": tr, "tier_name": tier_name, "yuan": format_yuan, "FLASH": FLASH,
            "kind_label": lambda kind: tr(*KIND_LABELS.get(kind, (kind, kind))),
            "status_label": lambda s: tr(*CARD_STATUS_LABELS.get(s, (s, s)))}


def member_required(view):
    """Let only a signed-in member through; anyone else goes to the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not getattr(current_user, "is_member", False):
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapped
