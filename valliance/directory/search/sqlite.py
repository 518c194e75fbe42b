"""The directory search on SQLite: how a document is matched, and how documents are written.

An FTS5 table with the trigram tokenizer over `han` and `spelled` answers terms of 3+
characters; another, whose tokens are the documents' stored `grams`, answers terms of one or
two (both kept in step by triggers, migration 0006). Partial covering indexes of listed
documents serve category and district filters.
"""

import sqlite3
from collections.abc import Iterable

from sqlalchemy import bindparam, column, literal_column, select, table, union
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from valliance.directory.models import FTS_GRAMS, FTS_TABLE
from valliance.directory.search.statements import TermMatch
from valliance.directory.terms import Term

NAME = "sqlite"
#: the documents' `grams` column feeds the full-text table of grams
STORES_GRAMS = True
#: a list of every offer is sorted whole
GROUPED_LISTS = False

fts = table(FTS_TABLE, column("rowid"), column("han"), column("spelled"))
fts_grams = table(FTS_GRAMS, column("rowid"))


def prepare(conn) -> None:
    """Before a search's statements: nothing to set."""


def max_parameters(conn) -> int:
    """How many bound values one statement may carry."""
    dbapi = conn.connection.dbapi_connection
    if isinstance(dbapi, sqlite3.Connection):
        return max(100, dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 100)
    return 900


def among(column_, values: list):
    """column is one of values (callers keep the list under max_parameters)."""
    return column_.in_(list(values))


def lock_merchants(conn, merchant_ids: list[str]) -> None:
    """Nothing: SQLite writes one transaction at a time."""


def write_rows(conn, target, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """One INSERT for many parameter sets (rows are tuples in columns' order)."""
    batch = [dict(zip(columns, row, strict=True)) for row in rows]
    if batch:
        conn.execute(target.insert(), batch)


def insert_missing(conn, target, key: str, values: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING of single-column rows."""
    size = max_parameters(conn)
    for start in range(0, len(values), size):
        conn.execute(sqlite_insert(target).on_conflict_do_nothing(index_elements=[key]),
                     [{key: value} for value in values[start:start + size]])


def by_name(name_column):
    """Name in Unicode code point order (SQLite's BINARY collation)."""
    return name_column


def term_match(term: Term, spellings: list[str]) -> TermMatch:
    """How a document contains the term; an ASCII term of 3+ characters as any of
    `spellings` (itself, or its typo spellings)."""
    if term.short:
        # the gram is one token of the grams table (a term holds letters and digits only,
        # so quoted it is one FTS5 string)
        return TermMatch("fts_gram", (f'"{term.text}"',))
    if not term.ascii:
        return TermMatch("fts_han", (f"%{term.text}%",))
    return TermMatch("fts_spelled", tuple(f"%{spelling}%" for spelling in spellings))


def term_condition(source, shape: tuple[str, int], name: str):
    """The condition of a TermMatch of this shape, its values bound as name_0, name_1 …"""
    kind, count = shape
    e = source.c
    value = [bindparam(f"{name}_{i}") for i in range(count)]
    if kind == "fts_han":
        return e.id.in_(select(fts.c.rowid).where(fts.c.han.like(value[0])))
    if kind == "fts_gram":
        return e.id.in_(select(fts_grams.c.rowid).where(
            literal_column(FTS_GRAMS).op("MATCH")(value[0])))
    # FTS5 uses its index for one LIKE per query, not for an OR of several
    matches = [select(fts.c.rowid).where(fts.c.spelled.like(each)) for each in value]
    return e.id.in_(matches[0] if len(matches) == 1 else union(*matches))


def known_letter_grams(conn, letter_grams, grams: list[str]) -> set[str]:
    """Those of these letter grams that occur in some document."""
    gram = letter_grams.c.gram
    found: set[str] = set()
    size = max_parameters(conn)
    for start in range(0, len(grams), size):
        found.update(conn.scalars(select(gram).where(gram.in_(grams[start:start + size]))))
    return found
