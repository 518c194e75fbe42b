"""back office: staff roles, the audit log's hash chain (append-only), points adjustments

Added in issue #16. Staff users gain their roles (contract §13); those who exist already had
every staff page, so they become admins. Audit events gain a reason and a hash chain: each
row its place (seq) and the hash of the row before (valliance.audit.link_hash); the rows
already there are chained in id order, then the database refuses UPDATE and DELETE on the
table, as it does for the ledger. Points adjustments waiting for a second person get their
own table.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:30:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.audit import GENESIS, link_hash
from valliance.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roles', sa.String(length=120), server_default='',
                                      nullable=False))
    op.execute("UPDATE staff_users SET roles = 'admin'")

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_events()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
        batch_op.create_index('ix_audit_events_subject', ['subject', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_actor', ['actor', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_created_at', ['created_at'], unique=False)
    _create_append_only_triggers()

    op.create_table(
        'point_adjustments',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('member_id', sa.String(length=40), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('made_by', sa.String(length=40), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('decided_by', sa.String(length=40), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.Column('decision_note', sa.Text(), server_default='', nullable=False),
        sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=True),
        sa.Column('version', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint('points <> 0', name=op.f('ck_point_adjustments_points_not_zero')),
        sa.CheckConstraint("status IN ('pending_approval', 'applied', 'rejected')",
                           name=op.f('ck_point_adjustments_status')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_point_adjustments_member_id_members')),
        sa.ForeignKeyConstraint(['made_by'], ['staff_users.id'],
                                name=op.f('fk_point_adjustments_made_by_staff_users')),
        sa.ForeignKeyConstraint(['decided_by'], ['staff_users.id'],
                                name=op.f('fk_point_adjustments_decided_by_staff_users')),
        sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'],
                                name=op.f('fk_point_adjustments_transfer_id_transfers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_point_adjustments')),
    )
    with op.batch_alter_table('point_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_point_adjustments_status', ['status', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_point_adjustments_member_id', ['member_id', 'created_at'],
                              unique=False)


def _chain_existing_events():
    events = sa.table('audit_events', sa.column('id', sa.BigInteger()),
                      sa.column('created_at', UTCDateTime()), sa.column('actor'),
                      sa.column('action'), sa.column('subject'), sa.column('merchant_id'),
                      sa.column('detail'), sa.column('reason'), sa.column('seq'),
                      sa.column('prev_hash'), sa.column('hash'))
    conn = op.get_bind()
    rows = conn.execute(sa.select(events.c.id, events.c.created_at, events.c.actor,
                                  events.c.action, events.c.subject, events.c.merchant_id,
                                  events.c.detail).order_by(events.c.id)).all()
    prev = GENESIS
    for seq, (id_, created_at, actor, action, subject, merchant_id, detail) in enumerate(rows, 1):
        digest = link_hash(prev, seq, created_at, actor, action, subject, merchant_id, detail, "")
        conn.execute(events.update().where(events.c.id == id_).values(
            seq=seq, prev_hash=prev, hash=digest))
        prev = digest


def _create_append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the audit log is append-only: % rejected', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END $$""")
        op.execute("""
            CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_reject_change()""")
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"""
            CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} ON audit_events
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: {action} rejected');
            END""")


def _drop_append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_reject_change()")
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER audit_events_no_{action}")


def downgrade():
    op.drop_table('point_adjustments')
    _drop_append_only_triggers()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_created_at')
        batch_op.drop_index('ix_audit_events_actor')
        batch_op.drop_index('ix_audit_events_subject')
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
        batch_op.drop_column('reason')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('roles')
