"""How the directory search runs a query — one pass over its matches, or (PostgreSQL) its page
read in the ranking order and a count — never changes what it answers."""

import random

import pytest
from sqlalchemy import event

from tests.integration.test_directory_search import shop
from valliance.directory import search, search_sql, statements
from valliance.directory.entries import entries
from valliance.directory.search import SearchQuery, search_offers


def statements_sent(session, run) -> list[str]:
    sent: list[str] = []
    conn = session.connection()

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(conn, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(conn, "before_cursor_execute", capture)
    return sent


def walked(sent: list[str]) -> bool:
    return any("WITH TIES" in statement for statement in sent)


def answer(session, **query) -> tuple[int, list[str]]:
    total, hits = search_offers(session, SearchQuery(**query))
    return total, [hit.offer.id for hit in hits]


@pytest.fixture
def street(session, monkeypatch):
    """110 shops, 70 of them on 宽街 (kuanjie, kj), ranked in no particular order."""
    monkeypatch.setattr(search, "BROAD_MATCHES", 30)
    monkeypatch.setattr(search, "_plans", search._Plans())
    rng = random.Random(5)
    for i in range(110):
        on_street = i % 11 < 7
        shop(session, f"{'宽街' if on_street else '窄巷'}{rng.choice('甲乙丙丁')}店{i:03d}",
             address="温州市宽街8号" if on_street else "温州市窄巷8号",
             avg_spend=rng.choice([1000, 2000, 3000]),
             percent_off=rng.choice(["0", "5", "8.8", "10", "12.5"]),
             points_per_yuan=rng.choice([0, 1, 2]))
    session.commit()


@pytest.mark.postgres_only
def test_a_broad_search_read_in_the_ranking_order_answers_as_one_pass_did(session, street):
    for q in ("宽", "宽街", "温州市宽街", "kuanjie", "kj", "kuanjei"):
        for tier in ("standard", "gold"):
            pages = [dict(q=q, tier=tier, limit=limit, offset=offset)
                     for limit, offset in ((7, 0), (7, 7), (20, 0), (5, 40))]
            first = [answer(session, **page) for page in pages]  # one pass; the plan is learnt
            assert {total for total, _ in first} == {70}, q
            sent = statements_sent(session, lambda: [answer(session, **page) for page in pages])
            assert walked(sent), q
            assert [answer(session, **page) for page in pages] == first, (q, tier)
            everything = answer(session, q=q, tier=tier, limit=100)  # the last page, walked
            assert everything[0] == len(everything[1]) == 70
            assert [offer for _, page in first[:2] for offer in page] == everything[1][:14]
            assert walked(statements_sent(session, lambda: answer(session, **pages[0])))
            assert answer(session, q=q, tier=tier, offset=500) == (70, [])  # past the end
            assert walked(statements_sent(session, lambda: answer(session, **pages[1])))


@pytest.mark.postgres_only
def test_a_broad_search_whose_page_lies_deeper_is_run_in_one_pass_after_all(session, monkeypatch):
    monkeypatch.setattr(search, "BROAD_MATCHES", 50)
    monkeypatch.setattr(search, "_plans", search._Plans())
    for i in range(150):  # the best offers are elsewhere
        shop(session, f"好店{i:03d}", percent_off=20, points_per_yuan=3)
    for i in range(60):
        shop(session, f"冷巷{i:03d}", percent_off=0, points_per_yuan=0, avg_spend=1000 + i)
    session.commit()
    first = answer(session, q="冷巷", limit=7)
    sent = statements_sent(session, lambda: answer(session, q="冷巷", limit=7))
    assert walked(sent) and answer(session, q="冷巷", limit=7) == first
    assert first[0] == 60
    assert first[1] == answer(session, q="冷巷", limit=100)[1][:7]
    # learnt: not walked again
    assert not walked(statements_sent(session, lambda: answer(session, q="冷巷", limit=7)))


@pytest.mark.postgres_only
def test_the_plain_condition_matches_what_the_indexed_one_does(session, street):
    conn = session.connection()
    for q in ("宽", "宽街", "街8", "kuanjie", "kj", "k", "8", "wzskj"):
        term, = search.keys.query_terms(q)
        query = SearchQuery(q=q)
        counts = []
        for indexed in (True, False):
            match = search_sql.term_match(conn, term, [term.text], indexed)
            form = statements.form(conn, query, 100, [match])
            counts.append(conn.scalar(statements.count(form), statements.values(query, [match])))
        assert counts[0] == counts[1] == len(answer(session, q=q, limit=200)[1]) > 0, q


def test_one_statement_per_form(session):
    conn = session.connection()
    make = [search_sql.term_match(conn, term, [term.text])
            for term in search.keys.query_terms("火锅")]
    other = [search_sql.term_match(conn, term, [term.text])
             for term in search.keys.query_terms("烧烤")]
    query = SearchQuery(q="火锅")
    form = statements.form(conn, query, 100, make)
    assert form == statements.form(conn, SearchQuery(q="烧烤"), 100, other)
    assert statements.text_page(form) is statements.text_page(form)
    assert statements.form(conn, SearchQuery(q="火锅", category="餐饮"), 100, make) != form
    assert entries.name == "directory_entries"


def test_the_plans_are_bounded(monkeypatch):
    plans = search._Plans()
    monkeypatch.setattr(plans, "SIZE", 3)
    for key in "abcd":
        plans.note((key,), walk=True)
    assert plans.walk(("a",)) is None and plans.walk(("d",)) is True
    plans.note(("d",), walk=False)
    assert plans.walk(("d",)) is False and plans.walk(("b",)) is True
