"""Issue #18 — a till's refund gives redeemed points back into the lots they were spent from,
with those lots' own expiry (before: a fresh lot with full validity)."""

from datetime import timedelta

from sqlalchemy import select

from tests.api.pos_helpers import buy, member, pay_code, refund, shop
from valliance.db import utcnow
from valliance.points import accounts, ledger
from valliance.points.models import Lot
from valliance.points.verify import verify_ledger


def test_a_full_refund_puts_the_points_back_into_their_lots(app, client, session):
    till = shop(session)
    person, card = member(session, points=1000)  # an opening balance: the year-end rule
    issued = accounts.open_merchant_accounts(session, till.merchant.id).issued
    soon = utcnow() + timedelta(days=12)
    ledger.accrue(session, member_account=person.points_account_id, source_account=issued,
                  points=250, expires_at=soon)
    session.commit()
    account = person.points_account_id
    before = {lot.transfer_id: (lot.remaining, lot.expires_at) for lot in
              session.scalars(select(Lot).where(Lot.account_id == account))}

    sale = buy(client, till, pay_code(card), 10000, redeem=600)
    assert sale.status_code == 201, sale.get_json()
    session.expire_all()
    spent = {lot.transfer_id: lot.remaining for lot in
             session.scalars(select(Lot).where(Lot.account_id == account,
                                               Lot.transfer_id.in_(before)))}
    soon_lot = min(before, key=lambda t: before[t][1])
    assert spent[soon_lot] == 0  # the soonest-expiring lot went first: 250, then 350

    back = refund(client, till, sale.get_json()["id"])
    assert back.status_code == 201, back.get_json()
    session.expire_all()
    after = {lot.transfer_id: (lot.remaining, lot.expires_at) for lot in
             session.scalars(select(Lot).where(Lot.account_id == account,
                                               Lot.transfer_id.in_(before)))}
    assert after == before  # every point back where it was, with its own date
    new_lots = session.scalars(select(Lot).where(Lot.account_id == account,
                                                 Lot.transfer_id.not_in(before))).all()
    assert [(lot.amount, lot.remaining) for lot in new_lots] == [
        (sale.get_json()["points_earned"], 0)]  # the accrual, reversed by the refund
    assert accounts.get_balance(session, account).balance == 1250
    assert verify_ledger(session).ok
