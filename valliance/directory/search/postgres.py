"""The directory search on PostgreSQL: how a document is matched, and how documents are written.

A term of 3+ ASCII characters (pinyin, initials, Latin words, numbers) is found through the
pg_trgm GIN index on `spelled`; a Chinese term through the GIN index of every character and
pair of characters of the written words and initials (`directory_grams`, migration 0011), by
its pairs and then LIKE; a term of one or two characters by that index alone. Category and
district filters use the partial covering indexes of listed documents (migration 0006). The
indexes hold no configuration: ranking by the tier's multiplier and the point value is
computed per search (statements.rank_expression).
"""

from collections.abc import Iterable

from sqlalchemy import Text, and_, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from valliance.directory.search.statements import TermMatch
from valliance.directory.terms import Term

NAME = "postgresql"
#: the documents' `grams` column holds '': the index makes the grams from han and initials
STORES_GRAMS = False
#: a list of a category or of every offer is read group by group from the tiers' order
#: indexes (statements.grouped_list_page)
GROUPED_LISTS = True


def prepare(conn) -> None:
    """Before a search's statements: no JIT compilation for the rest of the transaction. The
    planner's estimate of a grouped list (a hundred groups, where there are a handful) passes
    the JIT threshold, and compiling costs tens of milliseconds; these statements read a
    few thousand rows at most."""
    conn.exec_driver_sql("SET LOCAL jit = off")


def max_parameters(conn) -> int:
    """How many bound values one statement may carry."""
    return 30000


def among(column, values: list):
    """column is one of values: one array parameter (an IN list of thousands of placeholders
    costs more to parse than to run)."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type), unique=True))


def lock_merchants(conn, merchant_ids: list[str]) -> None:
    """Lock the merchants' rows (ascending ids: no deadlock between refreshes). FOR NO KEY
    UPDATE, so that purchases at these merchants (foreign-key checks) do not wait."""
    if merchant_ids:
        conn.exec_driver_sql(
            "SELECT id FROM merchants WHERE id = ANY(%(ids)s) ORDER BY id FOR NO KEY UPDATE",
            {"ids": merchant_ids})


def write_rows(conn, target, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """COPY rows (tuples in columns' order) in: several times faster than INSERTs, and the
    server indexes each row while the caller makes the next."""
    copy_sql = f"COPY {target.name} ({', '.join(columns)}) FROM STDIN"
    with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)


def insert_missing(conn, target, key: str, values: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING of single-column rows."""
    size = max_parameters(conn)
    for start in range(0, len(values), size):
        conn.execute(pg_insert(target).on_conflict_do_nothing(index_elements=[key]),
                     [{key: value} for value in values[start:start + size]])


def by_name(name_column):
    """Name in Unicode code point order (the database's collation may be another)."""
    return name_column.collate("C")


def term_match(term: Term, spellings: list[str]) -> TermMatch:
    """How a document contains the term; an ASCII term of 3+ characters as any of
    `spellings` (itself, or its typo spellings)."""
    if not term.ascii:  # every two characters of it, then the text itself
        if term.short:
            return TermMatch("grams", (term.bigrams(),))
        return TermMatch("grams_and_han", (term.bigrams(), f"%{term.text}%"))
    if term.short:  # one of the grams exactly when it is in the written words or initials
        return TermMatch("grams", ([term.text],))
    if len(spellings) == 1:
        return TermMatch("spelled", (f"%{spellings[0]}%",))
    # one trigram index scan per spelling, OR-ed into one bitmap; one statement however many
    # spellings there are (so that it is planned once and prepared)
    return TermMatch("spelled_any", ([f"%{spelling}%" for spelling in spellings],))


def term_condition(source, shape: tuple[str, int], name: str):
    """The condition of a TermMatch of this shape, its values bound as name_0, name_1 …"""
    kind, _ = shape
    e = source.c
    if kind == "grams":
        return _grams(e).op("@>")(_text_array(f"{name}_0"))
    if kind == "grams_and_han":
        return and_(_grams(e).op("@>")(_text_array(f"{name}_0")),
                    e.han.like(bindparam(f"{name}_1")))
    if kind == "spelled":
        return e.spelled.like(bindparam(f"{name}_0"))
    return e.spelled.like(any_(_text_array(f"{name}_0")))


def _grams(e):
    """The indexed expression (migration 0011), word for word (a bound ' ' would not match
    the index)."""
    return func.directory_grams(e.han.concat(literal_column("' '")).concat(e.initials))


def _text_array(name: str):
    return bindparam(name, type_=ARRAY(Text))


def known_letter_grams(conn, letter_grams, grams: list[str]) -> set[str]:
    """Those of these letter grams that occur in some document: sent as one string and split
    by the server (the driver takes longer to send 700 strings as an array than the server
    takes to look them up)."""
    return set(conn.scalars(_known_grams(letter_grams), {"grams": " ".join(grams)}))


def _known_grams(letter_grams):
    gram = letter_grams.c.gram
    return select(gram).where(gram == any_(
        func.string_to_array(bindparam("grams"), literal_column("' '"))))
