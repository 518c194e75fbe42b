"""The directory search's statements, made once per form and run with each query's values.

A form is everything a statement's text depends on: the engine, the tier and its step, which
filters are set, and how each term is matched (search_sql.TermMatch). SQLAlchemy spends more
Python making and keying a statement like these than the database spends running it, so each
form's statements are made once per process (a few dozen forms cover every query).
"""

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Date, Integer, bindparam, func, literal, or_, select

from valliance.db import today_shanghai
from valliance.directory import search_sql
from valliance.directory.entries import entries


@dataclass(frozen=True)
class Form:
    """What a search statement's text depends on (the values it runs with aside)."""

    postgres: bool
    tier: str
    step: int
    category: bool
    district: bool
    #: each term's TermMatch.shape
    terms: tuple[tuple[str, int], ...]


def form(conn, query, step: int, matches: list[search_sql.TermMatch]) -> Form:
    return Form(search_sql.is_postgres(conn), query.tier, step, bool(query.category),
                bool(query.district), tuple(match.shape for match in matches))


def values(query, matches: list[search_sql.TermMatch], **more) -> dict[str, object]:
    """What a statement of the query's form runs with."""
    bound = {"today": today_shanghai(), "category": query.category,
             "district": query.district, "limit": query.limit, "offset": query.offset, **more}
    for i, match in enumerate(matches):
        bound.update(match.bound(f"t{i}"))
    return bound


def _fields(source, tier: str) -> tuple:
    e = source.c
    return (e.offer_id, e.merchant_id, e.name, e.title, e.category, e.district, e.address,
            e.phone, e.avg_spend, e[f"off_{tier}"], e.points_per_yuan, e.valid_until)


def _page_columns(source, form_: Form) -> tuple:
    """What a hit is made of, and the effective percent in hundredths it was ranked by."""
    return (*_fields(source, form_.tier),
            search_sql.rank_expression(source, form_.tier, form_.step).label("effective"))


def _ranking(source, form_: Form) -> tuple:
    """The ranking order (contract §6), effective_percent in hundredths first."""
    e = source.c
    effective = search_sql.rank_expression(source, form_.tier, form_.step)
    return (effective.desc(), e.avg_spend, search_sql.by_name(form_.postgres, e.name),
            search_sql.by_name(form_.postgres, e.offer_id))


def _conditions(source, form_: Form) -> list:
    """The WHERE clause, on the entries or on rows read from them."""
    e = source.c
    today = bindparam("today", type_=Date)
    conditions = [e.listed,  # as the partial indexes say it (not "IS true")
                  or_(e.valid_from.is_(None), e.valid_from <= today),
                  or_(e.valid_until.is_(None), e.valid_until >= today)]
    if form_.category:
        conditions.append(e.category == bindparam("category"))
    if form_.district:
        conditions.append(e.district == bindparam("district"))
    conditions += [search_sql.term_condition(source, shape, f"t{i}")
                   for i, shape in enumerate(form_.terms)]
    return conditions


def _page(statement):
    return statement.limit(bindparam("limit", type_=Integer)).offset(
        bindparam("offset", type_=Integer))


@lru_cache(maxsize=1024)
def text_page(form_: Form):
    """A text search in one pass over its matches: the count is taken before the matches
    are ordered, so that the sort keeps only the page's rows (top-N); ranked on the narrow
    columns first, then the page's few rows are read in full. Rows come in no order."""
    e = entries.c
    effective = search_sql.rank_expression(entries, form_.tier, form_.step).label("effective")
    matching = select(e.id, effective, e.avg_spend, e.name, e.offer_id,
                      func.count(literal(1)).over().label("total")
                      ).where(*_conditions(entries, form_)).subquery()
    m = matching.c
    ranked = _page(select(m.id, m.total).order_by(
        m.effective.desc(), m.avg_spend, search_sql.by_name(form_.postgres, m.name),
        search_sql.by_name(form_.postgres, m.offer_id))).subquery()
    return select(*_page_columns(entries, form_), ranked.c.total).join(
        ranked, ranked.c.id == e.id)


@lru_cache(maxsize=1024)
def walked_page(form_: Form):
    """The page among the first `walk` listed offers in the ranking order, read from the
    tier's rank index with every offer tied with the last (so that name and offer id, which
    the index leaves unsorted, are sorted with all their ties here); the form's terms are
    matched without an index (search_sql.term_match)."""
    e = entries.c
    effective = search_sql.rank_expression(entries, form_.tier, form_.step)
    walked = (
        select(*_fields(entries, form_.tier), e.listed, e.valid_from, e.han, e.spelled,
               e.initials)
        .where(e.listed)
        .order_by(effective.desc(), e.avg_spend)
        .fetch(bindparam("walk", type_=Integer), with_ties=True)
    ).subquery()
    return _page(select(*_page_columns(walked, form_)).where(*_conditions(walked, form_))
                 .order_by(*_ranking(walked, form_)))


@lru_cache(maxsize=1024)
def list_page(form_: Form):
    """A page in the ranking order (PostgreSQL: read from the tier's rank index when no term
    is searched, stopping after the page)."""
    return _page(select(*_page_columns(entries, form_)).where(*_conditions(entries, form_))
                 .order_by(*_ranking(entries, form_)))


@lru_cache(maxsize=1024)
def count(form_: Form):
    return select(func.count()).select_from(entries).where(*_conditions(entries, form_))
