"""directory search: one search document per offer, and the engine's indexes

Added in the directory issue (#5). `directory_entries` holds each offer as the 114 search
reads it (name, title, category, address as written, in pinyin and in initials; the filter and
ranking columns); `directory_letter_grams` the four-letter sequences of the pinyin (five since
0010), which typo-tolerant queries are checked against.

PostgreSQL: pg_trgm GIN on `spelled` (pinyin, initials: 3+ characters), GIN on the array of
`grams` (Chinese, and 1–2-character terms), covering indexes for category and district lists.
SQLite: an FTS5 table with the trigram tokenizer over `han` and `spelled`, another with each
gram a token, kept in step by triggers; partial indexes for category and district lists.

Existing offers are indexed here (the documents are made by valliance.directory.keys, which
depends on no table, so this migration does not use the models).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:10:00

"""
from decimal import Decimal

from alembic import op
import sqlalchemy as sa

from valliance.directory import terms as keys


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TIERS = ('standard', 'silver', 'gold', 'diamond')
RANK_INCLUDE = ('valid_from', 'valid_until', 'off_standard', 'off_silver', 'off_gold',
                'off_diamond', 'points_per_yuan', 'avg_spend', 'name', 'offer_id', 'id')


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_table('directory_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('offer_id', sa.String(length=40), nullable=False),
    sa.Column('merchant_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('avg_spend', sa.BigInteger(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('off_standard', sa.Integer(), nullable=False),
    sa.Column('off_silver', sa.Integer(), nullable=False),
    sa.Column('off_gold', sa.Integer(), nullable=False),
    sa.Column('off_diamond', sa.Integer(), nullable=False),
    sa.Column('points_per_yuan', sa.Integer(), nullable=False),
    sa.Column('han', sa.Text(), nullable=False),
    sa.Column('spelled', sa.Text(), nullable=False),
    sa.Column('initials', sa.Text(), nullable=False),
    sa.Column('grams', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_directory_entries_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_entries')),
    sa.UniqueConstraint('offer_id', name=op.f('uq_directory_entries_offer_id'))
    )
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_entries_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('directory_letter_grams',
    sa.Column('gram', sa.String(length=4), nullable=False),
    sa.PrimaryKeyConstraint('gram', name=op.f('pk_directory_letter_grams'))
    )

    if postgres:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_directory_entries_spelled_trgm ON directory_entries'
                   ' USING gin (spelled gin_trgm_ops)')
        op.execute('CREATE INDEX ix_directory_entries_grams ON directory_entries'
                   " USING gin (string_to_array(grams, ' '))")
        include = ', '.join(RANK_INCLUDE)
        op.execute('CREATE INDEX ix_directory_entries_category_rank ON directory_entries'
                   f' (category, district) INCLUDE ({include}) WHERE listed')
        op.execute('CREATE INDEX ix_directory_entries_district_rank ON directory_entries'
                   f' (district) INCLUDE ({include}) WHERE listed')
    else:
        op.execute("CREATE VIRTUAL TABLE directory_fts USING fts5(han, spelled,"
                   " content='directory_entries', content_rowid='id', tokenize='trigram')")
        # one- and two-character grams, each a token: what the trigram table cannot find
        op.execute("CREATE VIRTUAL TABLE directory_fts_grams USING fts5(grams,"
                   " content='directory_entries', content_rowid='id', tokenize='unicode61')")
        add = ('INSERT INTO directory_fts(rowid, han, spelled)'
               ' VALUES (new.id, new.han, new.spelled);'
               ' INSERT INTO directory_fts_grams(rowid, grams) VALUES (new.id, new.grams);')
        remove = ("INSERT INTO directory_fts(directory_fts, rowid, han, spelled)"
                  " VALUES ('delete', old.id, old.han, old.spelled);"
                  " INSERT INTO directory_fts_grams(directory_fts_grams, rowid, grams)"
                  " VALUES ('delete', old.id, old.grams);")
        op.execute('CREATE TRIGGER directory_entries_fts_insert AFTER INSERT ON directory_entries'
                   f' BEGIN {add} END')
        op.execute('CREATE TRIGGER directory_entries_fts_delete AFTER DELETE ON directory_entries'
                   f' BEGIN {remove} END')
        op.execute('CREATE TRIGGER directory_entries_fts_update AFTER UPDATE ON directory_entries'
                   f' BEGIN {remove} {add} END')
        # "listed = 1": how SQLAlchemy says it to SQLite, which must read the same words here;
        # the rank columns as trailing keys (SQLite has no INCLUDE) make the index covering
        include = ', '.join(RANK_INCLUDE)
        op.execute('CREATE INDEX ix_directory_entries_category_rank ON directory_entries'
                   f' (category, district, {include}, listed) WHERE listed = 1')
        op.execute('CREATE INDEX ix_directory_entries_district_rank ON directory_entries'
                   f' (district, {include}, listed) WHERE listed = 1')
    index_existing_offers(op.get_bind())


def index_existing_offers(conn):
    """Write the entries of the offers already there."""
    overrides = {}
    for offer_id, tier, percent in conn.execute(sa.text(
            'SELECT offer_id, tier, percent_off FROM offer_tier_rates')):
        overrides.setdefault(offer_id, {})[tier] = percent
    rows = []
    for row in conn.execute(sa.text(
            'SELECT o.id, o.merchant_id, o.title, o.percent_off, o.points_per_yuan,'
            ' o.valid_from, o.valid_until, o.active, m.name, m.category, m.district,'
            ' m.address, m.phone, m.avg_spend, m.status'
            ' FROM offers o JOIN merchants m ON m.id = o.merchant_id')).mappings():
        found = keys.offer_keys(row['name'], row['title'], row['category'], row['address'])
        percent = overrides.get(row['id'], {})
        rows.append({
            'offer_id': row['id'], 'merchant_id': row['merchant_id'], 'name': row['name'],
            'title': row['title'], 'category': row['category'], 'district': row['district'],
            'address': row['address'], 'phone': row['phone'], 'avg_spend': row['avg_spend'],
            'listed': row['status'] == 'approved' and bool(row['active']),
            'valid_from': row['valid_from'], 'valid_until': row['valid_until'],
            **{f'off_{tier}': _hundredths(percent.get(tier, row['percent_off']))
               for tier in TIERS},
            'points_per_yuan': row['points_per_yuan'], 'han': found.han,
            'spelled': found.spelled, 'initials': found.initials,
            'grams': found.grams,
        })
    if not rows:
        return
    table = sa.table('directory_entries', *(sa.column(name) for name in rows[0]))
    for start in range(0, len(rows), 5000):
        conn.execute(table.insert(), rows[start:start + 5000])
    # the letter grams are made by migration 0010 (five letters long since, which this
    # table's column, four long here, would not hold)


def _hundredths(percent) -> int:
    """12.5 (an exact Decimal, or SQLite's number) → 1250."""
    return int((Decimal(str(percent)) * 100).to_integral_value())


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if not postgres:
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS directory_entries_fts_{trigger}')
        op.execute('DROP TABLE IF EXISTS directory_fts')
        op.execute('DROP TABLE IF EXISTS directory_fts_grams')
        op.execute('DROP INDEX IF EXISTS ix_directory_entries_category_rank')
        op.execute('DROP INDEX IF EXISTS ix_directory_entries_district_rank')
    op.drop_table('directory_letter_grams')
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_entries_merchant_id'))

    op.drop_table('directory_entries')
