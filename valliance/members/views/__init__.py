"""The member portal (/me): its blueprint, the helpers its templates share, and its pages, one
module per area: account (sign-up, claim, sign-in), card (the card, its images, reporting it
lost), inbox (the member's messages), reissue (replacing a lost card), pay_code (the live pay
code), history, profile (birthday, marketing consent, password), offers.
"""

from flask import Blueprint

from valliance.members.labels import (
    birthday_text,
    kind_label,
    month_name,
    status_label,
    tier_name,
)
from valliance.money import format_yuan
from valliance.web.navigation import FLASH

bp = Blueprint("members", __name__, url_prefix="/me", template_folder="../templates")


@bp.context_processor
def _helpers() -> dict:
    return {"tier_name": tier_name, "yuan": format_yuan, "FLASH": FLASH,
            "kind_label": kind_label, "status_label": status_label,
            "birthday_text": birthday_text, "month_name": month_name}


# The pages add their routes to bp (imported last: they import bp from here).
from valliance.members.views import (  # noqa: E402, F401
    account,
    card,
    history,
    inbox,
    offers,
    pay_code,
    profile,
    reissue,
)
