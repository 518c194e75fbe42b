"""points: lot draws and expired points per lot; marketing: expiry reminders sent

Added in issue #18. A redemption records which lots it spent (lot_draws), so that its refund
puts the points back into those lots with their own expiry instead of opening a fresh lot; a
lot counts the points of it that expired (lots.expired: what a reminder did not save).
expiry_reminders: the 30- and 7-day reminders before points expire, one row per member, lot
expiry moment and stage.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 15:00:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import BigId, UTCDateTime

# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('lots', sa.Column('expired', sa.BigInteger(), nullable=False,
                                    server_default='0'))
    op.create_table(
        'lot_draws',
        sa.Column('transfer_id', BigId, nullable=False),
        sa.Column('lot_id', BigId, nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('returned', sa.BigInteger(), nullable=False, server_default='0'),
        sa.CheckConstraint('points > 0 AND returned >= 0 AND returned <= points',
                           name=op.f('ck_lot_draws_returned_in_range')),
        sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'],
                                name=op.f('fk_lot_draws_transfer_id_transfers')),
        sa.ForeignKeyConstraint(['lot_id'], ['lots.transfer_id'],
                                name=op.f('fk_lot_draws_lot_id_lots')),
        sa.PrimaryKeyConstraint('transfer_id', 'lot_id', name=op.f('pk_lot_draws')),
    )
    op.create_table(
        'expiry_reminders',
        sa.Column('id', BigId, nullable=False),
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('account_id', sa.BigInteger(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('stage', sa.Integer(), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('named', sa.Boolean(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('stage IN (7, 30)', name=op.f('ck_expiry_reminders_stage')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expiry_reminders')),
        sa.UniqueConstraint('member_id', 'expires_at', 'stage',
                            name=op.f('uq_expiry_reminders_member_id')),
    )
    op.create_index('ix_expiry_reminders_sent_at', 'expiry_reminders', ['sent_at'])


def downgrade():
    op.drop_index('ix_expiry_reminders_sent_at', table_name='expiry_reminders')
    op.drop_table('expiry_reminders')
    op.drop_table('lot_draws')
    with op.batch_alter_table('lots') as batch:
        batch.drop_column('expired')
