"""Take a backup of the configured database, and restore one into it while it is empty."""

import os
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from valliance.backup import postgres, sqlite
from valliance.backup.errors import BackupFailed, BackupUnreadable, DatabaseNotEmpty
from valliance.db import Base
from valliance.i18n import bilingual


def _sqlite_file(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:":
        raise BackupFailed(bilingual("内存中的 SQLite 数据库无法备份或恢复"))
    return Path(name)


def create_backup(engine: Engine, out: Path, *, snapshot: str | None = None) -> dict:
    """Write a backup of the database to out; {"file", "bytes"}. The file appears only once
    it is complete (an earlier file of that name stays until then)."""
    out = out.resolve()
    if not out.parent.is_dir():
        raise BackupFailed(bilingual("目录不存在：%(folder)s", folder=str(out.parent)))
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        if engine.dialect.name == "postgresql":
            postgres.dump(engine.url, partial, snapshot)
        elif snapshot:
            raise BackupFailed(bilingual("--snapshot 只用于 PostgreSQL"))
        else:
            sqlite.dump(_sqlite_file(engine), partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return {"file": str(out), "bytes": out.stat().st_size}


def tables_of_ours(engine: Engine) -> list[str]:
    """The Valliance tables the database holds already (the migrations' own included)."""
    ours = set(Base.metadata.tables) | {postgres.MARKER}
    with engine.connect() as conn:
        return sorted(set(inspect(conn).get_table_names()) & ours)


def schema_revision(engine: Engine) -> str:
    """The migration the database's schema is at."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def restore_backup(engine: Engine, file: Path) -> str:
    """Load a backup into the database, which must hold none of our tables; the schema's
    migration, as it was in the backup."""
    if not file.is_file():
        raise BackupUnreadable(bilingual("找不到备份文件：%(file)s", file=str(file)))
    present = tables_of_ours(engine)
    if present:
        raise DatabaseNotEmpty(details={"tables": present[:10]})
    engine.dispose()  # nothing of ours holds the database while it is written
    if engine.dialect.name == "postgresql":
        postgres.restore(engine.url, file)
    else:
        sqlite.restore(_sqlite_file(engine), file)
    engine.dispose()  # connections opened before know nothing of the restored schema
    return schema_revision(engine)
