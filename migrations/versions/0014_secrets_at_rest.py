"""secrets at rest: pending sign-ups kept server-side; outbox messages flagged secret

A sign-up waits for its SMS code in `pending_signups` (keyed by the hash of a random id the
browser holds; the password's hash sealed with secret_box), no longer in the session cookie.
`outbox_messages.secret` marks a message with a one-time code: sealed while queued, blanked
once sent.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:00:00

"""
from alembic import op
import sqlalchemy as sa

import valliance.db


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_signups',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('password_hash', sa.String(length=500), nullable=False),
    sa.Column('expires_at', valliance.db.UTCDateTime(), nullable=False),
    sa.Column('created_at', valliance.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_pending_signups'))
    )
    with op.batch_alter_table('pending_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_signups_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('secret')

    with op.batch_alter_table('pending_signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_signups_expires_at'))

    op.drop_table('pending_signups')
