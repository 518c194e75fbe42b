"""The district filter's grouped query names exactly the members the documented rule names,
worked out here in plain Python from the purchases: ties on the count go to the merchant
bought at last, ties on that to the smaller merchant id; refunds do not matter; members who
never bought have no district."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from sqlalchemy import select

from valliance.marketing.services.segments import (
    members_of,
    most_frequent_merchants,
    parse_filters,
    preview,
)
from valliance.members.services import enroll_member
from valliance.merchants.models import Merchant, Purchase
from valliance.merchants.services import purchases
from valliance.merchants.services.onboarding import create_merchant
from valliance.merchants.services.refunds import refund_purchase

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
#: merchant id → district; the ids make the last tie-break visible (m_a < m_b < m_c < m_d)
SHOPS = {"m_a": "北区", "m_b": "南区", "m_c": "东区", "m_d": "北区"}
#: member → (tier, [(merchant, minutes after T0, refunded in full)])
BOUGHT = {
    "count wins": ("gold", [("m_b", 1, False), ("m_b", 2, False), ("m_a", 50, False)]),
    "tie, latest wins": ("gold", [("m_a", 1, False), ("m_a", 9, False), ("m_c", 3, False),
                                  ("m_c", 10, False)]),
    "tie, latest wins 2": ("silver", [("m_c", 5, False), ("m_b", 6, False)]),
    "tie on both, smaller id": ("gold", [("m_c", 7, False), ("m_b", 7, False)]),
    "three-way tie on both": ("silver", [("m_d", 8, False), ("m_c", 8, False),
                                         ("m_b", 8, False)]),
    "refunds still count": ("silver", [("m_c", 1, True), ("m_c", 2, True), ("m_a", 3, False)]),
    "one purchase": ("standard", [("m_d", 4, False)]),
    "never bought": ("gold", []),
}


def python_rule(rows) -> dict[str, str]:
    """member → their most frequent merchant, from (member, merchant, created_at) rows."""
    groups: dict = defaultdict(lambda: defaultdict(list))
    for member, merchant, at in rows:
        groups[member][merchant].append(at)
    return {member: min(by_merchant, key=lambda m: (-len(by_merchant[m]),
                                                    -max(by_merchant[m]).timestamp(), m))
            for member, by_merchant in groups.items()}


@pytest.fixture
def shoppers(session):
    shops = {shop_id: create_merchant(session, name=f"店{shop_id}", category="餐饮",
                                      district=district, approved=True, merchant_id=shop_id)
             for shop_id, district in SHOPS.items()}
    people = {}
    for n, (key, (tier, bought)) in enumerate(BOUGHT.items()):
        member = enroll_member(session, phone=f"1370000{n:04d}", name=key, tier=tier)
        people[key] = member
        for shop_id, minutes, refunded in bought:
            sale = purchases.record_purchase(session, shops[shop_id], None, member.card.number,
                                             5_000, 0, None, at=T0 + timedelta(minutes=minutes))
            if refunded:
                refund_purchase(session, shops[shop_id], sale.id, None,
                                at=T0 + timedelta(days=1))
    session.commit()
    return people


def test_the_grouped_query_is_the_rule(session, shoppers):
    rows = session.execute(select(Purchase.member_id, Purchase.merchant_id,
                                  Purchase.created_at)).all()
    expected = python_rule(rows)
    by_key = {member.id: key for key, member in shoppers.items()}
    assert {by_key[m]: shop for m, shop in expected.items()} == {
        "count wins": "m_b", "tie, latest wins": "m_c", "tie, latest wins 2": "m_b",
        "tie on both, smaller id": "m_b", "three-way tie on both": "m_b",
        "refunds still count": "m_c", "one purchase": "m_d"}
    assert dict(session.execute(most_frequent_merchants()).all()) == expected


@pytest.mark.parametrize("size", [1, 2])
def test_every_choice_of_districts_names_the_rules_members(session, shoppers, size):
    rows = session.execute(select(Purchase.member_id, Purchase.merchant_id,
                                  Purchase.created_at)).all()
    top = python_rule(rows)
    district_of = dict(session.execute(select(Merchant.id, Merchant.district)).all())
    tiers = {member.id: member.tier for member in shoppers.values()}
    for districts in combinations(sorted(set(SHOPS.values())), size):
        expected = {m for m, shop in top.items() if district_of[shop] in districts}
        filters = parse_filters({"districts": list(districts)})
        assert set(session.scalars(members_of(session, filters))) == expected, districts
        assert preview(session, filters).count == len(expected)
        # with another filter, only the members it leaves are ranked: the same answer
        gold = parse_filters({"districts": list(districts), "tiers": ["gold"]})
        assert set(session.scalars(members_of(session, gold))) == {
            m for m in expected if tiers[m] == "gold"}, districts


def _check_every_district(session, shoppers) -> None:
    rows = session.execute(select(Purchase.member_id, Purchase.merchant_id,
                                  Purchase.created_at)).all()
    top = python_rule(rows)
    district_of = dict(session.execute(select(Merchant.id, Merchant.district)).all())
    tiers = {member.id: member.tier for member in shoppers.values()}
    for size in (1, 2):
        for districts in combinations(sorted(set(SHOPS.values())), size):
            expected = {m for m, shop in top.items() if district_of[shop] in districts}
            filters = parse_filters({"districts": list(districts)})
            assert set(session.scalars(members_of(session, filters))) == expected, districts
            assert preview(session, filters).count == len(expected)
            gold = parse_filters({"districts": list(districts), "tiers": ["gold"]})
            assert set(session.scalars(members_of(session, gold))) == {
                m for m in expected if tiers[m] == "gold"}, districts


def test_after_a_scoring_run_stored_homes_and_later_purchases_still_give_the_rule(
        session, shoppers):
    from valliance.marketing.models import HomeMerchant
    from valliance.marketing.services import rfm

    rfm.score_members(session, now=T0 + timedelta(days=2))
    session.commit()
    assert len(session.scalars(select(HomeMerchant)).all()) == 7  # never bought: no home
    _check_every_district(session, shoppers)
    # purchases after the run move two members' homes: they are ranked live
    shops = {m.id: m for m in session.scalars(select(Merchant))}
    later = T0 + timedelta(days=3)
    for key, shop, times in (("count wins", "m_c", 3), ("never bought", "m_a", 1)):
        for i in range(times):
            purchases.record_purchase(session, shops[shop], None,
                                      shoppers[key].card.number, 5_000, 0, None,
                                      at=later + timedelta(minutes=i))
    session.commit()
    _check_every_district(session, shoppers)
