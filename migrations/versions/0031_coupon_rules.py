"""coupons: 满就送 rules and their grants; a campaign delivery's coupon

Added in issue #18. A rule "spend ≥ X at merchant M → coupon C" issues a coupon with the
purchase that qualifies (one grant row per rule and purchase); a campaign with a coupon
template records on each reached member's delivery whether their coupon was issued.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 15:00:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coupon_rules',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=True),
        sa.Column('template_id', sa.String(length=40), nullable=False),
        sa.Column('min_spend', sa.BigInteger(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('ends_on', sa.Date(), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('min_spend >= 1', name=op.f('ck_coupon_rules_min_spend_positive')),
        sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on',
                           name=op.f('ck_coupon_rules_dates_in_order')),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'],
                                name=op.f('fk_coupon_rules_merchant_id_merchants')),
        sa.ForeignKeyConstraint(['template_id'], ['coupon_templates.id'],
                                name=op.f('fk_coupon_rules_template_id_coupon_templates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_rules')),
    )
    op.create_index('ix_coupon_rules_merchant_id', 'coupon_rules', ['merchant_id'])
    op.create_table(
        'coupon_rule_grants',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('rule_id', sa.String(length=40), nullable=False),
        sa.Column('purchase_id', sa.String(length=40), nullable=False),
        sa.Column('coupon_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['rule_id'], ['coupon_rules.id'],
                                name=op.f('fk_coupon_rule_grants_rule_id_coupon_rules')),
        sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'],
                                name=op.f('fk_coupon_rule_grants_purchase_id_purchases')),
        sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'],
                                name=op.f('fk_coupon_rule_grants_coupon_id_coupons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_rule_grants')),
        sa.UniqueConstraint('rule_id', 'purchase_id',
                            name=op.f('uq_coupon_rule_grants_rule_id')),
        sa.UniqueConstraint('coupon_id', name=op.f('uq_coupon_rule_grants_coupon_id')),
    )
    op.create_index('ix_coupon_rule_grants_purchase_id', 'coupon_rule_grants',
                    ['purchase_id'])
    with op.batch_alter_table('campaign_deliveries') as batch:
        batch.add_column(sa.Column('coupon_outcome', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('coupon_id', sa.String(length=40), nullable=True))
        batch.create_foreign_key(op.f('fk_campaign_deliveries_coupon_id_coupons'), 'coupons',
                                 ['coupon_id'], ['id'])
        batch.create_check_constraint(op.f('ck_campaign_deliveries_coupon_outcome'),
                                      "coupon_outcome IN ('issued', 'refused')")


def downgrade():
    with op.batch_alter_table('campaign_deliveries') as batch:
        batch.drop_constraint(op.f('ck_campaign_deliveries_coupon_outcome'), type_='check')
        batch.drop_constraint(op.f('fk_campaign_deliveries_coupon_id_coupons'),
                              type_='foreignkey')
        batch.drop_column('coupon_id')
        batch.drop_column('coupon_outcome')
    op.drop_index('ix_coupon_rule_grants_purchase_id', table_name='coupon_rule_grants')
    op.drop_table('coupon_rule_grants')
    op.drop_index('ix_coupon_rules_merchant_id', table_name='coupon_rules')
    op.drop_table('coupon_rules')
