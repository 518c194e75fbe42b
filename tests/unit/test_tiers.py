import pytest

from valliance.members import tiers


@pytest.mark.parametrize(
    ("spend", "tier"),
    [(0, "standard"), (359999, "standard"), (360000, "silver"), (599999, "silver"),
     (600000, "gold"), (959999, "gold"), (960000, "diamond"), (10**9, "diamond")],
)
def test_tier_for_spend_at_the_boundaries(spend, tier):
    assert tiers.tier_for_spend(spend) == tier


@pytest.mark.parametrize(
    ("tier", "spend", "next_tier", "remaining"),
    [("standard", 0, "silver", 360000), ("silver", 476000, "gold", 124000),
     ("standard", 700000, "diamond", 260000), ("diamond", 0, None, 0), ("gold", 960000, None, 0)],
)
def test_progress_names_the_next_tier_and_what_is_left(tier, spend, next_tier, remaining):
    progress = tiers.progress(tier, spend)
    assert (progress.next_tier, progress.remaining_fen) == (next_tier, remaining)
    assert 0 <= progress.percent <= 100


@pytest.mark.parametrize(("tier", "multiplier"), [("standard", "1.0"), ("silver", "1.2"),
                                                  ("gold", "1.5"), ("diamond", "2.0")])
def test_default_multipliers(tier, multiplier):
    assert str(tiers.multiplier(tier)) == multiplier
