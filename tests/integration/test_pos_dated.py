"""A purchase or refund recorded afterwards (the demo's history) is dated when it happened,
everywhere it is written: the purchase, its ledger transfers and lots, the annual spend."""

from datetime import UTC, datetime

from sqlalchemy import select

from tests.api.pos_helpers import member, pay_code, shop
from valliance.members.models import AnnualSpend
from valliance.merchants.services import purchases, refunds
from valliance.points.models import Transfer


def _spend(session, member_id: str) -> dict[int, int]:
    return {row.year: row.alliance_fen for row in session.scalars(
        select(AnnualSpend).where(AnnualSpend.member_id == member_id))}


def test_a_purchase_and_its_refund_recorded_with_at_are_dated_then_in_the_ledger_too(session):
    hotpot = shop(session)
    buyer, card = member(session, points=500)
    # New Year's Eve in Shanghai (16:30 UTC is 00:30 on 1 January there): the spend counts
    # for the Shanghai year of the sale, not the year it was recorded in.
    sold = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
    sale = purchases.record_purchase(session, hotpot.merchant, hotpot.terminal.id, pay_code(card),
                                     10_000, 200, None, at=sold)
    refunded = datetime(2026, 1, 2, 4, 0, tzinfo=UTC)
    refund = refunds.refund_purchase(session, hotpot.merchant, sale.id, 5_000, at=refunded)
    session.commit()

    assert sale.created_at == sold and refund.created_at == refunded
    transfers = session.scalars(select(Transfer).where(Transfer.purchase_id == sale.id)
                                .order_by(Transfer.id)).all()
    assert [t.code for t in transfers] == ["REDEEM", "ACCRUE", "REVERSE", "REVERSE"]
    assert [t.created_at for t in transfers] == [sold, sold, refunded, refunded]
    assert sale.accrual_transfer_id == transfers[1].id
    assert sale.redemption_transfer_id == transfers[0].id
    assert _spend(session, buyer.id)[2026] == sale.payable - refund.cash_refund


def test_a_purchase_recorded_without_at_is_dated_now(session):
    hotpot = shop(session)
    _, card = member(session)
    before = datetime.now(UTC)
    sale = purchases.record_purchase(session, hotpot.merchant, None, card.number, 10_000, 0, None)
    session.commit()
    accrual = session.get(Transfer, sale.accrual_transfer_id)
    assert before <= sale.created_at == accrual.created_at <= datetime.now(UTC)
