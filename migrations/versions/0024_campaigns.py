"""campaigns: campaigns, their runs and deliveries, the member inbox, birthdays, reward points

Added in issue #17. Campaigns reach a segment's members by SMS or the portal inbox; each run
writes one delivery row per member (unique per campaign, round and member). Members may give
their birthday (month, day); staff may keep a phone for test sends. The ledger learns a new
transfer kind, `reward` (contract §11), paid from a new alliance account kind,
`alliance_rewards`.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 07:00:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.db import BigId, UTCDateTime

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

ACCOUNT_KINDS_BEFORE = ("'alliance_adjustments', 'alliance_breakage', 'alliance_clawback', "
                        "'alliance_payments', 'member', 'merchant_issued', 'merchant_redeemed'")
ACCOUNT_KINDS_AFTER = ("'alliance_adjustments', 'alliance_breakage', 'alliance_clawback', "
                       "'alliance_payments', 'alliance_rewards', 'member', 'merchant_issued', "
                       "'merchant_redeemed'")
TRANSFER_KINDS_BEFORE = "'accrue', 'adjust', 'expire', 'payment', 'redeem', 'return', 'reverse'"
TRANSFER_KINDS_AFTER = ("'accrue', 'adjust', 'expire', 'payment', 'redeem', 'return', 'reverse', "
                        "'reward'")


def _set_check(table: str, name: str, before: str, after: str) -> None:
    """Replace a CHECK (kind IN (…)) constraint's list.

    PostgreSQL drops and adds it. SQLite cannot alter a constraint, and a batch copy of the
    ledger's tables would drop tables others reference; it edits the stored CREATE TABLE in
    place, as SQLite's documentation describes for CHECK constraints that existing rows
    satisfy (https://sqlite.org/lang_altertable.html, "other kinds of table schema changes").
    """
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
    _set_check('transfers', 'ck_transfers_kind', TRANSFER_KINDS_BEFORE, TRANSFER_KINDS_AFTER)
    # In place (a batch copy of members would drop a table that others reference)
    op.add_column('members', sa.Column('birth_month', sa.Integer(), nullable=True))
    op.add_column('members', sa.Column('birth_day', sa.Integer(), nullable=True))
    op.add_column('staff_users', sa.Column('phone', sa.String(length=11), nullable=True))
    op.create_table(
        'inbox_messages',
        sa.Column('id', BigId, nullable=False),
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('body', sa.String(length=1000), nullable=False),
        sa.Column('source', sa.String(length=60), nullable=False, server_default=''),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('read_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_inbox_messages_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_messages')),
    )
    op.create_index('ix_inbox_messages_member_id_id', 'inbox_messages', ['member_id', 'id'])
    op.create_table(
        'campaigns',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.Column('segment_id', sa.String(length=40), nullable=True),
        sa.Column('filters', sa.JSON(), nullable=False),
        sa.Column('offer_id', sa.String(length=40), nullable=True),
        sa.Column('bonus_points', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('coupon_template_id', sa.String(length=40), nullable=True),
        sa.Column('control_percent', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('schedule_kind', sa.String(length=16), nullable=False),
        sa.Column('send_at', UTCDateTime(), nullable=True),
        sa.Column('daily_at', sa.String(length=5), nullable=True),
        sa.Column('next_run_at', UTCDateTime(), nullable=True),
        sa.Column('created_by', sa.String(length=40), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("channel IN ('sms', 'inbox')", name=op.f('ck_campaigns_channel')),
        sa.CheckConstraint("status IN ('draft', 'scheduled', 'sending', 'paused', 'stopped', "
                           "'finished')", name=op.f('ck_campaigns_status')),
        sa.CheckConstraint("schedule_kind IN ('now', 'at', 'daily')",
                           name=op.f('ck_campaigns_schedule_kind')),
        sa.CheckConstraint('control_percent BETWEEN 0 AND 50',
                           name=op.f('ck_campaigns_control_percent')),
        sa.CheckConstraint('bonus_points >= 0', name=op.f('ck_campaigns_bonus_points')),
        sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], ondelete='SET NULL',
                                name=op.f('fk_campaigns_segment_id_segments')),
        sa.ForeignKeyConstraint(['offer_id'], ['offers.id'],
                                name=op.f('fk_campaigns_offer_id_offers')),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'],
                                name=op.f('fk_campaigns_created_by_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
        sa.UniqueConstraint('name', name=op.f('uq_campaigns_name')),
    )
    op.create_index('ix_campaigns_status_next_run_at', 'campaigns', ['status', 'next_run_at'])
    op.create_table(
        'campaign_runs',
        sa.Column('id', BigId, nullable=False),
        sa.Column('campaign_id', sa.String(length=40), nullable=False),
        sa.Column('round', sa.String(length=10), nullable=False),
        sa.Column('started_by', sa.String(length=60), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_runs_campaign_id_campaigns')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_runs')),
        sa.UniqueConstraint('campaign_id', 'round', name=op.f('uq_campaign_runs_campaign_id')),
    )
    op.create_table(
        'campaign_deliveries',
        sa.Column('id', BigId, nullable=False),
        sa.Column('campaign_id', sa.String(length=40), nullable=False),
        sa.Column('round', sa.String(length=10), nullable=False),
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reached_at', UTCDateTime(), nullable=True),
        sa.Column('due_at', UTCDateTime(), nullable=True),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('outbox_message_id', BigId, nullable=True),
        sa.Column('inbox_message_id', BigId, nullable=True),
        sa.Column('reward_transfer_id', BigId, nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('sent', 'deferred', 'control', 'capped', 'opted_out', "
                           "'cancelled')", name=op.f('ck_campaign_deliveries_status')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_deliveries_campaign_id_campaigns')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_campaign_deliveries_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_deliveries')),
        sa.UniqueConstraint('campaign_id', 'round', 'member_id',
                            name=op.f('uq_campaign_deliveries_campaign_id')),
    )
    op.create_index('ix_campaign_deliveries_member_id_reached_at', 'campaign_deliveries',
                    ['member_id', 'reached_at'])
    op.create_index('ix_campaign_deliveries_due_at', 'campaign_deliveries', ['due_at'],
                    sqlite_where=sa.text("status = 'deferred'"),
                    postgresql_where=sa.text("status = 'deferred'"))


def downgrade():
    op.drop_index('ix_campaign_deliveries_due_at', table_name='campaign_deliveries')
    op.drop_index('ix_campaign_deliveries_member_id_reached_at',
                  table_name='campaign_deliveries')
    op.drop_table('campaign_deliveries')
    op.drop_table('campaign_runs')
    op.drop_index('ix_campaigns_status_next_run_at', table_name='campaigns')
    op.drop_table('campaigns')
    op.drop_index('ix_inbox_messages_member_id_id', table_name='inbox_messages')
    op.drop_table('inbox_messages')
    op.execute('ALTER TABLE staff_users DROP COLUMN phone')
    op.execute('ALTER TABLE members DROP COLUMN birth_day')
    op.execute('ALTER TABLE members DROP COLUMN birth_month')
    op.execute("DELETE FROM accounts WHERE kind = 'alliance_rewards' AND NOT EXISTS ("
               "SELECT 1 FROM entries WHERE entries.account_id = accounts.id)")
    _set_check('transfers', 'ck_transfers_kind', TRANSFER_KINDS_AFTER, TRANSFER_KINDS_BEFORE)
    _set_check('accounts', 'ck_accounts_kind', ACCOUNT_KINDS_AFTER, ACCOUNT_KINDS_BEFORE)
