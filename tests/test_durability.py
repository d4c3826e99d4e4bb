"""Every SQLite connection the application opens is set up to keep what it acknowledged.

`sqlite3.connect` is watched while a server (in this process, real sockets) goes through a whole
workshop: creation, joining, live actions, a snapshot and its analysis, the coordinator's pages
and exports, a participant deleting a contribution, a workshop deleted. Each connection opened by
the application's code is checked when it closes, or at the end: WAL journal, synchronous=FULL
(an acknowledged action survives a power cut, not only a killed process), foreign keys on, a busy
timeout. The snapshot analysis runs in a worker process: that process must not hold the database
open at all, since its connections could not be checked from here.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import threading
import time
import traceback
from pathlib import Path

from live_server import LiveServer
from players import ITEM, Person, ROOT

APP_CODE = tuple(str(ROOT / part) for part in ("server", "boards", "exports", "run.py"))
TOKEN = "jeton-durabilite"


def settings_of(conn: sqlite3.Connection) -> dict:
    return {
        "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
        "synchronous": conn.execute("PRAGMA synchronous").fetchone()[0],
        "foreign_keys": conn.execute("PRAGMA foreign_keys").fetchone()[0],
        "busy_timeout": conn.execute("PRAGMA busy_timeout").fetchone()[0],
    }


class Watch:
    """Wraps sqlite3.connect: remembers the connections opened from the application's code."""

    def __init__(self):
        self.opened: list[dict] = []
        self.real = sqlite3.connect
        watch = self

        class Watched(sqlite3.Connection):
            def close(self):
                record = next((r for r in watch.opened if r["conn"] is self), None)
                if record is not None and record["settings"] is None:
                    record["settings"] = settings_of(self)
                super().close()

        self.factory = Watched

    def connect(self, *args, **kwargs):
        where = [f for f in traceback.extract_stack()[:-1] if f.filename.startswith(APP_CODE)]
        if where and "factory" not in kwargs:
            kwargs["factory"] = self.factory
        conn = self.real(*args, **kwargs)
        if where:
            self.opened.append({"conn": conn, "settings": None, "thread": threading.current_thread().name,
                                "at": f"{where[-1].filename}:{where[-1].lineno}"})
        return conn


def open_by(pid: int, path: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.path.realpath(link) == str(path.resolve()) for link in folder.iterdir())
    except OSError:
        return False


def workers() -> list[int]:
    """Processes this one started, from any of its threads."""
    return [int(pid) for task in Path(f"/proc/{os.getpid()}/task").iterdir()
            for pid in (task / "children").read_text().split()]


def test_every_connection_is_durable(tmp_path, monkeypatch):
    watch = Watch()
    monkeypatch.setattr(sqlite3, "connect", watch.connect)
    database = tmp_path / "atelier.db"
    with LiveServer(database, coordinator_token=TOKEN) as srv:
        async def tour():
            host = Person(srv)
            workshop = host.create_workshop("Atelier durable", "QPV")
            alice = Person(srv)
            alice.join(workshop["code"], "Alice")
            await alice.connect()
            await host.connect(view="facilitator")
            await alice.ack(await alice.act({**ITEM, "text": "Une idée"}))
            note = f"d{alice.seq}"
            await host.ack(await host.act({"type": "board.add", "kind": "stakeholders", "title": "Carte"}))
            for label in ("T0", "T1"):
                assert host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": label}).status_code == 303
            coordinator = Person(srv)
            assert coordinator.http.post("/coordination/connexion", data={"token": TOKEN}).status_code == 303
            snapshots = re.findall(r"/coordination/instantanes/(s[0-9a-f]+)", coordinator.http.get("/coordination").text)
            assert len(set(snapshots)) == 2
            deadline = time.monotonic() + 60
            for snapshot in set(snapshots):
                # An export exists once the analysis is stored.
                while coordinator.http.get(f"/coordination/instantanes/{snapshot}/export/reseau.json").status_code != 200:
                    assert time.monotonic() < deadline, "analyses did not finish"
                    await asyncio.sleep(0.3)
                for name in ("acteurs.csv", "classeur.xlsx"):
                    assert coordinator.http.get(f"/coordination/instantanes/{snapshot}/export/{name}").status_code == 200
            # The analysis worker never opens the database itself.
            assert workers(), "the analysis worker process should be running"
            for pid in workers():
                assert not open_by(pid, database), f"worker {pid} holds the database"
            for path in ("/coordination/indicateurs", "/coordination/bibliotheque", "/"):
                assert coordinator.http.get(path).status_code == 200
            assert alice.http.post(f"/a/{workshop['id']}/mes-contributions",
                                   data={"board": "b2", "item": note}).status_code == 303
            assert host.http.post(f"/a/{workshop['id']}/supprimer", data={"code": workshop["code"]}).status_code == 200

        asyncio.run(tour())
        still_open = [r for r in watch.opened if r["settings"] is None]
        for record in still_open:
            record["settings"] = srv.call(settings_of, record["conn"])
    assert watch.opened, "no connection seen: the watch is not working"
    for record in watch.opened:
        assert record["settings"] == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                                      "busy_timeout": record["settings"]["busy_timeout"]}, record
        assert record["settings"]["busy_timeout"] >= 1000, record
    # And the file itself says WAL, for whoever opens it next (the header's read/write versions).
    header = database.read_bytes()[:20]
    assert header[18] == header[19] == 2
    print(f"durability: {len(watch.opened)} connection(s) checked: "
          + ", ".join(f"{r['at'].split('/')[-1]} ({r['thread']})" for r in watch.opened))
