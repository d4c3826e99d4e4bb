"""Figure 1, fan-out: server CPU time per delivered frame with N clients on one board, beside a
bare `websockets` server broadcasting frames of the same size (the anchor).

`python bench/fanout.py [--quick]`. Our server runs a workshop whose N participants (plus the
facilitator's console and the projector) are connected to the ideas board; a few participants post
notes at a steady rate, each note reaching every screen. The anchor gets the same number of
clients and the same notes, padded to the size of our frames. CPU is the server process's
utime+stime from /proc before and after the window, divided by the frames the clients counted
(acknowledgements and presence refreshes included, on both sides). The goal is measured with
clients that do not offer permessage-deflate; a second room of 1,000 browser-like clients that
do (both servers on the same deflate settings) shows what compressing once per phone adds.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
import loadgen as lg  # noqa: E402

SIZES = (200, 1_000, 2_000)
RATE = 10.0          # notes per second, so each note is one frame (ticks are at least 10 ms apart)
SECONDS = 8.0
SENDERS = 5          # each below the 20 actions/s a connection may send
REPEATS = 3
GOAL_N, GOAL_RATIO = 1_000, 1.3
BASES = itertools.count(0, 100_000)   # note markers differ from one window to the next


async def window(server: c.Process, conns: list[lg.Conn], senders: list[lg.Conn], message,
                 rate: float, seconds: float, both: list[c.Process]) -> dict:
    count = int(rate * seconds)
    await c.idle(both)
    await lg.settle(conns, quiet=0.3)
    base = next(BASES)
    last = f"mk{base + count - 1}z"
    reached = set()

    def on_frame(conn: lg.Conn, frame: str, now: float) -> None:
        if last in frame:
            reached.add(conn)

    for conn in conns:
        conn.on_frame = on_frame
    frames, received, cpu = sum(x.frames for x in conns), sum(x.bytes for x in conns), server.cpu()
    own, start = lg.own_cpu(), time.perf_counter()
    await lg.pace(rate, count, lambda k: senders[k % len(senders)].send(message(base + k)))
    # Every client receives every note: the window ends when the last one has reached them all,
    # then what that note set off (acknowledgements, presence refreshes) is let through.
    await lg.wait_until(lambda: len(reached) == len(conns), 120)
    await lg.settle(conns, quiet=0.4)
    for conn in conns:
        conn.on_frame = None
    frames = sum(x.frames for x in conns) - frames
    spent = server.cpu() - cpu
    return {"frames": frames, "cpu_s": round(spent, 3), "actions": count,
            "closed": sum(1 for x in conns if x.closed_code is not None),
            "loadgen_cpu": round((lg.own_cpu() - own) / (time.perf_counter() - start), 2),
            "mean_frame_bytes": round((sum(x.bytes for x in conns) - received) / max(frames, 1)),
            "us_per_frame": round(spent / frames * 1e6, 2) if frames else None,
            # Per note per client: our hub may join two notes into one frame, the anchor never does.
            "us_per_delivery": round(spent / (count * len(conns)) * 1e6, 2)}


async def measure(sizes=SIZES, repeats=REPEATS, rate=RATE, seconds=SECONDS, deflate: bool = False) -> dict:
    lg.raise_fd_limit()
    scratch = c.scratch("fanout")
    with c.ours(scratch / "fanout.db") as server, c.anchor() as bare:
        room = await lg.open_workshop(server.port)
        # A workshop takes 2,000 participants at most: the probe borrows the first two.
        cookies = await lg.join_many(room, 2)
        sizes_seen = await lg.probe_sizes(room, cookies[:2])
        rows = []
        # The room grows from one size to the next rather than opening 2,000 sockets again for each
        # size: each arrival refreshes everyone's presence count. The console and the projector
        # leave while people arrive and come back before measuring (they arrive last in a room too:
        # with the console open each arrival re-renders its whole list of people).
        people, bare_conns, staff = [], [], []
        for n in sorted(sizes):
            # People join as the room grows: the console lists everyone who joined, connected or not.
            cookies += await lg.join_many(room, n - len(cookies))
            await lg.close_all(staff)
            people += await lg.open_many(lg.participant_specs(room, cookies[len(people):n], deflate=deflate))
            staff = await lg.open_many(lg.staff_specs(room))
            ours_conns = people + staff
            bare_conns += await lg.open_many(lg.anchor_specs(bare.port, n + 2 - len(bare_conns), sizes_seen["first_bytes"],
                                                             deflate=deflate))
            runs = {"ours": [], "anchor": []}
            for _ in range(repeats):
                runs["ours"].append(await window(server, ours_conns, people[:SENDERS], room.note, rate, seconds,
                                                 [server, bare]))
                runs["anchor"].append(await window(
                    bare, bare_conns, bare_conns[:SENDERS],
                    lambda k: lg.anchor_note(k, sizes_seen["frame_bytes"]), rate, seconds, [server, bare]))
                c.progress(f"fan-out N={n}: ours {runs['ours'][-1]['us_per_frame']} µs, "
                           f"anchor {runs['anchor'][-1]['us_per_frame']} µs per frame")
            ours_us = c.median(r["us_per_frame"] for r in runs["ours"])
            anchor_us = c.median(r["us_per_frame"] for r in runs["anchor"])
            ratio = c.ratio(ours_us, anchor_us)
            goal = n == GOAL_N and not deflate
            rows.append({"clients": n, "case": f"N={n}" + (" deflate" if deflate else ""),
                         "ours_us_per_frame": c.rounded(ours_us, 2),
                         "anchor_us_per_frame": c.rounded(anchor_us, 2), "ratio": c.rounded(ratio, 2),
                         "ours_us_per_delivery": c.median(r["us_per_delivery"] for r in runs["ours"]),
                         "anchor_us_per_delivery": c.median(r["us_per_delivery"] for r in runs["anchor"]),
                         "goal_ratio": GOAL_RATIO if goal else None,
                         "met": (ratio <= GOAL_RATIO) if goal and ratio else None,
                         "runs": runs})
        # Servers first: closing 2,000 sockets one by one would refresh the presence of the others.
        server.kill()
        bare.kill()
        await lg.close_all(ours_conns + bare_conns)
    return {"rate": rate, "seconds": seconds, "repeats": repeats, "frame_sizes": sizes_seen, "results": rows}


async def measure_both(quick: bool) -> dict:
    seconds = 3.0 if quick else SECONDS
    plain = await measure(sizes=(200,) if quick else SIZES, seconds=seconds)
    compressed = await measure(sizes=(200 if quick else GOAL_N,), seconds=seconds, deflate=True)
    plain["deflate_results"] = compressed["results"]
    return plain


def table_rows(result: dict) -> list[list[str]]:
    rows = []
    for row in result["results"] + result.get("deflate_results", []):
        goal = f"≤{row['goal_ratio']}x" if row["goal_ratio"] else "—"
        rows.append([row["case"], c.fmt(row["ours_us_per_frame"], " µs"),
                     c.fmt(row["anchor_us_per_frame"], " µs"), c.fmt(row["ratio"], "x", 2), goal,
                     c.verdict(row["met"]), c.fmt(row["ours_us_per_delivery"], " µs"),
                     c.fmt(row["anchor_us_per_delivery"], " µs")])
    return rows


COLUMNS = [("fan-out", 16), ("ours/frame", 11), ("anchor/frame", 13), ("ratio", 6), ("goal", 7), ("verdict", 7),
           ("ours/note/client", 17), ("anchor/note/client", 19)]


def report(result: dict) -> None:
    sizes = result["frame_sizes"]
    c.print_table(f"Fan-out: server CPU per delivered frame, median of {result['repeats']} interleaved runs "
                  f"({result['rate']:g} notes/s for {result['seconds']:g} s)", COLUMNS, table_rows(result),
                  [f"frames of {sizes['frame_bytes']} bytes (first render {sizes['first_bytes']} bytes); "
                   "anchor = websockets.broadcast, same sizes, same core; deflate = clients offer "
                   "permessage-deflate as browsers do, both servers on our deflate settings."])


def main(argv: list[str] | None = None) -> dict:
    return c.run_bench("fanout", "Fan-out CPU per frame beside websockets.broadcast",
                       measure_both, report, argv)


if __name__ == "__main__":
    main()
