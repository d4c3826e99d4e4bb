"""Figure 7, second half: does a snapshot analysis stall the live boards? Acknowledgement times of
actions on a live board while a 1,000-actor wave is taken through the real HTTP route and
analysed, beside the same clients with no analysis running.

`python bench/stall.py [--quick]`. A workshop holds a stakeholder map of 1,000 actors (one CSV
import, as a facilitator does it) and 3,000 ties (drawn over the websocket); its ideas board is on
screen, with 50 participants, the facilitator's console and the projector connected. Twenty
participants post notes, 50 per second in all, and time each acknowledgement. In each repetition
the same stream runs first with nothing else (baseline), then while the facilitator posts the
snapshot form and the server analyses it in its worker process, until the analysis is stored
(read from the database file). Five other clients send websocket pings every 20 ms: the
server's protocol answers them in the event loop, so their round trip is the loop's lag
itself, which the goal (stall p99 under 20 ms) is about; acknowledgements add a commit. The first snapshot of a server also starts the worker process:
it is reported apart. The server and its worker are both pinned to the server core.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common as c  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
import loadgen as lg  # noqa: E402

from boards.stakeholders.model import DEFAULT_ACTOR_TYPES, DEFAULT_TIE_TYPES  # noqa: E402

ACTORS = 1_000
TIES_PER_ACTOR = 3
CLIENTS = 50
SENDERS = 20
RATE = 50.0
BASELINE_S = 4.0
REPEATS = 3
GOAL_STALL_MS, GOAL_ANALYSIS_S = 20.0, 1.0
PROBES, PING_EVERY = 5, 0.02
TIE_SOCKETS = 40        # ties are drawn from several sockets: each may send 80 actions at once


async def build_map(room: lg.Room, actors: int) -> str:
    fac = await lg.facilitator(room)
    board = f"b{await fac({'type': 'board.add', 'kind': 'stakeholders', 'title': 'Carte du quartier'})}"
    rng = random.Random(7)
    lines = ["nom;type"] + [f"Structure {i + 1};{rng.choice(DEFAULT_ACTOR_TYPES)}" for i in range(actors)]
    reply = await lg.http(room.port, "POST", f"/a/{room.id}/cartographie/{board}/import",
                          cookie=room.facilitator_cookie, files=("file", "acteurs.csv", "\n".join(lines).encode()))
    assert reply.status == 200, reply.status
    listing = await lg.http(room.port, "GET", f"/a/{room.id}/cartographie/{board}/acteurs.csv",
                            cookie=room.facilitator_cookie)
    rows = list(csv.reader(io.StringIO(listing.body.lstrip("\ufeff")), delimiter=";"))
    ids = [row[-1] for row in rows[1:] if row]
    assert len(ids) == actors, f"{len(ids)} actors imported"
    # A tie is known by its two actors, either way round, and its type.
    chosen: dict[tuple, tuple[str, str, str]] = {}
    while len(chosen) < TIES_PER_ACTOR * actors:
        source, target = rng.sample(ids, 2)
        kind = rng.choice(DEFAULT_TIE_TYPES)
        chosen.setdefault((min(source, target), max(source, target), kind), (source, target, kind))
    pairs = list(chosen.values())
    sockets = [await lg.facilitator(room) for _ in range(TIE_SOCKETS)]

    async def draw(index: int, drawer: lg.Facilitator) -> None:
        waits = []
        for k, (source, target, kind) in enumerate(pairs[index::TIE_SOCKETS]):
            waits.append(drawer.conn.expect(f"tie-{index}-{k}"))
            await drawer.conn.send({"type": "tie.add", "board": board, "source": source, "target": target,
                                    "category": kind, "strength": 1 + k % 3, "direction": ("one", "both")[k % 2],
                                    "op": f"tie-{index}-{k}"})
        await asyncio.gather(*waits)

    await asyncio.gather(*(draw(i, s) for i, s in enumerate(sockets)))
    await lg.close_all([s.conn for s in sockets] + [fac.conn])
    return board


class Probe:
    """Websocket pings from clients that send nothing else: the server's protocol answers them in
    the event loop without any of our code, so their round trip is the loop's own lag."""

    def __init__(self, conns: list[lg.Conn], every: float):
        self.conns, self.every = conns, every
        self.rtts: list[tuple[float, float]] = []
        self.running = False

    async def run(self) -> None:
        self.running = True

        async def one(conn: lg.Conn, offset: float) -> None:
            await asyncio.sleep(offset)
            while self.running:
                sent = time.perf_counter()
                try:
                    pong = await conn.socket.ping()
                    await asyncio.wait_for(pong, 30)
                except ConnectionClosed:
                    return
                self.rtts.append((sent, (time.perf_counter() - sent) * 1000))
                await asyncio.sleep(max(0.0, sent + self.every - time.perf_counter()))

        await asyncio.gather(*(one(c, i * self.every / len(self.conns)) for i, c in enumerate(self.conns)))

    def lag(self, since: float, until: float) -> dict:
        chosen = [rtt for at, rtt in self.rtts if since <= at <= until]
        return {"p50_ms": c.rounded(c.percentile(chosen, 0.5), 2), "p99_ms": c.rounded(c.percentile(chosen, 0.99), 2),
                "max_ms": c.rounded(max(chosen, default=None), 2), "pings": len(chosen)}


