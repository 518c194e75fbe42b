"""What the directory search does differently on PostgreSQL and on SQLite — and only that.

PostgreSQL: a pg_trgm GIN index on the document answers substrings of 3+ characters; a GIN
index on `grams` (every 1–2-character substring) answers shorter ones; covering indexes let a
category or district list rank without visiting the table.
SQLite: an FTS5 table with the trigram tokenizer (kept in step by triggers) answers 3+
characters; shorter substrings scan the documents with LIKE, which is quick at SQLite's scale.

The indexes, the FTS5 table and its triggers are made by migration 0005; `include_object`
keeps them out of the models-versus-migrations comparison, since models cannot declare them.
"""

import sqlite3

from sqlalchemy import (
    Text,
    and_,
    any_,
    bindparam,
    column,
    false,
    or_,
    select,
    table,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.types import TypeDecorator

from valliance.directory import keys

#: made by the migration, per engine; not described by the models
FTS_TABLE = "directory_fts"
ENGINE_INDEXES = frozenset({
    "ix_directory_entries_document_trgm", "ix_directory_entries_grams",
    "ix_directory_entries_category_rank", "ix_directory_entries_district_rank",
})
#: what a filtered list reads to rank, so PostgreSQL can answer from the index alone
RANK_COLUMNS = ("valid_from", "valid_until", "off_standard", "off_silver", "off_gold",
                "off_diamond", "points_per_yuan", "avg_spend", "name", "offer_id", "id")

fts = table(FTS_TABLE, column("rowid"), column("document"))


class GramList(TypeDecorator):
    """A text[] on PostgreSQL; plain (always NULL) text on SQLite, which does not use it."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Text))
        return dialect.type_descriptor(Text())


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Whether Alembic should compare a schema object with the models (not the search
    engine's own tables and indexes)."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name in ENGINE_INDEXES)


def is_postgres(conn) -> bool:
    return conn.dialect.name == "postgresql"


def max_parameters(conn) -> int:
    """How many bound values one statement may carry."""
    if is_postgres(conn):
        return 30000
    dbapi = conn.connection.dbapi_connection
    if isinstance(dbapi, sqlite3.Connection):
        return max(100, dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 100)
    return 900


# --- writing -------------------------------------------------------------------------------


def lock_merchants(conn, merchant_ids: list[str]) -> None:
    """PostgreSQL: lock the merchants' rows (ascending ids: no deadlock between refreshes).
    FOR NO KEY UPDATE, so purchases at these merchants (foreign-key checks) do not wait.
    SQLite writes one transaction at a time anyway."""
    if is_postgres(conn) and merchant_ids:
        conn.exec_driver_sql(
            "SELECT id FROM merchants WHERE id = ANY(%(ids)s) ORDER BY id FOR NO KEY UPDATE",
            {"ids": merchant_ids})


def add_grams(conn, rows: list[dict]) -> None:
    """Fill each row's `grams` (PostgreSQL only)."""
    postgres = is_postgres(conn)
    for row in rows:
        row["grams"] = keys.short_grams(row["document"]) if postgres else None


def insert_missing(conn, target, key: str, values: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING of single-column rows."""
    insert = pg_insert if is_postgres(conn) else sqlite_insert
    size = max_parameters(conn)
    for start in range(0, len(values), size):
        conn.execute(insert(target).on_conflict_do_nothing(index_elements=[key]),
                     [{key: value} for value in values[start:start + size]])


# --- searching -----------------------------------------------------------------------------


def by_name(conn, name_column):
    """Order by name in Unicode code point order (PostgreSQL's default collation is not)."""
    return name_column.collate("C") if is_postgres(conn) else name_column


def short_terms_match(conn, entries, texts: list[str]):
    """The document contains every one of these 1–2-character texts."""
    if is_postgres(conn):
        return entries.c.grams.op("@>")(bindparam("short_terms", texts, type_=ARRAY(Text)))
    return and_(*(entries.c.document.like(f"%{text}%") for text in texts))


def contains_any(conn, entries, spellings: list[str]):
    """The document contains at least one of these spellings (each 3+ characters)."""
    if not spellings:
        return false()
    patterns = [f"%{spelling}%" for spelling in spellings]
    if is_postgres(conn):
        # one trigram index scan per spelling, OR-ed into one bitmap
        return or_(*(entries.c.document.like(pattern) for pattern in patterns))
    # FTS5 uses its index for one LIKE per query, not for an OR of several
    matches = [select(fts.c.rowid).where(fts.c.document.like(pattern)) for pattern in patterns]
    return entries.c.id.in_(matches[0] if len(matches) == 1 else union(*matches))


def known_letter_grams(conn, letter_grams, grams: list[str]) -> set[str]:
    """Those of these four-letter grams that occur in some document."""
    gram = letter_grams.c.gram
    if is_postgres(conn):
        query = select(gram).where(gram == any_(bindparam("grams", grams, type_=ARRAY(Text))))
        return set(conn.scalars(query))
    found: set[str] = set()
    size = max_parameters(conn)
    for start in range(0, len(grams), size):
        found.update(conn.scalars(select(gram).where(gram.in_(grams[start:start + size]))))
    return found
