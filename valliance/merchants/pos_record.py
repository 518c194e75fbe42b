"""A purchase in two statements on PostgreSQL: the POS hot path (contract §5).

One SELECT reads everything the sale depends on (pos_context: the live terminal, its
merchant and offers, the card, the member and the balance); one data-modifying statement
writes everything it changes: the idempotency key with its stored answer, the member's credit
with its transfer, entries and lot (the ledger's CTEs, points.postgres), the purchase and the
member's annual spend. The write is all or nothing by construction — every part of it hangs
on the key's claim — so it runs as a transaction of its own: no BEGIN and COMMIT round trips,
and the request still commits exactly once.

Only the common case takes this path: a live terminal of an approved merchant, a sale that
earns points or not but spends none, a member who owes nothing, a key never seen. Everything
else raises Fallback with nothing written, and the purchase lane (pos_lane), its caller, hands
the request to the app's generic path (idempotency.claim_key, then pos.record_purchase), which
checks in the contract's order — credential, merchant status, body, idempotency, card,
business rules — and so gives every error and every replay exactly as before.

Exactly once: a second request with the same key waits for the first one's lock on the
member row (or on the key), then finds the key taken and writes nothing; the generic path
replays the first answer (or answers 409 for another body).
"""

import json
from collections.abc import Callable
from types import SimpleNamespace

from sqlalchemy.engine import Connection

from valliance.api_keys import key_digest
from valliance.db import today_shanghai, utcnow
from valliance.errors import VallianceError
from valliance.ids import new_id
from valliance.merchants import pos_context
from valliance.merchants.pos_json import purchase_json
from valliance.points import postgres
from valliance.points.ledger import default_expiry
from valliance.points.rules import ACCRUE

# Composed of constant fragments only, never of input (hence the noqa).
PURCHASE_SQL = f"""
WITH {postgres.CLAIMED_CREDIT_CTES},
purchase AS (
    INSERT INTO purchases (id, merchant_id, terminal_id, member_id, card_id, offer_id,
                           reference, tier, amount, percent_off, discount, redeem_points,
                           points_value, payable, points_earned, points_balance,
                           refunded_amount, accrual_transfer_id, created_at)
    SELECT %(purchase_id)s, %(merchant_id)s, %(terminal_id)s, %(member_id)s, %(card_id)s,
           %(offer_id)s, %(reference)s, %(tier)s, %(amount)s, %(percent_off)s, %(discount)s,
           0, 0, %(payable)s, %(points)s, locked.balance + %(points)s, 0,
           (SELECT id FROM transfer), %(now)s
    FROM claim, locked
), spend AS (
    INSERT INTO annual_spend (member_id, year, telecom_fen, alliance_fen)
    SELECT %(member_id)s, %(year)s, 0, %(payable)s FROM claim
    ON CONFLICT (member_id, year)
    DO UPDATE SET alliance_fen = GREATEST(0, annual_spend.alliance_fen + EXCLUDED.alliance_fen)
)
SELECT (SELECT id FROM claim), locked.balance + %(points)s FROM locked
"""  # noqa: S608


class Fallback(Exception):
    """Answer this request through the generic path (this one has written nothing)."""


def key_scope(merchant_id: str) -> str:
    """Idempotency keys are scoped to the merchant: all its terminals share them (§5)."""
    return f"merchant:{merchant_id}"


def live_terminal_context(conn: Connection, token: str | None, scanned: str
                          ) -> tuple[pos_context.SaleContext | None, str | None]:
    """The sale's context for a bearer token that is a live terminal's key, else (None, None)."""
    if not token:
        return None, None
    number, pay_part = pos_context.parse_card(scanned)
    return pos_context.context_for_terminal(conn, key_digest(token), number), pay_part


def sell(fetch: Callable[[str, dict], list], token: str | None, scope_key: str,
         fingerprint: str, data: dict) -> dict:
    """Record a sale once per key on PostgreSQL (a read, then one write); its answer.

    fetch(sql, params) → rows runs each statement as a transaction of its own. Raises
    Fallback (see above).
    """
    if not token or data["redeem_points"]:
        raise Fallback()
    number, pay_part = pos_context.parse_card(data["card"])
    context = pos_context.context_on_postgres(fetch, key_digest(token), number)
    if context is None or context.owed or context.merchant.status != "approved":
        raise Fallback()  # (the app answers 403 merchant_not_active for a merchant not approved)
    try:
        quote = pos_context.price_sale(context, pay_part, data["amount"], 0)
    except VallianceError as exc:  # the generic path answers it, after the idempotency check
        raise Fallback() from exc
    card, price, merchant = quote.card, quote.price, context.merchant
    now = utcnow()
    # The purchase's fields, as the row will hold them (a plain namespace: an ORM object
    # costs ~30 µs to build and would only be rendered).
    purchase = SimpleNamespace(
        id=new_id("pur"), merchant_id=merchant.id, terminal_id=context.terminal_id,
        member_id=card.member.id, card_id=card.id,
        offer_id=quote.terms.offer_id if quote.terms else None, reference=data["reference"],
        tier=card.member.tier, amount=data["amount"], percent_off=price.percent_off,
        discount=price.discount, redeem_points=0, points_value=0, payable=price.payable,
        points_earned=price.points_earned, points_balance=0, refunded_amount=0,
        created_at=now)
    body = purchase_json(purchase, card.last4)
    params = postgres.credit_params(
        member=card.member.points_account_id, source=merchant.issued_account_id,
        points=price.points_earned, code=ACCRUE, kind="accrue", now=now,
        expires_at=default_expiry(now),
        links={"purchase_id": purchase.id, "merchant_id": merchant.id})
    params.update(
        scope=key_scope(merchant.id), key=scope_key, request_hash=fingerprint, status=201,
        response=json.dumps(body, ensure_ascii=False), terminal_id=context.terminal_id,
        member_id=card.member.id, card_id=card.id, offer_id=purchase.offer_id,
        reference=purchase.reference, tier=purchase.tier, amount=purchase.amount,
        percent_off=price.percent_off, discount=price.discount, payable=price.payable,
        year=today_shanghai().year)
    rows = fetch(PURCHASE_SQL, params)
    if not rows or rows[0][0] is None:
        # Nothing was written: the key is taken, or the member came to owe points since the
        # read (a refund on another till; the generic path collects what is owed first).
        raise Fallback()
    body["points_balance"] = rows[0][1]
    return body
