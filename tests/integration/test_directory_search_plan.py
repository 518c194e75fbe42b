"""The directory search runs one plan per engine: what it sends depends on the query alone,
never on what the process answered before, and every page is a slice of one order."""

import random

import pytest
from sqlalchemy import event

from tests.integration.test_directory_search import shop
from valliance.directory import search, terms
from valliance.directory.models import documents
from valliance.directory.search import SearchQuery, engine_of, search_offers, statements
from valliance.members.models import TIERS


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


def answer(session, **query) -> tuple[int, list[str]]:
    total, hits = search_offers(session, SearchQuery(**query))
    return total, [hit.offer.id for hit in hits]


@pytest.fixture
def street(session):
    """110 shops, 70 of them on 宽街 (kuanjie, kj), ranked in no particular order."""
    rng = random.Random(5)
    for i in range(110):
        on_street = i % 11 < 7
        shop(session, f"{'宽街' if on_street else '窄巷'}{rng.choice('甲乙丙丁')}店{i:03d}",
             address="温州市宽街8号" if on_street else "温州市窄巷8号",
             avg_spend=rng.choice([1000, 2000, 3000]),
             percent_off=rng.choice(["0", "5", "8.8", "10", "12.5"]),
             points_per_yuan=rng.choice([0, 1, 2]))
    session.commit()


def test_a_broad_search_answers_every_page_from_one_order(session, street):
    for q in ("宽", "宽街", "温州市宽街", "kuanjie", "kj", "kuanjei"):
        for tier in ("standard", "gold"):
            pages = [dict(q=q, tier=tier, limit=limit, offset=offset)
                     for limit, offset in ((7, 0), (7, 7), (20, 0), (5, 40))]
            first = [answer(session, **page) for page in pages]
            assert {total for total, _ in first} == {70}, q
            assert [answer(session, **page) for page in pages] == first, (q, tier)
            everything = answer(session, q=q, tier=tier, limit=100)  # the last page
            assert everything[0] == len(everything[1]) == 70
            assert [offer for _, page in first[:2] for offer in page] == everything[1][:14]
            assert everything[1][40:45] == first[3][1]
            assert answer(session, q=q, tier=tier, offset=500) == (70, [])  # past the end


def test_what_is_sent_depends_on_the_query_alone(session, street):
    queries = [dict(q="宽街", limit=7), dict(q="kuanjei", limit=7), dict(category="餐饮"),
               dict(q="窄巷", limit=7, offset=14), dict(q="kj", district="鹿城区")]

    def sent_for_each() -> list[list[str]]:
        return [statements_sent(session, lambda query=query: answer(session, **query))
                for query in queries]

    first = sent_for_each()
    for _ in range(3):  # broad searches again and again: nothing is learnt from them
        for q in ("宽", "kuanjie", "kj", "窄巷"):
            answer(session, q=q, limit=5)
    assert sent_for_each() == first


def test_a_broad_search_whose_best_offers_are_elsewhere(session):
    for i in range(150):  # the best offers are elsewhere
        shop(session, f"好店{i:03d}", percent_off=20, points_per_yuan=3)
    for i in range(60):
        shop(session, f"冷巷{i:03d}", percent_off=0, points_per_yuan=0, avg_spend=1000 + i)
    session.commit()
    first = answer(session, q="冷巷", limit=7)
    assert first[0] == 60
    assert first[1] == answer(session, q="冷巷", limit=100)[1][:7]
    assert answer(session, q="冷巷", limit=7) == first


def test_one_statement_per_shape(session):
    conn = session.connection()
    engine = engine_of(conn)
    make = [engine.term_match(term, [term.text]) for term in terms.query_terms("火锅")]
    other = [engine.term_match(term, [term.text]) for term in terms.query_terms("烧烤")]
    shape = statements.shape_of(engine, SearchQuery(q="火锅"), 100, make)
    assert shape == statements.shape_of(engine, SearchQuery(q="烧烤"), 100, other)
    assert statements.text_page(shape) is statements.text_page(shape)
    assert statements.shape_of(engine, SearchQuery(q="火锅", category="餐饮"), 100,
                               make) != shape
    assert documents.name == "directory_entries"
    assert search.rank_step  # the step comes from the configuration, per search


@pytest.mark.postgres_only
def test_a_list_read_group_by_group_is_the_sorted_list(session, street):
    rng = random.Random(9)
    for i in range(30):
        shop(session, f"宽街酒店{i:02d}", category="酒店", percent_off=rng.choice(["0", "5", "10"]),
             points_per_yuan=rng.choice([0, 1, 3]), avg_spend=rng.choice([1000, 2000]))
    session.commit()
    conn = session.connection()
    engine = engine_of(conn)
    for tier in TIERS:
        for category in (None, "餐饮", "酒店"):
            for limit, offset in ((7, 0), (7, 7), (20, 33), (100, 0), (5, 108), (5, 140)):
                query = SearchQuery(category=category, tier=tier, limit=limit, offset=offset)
                shape = statements.shape_of(engine, query, search.rank_step(tier), [])
                bound = statements.values(query, [])
                grouped = conn.execute(statements.grouped_list_page(shape), bound).all()
                assert grouped == conn.execute(statements.list_page(shape), bound).all()
