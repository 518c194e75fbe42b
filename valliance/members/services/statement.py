"""What a member reads: the card, tier and points, and the points history with what each row
was for (the merchant, the purchase, the bill).

A page of history costs the same number of queries whatever it holds: one for the page, one
joining its entries to their transfers and payments, and the merchants package's reading of
the page's merchants and purchases (members.merchant_side).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, column, or_, select, table
from sqlalchemy.orm import Session

from valliance.members.merchant_side import merchant_side
from valliance.members.models import Card, Member
from valliance.points import Entry, Transfer, accounts

# The payments package imports members; reading its table by name keeps members from
# importing it back (no package cycle).
PAYMENTS = table("payments", column("member_id"), column("kind"), column("amount"),
                 column("accrual_transfer_id"))


@dataclass(frozen=True)
class Points:
    balance: int
    #: points still owed after a refund
    owed: int
    #: membership frozen: no earning, no spending
    frozen: bool


@dataclass(frozen=True)
class Summary:
    member: Member
    card: Card | None
    tier: str
    points: Points


def summary(session: Session, member: Member) -> Summary:
    """The member, the current card, the tier and the points."""
    balance = accounts.get_balance(session, member.points_account_id)
    return Summary(member, member.card, member.tier,
                   Points(balance.balance, balance.owed, member.points_frozen))


@dataclass(frozen=True)
class MerchantRef:
    id: str
    name: str | None


@dataclass(frozen=True)
class Line:
    """One row of the history as the member app shows it."""

    id: int
    kind: str
    points: int
    balance_after: int
    merchant: MerchantRef | None
    created_at: datetime


@dataclass(frozen=True)
class LedgerPage:
    lines: list[Line]
    #: pass as `before` for the next (older) page; None on the last page
    next_before: int | None


def ledger_page(session: Session, member: Member, *, limit: int, before: int | None,
                kinds: frozenset[str] | None) -> LedgerPage:
    """One page of the member's history, newest first, each row with its merchant's name."""
    page = accounts.get_history(session, member.points_account_id, limit=limit, before=before,
                                kinds=kinds)
    merchant_ids = {e.merchant_id for e in page.entries if e.merchant_id}
    names = (merchant_side().read_purchases(session, merchant_ids, set()).merchant_names
             if merchant_ids else {})
    lines = [Line(e.id, e.kind, e.points, e.balance_after,
                  MerchantRef(e.merchant_id, names.get(e.merchant_id)) if e.merchant_id else None,
                  e.created_at)
             for e in page.entries]
    return LedgerPage(lines, page.next_before)


@dataclass(frozen=True)
class EntryDetail:
    merchant: str | None
    #: the purchase's amount in fen, for rows of a purchase (its points, a refund's reversal)
    purchase_fen: int | None
    #: "bill" or "vip_fee", for rows of a payment (its points, a refund's reversal)
    payment_kind: str | None
    payment_fen: int | None


def entry_details(session: Session, member_id: str, entry_ids: list[int]) -> dict[int, EntryDetail]:
    """The details of these entries of the member's history, by entry id."""
    if not entry_ids:
        return {}
    payment = PAYMENTS.c
    paid = and_(payment.member_id == member_id,
                or_(payment.accrual_transfer_id == Transfer.id,
                    payment.accrual_transfer_id == Transfer.reverses_id))
    rows = session.execute(
        select(Entry.id, Transfer.merchant_id, Transfer.purchase_id, payment.kind,
               payment.amount)
        .select_from(Entry)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .outerjoin(PAYMENTS, paid)
        .where(Entry.id.in_(entry_ids))).all()
    merchant_ids = {merchant_id for _, merchant_id, *_ in rows if merchant_id}
    purchase_ids = {purchase_id for _, _, purchase_id, *_ in rows if purchase_id}
    known = merchant_side().read_purchases(session, merchant_ids, purchase_ids)
    return {entry_id: EntryDetail(known.merchant_names.get(merchant_id),
                                  known.amounts.get(purchase_id), kind, amount)
            for entry_id, merchant_id, purchase_id, kind, amount in rows}
