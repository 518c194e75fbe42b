"""The words of an offer: its title, its discount typed as 折 or as percent off, and the 折 a
title promises. Pure rules (no database), shared by the offer service, the import, the CLI and
the merchant portal's form and preview."""

import re
from decimal import Decimal, InvalidOperation

from valliance import money
from valliance.errors import ValidationError

#: a title longer than this breaks tables on phones and the 114 read-out
MAX_TITLE = 40
TITLE_TOO_LONG = f"标题最多{MAX_TITLE}个字 / Title at most {MAX_TITLE} characters"
TITLE_REQUIRED = "请填写优惠标题 / Enter a title"
ZHE_RANGE = ("折扣须在1折到10折之间（10即不打折），最多三位小数，如 8.8"
             " / A 折 between 1 and 10 (10 = no discount), up to three decimals, e.g. 8.8")
UNITS = ("zhe", "percent")

_CN_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
              "七": "7", "八": "8", "九": "9", "〇": "0", "零": "0"}
#: "8.8折", "88折", "8折", "八八折", "九五折", "8.75 折" — not "打折" or "折扣" alone
_TITLE_ZHE = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九〇零]{1,3})\s*折")


def clean_title(title) -> str:
    """The title as stored: spaces trimmed, 1–40 characters, else a ValidationError."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(details={"title": [TITLE_REQUIRED]})
    if len(title) > MAX_TITLE:
        raise ValidationError(details={"title": [TITLE_TOO_LONG]})
    return title


def zhe_to_percent(value, field: str = "percent_off") -> Decimal:
    """折 → percent off, exactly: 8.8 → 12, 9.5 → 5, 8.75 → 12.5, 10 or blank → 0."""
    text = str(value if value is not None else "").strip()
    if text == "":
        return Decimal("0.00")
    try:
        zhe = Decimal(text)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(details={field: [ZHE_RANGE]}) from exc
    # The range before quantizing: "1e999999".quantize raises decimal.InvalidOperation
    if (not zhe.is_finite() or not Decimal(1) <= zhe <= Decimal(10)
            or zhe != zhe.quantize(Decimal("0.001"))):
        raise ValidationError(details={field: [ZHE_RANGE]})
    return (Decimal(100) - zhe * 10).quantize(Decimal("0.01"))


def percent_to_zhe_text(percent) -> str:
    """Percent off → the 折 an owner would type: 12 → "8.8", 12.5 → "8.75", 0 → "10"."""
    zhe = (Decimal(100) - Decimal(percent)) / 10
    return format(zhe.normalize(), "f")


def title_zhe(title: str) -> Decimal | None:
    """The 折 a title promises ("V卡8.8折" → 8.8, "八八折" → 8.8, "85折" → 8.5), or None."""
    match = _TITLE_ZHE.search(title or "")
    if match is None:
        return None
    digits = "".join(_CN_DIGITS.get(ch, ch) for ch in match.group(1))
    if "." not in digits and len(digits) >= 2 and digits != "10":  # 10折: no discount
        digits = digits[0] + "." + digits[1:]  # 88折 and 八八折 mean 8.8折
    zhe = Decimal(digits)
    return zhe if Decimal(0) < zhe <= 10 else None


def title_disagrees(title: str, percents) -> Decimal | None:
    """The title's 折 when it matches none of the offer's rates (base and tiers), else None."""
    zhe = title_zhe(title)
    if zhe is None:
        return None
    wanted = Decimal(100) - zhe * 10
    return None if any(Decimal(p) == wanted for p in percents) else zhe


def discount_en(percent) -> str:
    """The English discount label: 12 → "12% off", 12.5 → "12.5% off", 0 → "No discount"."""
    value = Decimal(percent)
    if value == 0:
        return "No discount"
    return f"{format(value.normalize(), 'f')}% off"


def preview_fen(percent, amount: int = 10_000) -> int:
    """What a member pays for an `amount` sale at this percent off (the POS arithmetic)."""
    return amount - money.discount_fen(amount, percent)
