"""Figure 4, memory per connected participant, with browser-like clients (permessage-deflate
offered, as every browser does), beside the bare websockets server.

`python bench/memory.py [--quick]`. Each repetition starts a fresh server: its participants join
first (their place in the workshop is not what is measured), then the resident memory of the
server process is read, N clients connect and receive the first render, five notes reach every
one of them (so each connection's compressor has worked), and the memory is read again. The
difference over N is the cost of one open page. The anchor gets the same N clients, first frame
and notes, at the same sizes. Fresh processes on both sides, because freed memory is kept by
Python's allocator and would hide the next run's growth.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
import loadgen as lg  # noqa: E402

CLIENTS = 1_000
NOTES = 5
REPEATS = 3
GOAL_RATIO = 1.5


async def grow(process: c.Process, conns_specs: list[dict], send, senders: int = 1) -> dict:
    await asyncio.sleep(0.5)
    before = process.rss()
    conns = await lg.open_many(conns_specs)
    for k in range(NOTES):
        await send(conns[k % senders], k)
        await asyncio.sleep(0.1)
    await lg.settle(conns, quiet=0.5)
    after = process.rss()
    await lg.close_all(conns)
    return {"rss_before_mb": round(before / 2**20, 1), "rss_after_mb": round(after / 2**20, 1),
            "kib_per_client": round((after - before) / len(conns) / 1024, 1)}


async def ours_once(n: int) -> tuple[dict, dict]:
    scratch = c.scratch("memory")
    with c.ours(scratch / "memory.db") as server:
        room = await lg.open_workshop(server.port)
        cookies = await lg.join_many(room, n)
        sizes = await lg.probe_sizes(room, cookies[:2])
        result = await grow(server, lg.participant_specs(room, cookies[:n], deflate=True),
                            lambda conn, k: conn.send({**room.note(k), "op": f"m{k}"}))
    return result, sizes


async def anchor_once(n: int, sizes: dict) -> dict:
    with c.anchor() as bare:
        return await grow(bare, lg.anchor_specs(bare.port, n, sizes["first_bytes"], deflate=True),
                          lambda conn, k: conn.send({**lg.anchor_note(k, sizes["frame_bytes"]), "op": f"m{k}"}))


async def measure(n: int = CLIENTS, repeats: int = REPEATS) -> dict:
    lg.raise_fd_limit()
    runs = {"ours": [], "anchor": []}
    sizes = None
    for _ in range(repeats):
        result, sizes = await ours_once(n)
        runs["ours"].append(result)
        runs["anchor"].append(await anchor_once(n, sizes))
        c.progress(f"memory: ours {runs['ours'][-1]['kib_per_client']} KiB, anchor "
                   f"{runs['anchor'][-1]['kib_per_client']} KiB per client")
    row = {"clients": n, "ours_kib": c.median(r["kib_per_client"] for r in runs["ours"]),
           "anchor_kib": c.median(r["kib_per_client"] for r in runs["anchor"])}
    row["ratio"] = c.rounded(c.ratio(row["ours_kib"], row["anchor_kib"]), 2)
    row["met"] = row["ratio"] is not None and row["ratio"] <= GOAL_RATIO
    row["runs"] = runs
    return {"repeats": repeats, "notes": NOTES, "frame_sizes": sizes, "goal_ratio": GOAL_RATIO, "results": [row]}


COLUMNS = [("memory", 14), ("ours/client", 12), ("anchor/client", 14), ("ratio", 6), ("goal", 6), ("verdict", 7)]


def table_rows(result: dict) -> list[list[str]]:
    return [[f"N={r['clients']} deflate", c.fmt(r["ours_kib"], " KiB"), c.fmt(r["anchor_kib"], " KiB"),
             c.fmt(r["ratio"], "x", 2), f"≤{result['goal_ratio']:g}x", c.verdict(r["met"])] for r in result["results"]]


def report(result: dict) -> None:
    c.print_table(f"Resident memory per connected client (permessage-deflate offered), median of "
                  f"{result['repeats']} interleaved runs, fresh processes", COLUMNS, table_rows(result),
                  [f"after the first render and {result['notes']} notes to every client."])


def main(argv: list[str] | None = None) -> dict:
    return c.run_bench("memory", "Memory per connected participant beside the anchor",
                       lambda quick: measure(n=200 if quick else CLIENTS), report, argv)


if __name__ == "__main__":
    main()
