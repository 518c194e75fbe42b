"""directory: PostgreSQL indexes the grams as an expression of the written words and initials

Added in the directory issue (#5), for speed. PostgreSQL's GIN index of one- and
two-character grams is now on `directory_grams(han || ' ' || initials)` — every character and
every pair of neighbouring characters that holds no space — instead of on a stored `grams`
column (372 of the ~870 bytes of each entry). The column stays for SQLite, whose full-text
table of grams is fed from it; on PostgreSQL it holds ''. The entries take half the pages,
so a term found in thousands of offers (xc, 美发) counts them from half as many pages.

A term holds letters and digits only, so it is one of these pieces exactly when it is one of
the grams keys.Keys makes (pieces with punctuation in them are indexed too, and never asked
for). The table is read without parallel workers: starting them costs more than a search.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:20:00

"""
from alembic import op
import sqlalchemy as sa

from valliance.directory import terms as keys


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

GRAMS_FUNCTION = """
CREATE FUNCTION directory_grams(words text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_remove(string_to_array(words, NULL), ' ') || array(
    SELECT pair FROM generate_series(1, length(words) - 1) AS i, substr(words, i, 2) AS pair
    WHERE strpos(pair, ' ') = 0)
$$
"""


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP INDEX IF EXISTS ix_directory_entries_grams')
    op.execute(GRAMS_FUNCTION)
    op.execute("UPDATE directory_entries SET grams = ''")
    op.execute('CREATE INDEX ix_directory_entries_grams ON directory_entries'
               " USING gin (directory_grams(han || ' ' || initials))")
    op.execute('ALTER TABLE directory_entries SET (parallel_workers = 0)')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('ALTER TABLE directory_entries RESET (parallel_workers)')
    op.execute('DROP INDEX IF EXISTS ix_directory_entries_grams')
    op.execute('DROP FUNCTION IF EXISTS directory_grams(text)')
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        'SELECT id, name, title, category, address FROM directory_entries')).all()
    for id_, name, title, category, address in rows:
        conn.execute(sa.text('UPDATE directory_entries SET grams = :grams WHERE id = :id'),
                     {'grams': keys.offer_keys(name, title, category, address).grams,
                      'id': id_})
    op.execute('CREATE INDEX ix_directory_entries_grams ON directory_entries'
               " USING gin (string_to_array(grams, ' '))")
