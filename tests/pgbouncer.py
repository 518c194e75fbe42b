"""Debian's PgBouncer (/usr/sbin/pgbouncer) in front of a test database, for tests that run
the app as production does: deploy/pgbouncer/pgbouncer.ini (transaction pooling) with a small
pool, on a free port of 127.0.0.1.

    with pgbouncer.running(tmp_path, "postgresql://postgres@127.0.0.1:5432/mydb") as bouncer:
        bouncer.url        # the same database through PgBouncer
        bouncer.version    # (1, 18, 0) on Debian bookworm

It is started in the foreground (its log on stderr, kept in a file) and stopped at the end,
also when the test fails. PgBouncer refuses to run as root: as root it is started with
`-u postgres` (it reads its settings first, then becomes that user).
"""

import contextlib
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tests.processes import ROOT, free_port, stop

BINARY = Path("/usr/sbin/pgbouncer")
#: the production settings the tests run (README, Production, deploy/)
DEPLOYED = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
#: the PgBouncer that tracks protocol-level prepared statements (max_prepared_statements)
TRACKS_PREPARED = (1, 21)


def installed() -> bool:
    return BINARY.exists()


def version() -> tuple[int, ...]:
    """PgBouncer's version: (1, 18, 0)."""
    out = subprocess.run([BINARY, "--version"], capture_output=True, text=True,  # noqa: S603
                         check=True).stdout
    return tuple(int(part) for part in re.search(r"(\d+)\.(\d+)\.(\d+)", out).groups())


@dataclass
class Bouncer:
    url: str
    admin_url: str
    version: tuple[int, ...]
    log: Path

    def show(self, what: str) -> list[dict]:
        """The admin console's SHOW <what> (STATS, SERVERS…), rows as dicts; the console
        speaks only the simple query protocol: a client-side cursor."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            cursor = psycopg.ClientCursor(conn)
            cursor.execute(f"SHOW {what}")
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def database_rows(self, what: str) -> list[dict]:
        """SHOW <what>'s rows of the pooled database."""
        database = self.url.rsplit("/", 1)[1]
        return [row for row in self.show(what) if row["database"] == database]


def _settings(target: dict, port: int, pool_size: int, userlist: Path,
              found: tuple[int, ...]) -> str:
    """deploy/pgbouncer/pgbouncer.ini, pointed at the test database on a port of its own,
    trusting local clients, with `pool_size` server connections (no reserve); without
    max_prepared_statements on a PgBouncer that does not know it (< 1.21: it would refuse
    the whole file)."""
    database = target["dbname"]
    server = f"host={target.get('host', '127.0.0.1')} port={target.get('port', 5432)}"
    changed = {"listen_port": str(port), "unix_socket_dir": "", "auth_type": "trust",
               "auth_file": str(userlist), "default_pool_size": str(pool_size),
               "reserve_pool_size": "0", "admin_users": target.get("user", "postgres")}
    dropped = {"max_prepared_statements"} if found < TRACKS_PREPARED else set()
    lines, section = [], ""
    for line in DEPLOYED.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line
        key = line.partition("=")[0].strip()
        if section == "[databases]" and "=" in line and not line.startswith(";"):
            line = f"{database} = {server} dbname={database}"
        elif "=" in line and not line.startswith(";") and key in dropped:
            continue
        elif "=" in line and not line.startswith(";") and key in changed:
            line = f"{key} = {changed.pop(key)}"
        lines.append(line)
    return "\n".join(lines + [f"{key} = {value}" for key, value in changed.items()]) + "\n"


def _wait_listening(port: int, proc: subprocess.Popen, log: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on {port}:\n{log.read_text()}")


@contextlib.contextmanager
def running(directory: Path, database_url: str, pool_size: int = 2):
    """PgBouncer pooling `database_url`'s database by transaction, `pool_size` server
    connections at most: a Bouncer."""
    target = conninfo_to_dict(database_url)
    user = target.get("user", "postgres")
    port = free_port()
    userlist = directory / "userlist.txt"
    userlist.write_text(f'"{user}" ""\n')  # trust: the user must still be listed
    config = directory / "pgbouncer.ini"
    found = version()
    config.write_text(_settings(target, port, pool_size, userlist, found))
    log = directory / "pgbouncer.log"
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    with log.open("w") as out:
        proc = subprocess.Popen([BINARY, *as_user, str(config)],  # noqa: S603
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, proc, log)
        through = {**target, "host": "127.0.0.1", "port": port}
        yield Bouncer(url=_url(through),
                      admin_url=_url({**through, "dbname": "pgbouncer"}),
                      version=found, log=log)
    finally:
        stop(proc)


def _url(parts: dict) -> str:
    auth = parts.get("user", "postgres")
    return f"postgresql://{auth}@{parts['host']}:{parts['port']}/{parts['dbname']}"
