"""Settlement's verbs, one module each: periods, closing, reconciling, reading statements and
paying what they say is owed. Callers use this package: `services.close_period(...)`."""

from valliance.settlement.services.closing import (
    ClosePlan,
    close_period,
    next_to_close,
    period_over,
    period_totals,
    preview_close,
)
from valliance.settlement.services.paying import (
    ALREADY_PAID,
    PAID,
    WRONG_AMOUNT,
    apply_stripe_checkout,
    collection_due,
    mark_payout_paid,
    pay_collection_from_stripe,
    payout_of,
    record_statement_checkout,
)
from valliance.settlement.services.periods import (
    PERIOD,
    SettlementRefused,
    closed_period,
    closed_periods,
    last_closed,
    parse_period,
    period_bounds,
    period_of,
)
from valliance.settlement.services.reconciling import Reconciliation, reconcile
from valliance.settlement.services.statements import (
    merchant_names,
    period_statements,
    period_statements_named,
    statement_named,
    statement_of,
    statements_of,
)

__all__ = [
    "ALREADY_PAID", "PAID", "PERIOD", "WRONG_AMOUNT", "ClosePlan", "Reconciliation",
    "SettlementRefused", "apply_stripe_checkout", "close_period", "closed_period",
    "closed_periods", "collection_due", "last_closed", "mark_payout_paid", "merchant_names",
    "next_to_close", "parse_period", "pay_collection_from_stripe", "payout_of",
    "period_bounds", "period_of", "period_over", "period_statements", "period_statements_named",
    "period_totals", "preview_close", "reconcile", "record_statement_checkout",
    "statement_named", "statement_of", "statements_of",
]
