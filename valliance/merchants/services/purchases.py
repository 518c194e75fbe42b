"""Quotes and purchases at the till (contract §5). Services flush; routes commit.

One function records a sale, sell(), whoever calls it: the POS API and the demo through the
ledger's generic writer (points.InSession), the purchase lane through its one-statement
writer on PostgreSQL (points.AtOnce). The rules — the card's checks, the price, the row, the
answer — are decided here once; the writer only posts them.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial

import psycopg
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from valliance import metrics, points
from valliance.api_keys import key_digest
from valliance.coupons import redeeming as coupons
from valliance.coupons import rules as coupon_rules
from valliance.db import utcnow
from valliance.errors import NotFound
from valliance.ids import new_id
from valliance.members.services import pay_codes
from valliance.merchants.models import Merchant, Purchase
from valliance.merchants.schemas import purchase_answer
from valliance.merchants.services import birthday_points, sale_context
from valliance.merchants.services.sale_context import Quote, SaleContext
from valliance.merchants.signals import purchase_recorded

__all__ = ["Quote", "find_purchase", "key_scope", "quote", "record_purchase", "sell",
           "sell_at_once", "sell_on_postgres", "TRIED_AT_ONCE"]


def key_scope(merchant_id: str) -> str:
    """Idempotency keys are scoped to the merchant: all its terminals share them (§5)."""
    return f"merchant:{merchant_id}"


def context_at(session: Session, merchant: Merchant, scanned: str,
               terminal_id: str | None = None) -> tuple[SaleContext, str | None]:
    """The sale's context at this merchant and the pay code's time part."""
    number, pay_part = sale_context.parse_card(scanned)
    context = sale_context.context_for_merchant(session.connection(), merchant.id, number)
    if terminal_id is not None:  # the terminal's wrong pay codes count against it
        context = replace(context, terminal_id=terminal_id)
    return context, pay_part


def live_terminal_context(conn: Connection, token: str | None, scanned: str
                          ) -> tuple[SaleContext | None, str | None]:
    """The sale's context for a bearer token that is a live terminal's key, else (None, None)."""
    if not token:
        return None, None
    number, pay_part = sale_context.parse_card(scanned)
    return sale_context.context_for_terminal(conn, key_digest(token), number), pay_part


def coupon_for(conn: Connection, code: str | None) -> coupons.CouponTerms | None:
    """The coupon a sale names (an unknown code reads as one that is refused), or None."""
    return coupons.find_for_sale(conn, code) if code else None


def quote(session: Session, merchant: Merchant, scanned: str, amount: int,
          redeem_points: int, terminal_id: str | None = None, *,
          coupon: str | None = None) -> Quote:
    """Price a sale without recording it; raises the contract's errors in its order."""
    context, pay_part = context_at(session, merchant, scanned, terminal_id)
    return sale_context.price_sale(context, pay_part, amount, redeem_points,
                                   coupon_for(session.connection(), coupon))


def sell(sales: points.InSession | points.AtOnce, context: SaleContext, pay_part: str | None,
         amount: int, redeem_points: int, reference: str | None, *,
         at: datetime | None = None, coupon: str | None = None) -> dict:
    """Record a sale: the purchase, the redemption and the accrual; the till's answer.

    at: when the sale happened, for a history recorded afterwards (the demo); default now.
    coupon: its code; a sale with one is the generic writer's (InSession): it is taken
    before the postings, so a sale that lost the race for it writes nothing.
    A sale that may earn a 满就送 coupon is the generic writer's too (AtOnce has no session:
    asking for it raises NotAtOnce before anything is written); the coupons it earns are
    issued after the postings, in the same transaction, and listed in `coupons_issued`.
    """
    terms = coupon_for(sales.session.connection(), coupon) if coupon else None
    priced = sale_context.price_sale(context, pay_part, amount, redeem_points, terms)
    card, price, merchant = priced.card, priced.price, context.merchant
    terms = priced.coupon  # None when it would take nothing off: then it stays active
    at = at or utcnow()
    spent = price.payable + price.points_value
    rule_session = sales.session if context.may_earn_coupon(spent) else None
    if terms is not None:
        coupons.use_coupon(sales.session, terms, member_id=card.member.id, now=at)
    if price.redeem_points:  # the pay code authorizes this redemption and no other
        pay_codes.retire(sales.session, card.id, card.pay_code_uses)
    purchase_id = new_id("pur")
    bonus = None
    if priced.birthday_points:  # the alliance's extra (the generic writer's: AtOnce refuses)
        bonus = birthday_points.credit(sales.session, purchase_id=purchase_id,
                                       member_account=card.member.points_account_id,
                                       extra=priced.birthday_points, now=at)
    row = {
        "id": purchase_id, "merchant_id": merchant.id, "terminal_id": context.terminal_id,
        "member_id": card.member.id, "card_id": card.id,
        "offer_id": priced.terms.offer_id if priced.terms else None, "reference": reference,
        "tier": card.member.tier, "amount": amount, "percent_off": price.percent_off,
        "discount": price.discount, "redeem_points": price.redeem_points,
        "points_value": price.points_value, "payable": price.payable,
        "points_earned": price.points_earned, "refunded_amount": 0,
        "coupon_code": terms.code if terms else None, "coupon_value": price.coupon_value,
        "created_at": at}
    answer = sales.record(points.Sale(
        purchase=row, member_account=card.member.points_account_id,
        issued_account=merchant.issued_account_id,
        redeemed_account=merchant.redeemed_account_id, balance=priced.points_balance,
        answer={**purchase_answer(row, card.last4, priced.points_balance),
                "coupons_issued": []}))
    if bonus is not None:
        birthday_points.record(sales.session, purchase_id=purchase_id, member_id=card.member.id,
                               merchant_id=merchant.id, extra=priced.birthday_points,
                               transfer_id=bonus.transfer_id, now=at)
    if terms is not None:
        coupons.link_purchase(sales.session, terms, purchase_id=row["id"],
                              merchant_id=merchant.id, value=price.coupon_value, now=at)
    if rule_session is not None:
        answer["coupons_issued"] = coupon_rules.issue_for_sale(
            rule_session, member=card.member, merchant_id=merchant.id, spent=spent,
            purchase_id=row["id"], now=at)
    # at once, nobody listens: a member whose sales a programme waits for is the app's
    # (SaleContext.in_app)
    if isinstance(sales, points.InSession):
        purchase_recorded.send(sales.session, purchase=row)
    metrics.count_sale(price.points_earned + (priced.birthday_points or 0), price.redeem_points)
    return answer


