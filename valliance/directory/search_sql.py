"""What the directory search does differently on PostgreSQL and on SQLite — and only that.

PostgreSQL: a pg_trgm GIN index on `spelled` answers pinyin, initials and Latin terms of 3+
characters; a GIN index on directory_grams(han, initials) (every character and pair of
characters of the written words and the initials) answers Chinese terms (by their
two-character pieces, then LIKE) and short terms; the page of a broad search, and of a
category or district list, is read in the ranking order from a per-tier rank index
(migration 0009). (pg_trgm on Chinese text costs more to write than the pairs, and a trigram
index cannot answer one- or two-character terms anyway.)
SQLite: an FTS5 table with the trigram tokenizer over `han` and `spelled` answers 3+
characters; another, whose tokens are the stored `grams`, answers shorter terms (both kept in
step by triggers); partial indexes serve category and district lists.

The indexes, the function, the FTS5 tables and their triggers are made by migrations 0006,
0009 and 0011; `include_object` keeps them out of the models-versus-migrations comparison,
since models cannot declare them.
"""

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    Text,
    and_,
    any_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from valliance.directory import keys
from valliance.members.models import TIERS

#: made by the migration, per engine; not described by the models
FTS_TABLE = "directory_fts"
ENGINE_INDEXES = frozenset({
    "ix_directory_entries_spelled_trgm", "ix_directory_entries_grams",
    "ix_directory_entries_category_rank", "ix_directory_entries_district_rank",
    *(f"ix_directory_entries_rank_{tier}" for tier in TIERS),
})
FTS_GRAMS = "directory_fts_grams"
fts = table(FTS_TABLE, column("rowid"), column("han"), column("spelled"))
fts_grams = table(FTS_GRAMS, column("rowid"))


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


def among(conn, column, values: list):
    """column is one of values: one array parameter on PostgreSQL (an IN list of thousands of
    placeholders costs more to parse than to run); an IN list on SQLite (callers keep it
    under max_parameters)."""
    if is_postgres(conn):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type),
                                        unique=True))
    return column.in_(list(values))


