"""What coupon pages call things, in the visitor's language: a template's terms (满¥100减¥20),
a coupon's status, a template's status, where it is valid, a code grouped for reading."""

from valliance.i18n import N_, _
from valliance.money import format_yuan

COUPON_STATUS = {"active": N_("可使用"), "used": N_("已使用"), "expired": N_("已过期"),
                 "void": N_("已作废")}
TEMPLATE_STATUS = {"active": N_("发放中"), "retired": N_("已停用")}


def short_yuan(fen: int) -> str:
    """¥100 for a whole number of yuan, ¥12.50 otherwise (no rounding: the fen are shown)."""
    return format_yuan(fen).removesuffix(".00")


def terms(value: int, min_spend: int) -> str:
    """满¥100减¥20, or 无门槛减¥5 without a minimum spend."""
    if min_spend:
        return _("满%(min)s减%(value)s", min=short_yuan(min_spend), value=short_yuan(value))
    return _("无门槛减%(value)s", value=short_yuan(value))


def coupon_status(status: str) -> str:
    return _(COUPON_STATUS.get(status, status))


def template_status(status: str) -> str:
    return _(TEMPLATE_STATUS.get(status, status))


def where_valid(merchant_name: str | None) -> str:
    """The merchant's name, or 全部联盟商户 for an alliance-wide coupon."""
    return merchant_name or _("全部联盟商户")


def grouped(code: str) -> str:
    """A 12-digit code in groups of four, as it is read aloud: 1234 5678 9012."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


HELPERS = {"coupon_terms": terms, "coupon_status": coupon_status,
           "template_status": template_status, "where_valid": where_valid,
           "grouped_code": grouped, "short_yuan": short_yuan, "yuan": format_yuan}
