"""directory: no index made for one configuration (one search plan per engine)

Added in issue #15 (section 5). PostgreSQL: drops the per-tier rank indexes of migration
0009, whose definitions held the default tier multipliers and point value. In their place,
per tier, an index of listed documents by category and points per yuan, then the tier's
discount (highest first), then typical spend: within one group of a category and a points
per yuan that is the ranking order whatever the multiplier and point value, so a list's page
is the best of each group's first rows (valliance/directory/search/__init__.py: the plan).
And a narrow index of listed documents' categories and dates, so that a list of a category,
or of everything, is counted from it alone. The text, gram and
covering filter indexes stay.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TIERS = ('standard', 'silver', 'gold', 'diamond')
#: tier → its multiplier in hundredths × the default point value, as 0009 made them
STEPS = {'standard': 100, 'silver': 120, 'gold': 150, 'diamond': 200}


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for tier in TIERS:
        op.execute(f'DROP INDEX IF EXISTS ix_directory_entries_rank_{tier}')
        op.execute(f'CREATE INDEX ix_directory_entries_order_{tier} ON directory_entries'
                   f' (category, points_per_yuan, off_{tier} DESC, avg_spend) WHERE listed')
    op.execute('CREATE INDEX ix_directory_entries_listed_dates ON directory_entries'
               ' (category, valid_until, valid_from) WHERE listed')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP INDEX IF EXISTS ix_directory_entries_listed_dates')
    for tier, step in STEPS.items():
        op.execute(f'DROP INDEX IF EXISTS ix_directory_entries_order_{tier}')
        op.execute(f'CREATE INDEX ix_directory_entries_rank_{tier} ON directory_entries'
                   f' ((off_{tier} + points_per_yuan * {step}) DESC, avg_spend) WHERE listed')
