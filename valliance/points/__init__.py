"""The points ledger's public face: what the rest of the app calls (nothing else writes it)."""

from valliance.points.accounts import (
    AVAILABLE,
    BALANCE,
    Balance,
    HistoryEntry,
    HistoryPage,
    LedgerError,
    MerchantAccounts,
    get_balance,
    get_history,
    open_member_account,
    open_member_accounts_in_bulk,
    open_merchant_accounts,
    open_merchant_accounts_in_bulk,
    system_account,
)
from valliance.points.accounts import accounts as accounts_table
from valliance.points.adapters.postgres import fetch, run
from valliance.points.idempotency import (
    Claim,
    StoredResponse,
    claim_key,
    purge_keys,
    request_fingerprint,
    store_response,
)
from valliance.points.ledger import (
    Posting,
    Reversal,
    accrue,
    adjust,
    default_expiry,
    expire_due,
    lock_members,
    redeem,
    reverse,
)
from valliance.points.models import Entry, Transfer
from valliance.points.rules import ALLIANCE_PAYMENTS, MEMBER, MEMBER_KINDS
from valliance.points.sales import AtOnce, InSession, KeyClaim, NotAtOnce, Sale, count_spend
from valliance.points.settlement_queries import (
    cutoff_before,
    first_transfer_time,
    flows_between,
    freeze_ledger_writes,
    last_seq,
    outstanding_at,
)
from valliance.points.verify import Report, verify_ledger

__all__ = [
    "ALLIANCE_PAYMENTS", "AVAILABLE", "BALANCE", "MEMBER", "MEMBER_KINDS", "AtOnce", "Balance",
    "Claim", "Entry", "HistoryEntry", "HistoryPage", "InSession", "KeyClaim", "LedgerError",
    "MerchantAccounts", "NotAtOnce", "Posting", "Report", "Reversal", "Sale", "StoredResponse",
    "Transfer", "accounts_table", "accrue", "adjust", "claim_key", "count_spend",
    "cutoff_before", "default_expiry", "expire_due", "fetch", "first_transfer_time",
    "flows_between", "freeze_ledger_writes", "get_balance", "get_history", "last_seq",
    "lock_members", "open_member_account", "open_member_accounts_in_bulk",
    "open_merchant_accounts", "open_merchant_accounts_in_bulk", "outstanding_at", "purge_keys",
    "redeem", "request_fingerprint", "reverse", "run", "store_response", "system_account",
    "verify_ledger",
]

# The back office's merchant file: net points per account per month.
from valliance.points.periods import net_by_period  # noqa: E402

__all__ += ["net_by_period"]

# The back office's reading of members' points (member care).
from valliance.points.member_view import (  # noqa: E402
    ExpiringPoints,
    expiring_points,
    member_balances,
)

__all__ += ["ExpiringPoints", "expiring_points", "member_balances"]

# The points liability (the back office's finance page).
from valliance.points.liability import Outstanding, expiring_by, outstanding_by  # noqa: E402

__all__ += ["Outstanding", "expiring_by", "outstanding_by"]

# The alliance dashboard's reads (issue #16).
from valliance.points.alliance_figures import (  # noqa: E402
    DayPoints,
    outstanding_points,
    points_by_day,
    shanghai_day,
)

__all__ += ["DayPoints", "outstanding_points", "points_by_day", "shanghai_day"]

# Marketing's segments: member accounts by balance and by points expiring soon.
from valliance.points.segment_reads import (  # noqa: E402
    accounts_with_balance,
    accounts_with_points_expiring,
    points_expiring_by,
)

__all__ += ["accounts_with_balance", "accounts_with_points_expiring", "points_expiring_by"]

# Points the alliance gives away (campaign bonuses, programme rewards: kind "reward").
from valliance.points.rewards import reward  # noqa: E402
from valliance.points.rules import ALLIANCE_REWARDS  # noqa: E402

__all__ += ["ALLIANCE_REWARDS", "reward"]

# Marketing's campaign report: the points a campaign's reward transfers credited.
from valliance.points.transfer_reads import points_of_transfers  # noqa: E402

__all__ += ["points_of_transfers"]

# Points held for a payment, then captured or released (积分抵话费; issue #18).
from valliance.points.hold_models import CAPTURED, PENDING, RELEASED, Hold  # noqa: E402
from valliance.points.hold_reads import (  # noqa: E402
    BillPointsFigures,
    HeldPoints,
    bill_points_figures,
    held_points,
)
from valliance.points.holds import (  # noqa: E402
    HoldState,
    Settled,
    capture,
    expired_holds,
    find_hold,
    hold,
    rehold,
    release,
)

__all__ += ["CAPTURED", "PENDING", "RELEASED", "BillPointsFigures", "HeldPoints", "Hold",
            "HoldState", "Settled", "bill_points_figures", "capture", "expired_holds",
            "find_hold", "held_points", "hold", "rehold", "release"]

# Expiry (issue #18): the rule, the chunked nightly run, and what expires when.
from valliance.points.expiry import last_day  # noqa: E402
from valliance.points.expiry_reads import (  # noqa: E402
    ExpiringLots,
    LotOutcome,
    expired_by_month,
    lot_outcomes,
    lots_expiring,
    upcoming_expiry,
)

__all__ += ["ExpiringLots", "LotOutcome", "expired_by_month", "last_day", "lot_outcomes",
            "lots_expiring", "upcoming_expiry"]
