"""The purchase lane and the app write the same sale: one differential property test.

Every sale is recorded by merchants.services.purchases.sell; the lane and the API route hand
a common sale to the ledger's one-statement writer (points.AtOnce, PostgreSQL), the route
everything else (or every sale, POS_SALE_AT_ONCE=0) to the generic writer
(points.InSession). Three members alike in every way buy the same things at the same shop —
through the lane, through the route at once, through the route's generic writer — and their
answers and rows must be the same: purchases, ledger entries, lots, balances, annual spend,
idempotency keys. Random tiers, offers with tier overrides, amounts, redemptions, points owed
and refunds.
"""

import json
import os
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.api.pos_helpers import PURCHASES, buy, member, pay_code, refund
from tests.conftest import ON_POSTGRES
from valliance import points
from valliance.members.models import TIERS, AnnualSpend
from valliance.merchants.lane import BUG, DATABASE_ERROR, PurchaseLane
from valliance.merchants.models import Purchase
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.terminals import create_terminal
from valliance.points.models import Account, Entry, IdempotencyKey, Lot, Transfer

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="the lane and its one-statement writer run on PostgreSQL only")

EXAMPLES = int(os.environ.get("PURCHASE_PATH_EXAMPLES", "40"))
PERCENTS = ["0", "5", "8.75", "12.5", "30", "88"]

offers = st.lists(st.fixed_dictionaries({
    "percent_off": st.sampled_from(PERCENTS),
    "points_per_yuan": st.integers(0, 6),
    "tier_percent_off": st.dictionaries(st.sampled_from(TIERS), st.sampled_from(PERCENTS),
                                        max_size=2),
}), max_size=3)
sales = st.lists(st.fixed_dictionaries({
    "amount": st.integers(1, 300_000),
    "redeem": st.sampled_from([0, 0, 0, 1, 50, 300, 5_000]),
    "refund": st.none() | st.integers(1, 300_000),
    "refund_all": st.booleans(),
}), min_size=1, max_size=4)
worlds = st.fixed_dictionaries({
    "tier": st.sampled_from(TIERS), "offers": offers, "points": st.sampled_from([0, 80, 2_000]),
    "owed": st.sampled_from([0, 0, 7, 400]), "sales": sales,
})

_shops = count(1)
#: what differs between the two members by construction, not by path
_OWN = {"id", "purchase_id", "created_at", "card_last4"}


def _owe(session, account: int, merchant, owed: int) -> None:
    """Make the member owe `owed` points: an accrual reversed once its points are gone."""
    accrual = points.accrue(session, member_account=account, points=owed,
                            source_account=merchant.issued_account_id, merchant_id=merchant.id)
    points.adjust(session, member_account=account, reason="correction", actor="test",
                  points=-points.get_balance(session, account).available)
    points.reverse(session, accrual.transfer_id, owed)


def _world(session, world):
    merchant = create_merchant(session, name=f"差分商户{next(_shops)}", category="餐饮",
                               district="鹿城镇", approved=True)
    for n, offer in enumerate(world["offers"]):
        create_offer(session, merchant, title=f"优惠{n}", **offer)
    terminal, key = create_terminal(session, merchant)
    session.commit()
    cards = []
    for _ in range(3):
        m, card = member(session, tier=world["tier"], points=world["points"])
        if world["owed"]:
            _owe(session, m.points_account_id, merchant, world["owed"])
            session.commit()
        cards.append(card)
    return merchant, {"Authorization": f"Bearer {key}"}, cards


def _mine(body: dict) -> dict:
    body = {k: v for k, v in body.items() if k not in _OWN}
    if "refunds" in body:
        body["refunds"] = [_mine(r) for r in body["refunds"]]
    return body


