"""Migration 0018 fills the pinyin keys of the members already enrolled."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.api.pos_helpers import member
from valliance.extensions import db


def test_upgrade_fills_the_name_keys_of_existing_members(session):
    member(session)  # 王小明
    session.rollback()
    db.session.remove()
    db.engine.dispose()  # (SQLite: no other connection while the schema changes)
    try:
        downgrade(revision="0018-1")
        columns = db.session.execute(text("SELECT * FROM members")).keys()
        assert "name_pinyin" not in columns
        db.session.remove()
    finally:
        upgrade()
    keys = db.session.execute(text("SELECT name_pinyin, name_initials FROM members")).one()
    assert tuple(keys) == ("wangxiaoming", "wxm")
