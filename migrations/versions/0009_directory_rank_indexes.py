"""directory: one index per tier in the ranking order, for the first page of broad searches

Added in the directory issue (#5), for speed. PostgreSQL only: each tier's offers listed by
effective_percent (off + points_per_yuan × the tier's multiplier in hundredths × the point
value), then avg_spend (contract §6; ties in name and offer id are sorted), for the default
multipliers (1.0, 1.2, 1.5, 2.0) and point value (1 fen). A page of a search that matches
thousands of offers is then read in order and stops after the page. Other settings still rank
right, by sorting; `flask directory reindex` rebuilds these indexes for them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: tier → its multiplier in hundredths × the default point value (1 fen)
STEPS = {'standard': 100, 'silver': 120, 'gold': 150, 'diamond': 200}


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for tier, step in STEPS.items():
        # ties in name and offer id: an incremental sort of each (percent, avg_spend) group
        op.execute(f'CREATE INDEX ix_directory_entries_rank_{tier} ON directory_entries'
                   f' ((off_{tier} + points_per_yuan * {step}) DESC, avg_spend) WHERE listed')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for tier in STEPS:
        op.execute(f'DROP INDEX IF EXISTS ix_directory_entries_rank_{tier}')
