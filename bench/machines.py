"""Several machines for the benches: a throwaway PostgreSQL cluster (tests/pg_cluster.py) or a
given database, a Redis relay, and the CPU of each part (servers, PostgreSQL, Redis) over the
same span.

"Machines" here are server processes on different ports of this one computer, each pinned to a
core, sharing the database and the relay as machines behind one public address would.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from pathlib import Path

import common as c


class Database:
    """A PostgreSQL database to start servers on: a fresh schema of the throwaway cluster for each
    call to `new`, or always the URL given. `cpu` is the cluster's CPU seconds so far (its
    postmaster, live backends and those already gone), None for a database elsewhere."""

    def __init__(self, url: str | None = None, cluster=None):
        self.url, self.cluster = url, cluster
        self.relay: c.Process | None = None

    def new(self) -> str:
        url = self.cluster.new_database() if self.cluster else self.url
        if self.relay is not None:
            url = url.replace(f"127.0.0.1:{self.cluster.port}/", f"127.0.0.1:{self.relay.port}/")
        return url

    @contextlib.contextmanager
    def one_hop_away(self, delay_ms: float):
        """From now on, servers reach the throwaway cluster through bench/netdelay.py: `delay_ms`
        each way, as over a network."""
        if not delay_ms:
            yield self
            return
        port = c.free_port()
        self.relay = c.Process([sys.executable, str(Path(__file__).with_name("netdelay.py")), str(port),
                                str(self.cluster.port), str(delay_ms)], port, "netdelay", core=None).start()
        try:
            yield self
        finally:
            self.relay.stop()
            self.relay = None

    @property
    def version(self) -> str:
        import psycopg
        with psycopg.connect(self.cluster.url() if self.cluster else self.url) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]

    def cpu(self) -> float | None:
        if self.cluster is None:
            return None
        try:
            postmaster = int((self.cluster.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat.parent.name)
            if pid == postmaster:
                total += sum(int(f) for f in fields[11:15])     # its own and its reaped children's
            elif int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / c.TICKS


@contextlib.contextmanager
def postgres(url: str | None, wanted: bool = True):
    """A Database for the URL given, or a throwaway cluster's when PostgreSQL is installed, or None."""
    if url or not wanted:
        yield Database(url) if url else None
        return
    sys.path.insert(0, str(c.ROOT / "tests"))
    import pg_cluster
    bindir = pg_cluster.binaries()
    try:
        import psycopg  # noqa: F401
    except ImportError:
        bindir = None
    if bindir is None:
        print("PostgreSQL (or psycopg) is not installed: no PostgreSQL figures "
              "(apt-get install postgresql; pip install -e '.[postgres]')")
        yield None
        return
    cluster = pg_cluster.Cluster(bindir).start()
    try:
        yield Database(cluster=cluster)
    finally:
        cluster.stop()


class Redis(c.Process):
    """A Redis relay for this run alone (nothing saved), on whatever cores this process may use."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing (apt-get install redis-server)")
        port = c.free_port()
        super().__init__([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                         port, "redis", core=None)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Group:
    """Several server processes seen as one by plenary.window (their CPU and wait summed), which
    also remembers each reading of every part, so that each part's share of the same span can be
    told afterwards (`shares`)."""

    def __init__(self, servers: list[c.Process], others: dict[str, object] | None = None):
        self.servers, self.others = servers, others or {}
        self.readings: list[tuple[float, dict[str, float | None]]] = []

    def cpu(self) -> float:
        parts = {f"machine {k + 1}": s.cpu() for k, s in enumerate(self.servers)}
        for name, part in self.others.items():
            parts[name] = part()
        self.readings.append((time.perf_counter(), parts))
        return sum(parts[f"machine {k + 1}"] for k in range(len(self.servers)))

    def waited(self) -> float:
        return sum(s.waited() for s in self.servers)

    def shares(self) -> list[dict[str, float | None]]:
        """For each window (a pair of readings), every part's CPU in cores."""
        out = []
        for (t0, before), (t1, after) in zip(self.readings[::2], self.readings[1::2]):
            out.append({name: None if before[name] is None or after[name] is None
                        else round((after[name] - before[name]) / (t1 - t0), 2) for name in before})
        return out
