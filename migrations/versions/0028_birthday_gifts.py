"""birthday care: the programme's configuration, the gifts given, the double-points extras

Added in issue #18. Campaigns gain `cap_exempt` (the birthday greeting may pass the 30-day
marketing cap, never the opt-out or the quiet hours). `birthday_programmes` is the programme's
one row; `birthday_gifts` one row per member and year reached; `birthday_bonuses` one row per
sale that earned the alliance's extra points in a double-points birthday month.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 14:50:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import BigId, UTCDateTime

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('campaigns', sa.Column('cap_exempt', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.create_table(
        'birthday_programmes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.String(length=40), nullable=True),
        sa.Column('gift', sa.String(length=8), nullable=False),
        sa.Column('bonus_points', sa.Integer(), server_default='0', nullable=False),
        sa.Column('coupon_template_id', sa.String(length=40), nullable=True),
        sa.Column('updated_by', sa.String(length=60), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("gift IN ('none', 'points', 'double', 'coupon')",
                           name=op.f('ck_birthday_programmes_gift')),
        sa.CheckConstraint('bonus_points >= 0', name=op.f('ck_birthday_programmes_bonus_points')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_birthday_programmes_campaign_id_campaigns')),
        sa.ForeignKeyConstraint(
            ['coupon_template_id'], ['coupon_templates.id'],
            name=op.f('fk_birthday_programmes_coupon_template_id_coupon_templates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_birthday_programmes')),
    )
    op.create_table(
        'birthday_gifts',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('campaign_id', sa.String(length=40), nullable=True),
        sa.Column('delivery_id', BigId, nullable=True),
        sa.Column('points', sa.Integer(), server_default='0', nullable=False),
        sa.Column('transfer_id', BigId, nullable=True),
        sa.Column('coupon_id', sa.String(length=40), nullable=True),
        sa.Column('double_from', sa.Date(), nullable=True),
        sa.Column('double_until', sa.Date(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('none', 'points', 'double', 'coupon')",
                           name=op.f('ck_birthday_gifts_kind')),
        sa.CheckConstraint('points >= 0', name=op.f('ck_birthday_gifts_points')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_birthday_gifts_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_birthday_gifts')),
        sa.UniqueConstraint('member_id', 'year', name=op.f('uq_birthday_gifts_member_id')),
    )
    op.create_index('ix_birthday_gifts_member_id_double_until', 'birthday_gifts',
                    ['member_id', 'double_until'])
    op.create_table(
        'birthday_bonuses',
        sa.Column('purchase_id', sa.String(length=40), nullable=False),
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('merchant_id', sa.String(length=40), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('transfer_id', BigId, nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('points > 0', name=op.f('ck_birthday_bonuses_points')),
        sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'],
                                name=op.f('fk_birthday_bonuses_purchase_id_purchases')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_birthday_bonuses_member_id_members')),
        sa.PrimaryKeyConstraint('purchase_id', name=op.f('pk_birthday_bonuses')),
    )
    op.create_index('ix_birthday_bonuses_member_id', 'birthday_bonuses', ['member_id'])


def downgrade():
    op.drop_index('ix_birthday_bonuses_member_id', table_name='birthday_bonuses')
    op.drop_table('birthday_bonuses')
    op.drop_index('ix_birthday_gifts_member_id_double_until', table_name='birthday_gifts')
    op.drop_table('birthday_gifts')
    op.drop_table('birthday_programmes')
    # In place (SQLite >= 3.35 and PostgreSQL): a batch copy of campaigns would drop a table
    # its runs and deliveries reference
    op.execute('ALTER TABLE campaigns DROP COLUMN cap_exempt')
