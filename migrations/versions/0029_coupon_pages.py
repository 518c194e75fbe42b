"""coupons: purchases found by their coupon's code

Added in issue #18. The staff's coupon pages count, per template, the purchases that used its
coupons and what they spent: purchases are read by coupon_code.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 14:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_purchases_coupon_code', 'purchases', ['coupon_code'])


def downgrade():
    op.drop_index('ix_purchases_coupon_code', table_name='purchases')
