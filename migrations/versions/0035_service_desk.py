"""the VIP service desk: tickets and their events, teams, service levels and clocks, account
managers

Added in issue #19 (contract §12).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 16:58:07.701127

"""
import sqlalchemy as sa
from alembic import op

import valliance.db

#: the queue's two parts (valliance.service_desk.models, as they were at 0035)
RUNNING_WHERE = "status IN ('open', 'assigned', 'in_progress')"
PAUSED_WHERE = "status = 'waiting_member'"

# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_clocks',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('clock', sa.String(length=8), nullable=False),
    sa.Column('updated_by', sa.String(length=60), nullable=True),
    sa.Column('updated_at', valliance.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("clock IN ('24x7', 'business')", name=op.f('ck_service_clocks_clock')),
    sa.CheckConstraint("kind IN ('fault', 'install', 'move', 'value_added', 'billing', 'other')", name=op.f('ck_service_clocks_kind')),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_service_clocks'))
    )
    op.create_table('service_levels',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=60), nullable=True),
    sa.Column('updated_at', valliance.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('fault', 'install', 'move', 'value_added', 'billing', 'other')", name=op.f('ck_service_levels_kind')),
    sa.CheckConstraint('minutes BETWEEN 1 AND 43200', name=op.f('ck_service_levels_minutes')),
    sa.PrimaryKeyConstraint('kind', 'tier', name=op.f('pk_service_levels'))
    )
    op.create_table('service_teams',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('lead_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', valliance.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['staff_users.id'], name=op.f('fk_service_teams_lead_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_service_teams_name'))
    )
    op.create_table('account_managers',
    sa.Column('member_id', sa.String(length=40), nullable=False),
    sa.Column('staff_id', sa.String(length=40), nullable=False),
    sa.Column('assigned_by', sa.String(length=60), nullable=True),
    sa.Column('assigned_at', valliance.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_account_managers_member_id_members')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_account_managers_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_account_managers'))
    )
    with op.batch_alter_table('account_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_managers_staff_id'), ['staff_id'], unique=False)

    op.create_table('service_team_members',
    sa.Column('staff_id', sa.String(length=40), nullable=False),
    sa.Column('team_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_service_team_members_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['team_id'], ['service_teams.id'], name=op.f('fk_service_team_members_team_id_service_teams')),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_service_team_members'))
    )
    with op.batch_alter_table('service_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_team_members_team_id'), ['team_id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=12), nullable=False),
    sa.Column('member_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('contact_phone', sa.String(length=11), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('preferred_time', sa.String(length=100), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resume_status', sa.String(length=16), nullable=True),
    sa.Column('waiting_reason', sa.String(length=200), nullable=True),
    sa.Column('team_id', sa.String(length=40), nullable=True),
    sa.Column('assignee_id', sa.String(length=40), nullable=True),
    sa.Column('opened_by', sa.String(length=40), nullable=True),
    sa.Column('created_at', valliance.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', valliance.db.UTCDateTime(), nullable=False),
    sa.Column('target_minutes', sa.Integer(), nullable=False),
    sa.Column('clock', sa.String(length=8), nullable=False),
    sa.Column('used_seconds', sa.Integer(), nullable=False),
    sa.Column('running_since', valliance.db.UTCDateTime(), nullable=True),
    sa.Column('due_at', valliance.db.UTCDateTime(), nullable=False),
    sa.Column('escalated_at', valliance.db.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', valliance.db.UTCDateTime(), nullable=True),
    sa.Column('closed_at', valliance.db.UTCDateTime(), nullable=True),
    sa.Column('fix_seconds', sa.Integer(), nullable=True),
    sa.Column('within_target', sa.Boolean(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('rating_comment', sa.String(length=500), nullable=True),
    sa.Column('rated_at', valliance.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("channel IN ('portal', 'app', 'desk')", name=op.f('ck_tickets_channel')),
    sa.CheckConstraint("kind IN ('fault', 'install', 'move', 'value_added', 'billing', 'other')", name=op.f('ck_tickets_kind')),
    sa.CheckConstraint("status IN ('open', 'assigned', 'in_progress', 'waiting_member', 'resolved', 'closed')", name=op.f('ck_tickets_status')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_tickets_rating')),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], name=op.f('fk_tickets_assignee_id_staff_users')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_tickets_member_id_members')),
    sa.ForeignKeyConstraint(['opened_by'], ['staff_users.id'], name=op.f('fk_tickets_opened_by_staff_users')),
    sa.ForeignKeyConstraint(['team_id'], ['service_teams.id'], name=op.f('fk_tickets_team_id_service_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_tickets_created', ['created_at'], unique=False)
        batch_op.create_index('ix_tickets_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index('ix_tickets_resolved', ['resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_team_id'), ['team_id'], unique=False)
    # the queue's two parts by time left (services/queue.py); escalation reads the first
    for name, where in (('ix_tickets_running', RUNNING_WHERE), ('ix_tickets_paused',
                                                               PAUSED_WHERE)):
        op.create_index(name, 'tickets', ['due_at', 'id'], unique=False,
                        postgresql_where=sa.text(where), sqlite_where=sa.text(where))

    op.create_table('ticket_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ticket_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('visibility', sa.String(length=8), nullable=False),
    sa.Column('staff_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', valliance.db.UTCDateTime(), nullable=False),
    sa.Column('sms_due_at', valliance.db.UTCDateTime(), nullable=True),
    sa.Column('sms_queued_at', valliance.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("visibility IN ('member', 'internal')", name=op.f('ck_ticket_events_visibility')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_ticket_events_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_sms_due', ['sms_due_at'], unique=False)
        batch_op.create_index('ix_ticket_events_ticket', ['ticket_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_ticket')
        batch_op.drop_index('ix_ticket_events_sms_due')

    op.drop_table('ticket_events')
    op.drop_index('ix_tickets_paused', table_name='tickets')
    op.drop_index('ix_tickets_running', table_name='tickets')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_team_id'))
        batch_op.drop_index('ix_tickets_resolved')
        batch_op.drop_index('ix_tickets_member_created')
        batch_op.drop_index('ix_tickets_created')
        batch_op.drop_index(batch_op.f('ix_tickets_assignee_id'))

    op.drop_table('tickets')
    with op.batch_alter_table('service_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_team_members_team_id'))

    op.drop_table('service_team_members')
    with op.batch_alter_table('account_managers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_managers_staff_id'))

    op.drop_table('account_managers')
    op.drop_table('service_teams')
    op.drop_table('service_levels')
    op.drop_table('service_clocks')