def write_rows(conn, target, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Insert many rows (tuples in columns' order): COPY on PostgreSQL (several times faster
    than one INSERT per row, and the server indexes rows while the caller makes the next),
    one INSERT for many parameter sets on SQLite."""
    if not is_postgres(conn):
        batch = [dict(zip(columns, row, strict=True)) for row in rows]
        if batch:
            conn.execute(target.insert(), batch)
        return
    copy_sql = f"COPY {target.name} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)


def insert_missing(conn, target, key: str, values: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING of single-column rows."""
    insert = pg_insert if is_postgres(conn) else sqlite_insert
    size = max_parameters(conn)
    for start in range(0, len(values), size):
        conn.execute(insert(target).on_conflict_do_nothing(index_elements=[key]),
                     [{key: value} for value in values[start:start + size]])


# --- the ranking order ---------------------------------------------------------------------


def rank_expression(entries, tier: str, step: int):
    """effective_percent in hundredths, as SQL: off + points_per_yuan × step, where step (the
    tier's multiplier in hundredths × the point value) is written into the statement as a
    number, so that PostgreSQL matches it with the tier's rank index in every plan (a bound
    value would match only in plans made for that value)."""
    e = entries.c
    return e[f"off_{tier}"] + e.points_per_yuan * literal_column(str(int(step)))


def rank_index_sql(tier: str, step: int) -> str:
    """PostgreSQL: the index that lists a tier's offers in ranking order (contract §6), so
    that the first page of a broad search is read in order and stops after the page instead
    of sorting every match. With other multipliers or point value than its step, the search
    still ranks right, by sorting; `flask directory reindex` rebuilds these for the
    configuration in force."""
    # name and offer id break ties within a (percent, avg_spend) group, which an incremental
    # sort orders: keeping them out of the index makes it a tenth of the size.
    return (f"CREATE INDEX ix_directory_entries_rank_{tier} ON directory_entries"
            f" ((off_{tier} + points_per_yuan * {int(step)}) DESC, avg_spend) WHERE listed")


def stale_rank_indexes(conn, steps: dict[str, int], tiers: Iterable[str] = TIERS) -> list[str]:
    """PostgreSQL: those of the tiers whose rank index is missing or made for another step."""
    if not is_postgres(conn):
        return []
    made = dict(conn.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'directory_entries'"))
        .all())
    return [tier for tier in tiers
            if f"points_per_yuan * {int(steps[tier])})" not in
            made.get(f"ix_directory_entries_rank_{tier}", "")]


def rebuild_rank_indexes(conn, tiers: list[str], steps: dict[str, int]) -> None:
    """PostgreSQL: rebuild these tiers' rank indexes for these steps (tier → step). DROP INDEX
    locks the table until the transaction ends: run it in a short transaction of its own."""
    for tier in tiers:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_directory_entries_rank_{tier}")
        conn.exec_driver_sql(rank_index_sql(tier, steps[tier]))
    _rank_index_current.clear()


#: (database, tier, step) → whether that tier's rank index is made for that step; asked once
#: per process (a reindex by another process is seen after a restart; until then searches
#: sort, as without the index)
_rank_index_current: dict[tuple[str, str, int], bool] = {}


def rank_index_current(conn, tier: str, step: int) -> bool:
    """PostgreSQL: whether the tier's rank index lists offers in the order of this step."""
    if not is_postgres(conn):
        return False
    key = (str(conn.engine.url), tier, int(step))
    if key not in _rank_index_current:
        _rank_index_current[key] = not stale_rank_indexes(conn, {tier: step}, tiers=[tier])
    return _rank_index_current[key]


# --- searching -----------------------------------------------------------------------------


def by_name(postgres: bool, name_column):
    """Order by name in Unicode code point order (PostgreSQL's default collation is not)."""
    return name_column.collate("C") if postgres else name_column


@dataclass(frozen=True)
class TermMatch:
    """How an entry is matched against a term (keys module: which text, and how): `how`
    names the condition's form, `values` are what it is matched with. Statements are made
    once per form (valliance.directory.statements) and run with the values."""

    how: str
    values: tuple

    @property
    def shape(self) -> tuple[str, int]:
        return self.how, len(self.values)

    def bound(self, name: str) -> dict[str, object]:
        return {f"{name}_{i}": value for i, value in enumerate(self.values)}


def term_match(conn, term: keys.Term, spellings: list[str], indexed: bool = True) -> TermMatch:
    """How an entry contains the term; an ASCII term of 3+ characters as any of `spellings`
    (itself, or its typo spellings).

    Not indexed (PostgreSQL; for rows read in the ranking order: statements.walked_page):
    the same condition as plain LIKEs, which cost a tenth of splitting the grams of each row. A
    term of one or two characters is one of the grams exactly when it is in the written
    words or the initials: it holds letters and digits only, and so do the runs the grams are
    cut from."""
    text_ = term.text
    if not is_postgres(conn):
        if term.short:
            # the gram is one token of the grams table (a term holds letters and digits only,
            # so quoted it is one FTS5 string)
            return TermMatch("fts_gram", (f'"{text_}"',))
        if not term.ascii:
            return TermMatch("fts_han", (f"%{text_}%",))
        return TermMatch("fts_spelled", tuple(f"%{spelling}%" for spelling in spellings))
    if not indexed and not term.ascii:
        return TermMatch("han", (f"%{text_}%",))
    if not indexed and term.short:
        return TermMatch("han_or_initials", (f"%{text_}%",))
    if not term.ascii:  # every two characters of it, then the text itself
        if term.short:
            return TermMatch("grams", (term.bigrams(),))
        return TermMatch("grams_and_han", (term.bigrams(), f"%{text_}%"))
    if term.short:
        return TermMatch("grams", ([text_],))
    if len(spellings) == 1:
        return TermMatch("spelled", (f"%{spellings[0]}%",))
    # one trigram index scan per spelling, OR-ed into one bitmap; one statement however many
    # spellings there are (so it is planned once and prepared)
    return TermMatch("spelled_any", ([f"%{spelling}%" for spelling in spellings],))


def term_condition(source, shape: tuple[str, int], name: str):
    """The condition of a TermMatch of this shape on the entries (or rows read from them),
    its values bound as name_0, name_1 …"""
    how, count = shape
    e = source.c
    value = [bindparam(f"{name}_{i}") for i in range(count)]
    if how == "han":
        return e.han.like(value[0])
    if how == "fts_han":
        return e.id.in_(select(fts.c.rowid).where(fts.c.han.like(value[0])))
    if how == "han_or_initials":
        return or_(e.han.like(value[0]), e.initials.like(value[0]))
    if how == "grams":
        return _grams(e).op("@>")(_text_array(f"{name}_0"))
    if how == "grams_and_han":
        return and_(_grams(e).op("@>")(_text_array(f"{name}_0")), e.han.like(value[1]))
    if how == "spelled":
        return e.spelled.like(value[0])
    if how == "spelled_any":
        return e.spelled.like(any_(_text_array(f"{name}_0")))
    if how == "fts_gram":
        return e.id.in_(select(fts_grams.c.rowid).where(
            literal_column(FTS_GRAMS).op("MATCH")(value[0])))
    # FTS5 uses its index for one LIKE per query, not for an OR of several
    matches = [select(fts.c.rowid).where(fts.c.spelled.like(each)) for each in value]
    return e.id.in_(matches[0] if len(matches) == 1 else union(*matches))


def _grams(e):
    """PostgreSQL: the indexed expression (migration 0011), word for word (a bound ' ' would
    not match the index)."""
    return func.directory_grams(e.han.concat(literal_column("' '")).concat(e.initials))


def stores_grams(conn) -> bool:
    """Whether the entries' `grams` column is written (SQLite feeds its grams table from it;
    PostgreSQL indexes an expression of han and initials instead, and stores '')."""
    return not is_postgres(conn)


def _text_array(name: str):
    return bindparam(name, type_=ARRAY(Text))


def known_letter_grams(conn, letter_grams, grams: list[str]) -> set[str]:
    """Those of these letter grams (keys.GRAM letters long) that occur in some document."""
    gram = letter_grams.c.gram
    if is_postgres(conn):
        # one string, split by the server: the driver takes longer to send 700 strings as an
        # array than the server takes to look them up
        return set(conn.scalars(_known_grams(letter_grams), {"grams": " ".join(grams)}))
    found: set[str] = set()
    size = max_parameters(conn)
    for start in range(0, len(grams), size):
        found.update(conn.scalars(select(gram).where(gram.in_(grams[start:start + size]))))
    return found



@lru_cache(maxsize=4)
def _known_grams(letter_grams):
    """PostgreSQL: which of these space-separated letter grams are known (made once)."""
    gram = letter_grams.c.gram
    return select(gram).where(gram == any_(
        func.string_to_array(bindparam("grams"), literal_column("' '"))))
