"""directory: typo spellings checked against five-letter sequences of the pinyin

Added in the directory issue (#5), for speed. A query with a typo is searched by the
spellings one edit away whose letter sequences all occur in some offer. Checked against
four-letter sequences, most of those spellings occurred nowhere (13 of the 19 kept for jiudan
and shaokai), and each was still rechecked against every candidate row; five letters (the
shortest spelling searched) keep a third as many. `directory_letter_grams` is rebuilt from
the entries (valliance.directory.keys makes the sequences and depends on no table).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:10:00

"""
from alembic import op
import sqlalchemy as sa

from valliance.directory import terms as keys


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('directory_letter_grams', schema=None) as batch_op:
        batch_op.alter_column('gram', existing_type=sa.String(length=4),
                              type_=sa.String(length=5), existing_nullable=False)
    fill_letter_grams(op.get_bind())


def fill_letter_grams(conn):
    """Make the letter grams of every entry there (and no others)."""
    conn.execute(sa.text('DELETE FROM directory_letter_grams'))
    grams: set[str] = set()
    for name, title, category, address in conn.execute(sa.text(
            'SELECT name, title, category, address FROM directory_entries')):
        grams |= keys.offer_keys(name, title, category, address).letters
    table = sa.table('directory_letter_grams', sa.column('gram'))
    ordered = sorted(grams)
    for start in range(0, len(ordered), 5000):
        conn.execute(table.insert(), [{'gram': g} for g in ordered[start:start + 5000]])


def downgrade():
    # four-letter sequences are not kept: `flask directory reindex` makes them after a
    # downgrade of the code as well
    op.execute('DELETE FROM directory_letter_grams')
    with op.batch_alter_table('directory_letter_grams', schema=None) as batch_op:
        batch_op.alter_column('gram', existing_type=sa.String(length=5),
                              type_=sa.String(length=4), existing_nullable=False)
