"""messaging: marketing SMS marked in the outbox

Added in issue #17. Campaign messages wait behind sign-up codes and alerts, and are handed to
the gateway only outside the quiet hours (21:00–09:00 Asia/Shanghai), even when a delivery
or a retry runs at night.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 13:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('outbox_messages', sa.Column('marketing', sa.Boolean(), nullable=False,
                                               server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_column('marketing')
