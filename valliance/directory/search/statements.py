"""The directory search's statements, the same plan on every engine and in every worker.

A shape is everything a statement's text depends on: the engine, the tier and its step, which
filters are set, and how each term is matched (TermMatch). Statements are built from the
shape alone and run with the query's values, so that a shape's statement is made once per
process (lru_cache: a cache of text, never of answers or of how a query ran before).
"""

from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

from sqlalchemy import (
    Date,
    Integer,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
)

from valliance.db import today_shanghai
from valliance.directory.models import documents


@dataclass(frozen=True)
class TermMatch:
    """How a document is matched against a term (the engine's term_match): `kind` names the
    condition's form, `values` are what it is matched with."""

    kind: str
    values: tuple

    @property
    def shape(self) -> tuple[str, int]:
        return self.kind, len(self.values)

    def bound(self, name: str) -> dict[str, object]:
        return {f"{name}_{i}": value for i, value in enumerate(self.values)}


@dataclass(frozen=True)
class Shape:
    """What a search statement's text depends on (the values it runs with aside)."""

    #: the engine module (search.postgres or search.sqlite)
    engine: ModuleType
    tier: str
    step: int
    category: bool
    district: bool
    #: each term's TermMatch.shape
    terms: tuple[tuple[str, int], ...]


def shape_of(engine: ModuleType, query, step: int, matches: list[TermMatch]) -> Shape:
    return Shape(engine, query.tier, step, bool(query.category), bool(query.district),
                 tuple(match.shape for match in matches))


def values(query, matches: list[TermMatch]) -> dict[str, object]:
    """What a statement of the query's shape runs with."""
    bound = {"today": today_shanghai(), "category": query.category,
             "district": query.district, "limit": query.limit, "offset": query.offset,
             "rows": query.offset + query.limit}
    for i, match in enumerate(matches):
        bound.update(match.bound(f"t{i}"))
    return bound


def rank_expression(source, tier: str, step: int):
    """effective_percent in hundredths: off + points_per_yuan × step, where step is the tier's
    multiplier in hundredths × the point value of the configuration in force (a number in
    the statement's text: the shape includes it)."""
    e = source.c
    return e[f"off_{tier}"] + e.points_per_yuan * literal_column(str(int(step)))


def _fields(source, tier: str) -> tuple:
    e = source.c
    return (e.offer_id, e.merchant_id, e.name, e.title, e.category, e.district, e.address,
            e.phone, e.avg_spend, e[f"off_{tier}"], e.points_per_yuan, e.valid_until)


def _page_columns(source, shape: Shape) -> tuple:
    """What a hit is made of, and the effective percent in hundredths it was ranked by."""
    return (*_fields(source, shape.tier),
            rank_expression(source, shape.tier, shape.step).label("effective"))


def _ranking(source, shape: Shape) -> tuple:
    """The ranking order (contract §6), effective_percent in hundredths first."""
    e = source.c
    return (rank_expression(source, shape.tier, shape.step).desc(), e.avg_spend,
            shape.engine.by_name(e.name), shape.engine.by_name(e.offer_id))


def _conditions(source, shape: Shape) -> list:
    """The WHERE clause: listed and valid today, the filters, every term."""
    e = source.c
    today = bindparam("today", type_=Date)
    conditions = [e.listed,  # as the partial indexes say it (not "IS true")
                  or_(e.valid_from.is_(None), e.valid_from <= today),
                  or_(e.valid_until.is_(None), e.valid_until >= today)]
    if shape.category:
        conditions.append(e.category == bindparam("category"))
    if shape.district:
        conditions.append(e.district == bindparam("district"))
    conditions += [shape.engine.term_condition(source, term, f"t{i}")
                   for i, term in enumerate(shape.terms)]
    return conditions


def _page(statement):
    return statement.limit(bindparam("limit", type_=Integer)).offset(
        bindparam("offset", type_=Integer))


@lru_cache(maxsize=1024)
def text_page(shape: Shape):
    """A text search in one pass over its matches: they are counted before they are ordered,
    so that the sort keeps only the page's rows (top-N); ranked on the narrow columns first,
    then the page's few rows are read in full. Rows come in no order."""
    e = documents.c
    effective = rank_expression(documents, shape.tier, shape.step).label("effective")
    matching = select(e.id, effective, e.avg_spend, e.name, e.offer_id,
                      func.count(literal(1)).over().label("total")
                      ).where(*_conditions(documents, shape)).subquery()
    m = matching.c
    ranked = _page(select(m.id, m.total).order_by(
        m.effective.desc(), m.avg_spend, shape.engine.by_name(m.name),
        shape.engine.by_name(m.offer_id))).subquery()
    return select(*_page_columns(documents, shape), ranked.c.total).join(
        ranked, ranked.c.id == e.id)


@lru_cache(maxsize=1024)
def grouped_list_page(shape: Shape):
    """A list's page (no terms, no district), PostgreSQL: from each group of listed documents
    of one category and one points per yuan, its first offset + limit by the tier's discount
    then typical spend — the ranking order within a group, whatever the multiplier and point
    value, read from the tier's order index (migration 0015) — with every document tied with
    the last; the page is the best of them in the ranking order. Exact: each of the page's
    documents is among the first offset + limit of its own group."""
    groups = _groups(shape).cte("list_groups", recursive=True)
    later = documents.alias("group_next")
    after = (select(later.c.category, later.c.points_per_yuan.label("ppy"))
             .where(*_group_filter(later, shape),
                    tuple_(later.c.category, later.c.points_per_yuan)
                    > tuple_(groups.c.category, groups.c.ppy))
             .order_by(later.c.category, later.c.points_per_yuan).limit(1)).lateral("next")
    groups = groups.union_all(select(after.c.category, after.c.ppy)
                              .select_from(groups.join(after, true())))
    e = documents.c
    best = (select(*_page_columns(documents, shape), e.id)
            .where(*_conditions(documents, shape), e.category == groups.c.category,
                   e.points_per_yuan == groups.c.ppy)
            .order_by(e[f"off_{shape.tier}"].desc(), e.avg_spend)
            .fetch(bindparam("rows", type_=Integer), with_ties=True)).lateral("group_best")
    return _page(select(*[best.c[c.name] for c in _page_columns(documents, shape)])
                 .select_from(groups.join(best, true()))
                 .order_by(*_ranking(best, shape)))


def _group_filter(source, shape: Shape) -> list:
    return [source.c.listed, *([source.c.category == bindparam("category")]
                               if shape.category else [])]


def _groups(shape: Shape):
    """The first (category, points per yuan) group of listed documents, read from the order
    index; the recursive part of the CTE steps to the next one."""
    first = documents.alias("group_first")
    lowest = (select(first.c.category, first.c.points_per_yuan.label("ppy"))
              .where(*_group_filter(first, shape))
              .order_by(first.c.category, first.c.points_per_yuan).limit(1)).subquery("lowest")
    return select(lowest.c.category, lowest.c.ppy)


@lru_cache(maxsize=1024)
def list_page(shape: Shape):
    """A page in the ranking order, read whole."""
    return _page(select(*_page_columns(documents, shape)).where(*_conditions(documents, shape))
                 .order_by(*_ranking(documents, shape)))


@lru_cache(maxsize=1024)
def count(shape: Shape):
    return select(func.count()).select_from(documents).where(*_conditions(documents, shape))
