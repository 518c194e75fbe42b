"""sessions: a session generation per member, merchant user and staff user

Added in the hardening issue (#14): signing out moves the user's generation on, and the
session cookie carries a digest of it, so a saved cookie stops working on the server
(contract §10). Existing rows start at 0; the cookie's digest always includes the
generation, so sessions made before this revision end (everyone signs in once again).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('members', 'merchant_users', 'staff_users')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                          server_default='0'))


def downgrade():
    # In place (SQLite >= 3.35 and PostgreSQL): a batch copy of members would drop a table
    # that cards and purchases reference.
    for table in TABLES:
        op.execute(f'ALTER TABLE {table} DROP COLUMN session_generation')
