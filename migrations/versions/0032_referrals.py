"""invitations (old brings new): codes, invitations, flags, rewarded phones

Added in issue #18 (contract §11, member referral). Pending sign-ups gain the invitation code
they named.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 15:00:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('pending_signups',
                  sa.Column('invitation_code', sa.String(length=8), nullable=True))
    # In place (a batch copy of members would drop a table that others reference)
    op.add_column('members', sa.Column('next_sale_in_app', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.create_table(
        'invitation_codes',
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_invitation_codes_member_id_members')),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_invitation_codes')),
        sa.UniqueConstraint('code', name=op.f('uq_invitation_codes_code')),
    )
    op.create_table(
        'invitations',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('referrer_id', sa.String(length=40), nullable=False),
        sa.Column('newcomer_id', sa.String(length=40), nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('purchase_id', sa.String(length=40), nullable=True),
        sa.Column('referrer_transfer_id', sa.BigInteger(), nullable=True),
        sa.Column('newcomer_transfer_id', sa.BigInteger(), nullable=True),
        sa.Column('referrer_points', sa.BigInteger(), nullable=False),
        sa.Column('newcomer_points', sa.BigInteger(), nullable=False),
        sa.Column('referrer_coupon', sa.String(length=12), nullable=True),
        sa.Column('newcomer_coupon', sa.String(length=12), nullable=True),
        sa.Column('clawed_back_points', sa.BigInteger(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('rewarded_at', UTCDateTime(), nullable=True),
        sa.Column('clawed_back_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'rewarded', 'refused', 'clawed_back')",
                           name=op.f('ck_invitations_status')),
        sa.ForeignKeyConstraint(['newcomer_id'], ['members.id'],
                                name=op.f('fk_invitations_newcomer_id_members')),
        sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'],
                                name=op.f('fk_invitations_purchase_id_purchases')),
        sa.ForeignKeyConstraint(['referrer_id'], ['members.id'],
                                name=op.f('fk_invitations_referrer_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('newcomer_id', name=op.f('uq_invitations_newcomer_id')),
        sa.UniqueConstraint('purchase_id', name=op.f('uq_invitations_purchase_id')),
    )
    op.create_index('ix_invitations_referrer_status', 'invitations',
                    ['referrer_id', 'status'], unique=False)
    op.create_table(
        'invitation_flags',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('referrer_id', sa.String(length=40), nullable=False),
        sa.Column('invitation_id', sa.String(length=40), nullable=True),
        sa.Column('reason', sa.String(length=24), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('reviewed_at', UTCDateTime(), nullable=True),
        sa.Column('reviewed_by', sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "reason IN ('self_referral', 'self_referral_attempt', 'phone_rewarded_before', "
            "'yearly_cap', 'clawback', 'coupon_not_issued')",
            name=op.f('ck_invitation_flags_reason')),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'],
                                name=op.f('fk_invitation_flags_invitation_id_invitations')),
        sa.ForeignKeyConstraint(['referrer_id'], ['members.id'],
                                name=op.f('fk_invitation_flags_referrer_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_flags')),
    )
    op.create_index(op.f('ix_invitation_flags_referrer_id'), 'invitation_flags',
                    ['referrer_id'], unique=False)
    op.create_index(op.f('ix_invitation_flags_created_at'), 'invitation_flags',
                    ['created_at'], unique=False)
    op.create_table(
        'invitation_rewarded_phones',
        sa.Column('phone_hash', sa.String(length=64), nullable=False),
        sa.Column('invitation_id', sa.String(length=40), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['invitation_id'], ['invitations.id'],
            name=op.f('fk_invitation_rewarded_phones_invitation_id_invitations')),
        sa.PrimaryKeyConstraint('phone_hash', name=op.f('pk_invitation_rewarded_phones')),
    )


def downgrade():
    op.drop_table('invitation_rewarded_phones')
    op.drop_index(op.f('ix_invitation_flags_created_at'), table_name='invitation_flags')
    op.drop_index(op.f('ix_invitation_flags_referrer_id'), table_name='invitation_flags')
    op.drop_table('invitation_flags')
    op.drop_index('ix_invitations_referrer_status', table_name='invitations')
    op.drop_table('invitations')
    op.drop_table('invitation_codes')
    with op.batch_alter_table('pending_signups') as batch:
        batch.drop_column('invitation_code')
    # In place (SQLite >= 3.35 and PostgreSQL), as migration 0023
    op.execute('ALTER TABLE members DROP COLUMN next_sale_in_app')
