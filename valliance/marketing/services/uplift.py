"""A campaign's uplift: how much more often the members it reached bought than the members it
held out, with the 95 % Agresti–Caffo confidence interval of that difference of two
proportions: the Wald interval on each group with one buyer and one non-buyer added, which
keeps its promised coverage with small groups and rates of 0 % or 100 % (plain Wald shrinks to
a point there and calls 50 of 1,000 against 0 of 3 a significant rise).

Rates are in percent and the uplift and its interval in percentage points. Every figure is
rounded once, here, to one decimal (half away from zero), from the exact value: the rates
from the exact fractions, the uplift from the exact difference (so it can differ by 0.1 from
the difference of the rounded rates), the interval's ends from the adjusted difference
± z × its standard error. The verdict reads the rounded interval, so it matches what is shown.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

#: the verdicts: the whole interval above zero, below zero, or zero inside it
POSITIVE, NOT_SIGNIFICANT, NEGATIVE = "positive", "not_significant", "negative"


@dataclass(frozen=True)
class Uplift:
    #: percent of the reached members who bought (None: nobody reached)
    target_rate: float | None
    #: percent of the held-out members who bought (None: no control group)
    control_rate: float | None
    #: target_rate − control_rate, percentage points (None when either group is empty)
    uplift_points: float | None
    #: the 95 % confidence interval of the uplift, percentage points
    low: float | None
    high: float | None

    @property
    def verdict(self) -> str | None:
        """positive, negative or not_significant (None without an uplift)."""
        if self.low is None or self.high is None:
            return None
        if self.low > 0:
            return POSITIVE
        if self.high < 0:
            return NEGATIVE
        return NOT_SIGNIFICANT


def one_decimal(value: Fraction | float) -> float:
    """Round to one decimal, half away from zero (the one rounding of this module)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(
        value, Fraction) else Decimal(repr(value))
    # + 0.0: a difference that rounds to nothing is 0.0, never -0.0
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) + 0.0


def uplift(buyers: int, reached: int, control_buyers: int, control: int,
           z: float = 1.96) -> Uplift:
    """The rates, the uplift and its interval (None fields where a group is empty)."""
    if not 0 <= buyers <= reached or not 0 <= control_buyers <= control:
        raise ValueError("buyers must be between 0 and the size of their group")
    target = Fraction(buyers, reached) if reached else None
    held = Fraction(control_buyers, control) if control else None
    target_rate = one_decimal(100 * target) if target is not None else None
    control_rate = one_decimal(100 * held) if held is not None else None
    if target is None or held is None:
        return Uplift(target_rate, control_rate, None, None, None)
    # Agresti–Caffo: each group with one buyer and one non-buyer more
    p1, p2 = Fraction(buyers + 1, reached + 2), Fraction(control_buyers + 1, control + 2)
    centre = float(p1 - p2)
    error = math.sqrt(p1 * (1 - p1) / (reached + 2) + p2 * (1 - p2) / (control + 2))
    # a difference of two rates lies within ±100 points
    return Uplift(target_rate, control_rate, one_decimal(100 * (target - held)),
                  one_decimal(100 * max(-1.0, centre - z * error)),
                  one_decimal(100 * min(1.0, centre + z * error)))