class Stream:
    """Notes posted at a steady rate by the senders; each acknowledgement timed."""

    def __init__(self, senders: list[lg.Conn], rate: float, room: lg.Room):
        self.senders, self.rate, self.room = senders, rate, room
        self.timings: list[tuple[float, asyncio.Future]] = []
        self.count = 0
        self.running = False

    async def run(self) -> None:
        self.running = True
        start = time.perf_counter()
        sent = 0
        while self.running:
            delay = start + sent / self.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.count += 1
            sent += 1
            sender = self.senders[self.count % len(self.senders)]
            op = f"s{self.count}"
            waiter = sender.expect(op)
            self.timings.append((time.perf_counter(), waiter))
            await sender.send({**self.room.note(self.count), "op": op})

    async def latencies(self, since: float, until: float) -> list[float]:
        chosen = [(at, w) for at, w in self.timings if since <= at <= until]
        if not chosen:
            return []
        await asyncio.wait([w for _, w in chosen], timeout=60)
        return [(w.result() - at) * 1000 for at, w in chosen if w.done() and not w.exception()]


def summary(latencies: list[float]) -> dict:
    return {"p50_ms": c.rounded(c.percentile(latencies, 0.5), 2), "p99_ms": c.rounded(c.percentile(latencies, 0.99), 2),
            "max_ms": c.rounded(max(latencies, default=None), 2), "acks": len(latencies)}


