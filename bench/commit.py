"""Figure 6, commit latency per action: `Store.append` (one event and its operation id in one
transaction, through sqlite-utils) beside raw `sqlite3` doing the same two inserts with the same
pragmas (WAL, synchronous=FULL) on a file in the same directory, the two alternating every 20 commits.

`python bench/commit.py [--quick]`. Runs in this process, on the server core, without a server:
what is measured is the time the event loop would be held by one commit. Each repetition
commits the same number of note events on each side, interleaved.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common as c  # noqa: E402

from server.store import Store  # noqa: E402
from server.store_sqlite import PRAGMAS  # noqa: E402

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
    def __init__(self, path: Path):
        self.store = Store(str(path))
        self.store.create_workshop({"id": "w1", "join_code": "BENCH1", "facilitator_key": "k", "title": "Banc",
                                    "territory": "QPV", "created_at": "2025-01-01T00:00:00+00:00", "demo": 0},
                                   [{"type": "workshop.created", "workshop": "w1", "title": "Banc",
                                     "territory": "QPV", "join_code": "BENCH1"}])
        self.seq = 1

    def commit(self, k: int) -> None:
        event = {"type": "note.added", "board": "b2", "note": f"n{self.seq + 1}", "author": "p3",
                 "text": TEXT, "by": "p3"}
        self.seq = self.store.append("w1", self.seq, [event], "p3", f"op-{k}")[-1]["seq"]

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


def measure(commits: int = COMMITS, repeats: int = REPEATS, block: int = BLOCK) -> dict:
    """Each repetition alternates the two sides every `block` commits: the disk's flush time
    drifts by several times within a minute on a shared machine, and both must see the same drift."""
    scratch = c.scratch("commit")
    ours, raw = Ours(scratch / "ours.db"), Raw(scratch / "raw.db")
    runs = {"ours": [], "anchor": []}
    try:
        for rep in range(repeats):
            times = {"ours": [], "anchor": []}
            for start in range(0, commits, block):
                size = min(block, commits - start)
                for side, name in ((ours, "ours"), (raw, "anchor")):
                    times[name] += run_side(side, size, rep * commits + start)
            for name, values in times.items():
                runs[name].append({"p50_ms": round(c.percentile(values, 0.5), 3),
                                   "p99_ms": round(c.percentile(values, 0.99), 3),
                                   "per_s": round(len(values) / (sum(values) / 1000), 1)})
    finally:
        ours.close()
        raw.close()
    row = {"commits": commits}
    for side in ("ours", "anchor"):
        for key in ("p50_ms", "p99_ms", "per_s"):
            row[f"{side}_{key}"] = c.rounded(c.median(r[key] for r in runs[side]), 3)
    row["p50_ratio"] = c.rounded(c.ratio(row["ours_p50_ms"], row["anchor_p50_ms"]), 2)
    row["runs"] = runs
    return {"repeats": repeats, "pragmas": list(PRAGMAS), "results": [row]}


COLUMNS = [("commit", 10), ("ours p50", 9), ("ours p99", 9), ("raw p50", 9), ("raw p99", 9),
           ("ratio", 6), ("ours/s", 7), ("raw/s", 7)]


def table_rows(result: dict) -> list[list[str]]:
    return [["1 action", c.fmt(r["ours_p50_ms"], " ms", 2), c.fmt(r["ours_p99_ms"], " ms", 2),
             c.fmt(r["anchor_p50_ms"], " ms", 2), c.fmt(r["anchor_p99_ms"], " ms", 2), c.fmt(r["p50_ratio"], "x", 2),
             c.fmt(r["ours_per_s"], "", 0), c.fmt(r["anchor_per_s"], "", 0)] for r in result["results"]]


def report(result: dict) -> None:
    c.print_table(f"Commit of one action (event + operation id, one transaction), median of "
                  f"{result['repeats']} interleaved runs of {result['results'][0]['commits']} commits",
                  COLUMNS, table_rows(result), ["raw = sqlite3 with the same pragmas: " + "; ".join(result["pragmas"])])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Store.append beside raw sqlite3")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=c.RESULTS)
    args = parser.parse_args(argv)
    c.pin_here(c.SERVER_CORE)
    started = c.machine()
    result = measure(commits=200 if args.quick else COMMITS)
    report(result)
    c.write_json("commit", {"machine": started, **result}, args.out)
    return result


if __name__ == "__main__":
    main()
