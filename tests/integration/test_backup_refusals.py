"""`flask backup restore` writes only into an empty database, and all of a backup or
nothing; `flask backup create` never leaves half a file where a backup should be."""

import subprocess

from tests.api.pos_helpers import member
from tests.conftest import ON_POSTGRES
from tests.integration.backup_helpers import restored_app, shell  # noqa: F401 (fixture)
from valliance.backup.services import tables_of_ours
from valliance.extensions import db


def _backup_of_some_members(app, session, folder):
    for _ in range(3):
        member(session, points=100)
    session.rollback()
    file = folder / "valliance.backup"
    code, made = shell(app, "backup", "create", "--out", str(file))
    assert code == 0, made
    return file


def _tables_of_ours(app) -> list[str]:
    with app.app_context():
        return tables_of_ours(db.engine)


def test_restore_refuses_a_database_that_holds_our_tables_and_changes_nothing(
        app, session, tmp_path):
    backup = _backup_of_some_members(app, session, tmp_path)
    member(session)
    session.rollback()
    code, refused = shell(app, "backup", "restore", str(backup))
    assert code == 1
    assert refused["error"] == "database_not_empty"
    assert refused["message"].startswith("目标数据库不是空的")
    assert "alembic_version" in refused["details"]["tables"]
    with app.app_context():
        assert db.session.execute(db.text("SELECT count(*) FROM members")).scalar() == 4


def test_restore_refusal_without_json_is_a_message_and_a_nonzero_exit(app, session, tmp_path):
    backup = _backup_of_some_members(app, session, tmp_path)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["backup", "restore", str(backup)])
    assert result.exit_code == 1
    assert "目标数据库不是空的" in result.output


def _truncated(backup, folder):
    """The backup cut short (PostgreSQL: in its data, after the table of contents, so
    pg_restore starts creating tables before it meets the end of the file; SQLite: halved)."""
    data = backup.read_bytes()
    cut = folder / "truncated.backup"
    cut.write_bytes(data[: len(data) - 2_000] if ON_POSTGRES else data[: len(data) // 2])
    if ON_POSTGRES:
        listed = subprocess.run(["pg_restore", "--list", str(cut)], capture_output=True,
                                check=False)
        assert listed.returncode == 0  # the failure comes in the middle of the restore
    return cut


def test_a_truncated_backup_is_refused_and_leaves_the_database_empty(
        app, session, restored_app, tmp_path):  # noqa: F811
    cut = _truncated(_backup_of_some_members(app, session, tmp_path), tmp_path)
    code, refused = shell(restored_app, "backup", "restore", str(cut))
    assert code == 1
    assert refused["error"] == "backup_unreadable"
    assert _tables_of_ours(restored_app) == []  # one transaction: nothing was kept


def test_a_file_that_is_no_backup_is_refused_and_leaves_the_database_empty(
        restored_app, tmp_path):  # noqa: F811
    junk = tmp_path / "notes.txt"
    junk.write_text("这不是备份\n" * 100)
    code, refused = shell(restored_app, "backup", "restore", str(junk))
    assert (code, refused["error"]) == (1, "backup_unreadable")
    code, refused = shell(restored_app, "backup", "restore", str(tmp_path / "missing.backup"))
    assert (code, refused["error"]) == (1, "backup_unreadable")
    assert _tables_of_ours(restored_app) == []


def test_a_failed_backup_leaves_the_previous_file_and_no_partial_one(app, session, tmp_path):
    backup = _backup_of_some_members(app, session, tmp_path)
    before = backup.read_bytes()
    # PostgreSQL: pg_dump cannot import a snapshot nobody exported; SQLite refuses the option
    code, failed = shell(app, "backup", "create", "--out", str(backup), "--snapshot", "0-0-1")
    assert (code, failed["error"]) == (1, "backup_failed")
    assert backup.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["valliance.backup"]


def test_a_backup_into_a_missing_folder_is_refused(app, tmp_path):
    code, failed = shell(app, "backup", "create", "--out", str(tmp_path / "no" / "x.backup"))
    assert (code, failed["error"]) == (1, "backup_failed")