def _rows(session, card) -> dict:
    """Everything a sale wrote for this member, without what differs by construction."""
    session.expire_all()
    m = card.member
    account = m.points_account_id
    purchase_columns = [c.name for c in Purchase.__table__.columns
                        if c.name not in {"id", "member_id", "card_id", "created_at",
                                          "accrual_transfer_id", "redemption_transfer_id"}]
    bought = session.scalars(select(Purchase).where(Purchase.member_id == m.id)
                             .order_by(Purchase.created_at)).all()
    entries = session.execute(
        select(Entry.amount, Entry.balance_after, Transfer.code, Transfer.kind, Transfer.reason,
               Transfer.amount, Transfer.reverses_id.is_(None), Transfer.purchase_id.is_(None))
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .where(Entry.account_id == account).order_by(Entry.id)).all()
    lots = session.execute(select(Lot.amount, Lot.remaining).where(Lot.account_id == account)
                           .order_by(Lot.transfer_id)).all()
    balance = session.execute(
        select(Account.credits_posted, Account.debits_posted, Account.debits_pending,
               Account.credits_pending, Account.owed).where(Account.id == account)).one()
    spend = session.execute(select(AnnualSpend.year, AnnualSpend.alliance_fen,
                                   AnnualSpend.telecom_fen)
                            .where(AnnualSpend.member_id == m.id)).all()
    return {"purchases": [{c: getattr(p, c) for c in purchase_columns} for p in bought],
            "refund counts": [len(p.refunds) for p in bought],
            "linked transfers": [(p.accrual_transfer_id is None,
                                  p.redemption_transfer_id is None) for p in bought],
            "entries": [tuple(e) for e in entries], "lots": [tuple(lot) for lot in lots],
            "balance": tuple(balance), "spend": [tuple(s) for s in spend]}


def _stored(session, key: str) -> tuple:
    """An idempotency key's stored answer (parsed: jsonb orders keys its own way)."""
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
    if row is None:
        return (None,)
    return (row.status_code, _mine(json.loads(row.response_body)) if row.response_body else None)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds)
def test_the_lane_and_the_app_write_the_same_sales(app, client, session, monkeypatch, world):
    lane = app.wsgi_app
    assert isinstance(lane, PurchaseLane)
    merchant, headers, (by_lane, by_route, by_app) = _world(session, world)
    shop = type("Shop", (), {"headers": headers})()
    tried = dict(lane.fallbacks)
    for n, sale in enumerate(world["sales"]):
        answers = []
        # the lane; the API route with its one-statement writer; the route's generic writer
        for card, lane_on, at_once in ((by_lane, True, True), (by_route, False, True),
                                       (by_app, False, False)):
            monkeypatch.setitem(app.config, "POS_PURCHASE_LANE", lane_on)
            monkeypatch.setitem(app.config, "POS_SALE_AT_ONCE", at_once)
            session.rollback()
            owed = _owed(session, card)
            scanned = pay_code(card) if sale["redeem"] else card.number
            key = f"{card.number}-{n}"
            before = sum(lane.fallbacks.values())
            sold = buy(client, shop, scanned, sale["amount"], redeem=sale["redeem"], key=key,
                       reference=f"小票{n}")
            if lane_on and not sale["redeem"] and not owed:
                # a sale the lane should answer: it did, nothing was handed over
                assert sold.status_code == 201, sold.get_json()
                assert sum(lane.fallbacks.values()) == before, (sale, dict(lane.fallbacks))
            again = buy(client, shop, scanned, sale["amount"], redeem=sale["redeem"], key=key,
                        reference=f"小票{n}")
            answer = [sold.status_code, _mine(sold.get_json()), again.status_code,
                      _mine(again.get_json())]
            if sold.status_code == 201 and (sale["refund"] or sale["refund_all"]):
                amount = None if sale["refund_all"] else sale["refund"]
                refunded = refund(client, shop, sold.get_json()["id"], amount,
                                  key=f"r-{key}")
                answer += [refunded.status_code, _mine(refunded.get_json())]
                detail = client.get(f"{PURCHASES}/{sold.get_json()['id']}", headers=headers)
                answer.append(_mine(detail.get_json()))
            session.rollback()
            answer.append(_stored(session, key))
            answers.append(answer)
        assert answers[0] == answers[1] == answers[2], sale
    session.rollback()
    assert _rows(session, by_lane) == _rows(session, by_app) == _rows(session, by_route)
    assert lane.fallbacks[BUG] == tried.get(BUG, 0)
    assert lane.fallbacks[DATABASE_ERROR] == tried.get(DATABASE_ERROR, 0)
    assert points.verify_ledger(session).ok


def _owed(session, card) -> int:
    """Points the member owes now (the app collects them first: the lane hands it over)."""
    return session.scalar(select(Account.owed)
                          .where(Account.id == card.member.points_account_id))
