"""Quotes, purchases and refunds at the till (contract §5). Services flush; routes commit."""

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from valliance.db import SHANGHAI, today_shanghai, utcnow
from valliance.errors import NotFound, RefundExceedsPurchase
from valliance.ids import new_id
from valliance.members.models import AnnualSpend, Card
from valliance.members.services import pay_codes
from valliance.merchants import pos_context, pricing
from valliance.merchants.models import Merchant, Purchase, Refund
from valliance.merchants.pos_context import Quote
from valliance.money import format_yuan
from valliance.points import accounts, ledger

spend_table = AnnualSpend.__table__

__all__ = ["Quote", "find_purchase", "quote", "record_purchase", "refund_purchase"]


def quote(session: Session, merchant: Merchant, scanned: str, amount: int,
          redeem_points: int, terminal_id: str | None = None) -> Quote:
    """Price a sale without recording it; raises the contract's errors in its order."""
    number, pay_part = pos_context.parse_card(scanned)
    context = pos_context.context_for_merchant(session.connection(), merchant.id, number)
    if terminal_id is not None:  # the terminal's wrong pay codes count against it
        context = replace(context, terminal_id=terminal_id)
    return pos_context.price_sale(context, pay_part, amount, redeem_points)


def add_spend(session: Session, member_id: str, fen: int, *, at: datetime | None = None
              ) -> None:
    """Count cash paid at alliance merchants towards the member's annual spend (net, ≥ 0)."""
    conn = session.connection()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    year = at.astimezone(SHANGHAI).year if at else today_shanghai().year
    statement = insert(spend_table).values(
        member_id=member_id, year=year, telecom_fen=0, alliance_fen=max(0, fen))
    # One statement: the upsert locks the member's row for the year, so refunds and purchases
    # of one member on two tills add up instead of overwriting each other.
    conn.execute(statement.on_conflict_do_update(
        index_elements=["member_id", "year"],
        set_={"alliance_fen": func.max(0, spend_table.c.alliance_fen + fen)
              if conn.dialect.name == "sqlite"
              else func.greatest(0, spend_table.c.alliance_fen + fen)}))


def record_purchase(session: Session, merchant: Merchant, terminal_id: str | None,
                    scanned: str, amount: int, redeem_points: int,
                    reference: str | None, *, at: datetime | None = None) -> Purchase:
    """Record a sale: the purchase row, the redemption and the accrual in the ledger.

    at: when the sale happened, for a history recorded afterwards (the demo); default now.
    """
    priced = quote(session, merchant, scanned, amount, redeem_points, terminal_id)
    at = at or utcnow()
    member, price = priced.card.member, priced.price
    if price.redeem_points:  # the pay code authorizes this redemption and no other
        pay_codes.retire(session, priced.card.id, priced.card.pay_code_uses)
    purchase = Purchase(
        id=new_id("pur"), merchant_id=merchant.id, terminal_id=terminal_id,
        member_id=member.id, card_id=priced.card.id,
        offer_id=priced.terms.offer_id if priced.terms else None, reference=reference,
        tier=member.tier, amount=amount, percent_off=price.percent_off, discount=price.discount,
        redeem_points=price.redeem_points, points_value=price.points_value,
        payable=price.payable, points_earned=price.points_earned, points_balance=0,
        refunded_amount=0, created_at=at)
    session.add(purchase)
    session.flush()
    balance = priced.points_balance  # what the quote foresaw; the ledger's answers confirm it
    if price.redeem_points:
        posting = ledger.redeem(session, member_account=member.points_account_id,
                                merchant_account=merchant.redeemed_account_id,
                                points=price.redeem_points, merchant_id=merchant.id,
                                purchase_id=purchase.id, now=at)
        purchase.redemption_transfer_id, balance = posting.transfer_id, posting.balance
    if price.points_earned:
        posting = ledger.accrue(session, member_account=member.points_account_id,
                                source_account=merchant.issued_account_id,
                                points=price.points_earned, merchant_id=merchant.id,
                                purchase_id=purchase.id, now=at)
        purchase.accrual_transfer_id, balance = posting.transfer_id, posting.balance
    purchase.points_balance = balance
    add_spend(session, member.id, price.payable, at=at)
    session.flush()
    return purchase


def find_purchase(session: Session, merchant: Merchant, purchase_id: str) -> Purchase:
    """A purchase of this merchant; another merchant's is simply not found (404)."""
    purchase = session.get(Purchase, purchase_id)
    if purchase is None or purchase.merchant_id != merchant.id:
        raise NotFound()
    return purchase


def _refund_exceeds(remaining: int) -> RefundExceedsPurchase:
    """The refused refund, saying in yuan what can still be refunded (people read it)."""
    if remaining == 0:
        limit = "已全部退款，没有可退金额 / Already refunded in full: nothing left to refund"
    else:
        left = format_yuan(remaining)
        limit = f"最多可退 {left} / At most {left} can be refunded"
    zh, _, en = limit.partition(" / ")
    return RefundExceedsPurchase(
        f"退款超过剩余金额，{zh} / Refund exceeds what remains: {en[0].lower()}{en[1:]}",
        details={"amount": [limit]})


def refund_purchase(session: Session, merchant: Merchant, purchase_id: str,
                    amount: int | None, *, at: datetime | None = None) -> Refund:
    """Refund part or all of a purchase with the cumulative rounding rule of §5.

    at: when the refund happened, for a history recorded afterwards (the demo); default now.
    """
    at = at or utcnow()
    purchase = session.scalar(select(Purchase).where(Purchase.id == purchase_id)
                              .with_for_update())
    if purchase is None or purchase.merchant_id != merchant.id:
        raise NotFound()
    remaining = purchase.amount - purchase.refunded_amount
    amount = remaining if amount is None else amount
    if amount > remaining or remaining == 0:
        raise _refund_exceeds(remaining)
    before = purchase.refunded_amount
    cash = pricing.refund_share(purchase.payable, before, amount, purchase.amount)
    reversed_points = pricing.refund_share(purchase.points_earned, before, amount,
                                           purchase.amount)
    returned = pricing.refund_share(purchase.redeem_points, before, amount, purchase.amount)
    member = session.get(Card, purchase.card_id).member
    balance = accounts.get_balance(session, member.points_account_id).balance
    if reversed_points:
        balance = ledger.reverse(session, purchase.accrual_transfer_id, reversed_points,
                                 now=at).balance
    if returned:
        balance = ledger.reverse(session, purchase.redemption_transfer_id, returned,
                                 now=at).balance
    purchase.refunded_amount = before + amount
    refund = Refund(id=new_id("ref"), purchase_id=purchase.id, amount=amount, cash_refund=cash,
                    points_reversed=reversed_points, points_returned=returned,
                    points_balance=balance, created_at=at)
    session.add(refund)
    add_spend(session, member.id, -cash, at=at)
    session.flush()
    return refund
