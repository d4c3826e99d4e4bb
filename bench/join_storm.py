"""Figure 5, join storm: 2,000 participants join a workshop and each receives the first render of
the board, beside the anchor's connection storm (2,000 websocket connections, each receiving a
first frame of the same size).

`python bench/join_storm.py [--quick]`. Each repetition opens a new workshop whose ideas board
already holds 30 notes, with the facilitator's console and the projector connected, as in a room.
Each participant then does what a phone does after scanning the QR code: posts the join form,
opens the websocket with the session cookie, says hello and waits for the board. At most 250
phones are between their first byte and their first render at any moment, on both sides. The
figure is the time from the first join to the last first render.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
import loadgen as lg  # noqa: E402

PHONES = 2_000
IN_FLIGHT = 250
SEED_NOTES = 30
REPEATS = 3
GOAL_S, GOAL_RATIO = 5.0, 2.0


async def storm(server: c.Process, count: int, arrive) -> tuple[dict, list[lg.Conn]]:
    gate = asyncio.Semaphore(IN_FLIGHT)
    waits: list[float] = []

    async def one(index: int) -> lg.Conn:
        async with gate:
            begun = time.perf_counter()
            conn = await arrive(index)
            await asyncio.wait_for(conn.first_frame, 300)
            waits.append(conn.first_at - begun)
            return conn

    cpu = server.cpu()
    start = time.perf_counter()
    conns = list(await asyncio.gather(*(one(i) for i in range(count))))
    total = max(conn.first_at for conn in conns) - start
    first_bytes = sorted(len(conn.first_frame.result()) for conn in conns)[len(conns) // 2]
    return ({"total_s": round(total, 2), "p50_s": c.rounded(c.percentile(waits, 0.5), 3),
             "p99_s": c.rounded(c.percentile(waits, 0.99), 3), "server_cpu_s": round(server.cpu() - cpu, 2),
             "first_bytes": first_bytes}, conns)


async def ours_storm(server: c.Process, phones: int) -> dict:
    room = await lg.open_workshop(server.port)
    fac = await lg.facilitator(room)
    for k in range(SEED_NOTES):
        await fac({**lg.note(k), "text": f"Idée de départ {k + 1} : mieux connaître les partenaires du quartier"})
    await fac.conn.close()
    staff = await lg.open_many(lg.staff_specs(room))

    async def arrive(index: int) -> lg.Conn:
        cookie = await lg.join(room, f"Téléphone {index + 1}")
        return await lg.open_conn(**lg.participant_specs(room, [cookie])[0])

    result, conns = await storm(server, phones, arrive)
    await lg.close_all(conns + staff)
    return result


async def anchor_storm(bare: c.Process, phones: int, first_bytes: int) -> dict:
    async def arrive(index: int) -> lg.Conn:
        return await lg.open_conn(**lg.anchor_specs(bare.port, 1, first_bytes)[0])

    result, conns = await storm(bare, phones, arrive)
    await lg.close_all(conns)
    return result


async def measure(phones: int = PHONES, repeats: int = REPEATS) -> dict:
    lg.raise_fd_limit()
    scratch = c.scratch("storm")
    runs = {"ours": [], "anchor": []}
    with c.ours(scratch / "storm.db") as server, c.anchor() as bare:
        for _ in range(repeats):
            runs["ours"].append(await ours_storm(server, phones))
            runs["anchor"].append(await anchor_storm(bare, phones, runs["ours"][-1]["first_bytes"]))
            await asyncio.sleep(1)
    row = {"phones": phones}
    for side in ("ours", "anchor"):
        for key in ("total_s", "p50_s", "p99_s", "server_cpu_s"):
            row[f"{side}_{key}"] = c.median(r[key] for r in runs[side])
    row["ratio"] = c.rounded(c.ratio(row["ours_total_s"], row["anchor_total_s"]), 2)
    row["met"] = (row["ours_total_s"] < GOAL_S and row["ratio"] is not None and row["ratio"] <= GOAL_RATIO)
    row["first_bytes"] = runs["ours"][-1]["first_bytes"]
    row["runs"] = runs
    return {"repeats": repeats, "in_flight": IN_FLIGHT, "seed_notes": SEED_NOTES, "results": [row]}


COLUMNS = [("join storm", 11), ("ours", 8), ("anchor", 8), ("ratio", 7), ("ours p99", 9), ("server cpu", 11),
           ("goal", 14), ("verdict", 7)]


def table_rows(result: dict) -> list[list[str]]:
    return [[f"N={r['phones']}", c.fmt(r["ours_total_s"], " s", 2), c.fmt(r["anchor_total_s"], " s", 2),
             c.fmt(r["ratio"], "x", 2), c.fmt(r["ours_p99_s"], " s", 2), c.fmt(r["ours_server_cpu_s"], " s", 1),
             f"<{GOAL_S:g} s, ≤{GOAL_RATIO:g}x", c.verdict(r["met"])] for r in result["results"]]


def report(result: dict) -> None:
    row = result["results"][0]
    c.print_table(f"Join storm: join form + websocket + first render, median of {result['repeats']} "
                  f"interleaved runs ({result['in_flight']} phones in flight)", COLUMNS, table_rows(result),
                  [f"first render {row['first_bytes']} bytes ({result['seed_notes']} notes on the board); anchor = "
                   "websocket connection + one frame of that size; ours p99 = one phone's wait."])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="2,000 participants joining beside a bare connection storm")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=c.RESULTS)
    args = parser.parse_args(argv)
    c.pin_here()
    lg.install_fast_loop()
    started = c.machine()
    result = asyncio.run(measure(phones=500 if args.quick else PHONES))
    report(result)
    c.write_json("join_storm", {"machine": started, **result}, args.out)
    return result


if __name__ == "__main__":
    main()
