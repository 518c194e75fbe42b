"""SQLite backups through the online backup API: a consistent copy while the app writes."""

import sqlite3
from contextlib import closing
from pathlib import Path

from valliance.backup.errors import BackupUnreadable
from valliance.backup.postgres import MARKER
from valliance.i18n import bilingual

#: milliseconds a connection waits for a writer's lock before giving up
BUSY_MS = 30_000


def _connect(path: Path | str, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True,
                               timeout=BUSY_MS / 1000)
    return sqlite3.connect(path, timeout=BUSY_MS / 1000)


def dump(database: Path, out: Path) -> None:
    """Copy the live database into out in one step of the backup API (one read transaction:
    one moment of the database; writers in WAL mode carry on meanwhile)."""
    with closing(_connect(database)) as source, closing(_connect(out)) as copy:
        source.backup(copy)
        # the copy is one self-contained file, not a database waiting for its -wal
        copy.execute("PRAGMA journal_mode=DELETE")


def check_copy(file: Path) -> None:
    """Refuse a file that is not a sound SQLite copy of a Valliance database."""
    try:
        with closing(_connect(file, read_only=True)) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            marked = copy.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                                  " AND name = ?", (MARKER,)).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupUnreadable(details={"sqlite": [str(exc)]}) from exc
    if verdict != "ok":
        raise BackupUnreadable(details={"sqlite": [verdict]})
    if marked is None:
        raise BackupUnreadable(bilingual("该文件不是 Valliance 数据库的备份"))


def restore(database: Path, file: Path) -> None:
    """Copy the backup into the database through the backup API (all pages, or none)."""
    check_copy(file)
    with closing(_connect(file, read_only=True)) as copy, \
            closing(_connect(database)) as target:
        copy.backup(target)
