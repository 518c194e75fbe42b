"""The backup drill (issue #20): a backup taken while tills keep selling restores into a fresh
database whose ledger, settlement and audit log all prove themselves, holding exactly the rows
the source held at the backup's moment.

Each sale the tills make is one transaction of one purchase, one transfer (the points it
earns) and two entries; a copy that caught a sale half-written would show it in those counts.
"""

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from tests.conftest import PG_URL
from tests.integration.backup_helpers import (  # noqa: F401 (fixture)
    COUNT_ROWS,
    COUNTED,
    Tills,
    count_rows,
    history,
    restored_app,
    shell,
)
from valliance.extensions import db


@pytest.fixture(autouse=True)
def _same_month(clear_of_month_end):
    """The history and the period it closes fall in one month (see clear_of_month_end)."""


def _proves_itself(app) -> None:
    """flask ledger verify, settlement verify and audit verify pass against app's database."""
    with app.app_context():  # its own, over the test's (see shell)
        ledger = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert ledger.exit_code == 0, ledger.output
    code, settled = shell(app, "settlement", "verify")
    assert (code, settled["reconciled"], settled["periods"]) == (0, True, 1), settled
    code, audited = shell(app, "audit", "verify")
    assert (code, audited["ok"]) == (0, True), audited
    assert audited["links"] >= 2  # the refund and the close, at least


def _restore_and_count(target, backup) -> tuple[dict, str]:
    code, answer = shell(target, "backup", "restore", str(backup))
    assert (code, answer) == (0, {"restored": True})
    with target.app_context(), db.engine.connect() as conn:
        counts = count_rows(conn)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return counts, revision


def _head(app) -> str:
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        return ScriptDirectory.from_config(config).get_current_head()


def _no_torn_sale(start: dict, copy: dict) -> None:
    """Since start, the copy gained one transfer and two entries per purchase, nothing else."""
    sales = copy["purchases"] - start["purchases"]
    assert copy["transfers"] - start["transfers"] == sales
    assert copy["entries"] - start["entries"] == 2 * sales
    assert {k: v for k, v in copy.items() if k not in ("purchases", "transfers", "entries")} == \
        {k: v for k, v in start.items() if k not in ("purchases", "transfers", "entries")}


@pytest.mark.postgres_only
def test_a_postgres_backup_taken_while_tills_sell_restores_exactly_its_snapshot(
        app, session, restored_app, tmp_path):  # noqa: F811
    """Counting inside the backup's own snapshot: a REPEATABLE READ transaction exports its
    snapshot (pg_export_snapshot()) and counts the rows; `flask backup create --snapshot`
    hands that snapshot to pg_dump (--snapshot), so the dump and the counts see the same
    moment although the tills commit sales before, during and after it. The transaction
    stays open until pg_dump is done, as an exported snapshot must."""
    merchant_id, cards = history(session)
    backup = tmp_path / "valliance.dump"
    with (Tills(app, merchant_id, cards) as tills,
          psycopg.connect(PG_URL.replace("+psycopg", "")) as conn):
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        at_snapshot = dict(zip(COUNTED, conn.execute(COUNT_ROWS).fetchone(), strict=True))
        sold_before = tills.sold
        code, made = shell(app, "backup", "create", "--out", str(backup),
                           "--snapshot", snapshot)
        sold_during = tills.sold - sold_before
    assert code == 0, made
    assert made == {"file": str(backup), "bytes": backup.stat().st_size}
    assert sold_during > 0  # the tills went on selling while pg_dump ran
    source = count_rows(session)
    assert source["purchases"] > at_snapshot["purchases"]

    restored, revision = _restore_and_count(restored_app, backup)
    assert restored == at_snapshot
    assert revision == _head(app)
    _proves_itself(restored_app)


def test_a_backup_taken_while_tills_sell_restores_one_consistent_moment(
        app, session, restored_app, tmp_path):  # noqa: F811
    """On SQLite (and PostgreSQL without an exported snapshot) the backup's moment cannot be
    counted from outside: the backup API copies every page in one step inside one read
    transaction. So the restored counts lie between those read just before and just after
    the backup, and every sale in the copy is whole (no torn sale)."""
    merchant_id, cards = history(session)
    backup = tmp_path / "valliance.backup"
    with Tills(app, merchant_id, cards):
        start = count_rows(session)
        session.rollback()
        code, made = shell(app, "backup", "create", "--out", str(backup))
        end = count_rows(session)
        session.rollback()
    assert code == 0, made
    assert end["purchases"] > start["purchases"]  # the tills went on selling meanwhile
    assert made == {"file": str(backup), "bytes": backup.stat().st_size}

    restored, revision = _restore_and_count(restored_app, backup)
    assert start["purchases"] <= restored["purchases"] <= end["purchases"]
    _no_torn_sale(start, restored)
    assert revision == _head(app)
    _proves_itself(restored_app)
