"""The uplift of a campaign and its 95 % Wald interval, on tables worked out by hand."""

import pytest

from valliance.marketing.services.uplift import (
    NEGATIVE,
    NOT_SIGNIFICANT,
    POSITIVE,
    Uplift,
    one_decimal,
    uplift,
)


def test_a_known_table_gives_the_hand_computed_interval():
    # target 150 of 1,000 bought: p1 = 0.15; control 20 of 200: p2 = 0.10; uplift 0.05 = 5.0 pts
    # se = sqrt(0.15 × 0.85 / 1000 + 0.10 × 0.90 / 200) = sqrt(0.0001275 + 0.00045)
    #    = sqrt(0.0005775) = 0.0240312…;  1.96 × se = 0.0471012…
    # low = 0.05 − 0.0471012 = 0.0028988 → 0.3 pts; high = 0.0971012 → 9.7 pts
    result = uplift(150, 1000, 20, 200)
    assert result == Uplift(15.0, 10.0, 5.0, 0.3, 9.7)
    assert result.verdict == POSITIVE


def test_an_interval_across_zero_is_not_significant():
    # p1 = 40 / 400 = 0.10, p2 = 8 / 100 = 0.08: uplift 0.02 = 2.0 pts
    # se = sqrt(0.1 × 0.9 / 400 + 0.08 × 0.92 / 100) = sqrt(0.000225 + 0.000736)
    #    = sqrt(0.000961) = 0.031;  1.96 × 0.031 = 0.06076
    # low = 0.02 − 0.06076 = −0.04076 → −4.1; high = 0.08076 → 8.1
    result = uplift(40, 400, 8, 100)
    assert result == Uplift(10.0, 8.0, 2.0, -4.1, 8.1)
    assert result.verdict == NOT_SIGNIFICANT


def test_a_campaign_that_lowers_buying_is_negative():
    # p1 = 10 / 100 = 0.10, p2 = 30 / 100 = 0.30: uplift −0.20 = −20.0 pts
    # se = sqrt(0.1 × 0.9 / 100 + 0.3 × 0.7 / 100) = sqrt(0.003) = 0.0547723…
    # 1.96 × se = 0.1073537…; low = −0.3073537 → −30.7; high = −0.0926463 → −9.3
    result = uplift(10, 100, 30, 100)
    assert result == Uplift(10.0, 30.0, -20.0, -30.7, -9.3)
    assert result.verdict == NEGATIVE


def test_a_wider_z_widens_the_interval():
    # z = 2.576 (99 %) on the first table: 2.576 × 0.0240312 = 0.0619044
    # low = 0.05 − 0.0619044 = −0.0119044 → −1.2; high = 0.1119044 → 11.2
    assert uplift(150, 1000, 20, 200, z=2.576) == Uplift(15.0, 10.0, 5.0, -1.2, 11.2)


def test_no_control_group_gives_no_uplift():
    result = uplift(3, 10, 0, 0)
    assert result == Uplift(30.0, None, None, None, None)
    assert result.verdict is None


def test_nobody_reached_gives_no_uplift():
    assert uplift(0, 0, 1, 4) == Uplift(None, 25.0, None, None, None)
    assert uplift(0, 0, 0, 0) == Uplift(None, None, None, None, None)


def test_zero_against_zero_is_an_uplift_of_nothing():
    # both rates 0: se = 0, so the interval is the single point 0 — not significant
    result = uplift(0, 50, 0, 10)
    assert result == Uplift(0.0, 0.0, 0.0, 0.0, 0.0)
    assert result.verdict == NOT_SIGNIFICANT


def test_everyone_against_nobody():
    # p1 = 1, p2 = 0: each variance p(1 − p) is 0, so the interval is the point 100 pts
    assert uplift(20, 20, 0, 5) == Uplift(100.0, 0.0, 100.0, 100.0, 100.0)
    # p1 = 0, p2 = 2/4 = 0.5: se = sqrt(0 + 0.25 / 4) = 0.25; 1.96 × 0.25 = 0.49
    # low = −0.5 − 0.49 = −0.99 → −99.0; high = −0.01 → −1.0
    result = uplift(0, 10, 2, 4)
    assert result == Uplift(0.0, 50.0, -50.0, -99.0, -1.0)
    assert result.verdict == NEGATIVE


def test_rounding_is_half_up_from_the_exact_value():
    # 1/16 = 6.25 % → 6.3 (half up; round() would give 6.2); 1/3 → 33.3; 2/3 → 66.7
    assert uplift(1, 16, 1, 3).target_rate == 6.3
    assert uplift(1, 16, 1, 3).control_rate == 33.3
    assert uplift(2, 3, 0, 1).target_rate == 66.7
    # the uplift is rounded from the exact difference: 2/3 − 1/3 = 33.333… → 33.3
    assert uplift(2, 3, 1, 3).uplift_points == 33.3
    assert one_decimal(-0.04) == 0.0 and str(one_decimal(-0.04)) == "0.0"


@pytest.mark.parametrize("args", [(5, 4, 0, 1), (-1, 4, 0, 1), (1, 4, 3, 2)])
def test_more_buyers_than_members_is_refused(args):
    with pytest.raises(ValueError):
        uplift(*args)
