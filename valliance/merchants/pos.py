"""Quotes, purchases and refunds at the till (contract §5). Services flush; routes commit."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from valliance.db import insert_ignoring_conflict, today_shanghai, utcnow
from valliance.errors import (
    InsufficientPoints,
    NotFound,
    RedemptionExceedsAmount,
    RedemptionNotAuthorized,
    RefundExceedsPurchase,
)
from valliance.ids import new_id
from valliance.members import cards as codes
from valliance.members import services as members
from valliance.members import tiers
from valliance.members.models import AnnualSpend, Card
from valliance.merchants import pricing
from valliance.merchants.models import Merchant, Offer, Purchase, Refund
from valliance.points import accounts, ledger


@dataclass(frozen=True)
class Quote:
    card: Card
    terms: pricing.OfferTerms | None
    price: pricing.Price
    #: the member's balance after the purchase would be recorded
    points_balance: int


def _active_terms(session: Session, merchant: Merchant, tier: str) -> list[pricing.OfferTerms]:
    if merchant.status != "approved":
        return []
    today = today_shanghai()
    offers = session.scalars(select(Offer).where(Offer.merchant_id == merchant.id,
                                                 Offer.active.is_(True))).all()
    return [pricing.OfferTerms(o.id, o.percent_off_for(tier), o.points_per_yuan, o.created_at)
            for o in offers
            if pricing.offer_is_active(o.active, o.valid_from, o.valid_until, today)]


def quote(session: Session, merchant: Merchant, scanned: str, amount: int,
          redeem_points: int) -> Quote:
    """Price a sale without recording it; raises the contract's errors in its order."""
    card, pay_part = members.find_card(session, scanned)
    members.require_usable(card)
    member = card.member
    multiplier = tiers.multiplier(member.tier)
    point_value = current_app.config["POINT_VALUE_FEN"]
    terms = pricing.best_offer(_active_terms(session, merchant, member.tier), multiplier,
                               point_value)
    balance = accounts.get_balance(session, member.points_account_id)
    if redeem_points > 0:
        if pay_part is None or not codes.pay_code_valid(pay_part, card.pay_secret):
            raise RedemptionNotAuthorized()
        if redeem_points > balance.available:
            raise InsufficientPoints(details={"points_balance": [str(balance.available)]})
    price = pricing.price_purchase(amount, terms, multiplier, 0, point_value)
    if redeem_points * point_value > amount - price.discount:
        raise RedemptionExceedsAmount()
    price = pricing.price_purchase(amount, terms, multiplier, redeem_points, point_value)
    # Points earned first settle what the member owes (ledger rule), so say what will remain.
    owed_paid = min(price.points_earned, balance.owed)
    after = balance.balance - redeem_points + price.points_earned - owed_paid
    return Quote(card, terms, price, after)


def _add_spend(session: Session, member_id: str, fen: int) -> None:
    """Count cash paid at alliance merchants towards the member's annual spend."""
    year = today_shanghai().year
    insert_ignoring_conflict(session.connection(), AnnualSpend.__table__,
                             {"member_id": member_id, "year": year, "telecom_fen": 0,
                              "alliance_fen": 0}, ["member_id", "year"])
    spend = session.scalar(select(AnnualSpend).where(AnnualSpend.member_id == member_id,
                                                     AnnualSpend.year == year)
                           .with_for_update())
    spend.alliance_fen = max(0, spend.alliance_fen + fen)


def record_purchase(session: Session, merchant: Merchant, terminal_id: str | None,
                    scanned: str, amount: int, redeem_points: int,
                    reference: str | None) -> Purchase:
    """Record a sale: the purchase row, the redemption and the accrual in the ledger."""
    priced = quote(session, merchant, scanned, amount, redeem_points)
    member, price = priced.card.member, priced.price
    purchase = Purchase(
        id=new_id("pur"), merchant_id=merchant.id, terminal_id=terminal_id,
        member_id=member.id, card_id=priced.card.id,
        offer_id=priced.terms.offer_id if priced.terms else None, reference=reference,
        tier=member.tier, amount=amount, percent_off=price.percent_off, discount=price.discount,
        redeem_points=price.redeem_points, points_value=price.points_value,
        payable=price.payable, points_earned=price.points_earned, points_balance=0,
        refunded_amount=0, created_at=utcnow())
    session.add(purchase)
    session.flush()
    balance = priced.points_balance  # what the quote foresaw; the ledger's answers confirm it
    if price.redeem_points:
        posting = ledger.redeem(session, member_account=member.points_account_id,
                                merchant_account=merchant.redeemed_account_id,
                                points=price.redeem_points, merchant_id=merchant.id,
                                purchase_id=purchase.id)
        purchase.redemption_transfer_id, balance = posting.transfer_id, posting.balance
    if price.points_earned:
        posting = ledger.accrue(session, member_account=member.points_account_id,
                                source_account=merchant.issued_account_id,
                                points=price.points_earned, merchant_id=merchant.id,
                                purchase_id=purchase.id)
        purchase.accrual_transfer_id, balance = posting.transfer_id, posting.balance
    purchase.points_balance = balance
    _add_spend(session, member.id, price.payable)
    session.flush()
    return purchase


def find_purchase(session: Session, merchant: Merchant, purchase_id: str) -> Purchase:
    """A purchase of this merchant; another merchant's is simply not found (404)."""
    purchase = session.get(Purchase, purchase_id)
    if purchase is None or purchase.merchant_id != merchant.id:
        raise NotFound()
    return purchase


def refund_purchase(session: Session, merchant: Merchant, purchase_id: str,
                    amount: int | None) -> Refund:
    """Refund part or all of a purchase with the cumulative rounding rule of §5."""
    purchase = session.scalar(select(Purchase).where(Purchase.id == purchase_id)
                              .with_for_update())
    if purchase is None or purchase.merchant_id != merchant.id:
        raise NotFound()
    remaining = purchase.amount - purchase.refunded_amount
    amount = remaining if amount is None else amount
    if amount > remaining or remaining == 0:
        raise RefundExceedsPurchase(details={"amount": [f"最多可退 / at most {remaining}"]})
    before = purchase.refunded_amount
    cash = pricing.refund_share(purchase.payable, before, amount, purchase.amount)
    reversed_points = pricing.refund_share(purchase.points_earned, before, amount,
                                           purchase.amount)
    returned = pricing.refund_share(purchase.redeem_points, before, amount, purchase.amount)
    member = session.get(Card, purchase.card_id).member
    balance = accounts.get_balance(session, member.points_account_id).balance
    if reversed_points:
        balance = ledger.reverse(session, purchase.accrual_transfer_id, reversed_points).balance
    if returned:
        balance = ledger.reverse(session, purchase.redemption_transfer_id, returned).balance
    purchase.refunded_amount = before + amount
    refund = Refund(id=new_id("ref"), purchase_id=purchase.id, amount=amount, cash_refund=cash,
                    points_reversed=reversed_points, points_returned=returned,
                    points_balance=balance, created_at=utcnow())
    session.add(refund)
    _add_spend(session, member.id, -cash)
    session.flush()
    return refund
