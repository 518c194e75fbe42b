"""Migration 0012 seals the pay secrets already stored, and its downgrade opens them again."""

import re

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.api.pos_helpers import member
from valliance.extensions import db
from valliance.secret_box import unseal


def _stored(session) -> str:
    session.rollback()
    return session.execute(text("SELECT pay_secret FROM cards")).scalar_one()


def test_upgrade_encrypts_existing_pay_secrets_and_downgrade_decrypts_them(session):
    member(session)
    sealed = _stored(session)
    secret = unseal(sealed)
    session.rollback()
    db.session.remove()
    db.engine.dispose()  # (SQLite: no other connection while the schema changes)
    try:
        downgrade(revision="0011")
        plain = _stored(db.session)
        assert plain == secret and re.fullmatch(r"[0-9a-f]{40}", plain)
        db.session.remove()
    finally:
        upgrade()
    resealed = _stored(db.session)
    assert resealed != secret and unseal(resealed) == secret
    assert db.session.execute(text("SELECT pay_code_uses FROM cards")).scalar_one() == 0
