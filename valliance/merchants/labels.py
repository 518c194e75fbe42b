"""How pages name a merchant's category and an offer's discount in the visitor's language.

The stored values stay Chinese (the API's `label` and `category` are Chinese by contract §6);
only what a page shows is translated."""

from decimal import Decimal

from valliance.merchants.services.offers import discount_en
from valliance.money import discount_label
from valliance.web.i18n import tr

CATEGORY_NAMES_EN = {"餐饮": "Restaurants", "酒店": "Hotels", "零售": "Retail",
                     "娱乐": "Entertainment", "美容美发": "Beauty and hair",
                     "汽车服务": "Car services", "教育培训": "Education and training",
                     "医疗健康": "Health care", "生活服务": "Local services"}


def category_name(category: str) -> str:
    """The category in the page's language (an unknown one as stored)."""
    return tr(category, CATEGORY_NAMES_EN.get(category, category))


def discount_text(percent: Decimal | int) -> str:
    """8.8折 on a Chinese page, "12% off" on an English one."""
    return tr(discount_label(percent), discount_en(percent))


HELPERS = {"category_name": category_name, "discount": discount_text}