def sell_at_once(run: Callable[[str, dict], list], token: str, key: str, fingerprint: str,
                 data: dict) -> dict:
    """Sell on PostgreSQL in one read and one write (points.AtOnce), each its own transaction.

    For the purchase lane: a live terminal's key, an approved merchant, a sale that spends no
    points for a member who owes none and whose sales no programme waits for (in_app), a key
    never seen — anything else raises
    points.NotAtOnce with nothing written, for the app to answer in the contract's order.
    """
    number, pay_part = sale_context.parse_card(data["card"])
    context = sale_context.context_on_postgres(run, key_digest(token), number)
    if (data["redeem_points"] or data.get("coupon") or context is None or context.owed
            or context.birthday_double or context.in_app
            or context.merchant.status != "approved"):
        raise points.NotAtOnce()
    sale_context.name_in_logs(context)
    claim = points.KeyClaim(key_scope(context.merchant.id), key, fingerprint)
    return sell(points.AtOnce(run, claim), context, pay_part, data["amount"], 0,
                data["reference"])


#: set in the WSGI environ once a request's sale has been tried at once (by the lane), so that
#: the API route goes straight to the generic path instead of reading and refusing it again
TRIED_AT_ONCE = "valliance.sale_tried_at_once"


def sell_on_postgres(engine: Engine, token: str, key: str, fingerprint: str, data: dict) -> dict:
    """sell_at_once on a pooled connection of its own, each statement its own transaction.

    For the POS API's purchase route and the purchase lane alike; raises points.NotAtOnce (or
    a domain or database error) with nothing written for the caller's generic path to answer.
    """
    pooled = engine.raw_connection()
    driver = pooled.driver_connection
    try:
        driver.autocommit = True  # each statement its own transaction (points.AtOnce)
        return sell_at_once(partial(points.run, driver), token, key, fingerprint, data)
    finally:
        try:
            driver.autocommit = False  # as the pool's other users expect it
        except psycopg.Error:  # gone, or left mid-statement: the pool makes a new one
            pooled.invalidate()
        pooled.close()


def record_purchase(session: Session, merchant: Merchant, terminal_id: str | None,
                    scanned: str, amount: int, redeem_points: int,
                    reference: str | None, *, at: datetime | None = None,
                    coupon: str | None = None) -> Purchase:
    """Record a sale at this merchant (sell, in the session); the purchase row."""
    context, pay_part = context_at(session, merchant, scanned, terminal_id)
    answer = sell(points.InSession(session), context, pay_part, amount, redeem_points,
                  reference, at=at, coupon=coupon)
    return session.get(Purchase, answer["id"])


def find_purchase(session: Session, merchant: Merchant, purchase_id: str) -> Purchase:
    """A purchase of this merchant; another merchant's is simply not found (404)."""
    purchase = session.get(Purchase, purchase_id)
    if purchase is None or purchase.merchant_id != merchant.id:
        raise NotFound()
    return purchase
