"""How pages name a merchant's category and an offer's discount in the visitor's language.

The stored values stay Chinese (the API's `label` and `category` are Chinese by contract §6);
only what a page shows is translated."""

from decimal import Decimal

from valliance.i18n import N_, _
from valliance.money import discount_label

CATEGORY_NAMES_EN = {N_("餐饮"): "Restaurants", N_("酒店"): "Hotels", N_("零售"): "Retail",
                     N_("娱乐"): "Entertainment", N_("美容美发"): "Beauty and hair",
                     N_("汽车服务"): "Car services", N_("教育培训"): "Education and training",
                     N_("医疗健康"): "Health care", N_("生活服务"): "Local services"}


def category_name(category: str) -> str:
    """The category in the page's language (an unknown one as stored)."""
    return _(category)


def discount_text(percent: Decimal | int) -> str:
    """8.8折 on a Chinese page, "12% off" on an English one."""
    if Decimal(percent) == 0:
        return _("无折扣")
    return _("%(zhe)s折", zhe=discount_label(percent)[:-1],
             off=format(Decimal(percent).normalize(), "f"))


HELPERS = {"category_name": category_name, "discount": discount_text}
