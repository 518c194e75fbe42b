"""RFM scores from real purchases, refunds and bills (through their services), on SQLite and
PostgreSQL: the scores and cells match a hand computation; a re-run replaces the rows; the
`flask rfm score --json` answer."""

import json
from datetime import timedelta

from sqlalchemy import select

from tests.api.pos_helpers import member, shop
from valliance.db import utcnow
from valliance.marketing.models import RFM_CELLS, MemberScore
from valliance.marketing.services import pyramid, rfm
from valliance.merchants.services import purchases, refunds
from valliance.payments.services import member_payments as payments


def _buy(session, hotpot, card, fen, days_ago, now):
    return purchases.record_purchase(session, hotpot.merchant, None, card.number, fen, 0, None,
                                     at=now - timedelta(days=days_ago))


def _pay(session, someone, kind, fen, days_ago, now, refunded=0):
    payment = payments.start_payment(session, someone, kind, fen)
    assert payments.succeed_payment(session, payment, amount=payment.amount,
                                     currency=payment.currency) == payments.APPLIED
    if refunded:
        payments.refund_payment(session, payment, refunded)
    payment.paid_at = now - timedelta(days=days_ago)
    session.flush()


def _history(session, now):
    """Seven members (hand-computed in the comments; n = 5 active)."""
    hotpot = shop(session)
    people = {name: member(session) for name in "ABCDEFG"}
    a, b, c, d, e, f, g = (card for _, card in people.values())
    _buy(session, hotpot, a, 10_000, 1, now)                 # A: 1 day, 2 buys, 30,000 fen
    _buy(session, hotpot, a, 20_000, 5, now)
    sale = _buy(session, hotpot, b, 50_000, 10, now)         # B: 10 days, 1, 30,000 net
    refunds.refund_purchase(session, hotpot.merchant, sale.id, 20_000, at=now)
    _pay(session, people["C"][0], "bill", 5_000, 100, now, refunded=1_000)  # C: 100 d, 2, 5,000
    _buy(session, hotpot, c, 1_000, 200, now)
    gone = _buy(session, hotpot, d, 8_000, 300, now)         # D: refunded in full: not counted
    refunds.refund_purchase(session, hotpot.merchant, gone.id, None, at=now)
    _pay(session, people["D"][0], "bill", 2_000, 50, now)    # D: 50 days, 1, 2,000
    _buy(session, hotpot, e, 100_000, 400, now)              # E: outside the window: no row
    _pay(session, people["F"][0], "vip_fee", None, 3, now)   # F: a VIP fee is not a bill
    for days in (20, 30, 40):                                # G: 20 days, 3, 9,000
        _buy(session, hotpot, g, 3_000, days, now)
    session.commit()
    return {name: someone.id for name, (someone, _) in people.items()}


# R on days 1,10,20,50,100 (A,B,G,D,C): 5,4,3,2,1. F on 2,1,2,1,3: B,D 1; A,C 3; G 5.
# M on 30000,30000,5000,2000,9000: D 1, C 2, G 3, A and B (3 below) 1 + 15//5 = 4.
EXPECTED = {
    "A": (1, 2, 30_000, 5, 3, 4, "important_value"),
    "B": (10, 1, 30_000, 4, 1, 4, "important_develop"),
    "C": (100, 2, 5_000, 1, 3, 2, "general_keep"),
    "D": (50, 1, 2_000, 2, 1, 1, "general_retain"),
    "G": (20, 3, 9_000, 3, 5, 3, "important_value"),
}


def _scores(session) -> dict:
    return {row.member_id: row for row in session.scalars(select(MemberScore))}


def test_scores_and_cells_match_the_hand_computation(session):
    now = utcnow().replace(microsecond=0)
    ids = _history(session, now)
    run = rfm.score_members(session, now=now)
    session.commit()
    assert run.scored == 5
    assert run.cells == {**dict.fromkeys(RFM_CELLS, 0), "important_value": 2,
                         "important_develop": 1, "general_keep": 1, "general_retain": 1}
    got = {name: (s.recency_days, s.frequency, s.monetary_fen, s.r, s.f, s.m, s.cell)
           for name, s in ((n, _scores(session).get(ids[n])) for n in ids) if s}
    assert got == EXPECTED
    assert {s.scored_at for s in _scores(session).values()} == {now}


