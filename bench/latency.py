"""Figure 2, action-to-screen latency through the whole path (receive, validate, commit, render,
deliver), beside the same hop through the bare websockets server.

`python bench/latency.py [--quick]`. N participants plus the facilitator's console and the
projector are connected to the ideas board; ten of them post notes at a steady rate, open loop.
Each note carries a marker; a sample is the time from the send to the arrival of the frame
carrying that note at one client, for every client but its sender (the whole room, not one
lucky observer). All clients live in the load generator, on the other core, so a sample
includes reading the frames that arrived before it. The phones on both sides are
bench/light.py's light phones, read as soon as data comes, that decode only the frames holding
a note's marker: with full clients, reading a note's frames at 1,000 clients took the load
generator about 17 ms, which both sides' figures carried.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
import light  # noqa: E402
import loadgen as lg  # noqa: E402

CASES = ((200, 50.0), (1_000, 20.0))
SECONDS = 10.0
SENDERS = 10
REPEATS = 3
GOAL_RATIO = 2.0
GOAL_P99_MS = {200: 50.0}
WAIT_S = 60.0           # how long deliveries are waited for after the last send


async def window(conns: list, message, rate: float, seconds: float, base: int,
                 both: list[c.Process], server: c.Process, turn: int = 0) -> dict:
    """Sends `rate * seconds` notes from SENDERS clients, the `turn`-th ten of the room (each person
    may write 200 notes on a board: the same ten for every window ran out); samples in ms."""
    count = int(rate * seconds)
    sent_at: dict[int, float] = {}
    sender_of: dict[int, object] = {}
    samples: list[float] = []

    def on_frame(conn, frame: str, now: float) -> None:
        for mark in set(lg.MARK.findall(frame)):
            k = int(mark)
            at = sent_at.get(k)
            if at is not None and sender_of[k] is not conn:
                samples.append((now - at) * 1000)

    await c.idle(both)
    for conn in conns:
        conn.on_frame = on_frame
    await lg.settle(conns, quiet=0.3)

    async def send(k: int) -> None:
        sender = conns[(turn * SENDERS + k % SENDERS) % (len(conns) - 2)]
        sender_of[base + k], sent_at[base + k] = sender, time.perf_counter()
        await sender.send(message(base + k))

    own, start, queued, mine = lg.own_cpu(), time.perf_counter(), server.waited(), c.waited()
    await lg.pace(rate, count, send)
    elapsed = time.perf_counter() - start
    busy = (lg.own_cpu() - own) / elapsed
    queued, mine = (server.waited() - queued) / elapsed, (c.waited() - mine) / elapsed
    expected = count * (len(conns) - 1)
    await lg.wait_until(lambda: len(samples) >= expected, WAIT_S)
    await lg.settle(conns, quiet=0.3)
    for conn in conns:
        conn.on_frame = None
    return {"p50_ms": c.rounded(c.percentile(samples, 0.50), 2), "p99_ms": c.rounded(c.percentile(samples, 0.99), 2),
            "max_ms": c.rounded(max(samples, default=None), 2), "samples": len(samples), "expected": expected,
            "loadgen_cpu": round(busy, 2), "server_waited": round(queued, 3), "loadgen_waited": round(mine, 3),
            "closed": sum(1 for x in conns if x.closed_code is not None)}


async def phones(specs: list[dict]) -> list[light.LightConn]:
    return await light.open_many([{**spec, "every": None, "look_for": b"mk"} for spec in specs])


async def measure(cases=CASES, repeats=REPEATS, seconds=SECONDS) -> dict:
    lg.raise_fd_limit()
    scratch = c.scratch("latency")
    with c.ours(scratch / "latency.db") as server, c.anchor() as bare:
        room = await lg.open_workshop(server.port)
        cookies = await lg.join_many(room, 2)
        sizes = await lg.probe_sizes(room, cookies[:2])
        rows, base = [], 0
        # The room grows from one case to the next; the console and the projector come in last
        # (see fanout.py).
        people, bare_conns, staff = [], [], []
        turn = 0
        for n, rate in sorted(cases):
            # People join as the room grows: the console lists everyone who joined, connected or not.
            cookies += await lg.join_many(room, n - len(cookies))
            await lg.close_all(staff)
            people += await phones(lg.participant_specs(room, cookies[len(people):n]))
            staff = await lg.open_many(lg.staff_specs(room))
            ours_conns = people + staff
            bare_conns += await phones(lg.anchor_specs(bare.port, n + 2 - len(bare_conns), sizes["first_bytes"]))
            runs = {"ours": [], "anchor": []}
            for _ in range(repeats):
                runs["ours"].append(await window(ours_conns, room.note, rate, seconds, base, [server, bare], server,
                                                 turn))
                base += 100_000
                turn += 1
                runs["anchor"].append(await window(
                    bare_conns, lambda k: lg.anchor_note(k, sizes["frame_bytes"]), rate, seconds, base, [server, bare],
                    bare))
                base += 100_000
                c.progress(f"latency N={n}: ours p99 {runs['ours'][-1]['p99_ms']} ms, "
                           f"anchor p99 {runs['anchor'][-1]['p99_ms']} ms")
            row = {"clients": n, "rate": rate,
                   "waited": {side: c.median(r["server_waited"] for r in runs[side]) for side in runs},
                   "loadgen_waited": c.median(r["loadgen_waited"] for r in runs["ours"] + runs["anchor"])}
            for side in ("ours", "anchor"):
                for key in ("p50_ms", "p99_ms"):
                    row[f"{side}_{key}"] = c.rounded(c.median(r[key] for r in runs[side]), 2)
            row["p99_ratio"] = c.rounded(c.ratio(row["ours_p99_ms"], row["anchor_p99_ms"]), 2)
            limit = GOAL_P99_MS.get(n)
            checks = [row["p99_ratio"] is not None and row["p99_ratio"] <= GOAL_RATIO]
            if limit is not None:
                checks.append(row["ours_p99_ms"] is not None and row["ours_p99_ms"] < limit)
            row.update(goal=f"p99 ≤{GOAL_RATIO:g}x" + (f", <{limit:g} ms" if limit else ""),
                       met=all(checks), runs=runs)
            rows.append(row)
        server.kill()
        bare.kill()
        await lg.close_all(ours_conns + bare_conns)
    return {"seconds": seconds, "senders": SENDERS, "repeats": repeats, "frame_sizes": sizes, "results": rows}


COLUMNS = [("latency", 16), ("ours p50", 9), ("ours p99", 9), ("anchor p50", 11), ("anchor p99", 11),
           ("p99 ratio", 10), ("goal", 20), ("verdict", 7)]


def table_rows(result: dict) -> list[list[str]]:
    return [[f"N={r['clients']} {r['rate']:g}/s", c.fmt(r["ours_p50_ms"], " ms"), c.fmt(r["ours_p99_ms"], " ms"),
             c.fmt(r["anchor_p50_ms"], " ms"), c.fmt(r["anchor_p99_ms"], " ms"), c.fmt(r["p99_ratio"], "x", 2),
             r["goal"], c.verdict(r["met"])] for r in result["results"]]


def report(result: dict) -> None:
    c.print_table(f"Action-to-screen latency, every other client of the room, median of {result['repeats']} "
                  f"interleaved runs of {result['seconds']:g} s", COLUMNS, table_rows(result),
                  [f"{result['senders']} senders; frames of {result['frame_sizes']['frame_bytes']} bytes on both servers.",
                   "deliveries never seen (a refused note, a lost frame): " + ", ".join(
                       f"N={r['clients']} {side} {sum(x['expected'] - x['samples'] for x in r['runs'][side])}"
                       for r in result["results"] for side in ("ours", "anchor")),
                   "share of each window the server waited for a CPU (ours/anchor), and the load generator: "
                   + "; ".join(f"N={r['clients']}: {r['waited']['ours']:.0%}/{r['waited']['anchor']:.0%}, "
                               f"{r['loadgen_waited']:.0%}" for r in result["results"])])


def main(argv: list[str] | None = None) -> dict:
    return c.run_bench("latency", "Action-to-screen latency beside the bare websockets hop",
                       lambda quick: measure(cases=CASES[:1] if quick else CASES, seconds=3.0 if quick else SECONDS), report, argv)


if __name__ == "__main__":
    main()
