"""alliance dashboard: a daily rollup per merchant, and indexes for the recent days

Added in issue #16. `alliance_days` keeps what each closed Shanghai day brought per merchant,
`alliance_tier_months` the members by tier at each closed month's end, `alliance_buyers`
each member's last closed day with a purchase, and
`alliance_referral_days` each day's 114 referrals and conversions once final (all written
only by valliance.backoffice.services.alliance_days.roll_up); the indexes read the last days
of transfers and purchases, and Stripe payments by when the money arrived.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alliance_days',
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('purchases', sa.Integer(), nullable=False),
        sa.Column('sales', sa.BigInteger(), nullable=False),
        sa.Column('points_issued', sa.BigInteger(), nullable=False),
        sa.Column('points_redeemed', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('merchant_id', 'day', name=op.f('pk_alliance_days')),
    )
    op.create_index('ix_alliance_days_day', 'alliance_days', ['day'])
    op.create_table(
        'alliance_tier_months',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('tier', sa.String(length=16), nullable=False),
        sa.Column('members', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'tier', name=op.f('pk_alliance_tier_months')),
    )
    op.create_table(
        'alliance_buyers',
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_alliance_buyers')),
    )
    op.create_index('ix_alliance_buyers_last_day', 'alliance_buyers', ['last_day'])
    op.create_table(
        'alliance_referral_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('referrals', sa.Integer(), nullable=False),
        sa.Column('conversions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_alliance_referral_days')),
    )
    # Plain CREATE INDEX (no batch: SQLite would copy the table and lose its triggers).
    op.create_index('ix_transfers_created_at', 'transfers', ['created_at'])
    op.create_index('ix_purchases_created_at_member_id', 'purchases', ['created_at', 'member_id'])
    op.create_index('ix_payments_paid_at', 'payments', ['paid_at'])


def downgrade():
    op.drop_index('ix_payments_paid_at', table_name='payments')
    op.drop_index('ix_purchases_created_at_member_id', table_name='purchases')
    op.drop_index('ix_transfers_created_at', table_name='transfers')
    op.drop_table('alliance_referral_days')
    op.drop_index('ix_alliance_buyers_last_day', table_name='alliance_buyers')
    op.drop_table('alliance_buyers')
    op.drop_table('alliance_tier_months')
    op.drop_index('ix_alliance_days_day', table_name='alliance_days')
    op.drop_table('alliance_days')
