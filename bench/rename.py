"""Figure 9, a change of name on a big board: the other participants' acknowledgements while one
participant renames themselves at the allowed rate, beside the same room with nobody renaming.

`python bench/rename.py [--quick]`. A workshop's stakeholder map of 1,000 actors (one CSV import,
as a facilitator does it) is on screen, with 20 participants, the facilitator's console and the
projector connected. Ten participants move actors, 20 moves a second in all, and time each
acknowledgement; ten phones only watch, and what they receive is counted. In each repetition the
moves run first alone (the anchor), then while one more participant renames themselves 19 times a
second, just under the 20 actions a second a connection may send (settings.actions_per_second).
Goal: the movers' acknowledgement p50 with the renamer at most twice the anchor's, and the
watching phones' bytes of the same order. MAILLAGE_BENCH_SERVER may name another checkout to
measure (the code before a change).
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
import loadgen as lg  # noqa: E402

ACTORS = 1_000
MOVERS, WATCHERS = 10, 10
MOVES_PER_S = 20.0
RENAMES_PER_S = 19.0
SECONDS = 8.0
REPEATS = 3
GOAL_RATIO = 2.0
WAIT_S = 60.0
TYPES = ("association", "collectivité", "entreprise", "bailleur social")


async def build_map(room: lg.Room) -> tuple[str, list[str]]:
    """A stakeholder map of ACTORS actors, on screen; returns its id and its actors' ids."""
    fac = await lg.facilitator(room)
    board = f"b{await fac({'type': 'board.add', 'kind': 'stakeholders', 'title': 'Carte du quartier'})}"
    rng = random.Random(7)
    lines = ["nom;type"] + [f"Structure {i + 1};{rng.choice(TYPES)}" for i in range(ACTORS)]
    reply = await lg.http(room.port, "POST", f"/a/{room.id}/cartographie/{board}/import",
                          cookie=room.facilitator_cookie, files=("file", "acteurs.csv", "\n".join(lines).encode()))
    assert reply.status == 200, reply.status
    listing = await lg.http(room.port, "GET", f"/a/{room.id}/cartographie/{board}/acteurs.csv",
                            cookie=room.facilitator_cookie)
    rows = list(csv.reader(io.StringIO(listing.body.lstrip("\ufeff")), delimiter=";"))
    ids = [row[-1] for row in rows[1:] if row]
    assert len(ids) == ACTORS, f"{len(ids)} actors imported"
    await fac({"type": "board.show", "board": board})
    await lg.close_all([fac.conn])
    return board, ids


async def window(movers, watchers, renamer, board: str, actors: list[str], seconds: float, tag: str,
                 server: c.Process) -> dict:
    """Moves at MOVES_PER_S for `seconds` (and renames, given a renamer); ack times in ms."""
    await c.idle([server])
    await lg.settle(movers + watchers, quiet=0.3)
    rng = random.Random(tag)
    timings: list[tuple[float, asyncio.Future]] = []

    async def move(k: int) -> None:
        sender = movers[k % len(movers)]
        op = f"{tag}-m{k}"
        waiter = sender.expect(op)
        timings.append((time.perf_counter(), waiter))
        await sender.send({"type": "actor.move", "board": board, "actor": rng.choice(actors),
                           "x": round(rng.random(), 4), "y": round(rng.random(), 4), "op": op})

    async def rename(k: int) -> None:
        # Two names in turn: the same name twice is no change and would record nothing.
        await renamer.send({"type": "participant.rename", "name": f"Renée {'AB'[k % 2]}", "op": f"{tag}-r{k}"})

    watched, cpu, start = sum(w.bytes for w in watchers), server.cpu(), time.perf_counter()
    tasks = [lg.pace(MOVES_PER_S, int(MOVES_PER_S * seconds), move)]
    if renamer is not None:
        tasks.append(lg.pace(RENAMES_PER_S, int(RENAMES_PER_S * seconds), rename))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    done = await asyncio.wait([w for _, w in timings], timeout=WAIT_S)
    samples = [(w.result() - sent) * 1000 for sent, w in timings if w in done[0] and w.exception() is None]
    busy = (server.cpu() - cpu) / (time.perf_counter() - start)
    received = sum(w.bytes for w in watchers) - watched
    return {"p50_ms": c.rounded(c.percentile(samples, 0.50), 2), "p99_ms": c.rounded(c.percentile(samples, 0.99), 2),
            "samples": len(samples), "expected": len(timings), "server_cpu": round(busy, 2),
            "watcher_bytes_per_s": round(received / len(watchers) / elapsed)}


