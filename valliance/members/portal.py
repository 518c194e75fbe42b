"""The member portal's blueprint and the helpers its pages share (language, sign-in guard)."""

from functools import wraps
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    url_for,
)
from flask_login import current_user

from valliance.errors import VallianceError
from valliance.extensions import login as login_manager
from valliance.extensions import select_locale
from valliance.members import tiers
from valliance.money import format_yuan

bp = Blueprint("members", __name__, url_prefix="/me", template_folder="templates")

SHANGHAI = ZoneInfo("Asia/Shanghai")
HISTORY_PAGE = 20
CHART_ENTRIES = 200
FLASH = "portal"  #: our flash category (Flask-Login flashes its own English message)
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


def _english() -> bool:
    return select_locale() == "en"


def tr(zh: str, en: str) -> str:
    """Pick the text of the visitor's language."""
    return en if _english() else zh


def bilingual(message: str) -> str:
    """Show one half of a "中文 / English" message."""
    zh, _, en = str(message).partition(" / ")
    return (en or zh) if _english() else zh


def tier_name(tier: str) -> str:
    return TIER_NAMES_EN[tier] if _english() else tiers.TIER_NAMES_ZH[tier]


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


def show_error(form, exc: VallianceError) -> None:
    """Put a domain error's details on the form fields they name (the rest above the form)."""
    for field_name, messages in (exc.details or {"": [exc.message]}).items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A local path to go back to after signing in; anything else goes to `fallback` (the card
    page unless given)."""
    if (not target or "\\" in target or any(ch.isspace() or ord(ch) < 32 for ch in target)
            or not target.startswith("/") or target.startswith("//")):
        return fallback or url_for("members.card")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback or url_for("members.card")
    return target
