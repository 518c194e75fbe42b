"""Pure ledger rules: account kinds, transfer codes, and how points are taken from lots."""

from dataclasses import dataclass

MEMBER = "member"
MERCHANT_ISSUED = "merchant_issued"  #: points a merchant gave out (it pays for them)
MERCHANT_REDEEMED = "merchant_redeemed"  #: points spent in a merchant's shop (reimbursed)
ALLIANCE_BREAKAGE = "alliance_breakage"  #: expired points
ALLIANCE_CLAWBACK = "alliance_clawback"  #: reversals the member could not cover yet
ALLIANCE_ADJUSTMENTS = "alliance_adjustments"  #: staff adjustments and opening balances
ALLIANCE_PAYMENTS = "alliance_payments"  #: points earned by paying telecom bills
ALLIANCE_REWARDS = "alliance_rewards"  #: points the alliance gives away (campaigns, programmes)
ALLIANCE_BILLS = "alliance_bills"  #: points members spent on telecom bills (the alliance's cost)

ALLIANCE_OWNER = "alliance"
ACCOUNT_KINDS = frozenset(
    {
        MEMBER,
        MERCHANT_ISSUED,
        MERCHANT_REDEEMED,
        ALLIANCE_BREAKAGE,
        ALLIANCE_CLAWBACK,
        ALLIANCE_ADJUSTMENTS,
        ALLIANCE_PAYMENTS,
        ALLIANCE_REWARDS,
        ALLIANCE_BILLS,
    }
)
#: counterparties whose flows into members count as points issued
ISSUING_KINDS = frozenset(
    {MERCHANT_ISSUED, ALLIANCE_CLAWBACK, ALLIANCE_ADJUSTMENTS, ALLIANCE_PAYMENTS,
     ALLIANCE_REWARDS}
)

ACCRUE, REDEEM, REVERSE, EXPIRE, SETTLE, ADJUST = (
    "ACCRUE", "REDEEM", "REVERSE", "EXPIRE", "SETTLE", "ADJUST",
)
TRANSFER_CODES = frozenset({ACCRUE, REDEEM, REVERSE, EXPIRE, SETTLE, ADJUST})

#: how a member reads a transfer in the history (contract §7)
MEMBER_KINDS = frozenset({"accrue", "redeem", "reverse", "return", "expire", "adjust", "payment",
                          "reward"})

#: why staff may adjust a balance; every adjustment names one (contract §13's codes, and
#: "opening_balance", "fraud" and "campaign" that earlier transfers carry)
ADJUST_REASONS = frozenset(
    {"opening_balance", "goodwill", "correction", "service_compensation", "migration",
     "fraud_reversal", "fraud", "campaign"}
)


@dataclass(frozen=True)
class OpenLot:
    id: int
    remaining: int


def take_from_lots(lots: list[OpenLot], points: int) -> list[tuple[int, int]]:
    """Take points from lots in the order given (soonest-expiring first): [(lot id, taken)]."""
    if points < 0:
        raise ValueError("cannot take a negative number of points")
    taken: list[tuple[int, int]] = []
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            taken.append((lot.id, take))
            left -= take
    if left:
        raise ValueError(f"lots hold {points - left} points, {points} needed")
    return taken


def split_reversal(points: int, available: int) -> tuple[int, int]:
    """Split a reversal into what the member's balance covers now and what stays owed."""
    take = min(points, max(available, 0))
    return take, points - take


def collectable(credit: int, owed: int) -> int:
    """How much of a new credit goes to pay what the member owes."""
    return min(credit, owed)
