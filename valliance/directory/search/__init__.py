"""The 114 directory's offer search (contract §6): matching, the ranking rule, the script.

A query is split into terms (terms.query_terms); an offer matches when its search document
contains every term — as Chinese, full pinyin or initials (terms module: which text, and how).

A typo is forgiven when the query as typed finds nothing: then each pinyin term of five
letters or more also matches one edit away (a letter wrong, missing or extra). Its spellings
one edit away are kept when all their five-letter sequences occur in some document's pinyin
(a handful, of some 300), and those are searched exactly, by index. Not always: pinyin is
dense, one letter turns most words into other words (jiudian 酒店 → jindian 进店, xiche 洗车 →
qiche 汽车), and a correctly spelled query would then list every 进店 and 汽车 offer among
its hotels and car washes, ranked by discount alone.

Ranking, exactly: effective_percent for the caller's tier, highest first; then lower
avg_spend; then name in Unicode code point order; then offer id. Computed in SQL on integer
hundredths (never floating point), with the tier multipliers and point value of the current
configuration, as the POS prices a sale.

The plan, one per engine and the same in every worker (nothing learnt from earlier queries):
- a query with terms: one statement finds its matches through the engine's text indexes
  (postgres.py, sqlite.py) and the filters, counts them and keeps the page's rows in a top-N
  sort on the narrow ranking columns, then reads those rows in full; a page past the end is
  counted apart;
- a list (no terms): PostgreSQL reads the page of a category, or of every offer, group by
  group from the tier's order index (statements.grouped_list_page: a group is a category and
  a points per yuan); a district's list, with or without a category, is sorted whole from the
  filter's covering index of listed documents, as every list is on SQLite. A list is counted
  apart (from the narrow index of listed documents' categories and dates, or a covering
  index) only when its page is full; otherwise the total is known from the page.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from valliance import money
from valliance.directory import terms
from valliance.directory.models import letter_grams
from valliance.directory.search import postgres, sqlite, statements
from valliance.directory.search.hits import (
    HitMerchant,
    HitOffer,
    SearchHit,
    hit,
    offer_json,
    script,
)
from valliance.members import tiers
from valliance.members.models import TIERS

__all__ = ["HitMerchant", "HitOffer", "SearchHit", "SearchQuery", "engine_of", "offer_json",
           "rank_step", "script", "search_offers"]


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    category: str | None = None
    district: str | None = None
    #: the caller's tier: prices, ranking and the script are for it
    tier: str = "standard"
    limit: int = 20
    offset: int = 0


def engine_of(conn):
    """The search's engine module for this connection: search.postgres or search.sqlite."""
    return postgres if conn.dialect.name == postgres.NAME else sqlite


def search_offers(session: Session, query: SearchQuery) -> tuple[int, list[SearchHit]]:
    """(how many offers match, the requested page of them, best first)."""
    if query.tier not in TIERS:
        raise ValueError(f"unknown tier {query.tier!r}")
    conn = session.connection()
    engine_of(conn).prepare(conn)
    found = terms.query_terms(query.q)
    total, rows = _search(conn, query, found, typos=False)
    if total == 0 and any(term.typo_tolerant for term in found):
        total, rows = _search(conn, query, found, typos=True)
    multiplier = tiers.multiplier(query.tier)
    point_value = current_app.config["POINT_VALUE_FEN"]
    return total, [hit(row, query.tier, multiplier, point_value) for row in rows]


def rank_step(tier: str) -> int:
    """The tier's multiplier in hundredths × the point value: effective_percent in hundredths
    is off + points_per_yuan × this."""
    return money.to_hundredths(tiers.multiplier(tier)) * current_app.config["POINT_VALUE_FEN"]


def _search(conn, query: SearchQuery, found: list[terms.Term], typos: bool) -> tuple[int, list]:
    """(total, the page's rows, best first)."""
    engine = engine_of(conn)
    matches = []
    for term in found:
        spellings = [term.text]
        if typos and term.typo_tolerant:
            spellings = _typo_spellings(conn, engine, term.text)
            if not spellings:
                return 0, []  # no document can contain this term
        matches.append(engine.term_match(term, spellings))
    shape = statements.shape_of(engine, query, rank_step(query.tier), matches)
    bound = statements.values(query, matches)
    if not found:
        return _list_page(conn, engine, query, shape, bound)
    rows = _in_order(conn.execute(statements.text_page(shape), bound).all())
    if rows:
        return rows[0].total, rows
    return _count(conn, shape, bound) if query.offset else 0, rows


def _in_order(rows: list) -> list:
    """Rows sorted in the ranking order (a join does not keep its input's order)."""
    return sorted(rows, key=lambda r: (-r.effective, r.avg_spend, r.name, r.offer_id))


def _list_page(conn, engine, query: SearchQuery, shape: statements.Shape,
               bound: dict) -> tuple[int, list]:
    """A list's page in the ranking order; counted apart only when the page is full."""
    grouped = engine.GROUPED_LISTS and not query.district
    page = statements.grouped_list_page if grouped else statements.list_page
    rows = conn.execute(page(shape), bound).all()
    if len(rows) < query.limit and (rows or not query.offset):
        return query.offset + len(rows), rows  # the last page: the total is known
    return _count(conn, shape, bound), rows


def _count(conn, shape: statements.Shape, bound: dict) -> int:
    return conn.scalar(statements.count(shape), bound)


def _typo_spellings(conn, engine, term: str) -> list[str]:
    """The term's one-typo spellings that can occur in a document, longest first: a document
    is matched against them in this order until one is found, and the longest is most often
    the word meant."""
    candidates, wanted = terms.typo_candidates(term)
    known = engine.known_letter_grams(conn, letter_grams, list(wanted))
    found = terms.shortest_spellings({spelling for spelling, needed in candidates
                                      if needed <= known})
    return sorted(found, key=lambda spelling: (-len(spelling), spelling))
