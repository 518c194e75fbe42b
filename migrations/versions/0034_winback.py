"""win-back: the programme's settings, the coupons it gave, campaigns' re-entry period

Added in issue #18. The win-back programme is a standing daily campaign; a campaign may now
reach a member again only after they bought since and a number of days passed
(campaigns.reentry_days, None: once a year as before). A programme's own campaign (birthday
care's, win-back's) says so (campaigns.programme): the campaign pages leave it to the
programme's page.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 14:30:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import BigId, UTCDateTime

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    # In place (a batch copy of campaigns would drop a table its runs and deliveries reference)
    op.add_column('campaigns', sa.Column('reentry_days', sa.Integer(), nullable=True))
    op.add_column('campaigns', sa.Column('programme', sa.String(length=16), nullable=True))
    op.create_table(
        'winback_programmes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.String(length=40), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('lapse_days', sa.Integer(), nullable=False),
        sa.Column('min_purchases', sa.Integer(), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('coupon_template_id', sa.String(length=40), nullable=True),
        sa.Column('updated_by', sa.String(length=60), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('lapse_days >= 1', name=op.f('ck_winback_programmes_lapse_days')),
        sa.CheckConstraint('min_purchases >= 1',
                           name=op.f('ck_winback_programmes_min_purchases')),
        sa.CheckConstraint('window_days >= 1', name=op.f('ck_winback_programmes_window_days')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_winback_programmes_campaign_id_campaigns')),
        sa.ForeignKeyConstraint(
            ['coupon_template_id'], ['coupon_templates.id'],
            name=op.f('fk_winback_programmes_coupon_template_id_coupon_templates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_winback_programmes')),
    )
    op.create_table(
        'winback_coupons',
        sa.Column('delivery_id', BigId, nullable=False),
        sa.Column('coupon_id', sa.String(length=40), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['campaign_deliveries.id'],
                                name=op.f('fk_winback_coupons_delivery_id_campaign_deliveries')),
        sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'],
                                name=op.f('fk_winback_coupons_coupon_id_coupons')),
        sa.PrimaryKeyConstraint('delivery_id', name=op.f('pk_winback_coupons')),
    )


def downgrade():
    op.drop_table('winback_coupons')
    op.drop_table('winback_programmes')
    # In place (SQLite >= 3.35 and PostgreSQL), as migration 0023
    op.execute('ALTER TABLE campaigns DROP COLUMN programme')
    op.execute('ALTER TABLE campaigns DROP COLUMN reentry_days')
