"""member search: members' names in pinyin, and trigram indexes for staff search

Added in issue #16 (member care). Members gain `name_pinyin` and `name_initials`
(valliance.pinyin.name_keys: 张三 → zhangsan, zs), filled here for the members there are and
written with the name from now on. PostgreSQL: trigram GIN indexes (pg_trgm, created by 0006)
on the phone, the card number and the pinyin, so that any 4+ digits of a phone or card and any
part of a pinyin name are found without reading every row; SQLite gets plain indexes (it scans).
Initials are searched from their start; the SMS outbox by recipient (a member's messages).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:20:00

"""
import sqlalchemy as sa
from alembic import op

from valliance.pinyin import name_keys

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

BATCH = 5000
TRIGRAM = (('ix_members_phone_trgm', 'members', 'phone'),
           ('ix_members_name_pinyin_trgm', 'members', 'name_pinyin'),
           ('ix_cards_number_trgm', 'cards', 'number'))


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_pinyin', sa.String(length=300), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('name_initials', sa.String(length=60), server_default='',
                                      nullable=False))
    _fill_name_keys()
    for name, table, column in TRIGRAM:
        op.create_index(name, table, [column], unique=False, postgresql_using='gin',
                        postgresql_ops={column: 'gin_trgm_ops'})
    # initials are searched from their start (zs: 张三, 张思思)
    op.create_index('ix_members_name_initials', 'members', ['name_initials'], unique=False,
                    postgresql_ops={'name_initials': 'text_pattern_ops'})
    op.create_index('ix_outbox_messages_recipient', 'outbox_messages', ['recipient', 'id'],
                    unique=False)


def _fill_name_keys():
    conn = op.get_bind()
    members = sa.table('members', sa.column('id'), sa.column('name'),
                       sa.column('name_pinyin'), sa.column('name_initials'))
    after = ''
    while True:
        rows = conn.execute(sa.select(members.c.id, members.c.name)
                            .where(members.c.id > after).order_by(members.c.id)
                            .limit(BATCH)).all()
        if not rows:
            return
        conn.execute(members.update().where(members.c.id == sa.bindparam('b_id'))
                     .values(name_pinyin=sa.bindparam('b_pinyin'),
                             name_initials=sa.bindparam('b_initials')),
                     [{'b_id': member_id, 'b_pinyin': name_keys(name)[0],
                       'b_initials': name_keys(name)[1]} for member_id, name in rows])
        after = rows[-1][0]


def downgrade():
    op.drop_index('ix_outbox_messages_recipient', table_name='outbox_messages')
    op.drop_index('ix_members_name_initials', table_name='members')
    for name, table, _column in TRIGRAM:
        op.drop_index(name, table_name=table)
    # In place (SQLite >= 3.35 and PostgreSQL): a batch copy of members would drop a table
    # that cards and purchases reference.
    op.execute('ALTER TABLE members DROP COLUMN name_initials')
    op.execute('ALTER TABLE members DROP COLUMN name_pinyin')