def test_a_rerun_replaces_the_rows_and_members_no_longer_active_lose_theirs(session):
    now = utcnow().replace(microsecond=0)
    ids = _history(session, now)
    rfm.score_members(session, now=now)
    session.commit()
    later = now + timedelta(days=300)  # C's bill (400 days) and purchase (500) fall out
    run = rfm.score_members(session, now=later)
    session.commit()
    scores = _scores(session)
    assert run.scored == 4 and ids["C"] not in scores
    assert set(scores) == {ids[n] for n in "ABDG"}
    assert {s.scored_at for s in scores.values()} == {later}
    assert scores[ids["A"]].recency_days == 301


def test_nobody_active_scores_nobody(session):
    member(session)
    run = rfm.score_members(session)
    assert run.scored == 0 and set(run.cells.values()) == {0}
    assert _scores(session) == {}


def test_the_value_pyramid_counts_members_and_shares_spend(session):
    now = utcnow().replace(microsecond=0)
    _history(session, now)
    rfm.score_members(session, now=now)
    bands = {band.band: band for band in pyramid.value_pyramid(session)}
    assert list(bands) == ["top1", "next4", "next15", "rest", "none"]
    # 5 spenders: A and B (30,000 each, nobody above) are top1; G (2 above: 40 %) is rest
    assert (bands["top1"].members, bands["top1"].spend_fen) == (2, 60_000)
    assert bands["next4"].members == bands["next15"].members == 0
    assert (bands["rest"].members, bands["rest"].spend_fen) == (3, 16_000)
    assert bands["none"].members == 2 and bands["none"].by_tier["standard"] == 2
    assert bands["top1"].share == round(100 * 60_000 / 76_000, 1)


def test_the_cli_scores_and_answers_in_json(app, session):
    _history(session, utcnow().replace(microsecond=0))
    result = app.test_cli_runner().invoke(args=["rfm", "score", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) == {"scored", "cells"} and answer["scored"] == 5
    assert set(answer["cells"]) == set(RFM_CELLS) and sum(answer["cells"].values()) == 5
    session.expire_all()
    assert len(_scores(session)) == 5


def test_the_pyramid_in_sql_follows_the_rule_band_of_states(session):
    """40 scored members (spend with ties) and 2 unscored, tiers mixed: the SQL's bands,
    counts and spend equal band_of's."""
    tiers = ("standard", "silver", "gold", "diamond")
    spends = [900, 800, 700, 700, 650] + [100 * (i % 6 + 1) for i in range(35)]
    people = [member(session, tier=tiers[i % 4])[0] for i in range(42)]
    now = utcnow()
    for someone, fen in zip(people, spends, strict=False):
        session.add(MemberScore(member_id=someone.id, recency_days=1, frequency=1,
                                monetary_fen=fen, r=1, f=1, m=1, cell="general_retain",
                                scored_at=now))
    session.flush()
    expected = {band: {"members": 0, "fen": 0, "tiers": dict.fromkeys(tiers, 0)}
                for band in pyramid.BAND_ORDER}
    for someone, fen, band in zip(people, spends, pyramid.band_of(spends), strict=False):
        expected[band]["members"] += 1
        expected[band]["fen"] += fen
        expected[band]["tiers"][someone.tier] += 1
    for someone in people[40:]:
        expected["none"]["members"] += 1
        expected["none"]["tiers"][someone.tier] += 1
    got = {b.band: {"members": b.members, "fen": b.spend_fen, "tiers": b.by_tier}
           for b in pyramid.value_pyramid(session)}
    assert got == expected
    # n = 40: 900 top1 (b = 0); 800 next4 (b = 1); 700, 700, 650 and the five 600s (b ≤ 7)
    assert [got[b]["members"] for b in ("top1", "next4", "next15")] == [1, 1, 8]


def test_the_pyramid_is_counted_once_per_run(session):
    someone, card = member(session)
    hotpot = shop(session)
    _buy(session, hotpot, card, 5_000, 1, utcnow())
    rfm.score_members(session)
    first = pyramid.value_pyramid(session)
    assert first[0].by_tier["standard"] == 1
    someone.tier = "gold"  # a tier changed after the run: shown after the next one
    session.flush()
    assert pyramid.value_pyramid(session) is first
    rfm.score_members(session)
    again = pyramid.value_pyramid(session)
    assert again is not first and again[0].by_tier["gold"] == 1