async def measure(repeats: int = REPEATS, seconds: float = SECONDS) -> dict:
    lg.raise_fd_limit()
    scratch = c.scratch("rename")
    with c.ours(scratch / "rename.db") as server:
        room = await lg.open_workshop(server.port)
        board, actors = await build_map(room)
        cookies = await lg.join_many(room, MOVERS + WATCHERS + 1)
        conns = await lg.open_many(lg.participant_specs(room, cookies))
        staff = await lg.open_many(lg.staff_specs(room))
        movers, watchers, renamer = conns[:MOVERS], conns[MOVERS:MOVERS + WATCHERS], conns[-1]
        frame_bytes = len(await watchers[0].first_frame)
        runs = {"anchor": [], "renaming": []}
        for k in range(repeats):
            runs["anchor"].append(await window(movers, watchers, None, board, actors, seconds, f"a{k}", server))
            runs["renaming"].append(await window(movers, watchers, renamer, board, actors, seconds, f"r{k}", server))
            c.progress(f"rename: ack p50 {runs['renaming'][-1]['p50_ms']} ms with the renamer, "
                       f"{runs['anchor'][-1]['p50_ms']} ms without")
        server.kill()
        await lg.close_all(conns + staff)
    row = {side: {key: c.median(r[key] for r in runs[side])
                  for key in ("p50_ms", "p99_ms", "server_cpu", "watcher_bytes_per_s")} for side in runs}
    row["p50_ratio"] = c.rounded(c.ratio(row["renaming"]["p50_ms"], row["anchor"]["p50_ms"]), 2)
    row["met"] = row["p50_ratio"] is not None and row["p50_ratio"] <= GOAL_RATIO
    return {"actors": ACTORS, "movers": MOVERS, "watchers": WATCHERS, "moves_per_s": MOVES_PER_S,
            "renames_per_s": RENAMES_PER_S, "seconds": seconds, "repeats": repeats, "first_frame_bytes": frame_bytes,
            "goal_ratio": GOAL_RATIO, "result": row, "runs": runs}


COLUMNS = [("1,000-actor map", 18), ("ack p50", 9), ("ack p99", 9), ("server CPU", 11),
           ("per watching phone", 19), ("p50 ratio", 10), ("verdict", 7)]


def report(result: dict) -> None:
    row = result["result"]
    lines = []
    for side, label in (("anchor", "no renamer"), ("renaming", f"{result['renames_per_s']:g} renames/s")):
        r = row[side]
        lines.append([label, c.fmt(r["p50_ms"], " ms"), c.fmt(r["p99_ms"], " ms"),
                      c.fmt(None if r["server_cpu"] is None else r["server_cpu"] * 100, " %", 0),
                      c.fmt(None if r["watcher_bytes_per_s"] is None else r["watcher_bytes_per_s"] / 1000, " kB/s"),
                      c.fmt(row["p50_ratio"], "x", 2) if side == "renaming" else "—",
                      c.verdict(row["met"]) if side == "renaming" else ""])
    c.print_table(f"A change of name on a {result['actors']:,}-actor map: the movers' acknowledgements, "
                  f"median of {result['repeats']} interleaved runs of {result['seconds']:g} s", COLUMNS, lines,
                  [f"{result['movers']} participants move actors ({result['moves_per_s']:g}/s in all); "
                   f"{result['watchers']} phones watch (a phone's first frame: {result['first_frame_bytes']:,} bytes); "
                   f"goal: p50 with the renamer ≤{result['goal_ratio']:g}x without."])


def main(argv: list[str] | None = None) -> dict:
    return c.run_bench("rename", "A change of name on a big board, beside the same room without it",
                       lambda quick: measure(repeats=1 if quick else REPEATS, seconds=3.0 if quick else SECONDS), report, argv)


if __name__ == "__main__":
    main()
