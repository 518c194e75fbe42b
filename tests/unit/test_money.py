from decimal import Decimal

import pytest

from valliance import money


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(0, 100, 0), (49, 100, 0), (50, 100, 1), (51, 100, 1), (149, 100, 1), (150, 100, 2),
     (154200, 10000, 15), (5, 2, 3), (7, 7, 1)],
)
def test_divide_half_up_rounds_half_away_from_zero(numerator, denominator, expected):
    assert money.divide_half_up(numerator, denominator) == expected


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        (12850, 12, 1542),  # the contract's example
        (12850, Decimal("12.5"), 1606),  # 1606.25 → 1606
        (10, 5, 1),  # 0.5 fen rounds up
        (9, 5, 0),  # 0.45 fen rounds down
        (1, 50, 1),  # 0.5 fen → 1
        (100000000, 90, 90000000),
        (12345, 0, 0),
        (333, Decimal("33.33"), 111),  # 110.9889 → 111
        (150, Decimal("0.01"), 0),  # 0.015 → 0
        (5000, Decimal("0.01"), 1),  # 0.5 → 1
    ],
)
def test_discount_is_amount_times_percent_rounded_half_up(amount, percent, expected):
    assert money.discount_fen(amount, percent) == expected


@pytest.mark.parametrize(
    ("payable", "per_yuan", "multiplier", "expected"),
    [
        (11308, 2, Decimal("1.5"), 339),  # contract example: 339.24 → 339
        (99, 1, 1, 0),  # under one yuan earns nothing
        (100, 1, 1, 1),
        (199, 1, Decimal("1.2"), 2),  # 2.388 → 2
        (10000, 3, 2, 600),
        (0, 5, 2, 0),
    ],
)
def test_points_earned_are_floored(payable, per_yuan, multiplier, expected):
    assert money.points_earned(payable, per_yuan, multiplier) == expected


@pytest.mark.parametrize(
    ("total", "part", "whole", "expected"),
    [(339, 5000, 12850, 131), (339, 12850, 12850, 339), (339, 0, 12850, 0), (1, 1, 3, 0)],
)
def test_proportional_floor(total, part, whole, expected):
    assert money.proportional_floor(total, part, whole) == expected


def test_proportional_floor_refuses_a_part_larger_than_the_whole():
    with pytest.raises(ValueError):
        money.proportional_floor(10, 11, 10)


@pytest.mark.parametrize(
    ("fen", "text"),
    [(123450, "¥1,234.50"), (0, "¥0.00"), (5, "¥0.05"), (100, "¥1.00"), (-100, "-¥1.00"),
     (100000000, "¥1,000,000.00")],
)
def test_format_yuan(fen, text):
    assert money.format_yuan(fen) == text


@pytest.mark.parametrize(
    ("percent", "label"),
    [(10, "9折"), (12, "8.8折"), (Decimal("12.5"), "8.75折"), (0, "无折扣"), (50, "5折"),
     (5, "9.5折"), (90, "1折"), (Decimal("12.0"), "8.8折")],
)
def test_discount_label_speaks_chinese(percent, label):
    assert money.discount_label(percent) == label


@pytest.mark.parametrize(
    ("percent", "per_yuan", "multiplier", "point_value", "expected"),
    [(12, 2, Decimal("1.5"), 1, Decimal("15.00")), (10, 1, 1, 1, Decimal("11.00")),
     (Decimal("12.5"), 3, Decimal("1.2"), 1, Decimal("16.10")), (0, 0, 2, 1, Decimal("0.00"))],
)
def test_effective_percent(percent, per_yuan, multiplier, point_value, expected):
    assert money.effective_percent(percent, per_yuan, multiplier, point_value) == expected


@pytest.mark.parametrize("bad", [Decimal("12.345"), "0.001"])
def test_more_than_two_decimals_is_refused(bad):
    with pytest.raises(ValueError):
        money.to_hundredths(bad)


def test_no_float_reaches_money():
    with pytest.raises(ValueError):
        money.divide_half_up(-1, 2)
