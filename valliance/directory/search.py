"""The 114 directory's offer search (contract §6): matching, the ranking rule, the script.

A query is split into terms (keys.query_terms); an offer matches when its keys contain every
term — as Chinese, full pinyin or initials (keys module: which text, and how).

A typo is forgiven when the query as typed finds nothing: then each pinyin term of five
letters or more also matches one edit away (a letter wrong, missing or extra). Its spellings
one edit away are kept when all their five-letter sequences occur in some offer's pinyin (a
handful, of some 300), and those are searched exactly, by index. Not always: pinyin is dense,
one letter turns most words into other words (jiudian 酒店 → jindian 进店, xiche 洗车 →
qiche 汽车), and a correctly spelled query would then list every 进店 and 汽车 offer among
its hotels and car washes, ranked by discount alone.

Ranking, exactly: effective_percent for the caller's tier, highest first; then lower
avg_spend; then name in Unicode code point order; then offer id. Computed in SQL on integer
hundredths (never floating point), with the tier multipliers and point value of the current
configuration, as the POS prices a sale.
"""

import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from flask import current_app
from sqlalchemy.orm import Session

from valliance import money
from valliance.directory import keys, search_sql, statements
from valliance.directory.entries import letter_grams
from valliance.members import tiers
from valliance.members.models import TIERS

__all__ = ["HitMerchant", "HitOffer", "SearchHit", "SearchQuery", "offer_json", "rank_step",
           "script", "search_offers"]


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    category: str | None = None
    district: str | None = None
    #: the caller's tier: prices, ranking and the script are for it
    tier: str = "standard"
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class HitMerchant:
    id: str
    name: str
    category: str
    district: str
    address: str
    phone: str
    #: typical spend per customer, in fen
    avg_spend: int


@dataclass(frozen=True)
class HitOffer:
    id: str
    title: str
    #: for the caller's tier (its override, else the base rate)
    percent_off: Decimal
    label: str
    points_per_yuan: int
    valid_until: date | None


@dataclass(frozen=True)
class SearchHit:
    merchant: HitMerchant
    offer: HitOffer
    effective_percent: Decimal
    #: what the operator reads out
    script: str


def search_offers(session: Session, query: SearchQuery) -> tuple[int, list[SearchHit]]:
    """(how many offers match, the requested page of them, best first)."""
    if query.tier not in TIERS:
        raise ValueError(f"unknown tier {query.tier!r}")
    conn = session.connection()
    terms = keys.query_terms(query.q)
    total, rows = _search(conn, query, terms, typos=False)
    if total == 0 and any(term.typo_tolerant for term in terms):
        total, rows = _search(conn, query, terms, typos=True)
    multiplier = tiers.multiplier(query.tier)
    point_value = current_app.config["POINT_VALUE_FEN"]
    return total, [_hit(row, query.tier, multiplier, point_value) for row in rows]


#: a text search matching this many offers is broad: next time its page is looked for in
#: the ranking order first
BROAD_MATCHES = 3000
#: how many offers in the ranking order a broad search's page is looked for among, per
#: result up to the page's end: a term in one offer of ten or more fills it there
WALK_ROWS_PER_RESULT = 15


@dataclass(frozen=True)
class _Terms:
    """A query's terms, each with the spellings searched for it."""

    terms: list[keys.Term]
    spellings: list[list[str]]

    def matches(self, conn, indexed: bool = True) -> list[search_sql.TermMatch]:
        return [search_sql.term_match(conn, term, spellings, indexed)
                for term, spellings in zip(self.terms, self.spellings, strict=True)]


def _search(conn, query: SearchQuery, terms: list[keys.Term],
            typos: bool) -> tuple[int, list]:
    """(total, the page's rows, best first)."""
    spelled = _spellings(conn, terms, typos)
    if spelled is None:
        return 0, []
    step = rank_step(query.tier)
    matches = spelled.matches(conn)
    form = statements.form(conn, query, step, matches)
    bound = statements.values(query, matches)
    if not terms:
        return _list_page(conn, query, form, bound)
    if search_sql.rank_index_current(conn, query.tier, step):
        return _broad_or_one_pass(conn, query, spelled, form, bound)
    return _text_page(conn, query, form, bound)


