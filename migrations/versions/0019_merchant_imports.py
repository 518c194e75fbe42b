"""back office: merchant CSV imports uploaded on the page, written a chunk at a time

Added in issue #16 (merchant operations). One row per upload: the rows still to write, how
far it got and what it did (created, updated, skipped), or the per-row errors that refused it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:30:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'merchant_imports',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=True),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=True),
        sa.Column('made_by', sa.String(length=40), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'rejected')",
                           name=op.f('ck_merchant_imports_status')),
        sa.ForeignKeyConstraint(['made_by'], ['staff_users.id'],
                                name=op.f('fk_merchant_imports_made_by_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_imports')),
    )
    op.create_index('ix_merchant_imports_created_at', 'merchant_imports', ['created_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_merchant_imports_created_at', table_name='merchant_imports')
    op.drop_table('merchant_imports')
