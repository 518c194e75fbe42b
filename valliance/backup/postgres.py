"""PostgreSQL backups: `pg_dump -Fc` out, `pg_restore` in one transaction.

The connection reaches the tools through libpq's environment (PGHOST, PGUSER, PGPASSWORD …),
never their command line, where any user of the machine could read a password in `ps`.
"""

import os
import shutil
import subprocess
from pathlib import Path

from psycopg.conninfo import make_conninfo
from psycopg.pq import Conninfo
from sqlalchemy.engine import URL

from valliance.backup.errors import BackupFailed, BackupUnreadable
from valliance.i18n import bilingual

#: libpq settings that are secret: passed through the environment or not at all
_SECRETS = {"password", "sslpassword", "oauth_client_secret", "scram_client_key",
            "scram_server_key"}
#: the table every Valliance backup holds (its row names the schema's migration)
MARKER = "alembic_version"


def _environment_names() -> dict[str, str]:
    return {option.keyword.decode(): option.envvar.decode()
            for option in Conninfo.get_defaults() if option.envvar}


def libpq_settings(url: URL) -> tuple[dict[str, str], str]:
    """Split a database URL into libpq environment variables and a conninfo string free of
    secrets (the tools' --dbname)."""
    settings = {"host": url.host, "port": url.port, "user": url.username,
                "password": url.password, "dbname": url.database}
    for key, value in url.query.items():
        settings[key] = value[-1] if isinstance(value, tuple) else value
    names = _environment_names()
    environment, conninfo = {}, {}
    for key, value in settings.items():
        if value is None or value == "":
            continue
        if key in names:
            environment[names[key]] = str(value)
        elif key in _SECRETS:
            raise BackupFailed(bilingual("数据库地址中的 %(setting)s 无法安全地传给备份工具",
                                         setting=key))
        else:
            conninfo[key] = str(value)
    # the database's name is no secret, and an empty --dbname would not connect at all
    return environment, make_conninfo(dbname=url.database or "", **conninfo)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(bilingual("找不到 %(tool)s：请安装 PostgreSQL 客户端工具", tool=name))
    return found


def _run(command: list[str], url: URL) -> subprocess.CompletedProcess:
    environment, _ = libpq_settings(url)
    # an argument list (no shell) naming our own files and the configured database
    return subprocess.run(command, env={**os.environ, **environment},  # noqa: S603
                          capture_output=True, text=True, check=False)


def _last_lines(text: str, count: int = 5) -> list[str]:
    return [line for line in text.strip().splitlines() if line.strip()][-count:]


def dump(url: URL, out: Path, snapshot: str | None = None) -> None:
    """Write a custom-format dump of the database to out (a consistent snapshot: pg_dump's
    own, or the exported one given)."""
    _, conninfo = libpq_settings(url)
    command = [_tool("pg_dump"), "--format=custom", "--no-password", f"--file={out}",
               f"--dbname={conninfo}"]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    done = _run(command, url)
    if done.returncode != 0:
        raise BackupFailed(bilingual("pg_dump 失败，未生成备份"),
                           details={"pg_dump": _last_lines(done.stderr)})


def check_dump(url: URL, file: Path) -> None:
    """Refuse a file that is not a custom-format dump of a Valliance database."""
    listed = _run([_tool("pg_restore"), "--list", str(file)], url)
    if listed.returncode != 0:
        raise BackupUnreadable(details={"pg_restore": _last_lines(listed.stderr)})
    if not any("TABLE DATA" in line and MARKER in line.split()
               for line in listed.stdout.splitlines() if not line.startswith(";")):
        raise BackupUnreadable(bilingual("该文件不是 Valliance 数据库的备份"))


def restore(url: URL, file: Path) -> None:
    """Load the dump into the database in one transaction: all of it, or nothing."""
    check_dump(url, file)
    _, conninfo = libpq_settings(url)
    done = _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                 "--single-transaction", "--no-password", f"--dbname={conninfo}", str(file)],
                url)
    if done.returncode != 0:
        raise BackupUnreadable(bilingual("恢复失败，数据库未作任何改动"),
                               details={"pg_restore": _last_lines(done.stderr)})
