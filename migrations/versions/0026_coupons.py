"""coupons: templates, issued coupons, the alliance's coupon lines

Added in issue #18 (contract §11). Purchases gain the coupon they used and its value;
settlement periods and statements gain the alliance-coupon line.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 11:40:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import BigId, UTCDateTime

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coupon_templates',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('min_spend', sa.BigInteger(), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=True),
        sa.Column('valid_days', sa.BigInteger(), nullable=False),
        sa.Column('per_member', sa.BigInteger(), nullable=False),
        sa.Column('total_limit', sa.BigInteger(), nullable=True),
        sa.Column('issued_count', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('tiers', sa.String(length=100), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'retired')",
                           name=op.f('ck_coupon_templates_status')),
        sa.CheckConstraint('value > 0', name=op.f('ck_coupon_templates_value_positive')),
        sa.CheckConstraint('min_spend >= 0',
                           name=op.f('ck_coupon_templates_min_spend_not_negative')),
        sa.CheckConstraint('valid_days >= 1',
                           name=op.f('ck_coupon_templates_valid_days_positive')),
        sa.CheckConstraint('per_member >= 1',
                           name=op.f('ck_coupon_templates_per_member_positive')),
        sa.CheckConstraint('total_limit IS NULL OR total_limit >= 1',
                           name=op.f('ck_coupon_templates_total_limit_positive')),
        sa.CheckConstraint('issued_count >= 0 AND (total_limit IS NULL '
                           'OR issued_count <= total_limit)',
                           name=op.f('ck_coupon_templates_issued_within_limit')),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'],
                                name=op.f('fk_coupon_templates_merchant_id_merchants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_templates')),
    )
    op.create_index('ix_coupon_templates_merchant_id', 'coupon_templates', ['merchant_id'])
    op.create_table(
        'coupons',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('code', sa.String(length=12), nullable=False),
        sa.Column('template_id', sa.String(length=40), nullable=False),
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('used_purchase_id', sa.String(length=40), nullable=True),
        sa.Column('used_at', UTCDateTime(), nullable=True),
        sa.Column('source', sa.String(length=100), nullable=False),
        sa.CheckConstraint("status IN ('active', 'used', 'expired', 'void')",
                           name=op.f('ck_coupons_status')),
        sa.CheckConstraint('length(code) = 12', name=op.f('ck_coupons_code_length')),
        sa.ForeignKeyConstraint(['template_id'], ['coupon_templates.id'],
                                name=op.f('fk_coupons_template_id_coupon_templates')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_coupons_member_id_members')),
        sa.ForeignKeyConstraint(['used_purchase_id'], ['purchases.id'],
                                name=op.f('fk_coupons_used_purchase_id_purchases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
        sa.UniqueConstraint('code', name=op.f('uq_coupons_code')),
    )
    op.create_index('ix_coupons_member_id_template_id', 'coupons', ['member_id', 'template_id'])
    op.create_table(
        'coupon_lines',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('coupon_id', sa.String(length=40), nullable=False),
        sa.Column('purchase_id', sa.String(length=40), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('value_fen', sa.BigInteger(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('value_fen <> 0', name=op.f('ck_coupon_lines_value_not_zero')),
        sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'],
                                name=op.f('fk_coupon_lines_coupon_id_coupons')),
        sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'],
                                name=op.f('fk_coupon_lines_purchase_id_purchases')),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'],
                                name=op.f('fk_coupon_lines_merchant_id_merchants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_lines')),
    )
    op.create_index('ix_coupon_lines_purchase_id', 'coupon_lines', ['purchase_id'])
    op.add_column('purchases', sa.Column('coupon_code', sa.String(length=12), nullable=True))
    op.add_column('purchases', sa.Column('coupon_value', sa.BigInteger(), server_default='0',
                                         nullable=False))
    for column in ('coupon_lower_id', 'coupon_cutoff_id', 'coupon_fen'):
        op.add_column('settlement_periods', sa.Column(column, sa.BigInteger(),
                                                      server_default='0', nullable=False))
    op.add_column('settlement_statements', sa.Column('coupon_fen', sa.BigInteger(),
                                                     server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('settlement_statements') as batch:
        batch.drop_column('coupon_fen')
    with op.batch_alter_table('settlement_periods') as batch:
        for column in ('coupon_fen', 'coupon_cutoff_id', 'coupon_lower_id'):
            batch.drop_column(column)
    with op.batch_alter_table('purchases') as batch:
        batch.drop_column('coupon_value')
        batch.drop_column('coupon_code')
    op.drop_index('ix_coupon_lines_purchase_id', table_name='coupon_lines')
    op.drop_table('coupon_lines')
    op.drop_index('ix_coupons_member_id_template_id', table_name='coupons')
    op.drop_table('coupons')
    op.drop_index('ix_coupon_templates_merchant_id', table_name='coupon_templates')
    op.drop_table('coupon_templates')
