"""cards: a pay code authorizes one redemption; pay secrets encrypted at rest

Added in the hardening issue (#14). `cards.pay_code_uses` counts the redemptions a card's pay
codes have authorized; it is mixed into every code's HMAC, so a redemption retires the code it
used (docs/pay-codes.md). `cards.pay_secret` now holds the secret sealed with Fernet under the
keys of DATA_ENCRYPTION_KEYS (valliance/secret_box.py): about 140 characters for 40.

Upgrade seals every secret still in plain text (40 hex digits). Downgrade opens them again,
since the code before this revision reads them in plain text; it needs the key that sealed
them (a secret no configured key opens stops the downgrade rather than losing the card).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 22:50:00

"""
from alembic import op
import sqlalchemy as sa

from valliance.secret_box import seal, unseal


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

cards = sa.table('cards', sa.column('id', sa.String), sa.column('pay_secret', sa.String))


def _is_plain(secret: str) -> bool:
    return len(secret) == 40 and all(ch in '0123456789abcdef' for ch in secret)


def _rewrite(change) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(cards.c.id, cards.c.pay_secret)).all()
    for card_id, secret in rows:
        new = change(secret)
        if new != secret:
            conn.execute(cards.update().where(cards.c.id == card_id).values(pay_secret=new))


def _resize_secret(length: int) -> None:
    """pay_secret as VARCHAR(length). SQLite: a new column in its place, not a copied table
    (batch mode would drop `cards`, which purchases and the cards' own rows refer to)."""
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('cards', 'pay_secret', type_=sa.String(length=length),
                        existing_nullable=False)
        return
    op.execute(f"ALTER TABLE cards ADD COLUMN pay_secret_resized VARCHAR({length}) NOT NULL"
               " DEFAULT ''")
    op.execute('UPDATE cards SET pay_secret_resized = pay_secret')
    op.execute('ALTER TABLE cards DROP COLUMN pay_secret')
    op.execute('ALTER TABLE cards RENAME COLUMN pay_secret_resized TO pay_secret')


def upgrade():
    op.add_column('cards', sa.Column('pay_code_uses', sa.Integer(), server_default=sa.text('0'),
                                     nullable=False))
    _resize_secret(200)
    _rewrite(lambda secret: seal(secret) if _is_plain(secret) else secret)


def downgrade():
    _rewrite(lambda secret: secret if _is_plain(secret) else unseal(secret))
    _resize_secret(64)
    op.execute('ALTER TABLE cards DROP COLUMN pay_code_uses')  # SQLite ≥ 3.35 and PostgreSQL
