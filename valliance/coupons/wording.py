"""How a coupon's terms read on a page: 满¥100.00减¥20.00."""

from valliance.i18n import _
from valliance.money import format_yuan


def terms_text(value: int, min_spend: int) -> str:
    """满X减Y, or 立减Y for a coupon without a minimum (amounts in yuan)."""
    if min_spend:
        return _("满%(min_spend)s减%(value)s", min_spend=format_yuan(min_spend),
                 value=format_yuan(value))
    return _("立减%(value)s", value=format_yuan(value))
