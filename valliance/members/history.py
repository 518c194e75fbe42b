"""What each row of the member's points history was for: the merchant, the purchase, the bill.

One query per page (the page's entry ids), joined to merchants, purchases and payments, so a
page of twenty rows costs the same whatever it holds.
"""

from dataclasses import dataclass

from sqlalchemy import and_, column, or_, select, table
from sqlalchemy.orm import Session

from valliance.merchants.models import Merchant, Purchase
from valliance.money import format_yuan
from valliance.points import Entry, Transfer

# The payments package imports members; reading its table by name keeps members from
# importing it back (no package cycle).
PAYMENTS = table("payments", column("member_id"), column("kind"), column("amount"),
                 column("accrual_transfer_id"))

PAYMENT_LABELS = {"bill": ("话费缴纳", "Telecom bill"), "vip_fee": ("VIP年费", "VIP annual fee")}


@dataclass(frozen=True)
class EntryDetail:
    merchant: str | None
    #: the purchase's amount in fen, for rows of a purchase (its points, a refund's reversal)
    purchase_fen: int | None
    #: "bill" or "vip_fee", for rows of a payment (its points, a refund's reversal)
    payment_kind: str | None
    payment_fen: int | None


def entry_details(session: Session, member_id: str, entry_ids: list[int]) -> dict[int, EntryDetail]:
    """The details of these entries of the member's history, by entry id (one query)."""
    if not entry_ids:
        return {}
    payment = PAYMENTS.c
    paid = and_(payment.member_id == member_id,
                or_(payment.accrual_transfer_id == Transfer.id,
                    payment.accrual_transfer_id == Transfer.reverses_id))
    rows = session.execute(
        select(Entry.id, Merchant.name, Purchase.amount, payment.kind, payment.amount)
        .select_from(Entry)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .outerjoin(Merchant, Merchant.id == Transfer.merchant_id)
        .outerjoin(Purchase, Purchase.id == Transfer.purchase_id)
        .outerjoin(PAYMENTS, paid)
        .where(Entry.id.in_(entry_ids)))
    return {row[0]: EntryDetail(*row[1:]) for row in rows}


def describe(detail: EntryDetail | None, tr) -> str:
    """One line for a history row: "老王火锅 · 消费 ¥128.50", "话费缴纳 ¥100.00" or ""."""
    if detail is None:
        return ""
    if detail.payment_kind:
        zh, en = PAYMENT_LABELS.get(detail.payment_kind, (detail.payment_kind,) * 2)
        return f"{tr(zh, en)} {format_yuan(detail.payment_fen)}"
    parts = [detail.merchant] if detail.merchant else []
    if detail.purchase_fen is not None:
        parts.append(f"{tr('消费', 'purchase')} {format_yuan(detail.purchase_fen)}")
    return " · ".join(parts)
