"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a free loopback port.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to `nobody`
(its folder is given to that user and every server program runs through `runuser`). Each test
gets a schema of its own in the one cluster (see `new_database`).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from players import free_port


def binaries() -> Path | None:
    """The folder of Debian's PostgreSQL programs (newest version first), or None when absent."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.path.exists(os.path.join(folder, "pg_ctl")):
            return Path(folder)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def required() -> bool:
    """CI (and anyone who asks) must run the PostgreSQL tests, never skip them."""
    return bool(os.environ.get("CI") or os.environ.get("MAILLAGE_REQUIRE_PG"))


class Cluster:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.port = free_port()
        self.user = "nobody" if os.geteuid() == 0 else None
        # /tmp when the cluster runs as nobody: TMPDIR may be a folder only root can enter.
        self.folder = Path(tempfile.mkdtemp(prefix="maillage-pg-", dir="/tmp" if self.user else None))
        self.data = self.folder / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.folder)
        if check and done.returncode:
            log = self.folder / "log"
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}"
                               + (log.read_text(errors="replace")[-2000:] if log.exists() else ""))
        return done

    def start(self) -> "Cluster":
        if self.user:
            shutil.chown(self.folder, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "maillage", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://maillage@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database for one test; returns its URL.

        A schema of its own in the cluster's one database, named first in the search path: made
        in a millisecond, where CREATE DATABASE copies a template (about a second on a busy machine)."""
        import psycopg
        name = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return self.url() + f"?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        for _ in range(50):
            if not (self.data / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)
