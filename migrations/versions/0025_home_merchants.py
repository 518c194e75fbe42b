"""marketing: each member's most frequent merchant, kept by the scoring run

Added in issue #17. The segments' district filter reads these rows for members who have not
bought since the run, instead of ranking a million purchases on every preview.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:45:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'member_home_merchants',
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('computed_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_member_home_merchants_member_id_members')),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'],
                                name=op.f('fk_member_home_merchants_merchant_id_merchants')),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_home_merchants')),
    )
    op.create_index('ix_member_home_merchants_merchant_id', 'member_home_merchants',
                    ['merchant_id'])


def downgrade():
    op.drop_index('ix_member_home_merchants_merchant_id', table_name='member_home_merchants')
    op.drop_table('member_home_merchants')
