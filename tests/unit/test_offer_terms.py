"""The words of an offer: 折 ↔ percent off, the 折 a title promises, the title's cap."""

from decimal import Decimal

import pytest

from valliance.errors import ValidationError
from valliance.merchants.services import offers as offer_terms


@pytest.mark.parametrize("typed, percent", [
    ("8.8", "12.00"), ("9.5", "5.00"), ("10", "0.00"), ("", "0.00"), (" 8.75 ", "12.50"),
    ("1", "90.00"), ("9", "10.00"), ("8.885", "11.15"),
])
def test_zhe_converts_to_percent_off_exactly(typed, percent):
    assert str(offer_terms.zhe_to_percent(typed)) == percent


@pytest.mark.parametrize("typed", ["0", "0.5", "10.5", "88", "abc", "8.8888", "NaN", "-8"])
def test_zhe_outside_one_to_ten_is_refused_with_a_clear_message(typed):
    with pytest.raises(ValidationError) as caught:
        offer_terms.zhe_to_percent(typed, "discount")
    assert "1折到10折" in caught.value.details["discount"][0]


@pytest.mark.parametrize("percent, zhe", [(12, "8.8"), (Decimal("12.5"), "8.75"), (0, "10"),
                                          (Decimal("5.00"), "9.5"), (90, "1")])
def test_percent_off_is_shown_back_as_the_zhe_an_owner_types(percent, zhe):
    assert offer_terms.percent_to_zhe_text(percent) == zhe


@pytest.mark.parametrize("title, zhe", [
    ("V卡8.8折", "8.8"), ("全场八八折", "8.8"), ("85折优惠", "8.5"), ("九折", "9"),
    ("会员 8.75 折", "8.75"), ("周末打折", None), ("折扣多多", None), ("会员价", None),
])
def test_the_zhe_a_title_promises_is_read_in_digits_and_chinese(title, zhe):
    found = offer_terms.title_zhe(title)
    assert (None if found is None else format(found.normalize(), "f")) == zhe


def test_a_title_disagrees_only_when_no_rate_gives_its_zhe():
    assert offer_terms.title_disagrees("V卡8.8折", [Decimal(10)]) == Decimal("8.8")
    assert offer_terms.title_disagrees("V卡8.8折", [Decimal(10), Decimal(12)]) is None
    assert offer_terms.title_disagrees("周末特惠", [Decimal(10)]) is None


@pytest.mark.parametrize("percent, text", [(12, "12% off"), (Decimal("12.50"), "12.5% off"),
                                           (0, "No discount")])
def test_discounts_in_english_say_percent_off(percent, text):
    assert offer_terms.discount_en(percent) == text


def test_titles_are_capped_at_forty_characters():
    assert offer_terms.clean_title("  " + "火" * 40 + " ") == "火" * 40
    with pytest.raises(ValidationError) as caught:
        offer_terms.clean_title("火" * 41)
    assert caught.value.details["title"] == ["标题最多40个字 / Title at most 40 characters"]


@pytest.mark.parametrize("typed", ["1e999999", "-1e999999", "8.8e999999", "1E+1000000"])
def test_zhe_with_a_huge_exponent_is_refused_not_a_crash(typed):
    # quantizing 1e999999 raised decimal.InvalidOperation: a 500 on the form, a traceback
    with pytest.raises(ValidationError) as caught:
        offer_terms.zhe_to_percent(typed, "discount")
    assert "1折到10折" in caught.value.details["discount"][0]


@pytest.mark.parametrize("typed", ["1e999999", "-1e999999", "5e+1000000", "Infinity", "NaN"])
def test_percent_off_with_a_huge_exponent_is_refused_not_a_crash(typed):
    # the CLI and the CSV import read percent_off with parse_percent
    from valliance.merchants.services.offers import parse_percent

    with pytest.raises(ValidationError) as caught:
        parse_percent(typed)
    assert caught.value.details["percent_off"]


def test_a_title_saying_10_zhe_promises_no_discount_not_1_zhe():
    # "88折" is 8.8折, but "10折" is the whole price (it read as 1折, 90 % off)
    assert offer_terms.title_zhe("全场10折") == Decimal(10)
    assert offer_terms.title_disagrees("全场10折", [Decimal(0)]) is None
