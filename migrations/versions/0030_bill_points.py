"""bill points: points held for a payment, then captured or released (积分抵话费)

Added in issue #18. A member may pay part of a telecom bill with points: the points are held
(`holds`, counted in the member account's debits_pending) while Stripe takes the rest, then
captured as a `redeem` transfer to the alliance's new bills account (`alliance_bills`: the
alliance's own cost, never a merchant's) or released. A payment records the points it used,
their value in fen and the points refunds gave back.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 15:00:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import BigId, UTCDateTime

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

ACCOUNT_KINDS_BEFORE = ("'alliance_adjustments', 'alliance_breakage', 'alliance_clawback', "
                        "'alliance_payments', 'alliance_rewards', 'member', 'merchant_issued', "
                        "'merchant_redeemed'")
ACCOUNT_KINDS_AFTER = ("'alliance_adjustments', 'alliance_bills', 'alliance_breakage', "
                       "'alliance_clawback', 'alliance_payments', 'alliance_rewards', 'member', "
                       "'merchant_issued', 'merchant_redeemed'")

#: the payments' new columns and their checks (SQLite adds a CHECK with its column only)
PAYMENT_COLUMNS = (
    ('points_redeemed', 'ck_payments_points_redeemed_not_negative', 'points_redeemed >= 0'),
    ('points_value', 'ck_payments_points_value_in_range',
     'points_value >= 0 AND points_value < amount'),
    ('points_returned', 'ck_payments_points_returned_in_range',
     'points_returned >= 0 AND points_returned <= points_redeemed'),
)


def _set_check(table: str, name: str, before: str, after: str) -> None:
    """Replace a CHECK (kind IN (…)) constraint's list (as migration 0024 does)."""
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f(name), table, type_='check')
        op.create_check_constraint(op.f(name), table, f"kind IN ({after})")
        return
    conn = op.get_bind()
    version = conn.exec_driver_sql('PRAGMA schema_version').scalar()
    conn.exec_driver_sql('PRAGMA writable_schema = ON')
    changed = conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
        (f"kind IN ({before})", f"kind IN ({after})", table)).rowcount
    conn.exec_driver_sql(f'PRAGMA schema_version = {version + 1}')
    conn.exec_driver_sql('PRAGMA writable_schema = OFF')
    if changed != 1:
        raise RuntimeError(f'could not change the check on {table}.kind')


def upgrade():
    _set_check('accounts', 'ck_accounts_kind', ACCOUNT_KINDS_BEFORE, ACCOUNT_KINDS_AFTER)
    op.create_table(
        'holds',
        sa.Column('id', BigId, nullable=False),
        sa.Column('account_id', BigId, nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reference', sa.String(length=80), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('transfer_id', BigId, nullable=True),
        sa.Column('reason', sa.String(length=40), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('settled_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint('amount > 0', name=op.f('ck_holds_amount_positive')),
        sa.CheckConstraint("status IN ('captured', 'pending', 'released')",
                           name=op.f('ck_holds_status')),
        sa.CheckConstraint("(status = 'captured') = (transfer_id IS NOT NULL)",
                           name=op.f('ck_holds_captured_has_transfer')),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'],
                                name=op.f('fk_holds_account_id_accounts')),
        sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'],
                                name=op.f('fk_holds_transfer_id_transfers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_holds')),
        sa.UniqueConstraint('reference', name=op.f('uq_holds_reference')),
    )
    op.create_index('ix_holds_account_id_id', 'holds', ['account_id', 'id'], unique=False)
    op.create_index('ix_holds_pending_expires_at', 'holds', ['expires_at'], unique=False,
                    sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))
    postgres = op.get_bind().dialect.name == 'postgresql'
    for column, name, check in PAYMENT_COLUMNS:
        if postgres:
            op.add_column('payments', sa.Column(column, sa.BigInteger(), nullable=False,
                                                server_default='0'))
            op.create_check_constraint(name, 'payments', check)
        else:
            op.execute(f'ALTER TABLE payments ADD COLUMN {column} BIGINT NOT NULL DEFAULT 0 '
                       f'CONSTRAINT {name} CHECK ({check})')


def downgrade():
    for column, _name, _check in reversed(PAYMENT_COLUMNS):
        op.execute(f'ALTER TABLE payments DROP COLUMN {column}')  # its CHECK goes with it
    op.drop_index('ix_holds_pending_expires_at', table_name='holds')
    op.drop_index('ix_holds_account_id_id', table_name='holds')
    op.drop_table('holds')
    op.execute("DELETE FROM accounts WHERE kind = 'alliance_bills' AND NOT EXISTS ("
               "SELECT 1 FROM entries WHERE entries.account_id = accounts.id)")
    _set_check('accounts', 'ck_accounts_kind', ACCOUNT_KINDS_AFTER, ACCOUNT_KINDS_BEFORE)
