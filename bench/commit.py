"""Figure 6, commit latency per action: `Store.append` (one event and its operation id in one
transaction, through sqlite-utils) beside raw `sqlite3` doing the same two inserts with the same
pragmas (WAL, synchronous=FULL) on a file in the same directory, the two alternating every 20 commits.
With PostgreSQL, `Store.append` on a PostgreSQL database takes its turn in the same blocks
(synchronous_commit on, fsync on: acknowledged means flushed, as with synchronous=FULL).

`python bench/commit.py [--quick] [--postgres URL | --no-postgres]`. Runs in this process, on the
server core, without a server: what is measured is the time the event loop would be held by one
commit. Each repetition commits the same number of note events on each side, interleaved. Without
--postgres, a throwaway cluster is started in a temporary folder when PostgreSQL is installed
(tests/pg_cluster.py); its data folder is on the same disk as the SQLite files.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common as c  # noqa: E402
import machines  # noqa: E402

from server.store import Store  # noqa: E402
from server.store.sqlite import PRAGMAS  # noqa: E402

COMMITS = 1_000
REPEATS = 3
BLOCK = 20
SCHEMA = """
CREATE TABLE events (workshop_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
    data TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (workshop_id, seq)) WITHOUT ROWID;
CREATE TABLE ops (workshop_id TEXT NOT NULL, participant TEXT NOT NULL, op TEXT NOT NULL,
    seq INTEGER NOT NULL, PRIMARY KEY (workshop_id, participant, op)) WITHOUT ROWID;
"""
TEXT = "Les permanences communes du centre social gagneraient à être mieux connues"


class Ours:
    def __init__(self, path, workshop: str = "w1"):
        self.store, self.workshop = Store(str(path)), workshop
        self.store.create_workshop({"id": workshop, "join_code": workshop.upper()[-6:].rjust(6, "B"),
                                    "facilitator_key": "k", "title": "Banc", "territory": "QPV",
                                    "created_at": "2025-01-01T00:00:00+00:00", "demo": 0},
                                   [{"type": "workshop.created", "workshop": workshop, "title": "Banc",
                                     "territory": "QPV", "join_code": "BENCH1"}])
        self.seq = 1

    def commit(self, k: int) -> None:
        event = {"type": "note.added", "board": "b2", "note": f"n{self.seq + 1}", "author": "p3",
                 "text": TEXT, "by": "p3"}
        self.seq = self.store.append(self.workshop, self.seq, [event], "p3", f"op-{k}")[-1]["seq"]

    def close(self) -> None:
        self.store.close()


class Raw:
    """The same rows written with the standard library alone."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(str(path), isolation_level=None)
        for pragma in PRAGMAS:
            self.db.execute(pragma)
        self.db.executescript(SCHEMA)
        self.seq = 1

    def commit(self, k: int) -> None:
        self.seq += 1
        body = json.dumps({"board": "b2", "note": f"n{self.seq}", "author": "p3", "text": TEXT, "by": "p3"},
                          ensure_ascii=False)
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO events (workshop_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)",
                        ("w1", self.seq, "note.added", body, "2025-01-01T00:00:00+00:00"))
        self.db.execute("INSERT INTO ops (workshop_id, participant, op, seq) VALUES (?, ?, ?, ?)",
                        ("w1", "p3", f"op-{k}", self.seq))
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()


def run_side(side, commits: int, offset: int) -> list[float]:
    times = []
    for k in range(offset, offset + commits):
        start = time.perf_counter()
        side.commit(k)
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure(commits: int = COMMITS, repeats: int = REPEATS, block: int = BLOCK, postgres: str | None = None) -> dict:
    """Each repetition alternates the sides every `block` commits: the disk's flush time
    drifts by several times within a minute on a shared machine, and all must see the same drift."""
    scratch = c.scratch("commit")
    sides = [(Ours(scratch / "ours.db"), "ours"), (Raw(scratch / "raw.db"), "anchor")]
    if postgres:
        sides.append((Ours(postgres), "postgres"))
    runs = {name: [] for _, name in sides}
    try:
        for rep in range(repeats):
            times = {name: [] for _, name in sides}
            for start in range(0, commits, block):
                size = min(block, commits - start)
                for side, name in sides:
                    times[name] += run_side(side, size, rep * commits + start)
            for name, values in times.items():
                runs[name].append({"p50_ms": round(c.percentile(values, 0.5), 3),
                                   "p99_ms": round(c.percentile(values, 0.99), 3),
                                   "per_s": round(len(values) / (sum(values) / 1000), 1)})
    finally:
        for side, _ in sides:
            side.close()
    row = {"commits": commits}
    for side in runs:
        for key in ("p50_ms", "p99_ms", "per_s"):
            row[f"{side}_{key}"] = c.rounded(c.median(r[key] for r in runs[side]), 3)
    row["p50_ratio"] = c.rounded(c.ratio(row["ours_p50_ms"], row["anchor_p50_ms"]), 2)
    if postgres:
        row["postgres_p50_ratio"] = c.rounded(c.ratio(row["postgres_p50_ms"], row["ours_p50_ms"]), 2)
    row["runs"] = runs
    return {"repeats": repeats, "pragmas": list(PRAGMAS), "results": [row]}


