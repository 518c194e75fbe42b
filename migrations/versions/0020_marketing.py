"""marketing: members' RFM scores, saved segments

Added in issue #17. One row per scored member (recency, frequency, monetary, their 1–5 scores
and the RFM cell), rewritten by each scoring run; segments are saved filters.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 05:40:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'member_scores',
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('recency_days', sa.Integer(), nullable=False),
        sa.Column('frequency', sa.Integer(), nullable=False),
        sa.Column('monetary_fen', sa.BigInteger(), nullable=False),
        sa.Column('r', sa.Integer(), nullable=False),
        sa.Column('f', sa.Integer(), nullable=False),
        sa.Column('m', sa.Integer(), nullable=False),
        sa.Column('cell', sa.String(length=24), nullable=False),
        sa.Column('scored_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint('r BETWEEN 1 AND 5 AND f BETWEEN 1 AND 5 AND m BETWEEN 1 AND 5',
                           name=op.f('ck_member_scores_scores')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_member_scores_member_id_members')),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_scores')),
    )
    with op.batch_alter_table('member_scores', schema=None) as batch_op:
        batch_op.create_index('ix_member_scores_cell', ['cell'], unique=False)
    op.create_table(
        'segments',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('filters', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(length=40), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'],
                                name=op.f('fk_segments_created_by_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
        sa.UniqueConstraint('name', name=op.f('uq_segments_name')),
    )


def downgrade():
    op.drop_table('segments')
    with op.batch_alter_table('member_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_member_scores_cell')
    op.drop_table('member_scores')
