"""The 114 directory's offer search (contract §6): matching, the ranking rule, the script.

A query is split into terms (keys.query_terms); an offer matches when its keys contain every
term — as Chinese, full pinyin or initials (keys module: which text, and how).

A typo is forgiven when the query as typed finds nothing: then each pinyin term of five
letters or more also matches one edit away (a letter wrong, missing or extra). Its spellings
one edit away are kept when all their four-letter sequences occur in some offer's pinyin (a
handful, of some 300), and those are searched exactly, by index. Not always: pinyin is dense,
one letter turns most words into other words (jiudian 酒店 → jindian 进店, xiche 洗车 →
qiche 汽车), and a correctly spelled query would then list every 进店 and 汽车 offer among
its hotels and car washes, ranked by discount alone.

Ranking, exactly: effective_percent for the caller's tier, highest first; then lower
avg_spend; then name in Unicode code point order; then offer id. Computed in SQL on integer
hundredths (never floating point), with the tier multipliers and point value of the current
configuration, as the POS prices a sale.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session

from valliance import money
from valliance.db import today_shanghai
from valliance.directory import keys, search_sql
from valliance.directory.entries import entries, letter_grams
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
    total, rows = _search(conn, query, _conditions(conn, query, terms, typos=False), terms)
    if total == 0 and any(term.typo_tolerant for term in terms):
        total, rows = _search(conn, query, _conditions(conn, query, terms, typos=True), terms)
    multiplier = tiers.multiplier(query.tier)
    point_value = current_app.config["POINT_VALUE_FEN"]
    return total, [_hit(row, query.tier, multiplier, point_value) for row in rows]


def _search(conn, query: SearchQuery, conditions: list | None,
            terms: list[keys.Term]) -> tuple[int, list]:
    """(total, the page's rows, best first) for these conditions."""
    if conditions is None:
        return 0, []
    # effective_percent in hundredths: off + points_per_yuan × multiplier × point value
    effective = search_sql.rank_expression(entries, query.tier, rank_step(query.tier)).label(
        "effective")
    if terms:
        return _text_page(conn, query, conditions, effective)
    return _list_page(conn, query, conditions, effective)


def _page_columns(tier: str) -> tuple:
    e = entries.c
    return (e.offer_id, e.merchant_id, e.name, e.title, e.category, e.district, e.address,
            e.phone, e.avg_spend, e[f"off_{tier}"], e.points_per_yuan, e.valid_until)


def _text_page(conn, query: SearchQuery, conditions: list, effective) -> tuple[int, list]:
    """A text search in one pass over its matches: a second pass for the count would fetch
    and recheck every candidate again, and walking a rank index instead of the term's own
    index reads thousands of rows for a term of a few hundred matches. The count is taken
    before the matches are ordered, so that the sort keeps only the page's rows (top-N)."""
    e = entries.c
    matching = select(e.id, effective, e.avg_spend, e.name, e.offer_id,
                      func.count(literal(1)).over().label("total")).where(*conditions).subquery()
    m = matching.c
    ranked = (
        select(m.id, m.effective, m.total)
        .order_by(m.effective.desc(), m.avg_spend, search_sql.by_name(conn, m.name),
                  search_sql.by_name(conn, m.offer_id))
        .limit(query.limit).offset(query.offset)
    ).subquery()
    # Rank on the narrow columns first, then read the page's few rows in full.
    rows = conn.execute(select(*_page_columns(query.tier), ranked.c.effective, ranked.c.total)
                        .join(ranked, ranked.c.id == e.id)).all()
    rows.sort(key=lambda r: (-r.effective, r.avg_spend, r.name, r.offer_id))
    if rows:
        return rows[0].total, rows
    return _count(conn, conditions) if query.offset else 0, rows


def _list_page(conn, query: SearchQuery, conditions: list, effective) -> tuple[int, list]:
    """A category or district list: the page read in the ranking order (PostgreSQL: from the
    tier's rank index, stopping after the page), the count apart from the covering index
    alone, and only when the page is full."""
    e = entries.c
    rows = conn.execute(
        select(*_page_columns(query.tier), effective).where(*conditions)
        .order_by(effective.desc(), e.avg_spend, search_sql.by_name(conn, e.name),
                  search_sql.by_name(conn, e.offer_id))
        .limit(query.limit).offset(query.offset)).all()
    if len(rows) < query.limit and (rows or not query.offset):
        return query.offset + len(rows), rows  # the last page: the total is known
    return _count(conn, conditions), rows


def _count(conn, conditions: list) -> int:
    return conn.scalar(select(func.count()).select_from(entries).where(*conditions))


def rank_step(tier: str) -> int:
    """The tier's multiplier in hundredths × the point value: effective_percent in hundredths
    is off + points_per_yuan × this."""
    return money.to_hundredths(tiers.multiplier(tier)) * current_app.config["POINT_VALUE_FEN"]


def _conditions(conn, query: SearchQuery, terms: list[keys.Term], typos: bool) -> list | None:
    """The WHERE clause; None when nothing can match (no spelling of a typo is in use)."""
    e = entries.c
    today = today_shanghai()
    conditions = [e.listed,  # as the partial indexes say it (not "IS true")
                  or_(e.valid_from.is_(None), e.valid_from <= today),
                  or_(e.valid_until.is_(None), e.valid_until >= today)]
    if query.category:
        conditions.append(e.category == query.category)
    if query.district:
        conditions.append(e.district == query.district)
    for term in terms:
        spellings = [term.text]
        if typos and term.typo_tolerant:
            spellings = _typo_spellings(conn, term.text)
            if not spellings:
                return None
        conditions.append(search_sql.term_matches(conn, entries, term, spellings))
    return conditions


def _typo_spellings(conn, term: str) -> list[str]:
    """The term and its one-typo spellings that can occur in a document, fewest first."""
    candidates = keys.one_typo_away(term)
    grams = {candidate: keys.letter_grams(candidate) for candidate in candidates}
    wanted = sorted(set().union(*grams.values()))
    known = search_sql.known_letter_grams(conn, letter_grams, wanted)
    return keys.shortest_spellings({c for c, needed in grams.items() if needed <= known})


def _hit(row, tier: str, multiplier: Decimal, point_value: int) -> SearchHit:
    percent_off = Decimal(row._mapping[f"off_{tier}"]) / 100
    # the value the SQL ranked by (test_every_page_is_in_the_ranking_order_the_hits_report),
    # computed as the POS computes it
    effective = money.effective_percent(percent_off, row.points_per_yuan, multiplier,
                                        point_value)
    merchant = HitMerchant(row.merchant_id, row.name, row.category, row.district, row.address,
                           row.phone, row.avg_spend)
    offer = HitOffer(row.offer_id, row.title, percent_off, money.discount_label(percent_off),
                     row.points_per_yuan, row.valid_until)
    return SearchHit(merchant, offer, effective,
                     script(row.name, percent_off, row.points_per_yuan, multiplier))


def _plain(value: Decimal) -> str:
    """12.50 → 12.5, 3.0 → 3, 10 → 10 (never 1E+1)."""
    return format(value.normalize(), "f")


def script(name: str, percent_off: Decimal, points_per_yuan: int, multiplier: Decimal) -> str:
    """What the operator reads: 持V卡到老王火锅消费可享8.8折，每消费1元积3分。"""
    points = points_per_yuan * Decimal(multiplier)  # the tier's points per yuan: 2 × 1.5 = 3
    discount = f"可享{money.discount_label(percent_off)}" if percent_off > 0 else ""
    if points > 0:
        return f"持V卡到{name}消费{discount}，每消费1元积{_plain(points)}分。"
    if discount:
        return f"持V卡到{name}消费{discount}。"
    return f"持V卡到{name}消费暂无折扣和积分。"


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
