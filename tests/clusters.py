"""Throwaway PostgreSQL clusters: one a test may stop hard, or a primary with a streaming
replica.

Debian's `pg_createcluster` makes them beside the machine's own server (root only: it writes
/etc/postgresql and runs the server as `postgres`), on ports nothing listens on, with trust
authentication on 127.0.0.1 (replication included). A cluster's name carries a hash of the
checkout, so two checkouts on one machine never share one. Nothing here touches the
machine's own cluster.

Run as `python -m tests.clusters replica` to build (afresh) a primary and its synchronous
streaming replica with a UTF-8 test database, and print the two URLs on one line (primary,
then replica); `python -m tests.clusters drop` removes this checkout's clusters.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from tests.processes import ROOT, free_port

DATA_ROOT = Path("/var/lib/postgresql")
TEST_DB = "valliance_test"
#: every cluster of this checkout's starts with this (Debian's names allow [a-z0-9_])
PREFIX = "vt" + hashlib.sha1(str(ROOT).encode()).hexdigest()[:6] + "_"


def available() -> bool:
    """Whether this machine can make throwaway clusters (Debian's tools, as root)."""
    return shutil.which("pg_createcluster") is not None and os.geteuid() == 0 and bool(_version())


def _version() -> str:
    versions = sorted((p.name for p in Path("/usr/lib/postgresql").glob("*")
                       if (p / "bin" / "postgres").exists()), key=int)
    return versions[-1] if versions else ""


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


@dataclass(frozen=True)
class Cluster:
    name: str
    port: int
    version: str

    @property
    def data_dir(self) -> Path:
        return DATA_ROOT / self.version / self.name

    def url(self, database: str = TEST_DB) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "start")
        self.wait_ready()

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; mode "immediate" is a crash (no checkpoint, recovery at start)."""
        _run("pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "stop",
             "-m", mode)

    def wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def set(self, **settings: str) -> None:
        """ALTER SYSTEM each setting and reload (those that need a restart need one)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            for key, value in settings.items():
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(
                    sql.Identifier(key), sql.Literal(value)))
            conn.execute("SELECT pg_reload_conf()")

    def create_database(self, name: str = TEST_DB) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL(
                "CREATE DATABASE {} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                " TEMPLATE template0").format(sql.Identifier(name)))
        return self.url(name)

    def drop(self) -> None:
        subprocess.run(["pg_dropcluster", "--stop", self.version, self.name],
                       capture_output=True, timeout=120)


def _existing(name: str, version: str) -> bool:
    return (Path("/etc/postgresql") / version / name).exists()


def create(purpose: str) -> Cluster:
    """A new, running, empty cluster for purpose (an older one of the same name is dropped)."""
    version = _version()
    cluster = Cluster(PREFIX + purpose, free_port(), version)
    if _existing(cluster.name, version):
        cluster.drop()
    _run("pg_createcluster", version, cluster.name, "-p", str(cluster.port),
         "--", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")
    cluster.start()
    return cluster


def create_standby(primary: Cluster, purpose: str, *, synchronous: bool = True) -> Cluster:
    """A streaming replica of primary, made by pg_basebackup, running.

    Synchronous with remote_apply (the default): a commit on the primary returns once the
    replica shows it, so a test may read there at once. Asynchronous: it may lag, as a
    production replica may.
    """
    standby = Cluster(PREFIX + purpose, free_port(), primary.version)
    if _existing(standby.name, standby.version):
        standby.drop()
    # pg_createcluster writes the configuration (port, paths); its data is replaced by a copy
    _run("pg_createcluster", standby.version, standby.name, "-p", str(standby.port),
         "--", "--auth=trust")
    shutil.rmtree(standby.data_dir)
    _run("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", str(standby.data_dir))
    _run("runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "127.0.0.1",
         "-p", str(primary.port), "-U", "postgres", "-D", str(standby.data_dir),
         "-R", "-X", "stream", "-c", "fast")
    standby.start()
    application = f"{standby.version}/{standby.name}"  # Debian's cluster_name
    if synchronous:
        primary.set(synchronous_standby_names=f'"{application}"', synchronous_commit="remote_apply")
    _wait_streaming(primary, application)
    return standby


def _wait_streaming(primary: Cluster, application: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    with psycopg.connect(primary.url("postgres"), autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT state FROM pg_stat_replication WHERE application_name = %s",
                               (application,)).fetchone()
            if row and row[0] == "streaming":
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica {application} is not streaming")
            time.sleep(0.2)


def replica_pair() -> tuple[Cluster, Cluster]:
    """A primary with a UTF-8 test database and its synchronous replica."""
    primary = create("primary")
    primary.create_database()
    return primary, create_standby(primary, "replica")


def serving(url: str) -> Cluster:
    """This checkout's cluster that listens on url's port (the primary a test was given)."""
    port = int(url.rsplit("@", 1)[-1].split("/", 1)[0].rsplit(":", 1)[1])
    version = _version()
    for config in (Path("/etc/postgresql") / version).glob(PREFIX + "*"):
        if re.search(rf"^port = {port}\b", (config / "postgresql.conf").read_text(), re.M):
            return Cluster(config.name, port, version)
    raise LookupError(f"no cluster of this checkout's listens on port {port}")


def caught_up(primary_url: str, standby: Cluster, seconds: float = 30) -> None:
    """Wait until standby has replayed everything primary had written when this was called."""
    with psycopg.connect(primary_url.replace("+psycopg", ""), autocommit=True) as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + seconds
    with psycopg.connect(standby.url("postgres"), autocommit=True) as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                               (target,)).fetchone()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{standby.name} has not replayed up to {target}")
            time.sleep(0.05)


def drop_all() -> None:
    version = _version()
    for config in (Path("/etc/postgresql") / version).glob(PREFIX + "*"):
        Cluster(config.name, 0, version).drop()


def main(argv: list[str]) -> int:
    if not available():
        print("throwaway clusters need Debian's pg_createcluster and root", file=sys.stderr)
        return 1
    if argv[1:] == ["replica"]:
        primary, replica = replica_pair()
        print(primary.url(), replica.url())
        return 0
    if argv[1:] == ["drop"]:
        drop_all()
        return 0
    print("usage: python -m tests.clusters replica|drop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