def _text_page(conn, query: SearchQuery, form: statements.Form,
               bound: dict) -> tuple[int, list]:
    """A text search in one pass over its matches (statements.text_page)."""
    rows = _in_order(conn.execute(statements.text_page(form), bound).all())
    if rows:
        return rows[0].total, rows
    return _count(conn, form, bound) if query.offset else 0, rows


def _broad_or_one_pass(conn, query: SearchQuery, spelled: _Terms, form: statements.Form,
                       bound: dict) -> tuple[int, list]:
    """PostgreSQL: a search that matches thousands of offers (美发, jiudian: one in ten)
    finds its page among the first few hundred offers in the ranking order, read from the
    tier's rank index, and is then counted alone — half the cost of sorting all its matches.
    A search is run in one pass until it is seen to match that many (_Plans); a search
    whose page is not among the rows read that way is run in one pass from then on."""
    plan = _plans.key(query, spelled)
    if _plans.walk(plan):
        plain = spelled.matches(conn, indexed=False)
        walk = WALK_ROWS_PER_RESULT * (query.offset + query.limit)
        rows = _in_order(conn.execute(
            statements.walked_page(statements.form(conn, query, form.step, plain)),
            statements.values(query, plain, walk=walk)).all())
        total = _count(conn, form, bound)
        # the rows read are the first in the ranking order: the page is right when it holds
        # as many as there are (a full page, the last one, or none past the end)
        if len(rows) == max(0, min(query.limit, total - query.offset)):
            return total, rows
        _plans.note(plan, walk=False)
    total, rows = _text_page(conn, query, form, bound)
    if total >= BROAD_MATCHES and _plans.walk(plan) is None:
        _plans.note(plan, walk=True)
    return total, rows


class _Plans:
    """How each text search is best run, as learnt in this process: walk the ranking order
    (True) or one pass (False); not known yet (None) for a search not seen. A plan, never an
    answer: every search reads the entries afresh. Bounded: the oldest is dropped first."""

    SIZE = 4096

    def __init__(self) -> None:
        self._walk: dict[tuple, bool] = {}
        self._writing = threading.Lock()  # a server's threads share it

    @staticmethod
    def key(query: SearchQuery, spelled: _Terms) -> tuple:
        return (query.category, query.district, tuple(map(tuple, spelled.spellings)))

    def walk(self, key: tuple) -> bool | None:
        return self._walk.get(key)

    def note(self, key: tuple, walk: bool) -> None:
        with self._writing:
            if key not in self._walk and len(self._walk) >= self.SIZE:
                self._walk.pop(next(iter(self._walk)))
            self._walk[key] = walk


_plans = _Plans()


def _in_order(rows: list) -> list:
    """Rows sorted in the ranking order (a join does not keep its input's order)."""
    return sorted(rows, key=lambda r: (-r.effective, r.avg_spend, r.name, r.offer_id))


def _list_page(conn, query: SearchQuery, form: statements.Form,
               bound: dict) -> tuple[int, list]:
    """A category or district list: the page read in the ranking order (PostgreSQL: from the
    tier's rank index, stopping after the page), the count apart from the covering index
    alone, and only when the page is full."""
    rows = conn.execute(statements.list_page(form), bound).all()
    if len(rows) < query.limit and (rows or not query.offset):
        return query.offset + len(rows), rows  # the last page: the total is known
    return _count(conn, form, bound), rows


def _count(conn, form: statements.Form, bound: dict) -> int:
    return conn.scalar(statements.count(form), bound)


def rank_step(tier: str) -> int:
    """The tier's multiplier in hundredths × the point value: effective_percent in hundredths
    is off + points_per_yuan × this."""
    return money.to_hundredths(tiers.multiplier(tier)) * current_app.config["POINT_VALUE_FEN"]