def concurrent(target: str, writers: int, seconds: float, tag: str) -> dict:
    """`writers` threads, each with its own connection and its own workshop (several machines'
    rooms), committing as fast as they can for `seconds`: commits per second in all."""
    stores = [Ours(target, f"{tag}{n}") for n in range(writers)]
    counts, times = [0] * writers, []
    stop = time.perf_counter() + seconds

    def write(n: int) -> None:
        mine = []
        while time.perf_counter() < stop:
            began = time.perf_counter()
            stores[n].commit(counts[n])
            mine.append((time.perf_counter() - began) * 1000)
            counts[n] += 1
        times.extend(mine)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for store in stores:
        store.close()
    return {"per_s": round(sum(counts) / elapsed, 1), "p50_ms": round(c.percentile(times, 0.5), 3),
            "p99_ms": round(c.percentile(times, 0.99), 3)}


def measure_concurrent(sqlite_path: Path, postgres: str, writers: int = 4, seconds: float = 3.0,
                       repeats: int = REPEATS) -> dict:
    """SQLite (one file, one writer at a time) beside PostgreSQL (locks per workshop), interleaved."""
    runs = {"sqlite": [], "postgres": []}
    for rep in range(repeats):
        for name, target in (("sqlite", str(sqlite_path)), ("postgres", postgres)):
            runs[name].append(concurrent(target, writers, seconds, f"r{rep}w"))
    row = {"writers": writers, "seconds": seconds}
    for name, values in runs.items():
        for key in ("per_s", "p50_ms", "p99_ms"):
            row[f"{name}_{key}"] = c.rounded(c.median(r[key] for r in values), 3)
    row["runs"] = runs
    return row


COLUMNS = [("commit", 10), ("ours p50", 9), ("ours p99", 9), ("raw p50", 9), ("raw p99", 9),
           ("ratio", 6), ("ours/s", 7), ("raw/s", 7)]


def table_rows(result: dict) -> list[list[str]]:
    return [["1 action", c.fmt(r["ours_p50_ms"], " ms", 2), c.fmt(r["ours_p99_ms"], " ms", 2),
             c.fmt(r["anchor_p50_ms"], " ms", 2), c.fmt(r["anchor_p99_ms"], " ms", 2), c.fmt(r["p50_ratio"], "x", 2),
             c.fmt(r["ours_per_s"], "", 0), c.fmt(r["anchor_per_s"], "", 0)] for r in result["results"]]


CONCURRENT_COLUMNS = [("store", 10), ("commits/s", 10), ("p50", 9), ("p99", 9)]
PG_COLUMNS = [("commit", 10), ("pg p50", 9), ("pg p99", 9), ("pg/s", 7), ("pg/sqlite p50", 14)]


def report(result: dict) -> None:
    c.print_table(f"Commit of one action (event + operation id, one transaction), median of "
                  f"{result['repeats']} interleaved runs of {result['results'][0]['commits']} commits",
                  COLUMNS, table_rows(result), ["raw = sqlite3 with the same pragmas: " + "; ".join(result["pragmas"])])
    if "postgres_p50_ms" in result["results"][0]:
        c.print_table("The same commits through Store.append on PostgreSQL, in the same blocks", PG_COLUMNS,
                      [["1 action", c.fmt(r["postgres_p50_ms"], " ms", 2), c.fmt(r["postgres_p99_ms"], " ms", 2),
                        c.fmt(r["postgres_per_s"], "", 0), c.fmt(r["postgres_p50_ratio"], "x", 2)]
                       for r in result["results"]],
                      [f"PostgreSQL {result.get('postgres_version', '')}, loopback TCP, fsync on, synchronous_commit on"])
    if "concurrent" in result:
        r = result["concurrent"]
        c.print_table(f"{r['writers']} writers, each its own connection and workshop, {r['seconds']} s, median of "
                      f"{result['repeats']} interleaved runs", CONCURRENT_COLUMNS,
                      [[name, c.fmt(r[f"{name}_per_s"], "", 0), c.fmt(r[f"{name}_p50_ms"], " ms", 2),
                        c.fmt(r[f"{name}_p99_ms"], " ms", 2)] for name in ("sqlite", "postgres")],
                      ["sqlite: one file, BEGIN IMMEDIATE (one writer at a time); postgres: a lock per workshop"])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Store.append beside raw sqlite3")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", help="postgresql:// URL of an empty database to measure too")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--out", type=Path, default=c.RESULTS)
    args = parser.parse_args(argv)
    c.pin_here(c.SERVER_CORE)
    started = c.machine()
    with machines.postgres(args.postgres, not args.no_postgres) as database:
        url = database.new() if database else None
        result = measure(commits=200 if args.quick else COMMITS, postgres=url)
        if url:
            result["concurrent"] = measure_concurrent(c.scratch("commit-concurrent") / "shared.db", url,
                                                      seconds=1.0 if args.quick else 3.0)
        if url:
            with Store(url) as store:
                result["postgres_version"] = store.execute("SHOW server_version").fetchone()[0]
    report(result)
    c.write_json("commit", {"machine": started, **result}, args.out)
    return result


if __name__ == "__main__":
    main()
