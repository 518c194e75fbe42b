"""Contract §5 arithmetic (pure): discount, redemption, earning, best offer, refund shares."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valliance.merchants import pricing
from valliance.merchants.pricing import OfferTerms

MULTIPLIERS = {"standard": Decimal("1.0"), "silver": Decimal("1.2"), "gold": Decimal("1.5"),
               "diamond": Decimal("2.0")}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def terms(percent, points_per_yuan=1, offer_id="off_a", created=T0):
    return OfferTerms(offer_id, Decimal(str(percent)), points_per_yuan, created)


def oracle(amount, percent, points_per_yuan, multiplier, redeem, point_value=1):
    """An independent reading of §5 with exact fractions."""
    exact = Fraction(amount) * Fraction(str(percent)) / 100
    discount = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
    points_value = redeem * point_value
    payable = amount - discount - points_value
    earned = (Fraction(payable) * points_per_yuan * Fraction(str(multiplier)) / 100).__floor__()
    return discount, points_value, payable, earned


# --- literal rows: (tier, amount, percent_off, points_per_yuan, redeem) → expected ---------
LITERAL = [
    # the contract's own example
    ("gold", 12850, 12, 2, 0, 1542, 0, 11308, 339),
    # every tier, no offer: 0 % off, 1 point per yuan
    ("standard", 12850, 0, 1, 0, 0, 0, 12850, 128),
    ("silver", 12850, 0, 1, 0, 0, 0, 12850, 154),      # 154.2
    ("gold", 12850, 0, 1, 0, 0, 0, 12850, 192),        # 192.75
    ("diamond", 12850, 0, 1, 0, 0, 0, 12850, 257),
    # rounding at exactly half a fen: rounds up
    ("standard", 12850, "12.5", 1, 0, 1606, 0, 11244, 112),  # 1606.25 → 1606
    ("standard", 10, 5, 1, 0, 1, 0, 9, 0),                   # 0.5 → 1
    ("standard", 30, 5, 1, 0, 2, 0, 28, 0),                  # 1.5 → 2
    ("standard", 50, 1, 1, 0, 1, 0, 49, 0),                  # 0.5 → 1
    ("standard", 49, 1, 1, 0, 0, 0, 49, 0),                  # 0.49 → 0
    ("standard", 1, 50, 1, 0, 1, 0, 0, 0),                   # 0.5 → 1, payable 0
    ("silver", 333, "33.33", 3, 0, 111, 0, 222, 7),          # 110.9889 → 111; 7.992 → 7
    # redemption: no points earned on the part paid with points
    ("gold", 12850, 12, 2, 1000, 1542, 1000, 10308, 309),    # 309.24
    ("diamond", 10000, 10, 1, 9000, 1000, 9000, 0, 0),       # everything paid with points
    ("silver", 10000, 0, 5, 1, 0, 1, 9999, 599),             # 599.94
]


@pytest.mark.parametrize(
    "tier,amount,percent,ppy,redeem,discount,points_value,payable,earned", LITERAL)
def test_price_literal_rows(tier, amount, percent, ppy, redeem, discount, points_value,
                            payable, earned):
    offer = None if (percent == 0 and ppy == 1) else terms(percent, ppy)
    price = pricing.price_purchase(amount, offer, MULTIPLIERS[tier], redeem, 1)
    assert (price.discount, price.points_value, price.payable, price.points_earned) == (
        discount, points_value, payable, earned)
    assert price.redeem_points == redeem
    assert price.percent_off == Decimal(str(percent))
    for value in (price.discount, price.points_value, price.payable, price.points_earned):
        assert type(value) is int


def test_no_offer_is_zero_percent_and_one_point_per_yuan():
    price = pricing.price_purchase(10000, None, Decimal("1.0"), 0, 1)
    assert price.percent_off == 0
    assert (price.discount, price.payable, price.points_earned) == (0, 10000, 100)


GRID = [  # redemptions over amount − discount are refused before pricing, so left out
    (tier, amount, percent, ppy, redeem)
    for tier, amount, percent, ppy, redeem in itertools.product(
        MULTIPLIERS, [1, 10, 99, 12850, 33333, 100_000_000], [0, 1, 5, "12.5", "33.33", 90],
        [0, 1, 2, 7], [0, 1, 50])
    if redeem <= amount - oracle(amount, percent, ppy, MULTIPLIERS[tier], 0)[0]
]


@pytest.mark.parametrize("tier,amount,percent,ppy,redeem", GRID)
def test_price_grid_against_exact_fractions(tier, amount, percent, ppy, redeem):
    price = pricing.price_purchase(amount, terms(percent, ppy), MULTIPLIERS[tier], redeem, 1)
    assert (price.discount, price.points_value, price.payable, price.points_earned) == oracle(
        amount, percent, ppy, MULTIPLIERS[tier], redeem)


def test_point_value_scales_points_value():
    price = pricing.price_purchase(1000, None, Decimal("1.0"), 100, 3)
    assert (price.points_value, price.payable, price.points_earned) == (300, 700, 7)


# --- tier overrides, as the caller resolves them into OfferTerms ---------------------------

def _offer(percent_off, overrides):
    class FakeOffer:  # the model's rule: an override replaces the base for that tier only
        def percent_off_for(self, tier):
            return Decimal(str(overrides.get(tier, percent_off)))
    return FakeOffer()


@pytest.mark.parametrize("tier", list(MULTIPLIERS))
@pytest.mark.parametrize("overrides", [{}, {"gold": 15}, {"gold": 5}, {"silver": "20.5"}])
def test_tier_override_applies_to_its_tier_only(app, tier, overrides):
    from valliance.merchants.models import Offer, OfferTierRate

    offer = Offer(percent_off=Decimal(10))
    offer.tier_rates = [OfferTierRate(tier=t, percent_off=Decimal(str(v)))
                        for t, v in overrides.items()]
    expected = Decimal(str(overrides.get(tier, 10)))
    assert offer.percent_off_for(tier) == expected
    price = pricing.price_purchase(10000, terms(offer.percent_off_for(tier)),
                                   MULTIPLIERS[tier], 0, 1)
    assert price.discount == int(expected * 100)


# --- best offer ----------------------------------------------------------------------------

def test_best_offer_none_when_no_offers():
    assert pricing.best_offer([], Decimal("1.0"), 1) is None


def test_best_offer_highest_effective_percent():
    # effective = percent + ppy × multiplier × point value
    a = terms(12, 1, "off_a")          # gold: 13.5
    b = terms(10, 3, "off_b")          # gold: 14.5
    c = terms(14, 0, "off_c")          # gold: 14
    assert pricing.best_offer([a, b, c], Decimal("1.5"), 1).offer_id == "off_b"
    # at point value 0, points are worth nothing: the highest percent wins
    assert pricing.best_offer([a, b, c], Decimal("1.5"), 0).offer_id == "off_c"


def test_best_offer_tie_goes_to_higher_percent_off():
    a = terms(10, 4, "off_a")          # standard: 14
    b = terms(12, 2, "off_b")          # standard: 14
    assert pricing.best_offer([a, b], Decimal("1.0"), 1).offer_id == "off_b"
    assert pricing.best_offer([b, a], Decimal("1.0"), 1).offer_id == "off_b"


def test_best_offer_full_tie_goes_to_the_earlier_offer():
    early = terms(10, 2, "off_z", T0)
    late = terms(10, 2, "off_a", T0 + timedelta(seconds=1))
    assert pricing.best_offer([late, early], Decimal("1.2"), 1).offer_id == "off_z"
    assert pricing.best_offer([early, late], Decimal("1.2"), 1).offer_id == "off_z"


def test_best_offer_depends_on_tier_multiplier():
    a = terms(15, 0, "off_a")          # 15 for everyone
    b = terms(9, 3, "off_b")           # standard 12, silver 12.6, gold 13.5, diamond 15
    assert pricing.best_offer([a, b], Decimal("1.5"), 1).offer_id == "off_a"
    # diamond: 15 vs 15 → higher percent_off wins
    assert pricing.best_offer([a, b], Decimal("2.0"), 1).offer_id == "off_a"
    c = terms(9, 4, "off_c")           # diamond 17
    assert pricing.best_offer([a, c], Decimal("2.0"), 1).offer_id == "off_c"


# --- offer activity ------------------------------------------------------------------------

D = datetime(2026, 11, 23).date()


@pytest.mark.parametrize("active,valid_from,valid_until,expected", [
    (True, None, None, True),
    (False, None, None, False),
    (True, D, D, True),                                   # inclusive both ends
    (True, D + timedelta(days=1), None, False),           # starts tomorrow
    (True, None, D - timedelta(days=1), False),           # ended yesterday
    (True, D - timedelta(days=9), D + timedelta(days=9), True),
])
def test_offer_is_active(active, valid_from, valid_until, expected):
    assert pricing.offer_is_active(active, valid_from, valid_until, D) is expected


# --- refund shares -------------------------------------------------------------------------

def shares(total, parts, amount):
    out, before = [], 0
    for part in parts:
        out.append(pricing.refund_share(total, before, part, amount))
        before += part
    return out


@pytest.mark.parametrize("total,amount,parts", [
    (11308, 12850, [5000, 5000, 2850]),
    (11308, 12850, [1, 1, 12848]),
    (339, 12850, [3333, 3333, 3333, 2851]),
    (7, 10, [3, 3, 3, 1]),
    (1, 3, [1, 1, 1]),
    (0, 100, [50, 50]),
    (99, 100, [1] * 100),
    (100_000_000, 100_000_000, [33_333_333, 33_333_333, 33_333_334]),
])
def test_refund_shares_sum_to_total(total, amount, parts):
    got = shares(total, parts, amount)
    assert sum(got) == total
    assert all(share >= 0 for share in got)
    # cumulative part after R refunded = floor(total × R / amount)
    cumulative = list(itertools.accumulate(got))
    for r, given_back in zip(itertools.accumulate(parts), cumulative, strict=True):
        assert given_back == total * r // amount


def test_refund_share_example_numbers():
    assert shares(11308, [5000, 5000, 2850], 12850) == [4400, 4400, 2508]
    assert shares(339, [5000, 5000, 2850], 12850) == [131, 132, 76]


@st.composite
def split(draw):
    amount = draw(st.integers(min_value=1, max_value=100_000_000))
    total = draw(st.integers(min_value=0, max_value=amount * 3))
    cuts = [] if amount == 1 else draw(st.lists(
        st.integers(min_value=1, max_value=amount - 1), max_size=8, unique=True))
    points = [0, *sorted(cuts), amount]
    return total, amount, [b - a for a, b in itertools.pairwise(points)]


@given(split())
def test_any_split_gives_back_exactly_the_total(case):
    total, amount, parts = case
    got = shares(total, parts, amount)
    assert sum(got) == total
    assert all(share >= 0 for share in got)
