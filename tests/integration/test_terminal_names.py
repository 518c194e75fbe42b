"""A terminal's name fits its column on every path (a longer one was a traceback on PostgreSQL)."""

import json

from sqlalchemy import func, select

from tests.api.pos_helpers import shop
from valliance.merchants.models import Terminal


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_a_terminal_name_over_100_characters_is_refused_with_a_message(app, session):
    s = shop(session)
    before = session.scalar(select(func.count()).select_from(Terminal))
    result = run(app, "terminals", "create", "--merchant", s.merchant.id, "--name", "前台" * 51,
                 "--json")
    assert result.exit_code != 0
    assert "最多100个字" in result.output and "Traceback" not in result.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Terminal)) == before


def test_a_terminal_name_of_100_characters_is_kept(app, session):
    s = shop(session)
    result = run(app, "terminals", "create", "--merchant", s.merchant.id, "--name", "前" * 100,
                 "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    session.rollback()
    assert session.get(Terminal, made["terminal_id"]).name == "前" * 100
