"""Tiers by annual spend (contract §4): thresholds and multipliers come from configuration."""

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app, has_app_context

from valliance.i18n import N_

DEFAULT_THRESHOLDS = {"silver": 360000, "gold": 600000, "diamond": 960000}
DEFAULT_MULTIPLIERS = {
    "standard": Decimal("1.0"), "silver": Decimal("1.2"), "gold": Decimal("1.5"),
    "diamond": Decimal("2.0"),
}
TIER_ORDER = ("standard", "silver", "gold", "diamond")
TIER_NAMES_ZH = {
    "standard": N_("普通卡"),
    "silver": N_("银卡"),
    "gold": N_("金卡"),
    "diamond": N_("钻石卡"),
}


def thresholds() -> dict[str, int]:
    """Annual spend (fen) at which each tier starts."""
    if has_app_context():
        return current_app.config.get("TIER_THRESHOLDS", DEFAULT_THRESHOLDS)
    return DEFAULT_THRESHOLDS


def multiplier(tier: str) -> Decimal:
    """The points multiplier of a tier."""
    table = DEFAULT_MULTIPLIERS
    if has_app_context():
        table = current_app.config.get("TIER_MULTIPLIERS", DEFAULT_MULTIPLIERS)
    return Decimal(table[tier])


def tier_for_spend(spend_fen: int) -> str:
    """The highest tier whose threshold the spend reaches."""
    reached = "standard"
    limits = thresholds()
    for tier in TIER_ORDER[1:]:
        if spend_fen >= limits[tier]:
            reached = tier
    return reached


@dataclass(frozen=True)
class Progress:
    next_tier: str | None
    #: fen still to spend this year to reach next_tier
    remaining_fen: int
    #: 0–100, for a progress bar
    percent: int


def progress(current_tier: str, spend_fen: int) -> Progress:
    """How far this year's spend is from the next tier above the current one."""
    limits = thresholds()
    position = TIER_ORDER.index(current_tier)
    for tier in TIER_ORDER[position + 1:]:
        if spend_fen < limits[tier]:
            percent = min(100, spend_fen * 100 // limits[tier])
            return Progress(tier, limits[tier] - spend_fen, percent)
    return Progress(None, 0, 100)
