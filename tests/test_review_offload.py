"""A coordinator's export of a large wave does not hold up the live room on the same server.

Real server process, real websocket: the facilitator keeps acting while a coordinator
downloads the evidence pack (every export of the wave) of a 400-actor snapshot. The
exports are built in the worker process, so acknowledgements keep coming while the download
runs, each in a small fraction of its time. Built on the event loop, one of them waited for
the whole pack.
"""

import asyncio
import json
import re
import sqlite3
import sys
import threading
import time
from pathlib import Path

from boards.network import analyse
from players import Person

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from bench_analysis import random_snapshot  # noqa: E402


def store_large_wave(db: Path, workshop_id: str, actors: int) -> str:
    """A wave of ``actors`` actors written beside the workshop, as a snapshot of it would be."""
    data = random_snapshot(actors)
    data.update(id="sgrand", label="T0", taken_at="2026-01-01T10:00:00", participants=12,
                workshop={"id": workshop_id, "title": "Atelier", "territory": "QPV test"})
    with sqlite3.connect(db, timeout=10) as conn:
        territory = conn.execute("SELECT territory FROM workshops WHERE id = ?", [workshop_id]).fetchone()[0]
        conn.execute("INSERT INTO snapshots (id, workshop_id, territory, label, seq, taken_at, data, analysis)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     ["sgrand", workshop_id, territory, "T0", 1, data["taken_at"],
                      json.dumps(data, ensure_ascii=False), json.dumps(analyse(data), ensure_ascii=False)])
    return "sgrand"


def test_acks_keep_coming_while_a_large_wave_is_exported(server):
    host = Person(server)
    workshop = host.create_workshop()
    snapshot_id = store_large_wave(server.db, workshop["id"], 400)

    async def scenario():
        await host.connect(view="facilitator")
        frame = await host.ack(await host.act({"type": "board.add", "kind": "ideas", "title": "Idées"}))
        board = "b" + re.search(r'data-seq="(\d+)"', frame).group(1)
        finished = threading.Event()
        outcome = {}

        def download():
            start = time.perf_counter()
            reply = host.http.get(f"/coordination/instantanes/{snapshot_id}/export/dossier.zip",
                                  timeout=60)
            outcome.update(status=reply.status_code, size=len(reply.content),
                           seconds=time.perf_counter() - start)
            finished.set()

        thread = threading.Thread(target=download)
        thread.start()
        rtts = []
        await asyncio.sleep(0.05)
        while not finished.is_set():
            sent = time.perf_counter()
            await host.ack(await host.act({"type": "board.show", "board": board}), timeout=60)
            if not finished.is_set():
                rtts.append(time.perf_counter() - sent)
            await asyncio.sleep(0.02)
        thread.join()
        return rtts, outcome

    rtts, outcome = asyncio.run(scenario())
    assert outcome["status"] == 200 and outcome["size"] > 100_000
    assert len(rtts) >= 5, (rtts, outcome)
    assert max(rtts) < outcome["seconds"] / 4, (max(rtts), outcome)


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_analysis_workers_leave_with_a_killed_server(server):
    # A worker left behind keeps computing for nobody and holds the server's stderr open, so
    # whoever reads that stream to its end (a supervisor, a test) waits for ever.
    host = Person(server)
    workshop = host.create_workshop()
    assert host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": "T0"}).status_code == 303
    deadline = time.monotonic() + 60
    while not (workers := children(server.process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers, "the wave's analysis started no worker process"
    server.process.kill()
    server.process.wait()
    deadline = time.monotonic() + 30
    while any(map(running, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(running, workers)), "analysis workers outlived their server"
    assert server.process.stderr.read() is not None  # the stream ends: nobody holds it any more
