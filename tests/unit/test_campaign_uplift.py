"""The uplift of a campaign and its 95 % Agresti–Caffo interval, on tables worked out by hand."""

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
    # target 150 of 1,000 bought (15.0 %), control 10 of 200 (5.0 %): uplift 10.0 pts
    # Agresti–Caffo: p1 = 151 / 1002 = 0.150699, p2 = 11 / 202 = 0.054455; centre 0.096243
    # se = sqrt(0.150699 × 0.849301 / 1002 + 0.054455 × 0.945545 / 202)
    #    = sqrt(0.00012773 + 0.00025490) = 0.019561;  1.96 × se = 0.038340
    # low = 0.096243 − 0.038340 = 0.057904 → 5.8 pts; high = 0.134583 → 13.5 pts
    result = uplift(150, 1000, 10, 200)
    assert result == Uplift(15.0, 5.0, 10.0, 5.8, 13.5)
    assert result.verdict == POSITIVE


def test_a_small_rise_on_a_small_control_group_is_not_significant():
    # 150 / 1,000 against 20 / 200: uplift 5.0 pts (plain Wald: [0.3, 9.7], "significant")
    # p1 = 0.150699, p2 = 21 / 202 = 0.103960; centre 0.046738; se = 0.024267
    # 1.96 × se = 0.047563: low = −0.000825 → −0.1; high = 0.094301 → 9.4
    result = uplift(150, 1000, 20, 200)
    assert result == Uplift(15.0, 10.0, 5.0, -0.1, 9.4)
    assert result.verdict == NOT_SIGNIFICANT


def test_an_interval_across_zero_is_not_significant():
    # 40 / 400 against 8 / 100: uplift 2.0 pts; p1 = 41 / 402 = 0.101990, p2 = 9 / 102
    # = 0.088235; centre 0.013755; se = 0.031883; 1.96 × se = 0.062492
    # low = −0.048737 → −4.9; high = 0.076246 → 7.6
    result = uplift(40, 400, 8, 100)
    assert result == Uplift(10.0, 8.0, 2.0, -4.9, 7.6)
    assert result.verdict == NOT_SIGNIFICANT


def test_a_campaign_that_lowers_buying_is_negative():
    # 10 / 100 against 30 / 100: uplift −20.0 pts; p1 = 11 / 102 = 0.107843, p2 = 31 / 102
    # = 0.303922; centre −0.196078; se = 0.054930; 1.96 × se = 0.107663
    # low = −0.303741 → −30.4; high = −0.088415 → −8.8
    result = uplift(10, 100, 30, 100)
    assert result == Uplift(10.0, 30.0, -20.0, -30.4, -8.8)
    assert result.verdict == NEGATIVE


def test_a_wider_z_widens_the_interval():
    # z = 2.576 (99 %) on the first table: 2.576 × 0.019561 = 0.050389
    # low = 0.096243 − 0.050389 = 0.045854 → 4.6; high = 0.146632 → 14.7
    assert uplift(150, 1000, 10, 200, z=2.576) == Uplift(15.0, 5.0, 10.0, 4.6, 14.7)


def test_no_control_group_gives_no_uplift():
    result = uplift(3, 10, 0, 0)
    assert result == Uplift(30.0, None, None, None, None)
    assert result.verdict is None


def test_nobody_reached_gives_no_uplift():
    assert uplift(0, 0, 1, 4) == Uplift(None, 25.0, None, None, None)
    assert uplift(0, 0, 0, 0) == Uplift(None, None, None, None, None)


def test_zero_against_zero_is_an_uplift_of_nothing_with_a_real_interval():
    # both rates 0 (plain Wald: the point 0); p1 = 1 / 52 = 0.019231, p2 = 1 / 12 = 0.083333
    # centre −0.064103; se = 0.082027; 1.96 × se = 0.160773: [−0.224876, 0.096671]
    result = uplift(0, 50, 0, 10)
    assert result == Uplift(0.0, 0.0, 0.0, -22.5, 9.7)
    assert result.verdict == NOT_SIGNIFICANT


def test_tiny_groups_at_0_or_100_percent_are_not_called_significant_by_luck():
    # 50 / 1,000 against 0 / 3: plain Wald said [3.6, 6.4], "显著提升"
    # p1 = 51 / 1002 = 0.050898, p2 = 1 / 5 = 0.2; centre −0.149102; se = 0.179020
    # 1.96 × se = 0.350879: low −0.499981 → −50.0; high 0.201778 → 20.2
    result = uplift(50, 1000, 0, 3)
    assert result == Uplift(5.0, 0.0, 5.0, -50.0, 20.2)
    assert result.verdict == NOT_SIGNIFICANT


def test_everyone_against_nobody_stays_within_100_points():
    # p1 = 21 / 22 = 0.954545, p2 = 1 / 7 = 0.142857; centre 0.811688; se = 0.139517
    # 1.96 × se = 0.273453: low 0.538236 → 53.8; high 1.085141, capped at 100
    result = uplift(20, 20, 0, 5)
    assert result == Uplift(100.0, 0.0, 100.0, 53.8, 100.0)
    assert result.verdict == POSITIVE


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
