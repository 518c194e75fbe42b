"""messaging: marketing SMS marked in the outbox

Added in issue #17. Campaign messages wait behind sign-up codes and alerts, and are handed to
the gateway only outside the quiet hours (21:00–09:00 Asia/Shanghai), even when a delivery
or a retry runs at night. And when a message was claimed (claimed_at): a delivery killed
between its claim and its outcomes left the batch "sending" for ever; a claim older than
outbox.RECLAIM_AFTER is taken again.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 13:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from valliance.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('outbox_messages', sa.Column('marketing', sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.add_column('outbox_messages', sa.Column('claimed_at', UTCDateTime(), nullable=True))
    # what campaigns queued before: marketing; a claim left sending: as if made now
    op.execute("UPDATE outbox_messages SET marketing = true WHERE id IN (SELECT "
               "outbox_message_id FROM campaign_deliveries WHERE outbox_message_id IS NOT NULL)")
    outbox = sa.table('outbox_messages', sa.column('status', sa.String),
                      sa.column('claimed_at', UTCDateTime()))
    op.execute(outbox.update().where(outbox.c.status == 'sending')
               .values(claimed_at=datetime.now(UTC)))


def downgrade():
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_column('claimed_at')
        batch.drop_column('marketing')