def _spellings(conn, terms: list[keys.Term], typos: bool) -> _Terms | None:
    """Each term's spellings: itself, or with typos its spellings one edit away that are in
    use; None when a term has none (nothing can match)."""
    spellings = []
    for term in terms:
        found = [term.text]
        if typos and term.typo_tolerant:
            found = _typo_spellings(conn, term.text)
            if not found:
                return None
        spellings.append(found)
    return _Terms(terms, spellings)


def _typo_spellings(conn, term: str) -> list[str]:
    """The term's one-typo spellings that can occur in a document, longest first. An entry
    is matched against them in this order until one is found, and the longest is most often
    the word meant: jiudan's 13,000 matches (jiudian 酒店) are counted in 5.5 ms when jiudian
    is tried before iudan and jiadan, in 12.8 ms after them."""
    candidates, wanted = keys.typo_candidates(term)
    known = search_sql.known_letter_grams(conn, letter_grams, list(wanted))
    found = keys.shortest_spellings({spelling for spelling, needed in candidates
                                     if needed <= known})
    return sorted(found, key=lambda spelling: (-len(spelling), spelling))


def _hit(row, tier: str, multiplier: Decimal, point_value: int) -> SearchHit:
    percent_off, effective, label, said = _priced(row._mapping[f"off_{tier}"],
                                                  row.points_per_yuan, multiplier, point_value)
    merchant = HitMerchant(row.merchant_id, row.name, row.category, row.district, row.address,
                           row.phone, row.avg_spend)
    offer = HitOffer(row.offer_id, row.title, percent_off, label, row.points_per_yuan,
                     row.valid_until)
    return SearchHit(merchant, offer, effective, f"持V卡到{row.name}消费{said}")


@lru_cache(maxsize=4096)
def _priced(off_hundredths: int, points_per_yuan: int, multiplier: Decimal,
            point_value: int) -> tuple[Decimal, Decimal, str, str]:
    """(percent_off, effective_percent, label, what the script says after the name) of a rate:
    worked out once per rate, not per result (a page's offers share a handful)."""
    percent_off = Decimal(off_hundredths) / 100
    # the value the SQL ranked by (test_every_page_is_in_the_ranking_order_the_hits_report),
    # computed as the POS computes it
    effective = money.effective_percent(percent_off, points_per_yuan, multiplier, point_value)
    return (percent_off, effective, money.discount_label(percent_off),
            _script_tail(percent_off, points_per_yuan, multiplier))


def _plain(value: Decimal) -> str:
    """12.50 → 12.5, 3.0 → 3, 10 → 10 (never 1E+1)."""
    return format(value.normalize(), "f")


def script(name: str, percent_off: Decimal, points_per_yuan: int, multiplier: Decimal) -> str:
    """What the operator reads: 持V卡到老王火锅消费可享8.8折，每消费1元积3分。"""
    return f"持V卡到{name}消费{_script_tail(percent_off, points_per_yuan, multiplier)}"


def _script_tail(percent_off: Decimal, points_per_yuan: int, multiplier: Decimal) -> str:
    points = points_per_yuan * Decimal(multiplier)  # the tier's points per yuan: 2 × 1.5 = 3
    discount = f"可享{money.discount_label(percent_off)}" if percent_off > 0 else ""
    if points > 0:
        return f"{discount}，每消费1元积{_plain(points)}分。"
    if discount:
        return f"{discount}。"
    return "暂无折扣和积分。"


def offer_json(hit: SearchHit) -> dict:
    """One result as contract §6 shows it."""
    merchant, offer = hit.merchant, hit.offer
    return {
        "merchant": {"id": merchant.id, "name": merchant.name, "category": merchant.category,
                     "district": merchant.district, "address": merchant.address,
                     "phone": merchant.phone, "avg_spend": merchant.avg_spend},
        "offer": {"id": offer.id, "title": offer.title,
                  "percent_off": money.percent_json(offer.percent_off),
                  "label": offer.label, "points_per_yuan": offer.points_per_yuan,
                  "valid_until": offer.valid_until.isoformat() if offer.valid_until else None},
        # the contract shows 15.0: a JSON number, from the exact Decimal (float() of a value
        # with two decimals prints back exactly)
        "effective_percent": float(hit.effective_percent.quantize(Decimal("0.01"))),
        "script": hit.script,
    }