async def snapshot(room: lg.Room, db: Path, label: str) -> tuple[float, float]:
    """Posts the snapshot form; returns (route time, time until the analysis is stored) in s."""
    start = time.perf_counter()
    reply = await lg.http(room.port, "POST", f"/a/{room.id}/instantanes", {"label": label},
                          cookie=room.facilitator_cookie)
    answered = time.perf_counter() - start
    assert reply.status == 303, reply.status
    snapshot_id = reply.headers["location"].split("instantane=")[1].split("#")[0]
    reader = sqlite3.connect(str(db), timeout=5)
    try:
        while True:
            row = reader.execute("SELECT analysis IS NOT NULL FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
            if row and row[0]:
                return answered, time.perf_counter() - start
            await asyncio.sleep(0.02)
    finally:
        reader.close()


async def one_round(server: c.Process, stream: Stream, probe: Probe, room: lg.Room, db: Path, label: str,
                    baseline_s: float) -> dict:
    begin, queued = time.perf_counter(), server.waited()
    await asyncio.sleep(baseline_s)
    ended = time.perf_counter()
    quiet = summary(await stream.latencies(begin + 0.2, ended))
    posted = time.perf_counter()
    answered, analysed = await snapshot(room, db, label)
    during = summary(await stream.latencies(posted, posted + analysed))
    await asyncio.sleep(0.3)
    return {"server_waited": round((server.waited() - queued) / (time.perf_counter() - begin), 3),
            "baseline": quiet, "during": during, "lag_baseline": probe.lag(begin + 0.2, ended),
            "lag_during": probe.lag(posted, posted + analysed), "route_s": round(answered, 3),
            "analysis_s": round(analysed, 3)}


async def measure(actors: int = ACTORS, repeats: int = REPEATS, baseline_s: float = BASELINE_S) -> dict:
    lg.raise_fd_limit()
    scratch = c.scratch("stall")
    db = scratch / "stall.db"
    with c.ours(db) as server:
        room = await lg.open_workshop(server.port)
        await build_map(room, actors)
        c.progress(f"stall: map of {actors} actors built")
        cookies = await lg.join_many(room, CLIENTS)
        conns = await lg.open_many(lg.participant_specs(room, cookies) + lg.staff_specs(room))
        stream = Stream(conns[:SENDERS], RATE, room)
        probe = Probe(conns[SENDERS:SENDERS + PROBES], PING_EVERY)
        tasks = [asyncio.create_task(stream.run()), asyncio.create_task(probe.run())]
        first = await one_round(server, stream, probe, room, db, "T0", baseline_s)
        c.progress(f"stall: first wave analysed in {first['analysis_s']} s")
        runs = []
        for k in range(repeats):
            runs.append(await one_round(server, stream, probe, room, db, f"T{k + 1}", baseline_s))
            c.progress(f"stall: loop lag p99 {runs[-1]['lag_during']['p99_ms']} ms during the analysis, "
                       f"{runs[-1]['lag_baseline']['p99_ms']} ms without")
        stream.running = probe.running = False
        await asyncio.gather(*tasks)
        await lg.close_all(conns)
    row = {"actors": actors, "ties": actors * TIES_PER_ACTOR}
    for phase in ("baseline", "during", "lag_baseline", "lag_during"):
        for key in ("p50_ms", "p99_ms"):
            row[f"{phase}_{key}"] = c.median(r[phase][key] for r in runs)
    row["analysis_s"] = c.median(r["analysis_s"] for r in runs)
    row["route_s"] = c.median(r["route_s"] for r in runs)
    row["server_waited"] = c.median(r["server_waited"] for r in runs)
    row["met"] = row["lag_during_p99_ms"] is not None and row["lag_during_p99_ms"] < GOAL_STALL_MS
    row["first_snapshot"] = first
    row["runs"] = runs
    return {"repeats": repeats, "clients": CLIENTS, "rate": RATE, "results": [row]}


COLUMNS = [("stall", 12), ("loop lag p99", 13), ("no analysis", 12), ("ack p99", 9), ("no analysis", 12),
           ("analysis", 9), ("goal", 12), ("verdict", 7)]


def table_rows(result: dict) -> list[list[str]]:
    rows = []
    for r in result["results"]:
        rows.append([f"{r['actors']} actors", c.fmt(r["lag_during_p99_ms"], " ms"), c.fmt(r["lag_baseline_p99_ms"], " ms"),
                     c.fmt(r["during_p99_ms"], " ms"), c.fmt(r["baseline_p99_ms"], " ms"), c.fmt(r["analysis_s"], " s", 2),
                     f"lag <{GOAL_STALL_MS:g} ms", c.verdict(r["met"])])
        first = r["first_snapshot"]
        rows.append(["first wave", c.fmt(first["lag_during"]["p99_ms"], " ms"), c.fmt(first["lag_baseline"]["p99_ms"], " ms"),
                     c.fmt(first["during"]["p99_ms"], " ms"), c.fmt(first["baseline"]["p99_ms"], " ms"),
                     c.fmt(first["analysis_s"], " s", 2), "—", "—"])
    return rows


def report(result: dict) -> None:
    c.print_table(f"Live boards while a wave is analysed, median of {result['repeats']} rounds "
                  f"({result['clients']} clients, {result['rate']:g} notes/s)", COLUMNS, table_rows(result),
                  ["loop lag = websocket ping round trip (answered by the server's event loop); ack = a note's "
                   "acknowledgement to its sender; each beside the same clients with no analysis running.",
                   "analysis = from the snapshot form's post to the analysis stored; 'first wave' also starts "
                   "the worker process."])


def main(argv: list[str] | None = None) -> dict:
    return c.run_bench("stall", "Event-loop stall while a snapshot is analysed",
                       lambda quick: measure(actors=300 if quick else ACTORS, baseline_s=2.0 if quick else BASELINE_S), report, argv)


if __name__ == "__main__":
    main()
