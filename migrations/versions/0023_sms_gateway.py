"""SMS gateway and marketing consent: outbox delivery state, members' marketing opt-in

Added in issue #17. Each outbox message records its delivery (status, attempts, the last
error) so a failed or refused send stays queued; members say whether they accept marketing
messages (marketing_opt_in, when it last changed).

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-07 05:45:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                   server_default='pending'))
        batch.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('last_error', sa.String(length=200), nullable=True))
    # messages already handed over before this revision were sent
    op.execute("UPDATE outbox_messages SET status = 'sent', attempts = 1 "
               "WHERE sent_at IS NOT NULL")
    # In place (a batch copy of members would drop a table that others reference)
    op.add_column('members', sa.Column('marketing_opt_in', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.add_column('members', sa.Column('marketing_opt_in_changed_at', UTCDateTime(),
                                       nullable=True))


def downgrade():
    # In place (SQLite >= 3.35 and PostgreSQL): a batch copy of members would drop a table
    # that cards, purchases and member_scores reference.
    op.execute('ALTER TABLE members DROP COLUMN marketing_opt_in_changed_at')
    op.execute('ALTER TABLE members DROP COLUMN marketing_opt_in')
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_column('last_error')
        batch.drop_column('attempts')
        batch.drop_column('status')
