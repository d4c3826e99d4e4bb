"""A scripted workshop played by several phones against a server that is killed and restarted.

Shared by tests/test_crash.py (a few trials in CI) and bench/crash_soak.py (many, longer ones).
Each phone follows the protocol as board.js does: an operation id per action, actions kept until
acknowledged, resent with the same id after a reconnect or a silence, `hello` with the last
sequence number first. A killer task sends SIGKILL to the server at random moments.

After every kill, before the restart, the database file is checked directly: `PRAGMA
integrity_check` is ok and every operation a phone saw acknowledged is in it. At the end the
workshop is replayed from the file and compared with what the script says it must contain:
every action applied exactly once.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets

from live_server import stderr_text
from players import Person, Server

THROTTLED = "Trop de messages"
NOTE = re.compile(r'<article id="note-(\w+)"[^>]*>\s*<p class="text">([^<]*)</p>')
SYNC = re.compile(r'<div id="sync"[^>]*>')


@dataclass
class Step:
    kind: str            # "add" | "edit" | "delete"
    op: str
    token: str = ""      # the text an add or an edit writes
    target: int = -1     # index of the add step whose note an edit or delete concerns


def script(rng: random.Random, count: int, tag: str) -> list[Step]:
    """One phone's actions: mostly new notes, some edits and deletions of its own earlier notes."""
    steps: list[Step] = []
    alive: list[int] = []
    for index in range(count):
        roll = rng.random()
        op = f"{tag}-{index}-{secrets.token_hex(3)}"
        if alive and roll < 0.15:
            steps.append(Step("edit", op, token=f"{tag}e{index}x", target=rng.choice(alive)))
        elif alive and roll < 0.27:
            target = alive.pop(rng.randrange(len(alive)))
            steps.append(Step("delete", op, target=target))
        else:
            steps.append(Step("add", op, token=f"{tag}a{index}x"))
            alive.append(index)
    return steps


def expected_texts(steps: list[Step]) -> set[str]:
    texts: dict[int, str] = {}
    for index, step in enumerate(steps):
        if step.kind == "add":
            texts[index] = step.token
        elif step.kind == "edit":
            texts[step.target] = step.token
        else:
            texts.pop(step.target)
    return set(texts.values())


@dataclass
class Phone:
    person: Person
    steps: list[Step]
    board: str
    window: int = 6
    next_step: int = 0
    inflight: dict[str, tuple[int, float]] = field(default_factory=dict)   # op -> (step, sent at)
    later: dict[str, float] = field(default_factory=dict)                  # throttled op -> resend at
    acked: dict[str, float] = field(default_factory=dict)                  # op -> when the ack was read
    note_ids: dict[int, str] = field(default_factory=dict)                 # add step -> note id
    refusals: list[str] = field(default_factory=list)
    reconnects: int = 0
    next_at: float = 0.0                                                   # paced: not before then

    def __post_init__(self) -> None:
        # Every text this phone writes, and the add step whose note carries it.
        self.owner = {}
        for index, step in enumerate(self.steps):
            if step.kind != "delete":
                self.owner[step.token] = index if step.kind == "add" else step.target
        self.index = {step.op: index for index, step in enumerate(self.steps)}

    def message(self, index: int) -> dict:
        step = self.steps[index]
        if step.kind == "add":
            return {"type": "note.add", "board": self.board, "text": step.token}
        note = self.note_ids[step.target]
        if step.kind == "edit":
            return {"type": "note.edit", "board": self.board, "note": note, "text": step.token}
        return {"type": "note.delete", "board": self.board, "note": note}

    def ready(self, index: int) -> bool:
        """An edit or delete waits until what came before on its note is acknowledged and its id known."""
        step = self.steps[index]
        if step.kind == "add":
            return True
        before = [s.op for j, s in enumerate(self.steps[:index]) if j == step.target or s.target == step.target]
        return step.target in self.note_ids and all(op in self.acked for op in before)

    def read(self, frame: str) -> None:
        for note_id, text in NOTE.findall(frame):
            if text in self.owner:
                self.note_ids[self.owner[text]] = note_id
        sync = SYNC.search(frame)
        if not sync:
            return
        tag = sync.group(0)
        ack = re.search(r'data-ack="([^"]*)"', tag)
        refused = re.search(r'data-refused="([^"]*)"', tag)
        now = time.monotonic()
        for op in (ack.group(1).split() if ack else ()):
            if op in self.inflight:
                del self.inflight[op]
                self.acked[op] = now
        if refused:
            reasons = re.findall(r'class="notice error">([^<]*)<', frame)
            for op in refused.group(1).split():
                if op not in self.inflight:
                    continue
                del self.inflight[op]
                # A refusal for rate comes with its notice at most once a second; every other
                # refusal comes with its own.
                if all(THROTTLED in r for r in reasons):
                    # The server asked us to slow down: the same operation goes again a bit later.
                    self.later[op] = now + 0.3
                else:
                    self.refusals.append(f"{op}: {reasons}")

    @property
    def done(self) -> bool:
        return len(self.acked) + len(self.refusals) == len(self.steps)


class Trial:
    """One workshop, one script, a server killed `kills` times at random moments."""

    def __init__(self, workdir: Path, actions: int = 500, phones: int = 5, kills: int = 2,
                 seed: int | None = None, deadline: float = 120.0, gap: float = 1.5, pace: float = 0.0):
        """`gap`: the longest wait between a restart and the next kill; `pace`: a phone's mean
        pause between two actions (0: as fast as the protocol lets it)."""
        self.workdir = workdir
        self.gap, self.pace = gap, pace
        self.actions, self.phone_count, self.kills = actions, phones, kills
        self.seed = seed if seed is not None else random.randrange(2**32)
        self.rng = random.Random(self.seed)
        self.deadline = deadline
        self.server = Server(workdir / "atelier.db")
        self.alive = asyncio.Event()
        self.finished = asyncio.Event()
        self.kill_times: list[float] = []
        self.checks: list[dict] = []
        self.stderr: list[str] = []
        self.ops_by_step: dict[str, Step] = {}

    # The server ---------------------------------------------------------------------------
    def _restart(self) -> None:
        self.server.start()

    async def _killer(self, phones: list[Phone], start: float) -> None:
        for number in range(self.kills):
            # The first kill falls early enough that every trial has one; later ones anywhere.
            await asyncio.sleep(self.rng.uniform(0.05, min(0.9, self.gap) if number == 0 else self.gap))
            if self.finished.is_set() or all(p.done for p in phones):
                return   # a kill after the script's end would prove less: none is counted then
            self.server.process.kill()
            self.server.process.wait()
            self.alive.clear()
            self.kill_times.append(time.monotonic() - start)
            self.stderr.append(stderr_text(self.server.process))
            # Everything a phone has seen acknowledged so far must already be in the file.
            seen = {op for p in phones for op in p.acked}
            self.checks.append(self._check_file(seen))
            await asyncio.to_thread(self._restart)
            self.alive.set()

    def _check_file(self, acked: set[str]) -> dict:
        db = sqlite3.connect(self.server.db)
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            stored = {row[0] for row in db.execute("SELECT op FROM ops")}
        finally:
            db.close()
        return {"integrity": integrity, "acked": len(acked), "missing": sorted(acked - stored)}

    # The phones ---------------------------------------------------------------------------
    async def _connect(self, phone: Phone) -> None:
        delay = 0.05
        while True:
            await self.alive.wait()
            try:
                await phone.person.connect()
                return
            except (OSError, websockets.InvalidHandshake, asyncio.TimeoutError):
                await asyncio.sleep(self.rng.uniform(0, delay))
                delay = min(delay * 2, 1.0)

    async def _play(self, phone: Phone) -> None:
        await self._connect(phone)
        while not phone.done:
            now = time.monotonic()
            for op, when in list(phone.later.items()):
                if when <= now:
                    del phone.later[op]
                    await self._send(phone, phone.index[op])
            while (len(phone.inflight) + len(phone.later) < phone.window
                   and phone.next_step < len(phone.steps) and phone.ready(phone.next_step)
                   and time.monotonic() >= phone.next_at):
                await self._send(phone, phone.next_step)
                phone.next_step += 1
                phone.next_at = time.monotonic() + self.rng.uniform(0, 2 * self.pace)
            try:
                phone.read(await phone.person.next_frame(0.1))
            except asyncio.TimeoutError:
                # No answer for a while: send again with the same ids, as board.js does.
                for op, (index, sent) in list(phone.inflight.items()):
                    if now - sent > 2.0:
                        await self._send(phone, index)
            except websockets.ConnectionClosed:
                await self._reconnect(phone)

    async def _send(self, phone: Phone, index: int) -> None:
        step = phone.steps[index]
        phone.inflight[step.op] = (index, time.monotonic())
        try:
            await phone.person.send({**phone.message(index), "op": step.op})
        except websockets.ConnectionClosed:
            pass  # kept in flight: resent after the reconnect

    async def _reconnect(self, phone: Phone) -> None:
        phone.reconnects += 1
        await self._connect(phone)
        for index, _ in sorted(phone.inflight.values()):
            await self._send(phone, index)

    # The trial ----------------------------------------------------------------------------
    async def run(self) -> dict:
        await asyncio.to_thread(self.server.start)
        self.alive.set()
        try:
            return await self._run()
        finally:
            self.server.stop()
            if self.server.process is not None and self.server.process.stderr:
                self.stderr.append(stderr_text(self.server.process))

    async def _run(self) -> dict:
        host = Person(self.server)
        workshop = host.create_workshop("Atelier sous tension", "QPV test")
        # The trial writes, edits and deletes notes: a free ideas board beside the diagnosis.
        board = await host.ideas_board()
        per_phone = self.actions // self.phone_count
        phones = []
        for number in range(self.phone_count):
            person = self._person(number)
            assert person.join(workshop["code"], f"Téléphone {number}").status_code == 303
            steps = script(self.rng, per_phone, f"p{number}")
            phones.append(Phone(person, steps, board=board))
        self.phones, self.workshop_id = phones, workshop["id"]
        start = time.monotonic()
        killer = asyncio.create_task(self._killer(phones, start))
        playing = asyncio.create_task(asyncio.wait_for(
            asyncio.gather(*(self._play(p) for p in phones)), self.deadline))
        try:
            # A restart that fails ends the trial at once, with the server's own words.
            await asyncio.wait({killer, playing}, return_when=asyncio.FIRST_EXCEPTION)
            if killer.done() and killer.exception() is not None:
                raise AssertionError(f"seed {self.seed}: restart failed: {killer.exception()!r}; "
                                     f"server log: {self.stderr[-1:]}") from killer.exception()
            await playing
        except asyncio.TimeoutError:
            state = [{"acked": len(p.acked), "inflight": sorted(p.inflight)[:3], "later": len(p.later),
                      "next": p.next_step, "refused": len(p.refusals), "reconnects": p.reconnects,
                      "connected": p.person.socket is not None} for p in phones]
            raise AssertionError(f"seed {self.seed}: not done after {self.deadline} s "
                                 f"(kills at {self.kill_times}): {state}") from None
        finally:
            playing.cancel()
            # The killer finishes a restart it has begun, then stops.
            self.finished.set()
            if not killer.done():
                await killer
            for phone in phones:
                await phone.person.close()
        elapsed = time.monotonic() - start
        self._settled()
        final = self._check_file({op for p in phones for op in p.acked})
        final.update(self._replay(workshop["id"], phones))
        return {
            "seed": self.seed, "actions": per_phone * self.phone_count, "kills": len(self.kill_times),
            "kill_times": [round(t, 3) for t in self.kill_times], "seconds": round(elapsed, 3),
            "reconnects": sum(p.reconnects for p in phones),
            "refusals": [r for p in phones for r in p.refusals],
            "after_kills": self.checks, "final": final,
            "tracebacks": sum(text.count("Traceback") for text in self.stderr),
        }

    def _settled(self) -> None:
        """The script is played: the server stops, so that the file is checked at rest."""
        self.server.stop()

    def _person(self, number: int) -> Person:
        """Where phone `number` plays."""
        return Person(self.server)

    def _rows(self, workshop_id: str) -> list[tuple[str, str]]:
        db = sqlite3.connect(self.server.db)
        try:
            return db.execute("SELECT type, data FROM events WHERE workshop_id = ? ORDER BY seq",
                              [workshop_id]).fetchall()
        finally:
            db.close()

    def _replay(self, workshop_id: str, phones: list[Phone]) -> dict:
        """The workshop as the file holds it, against the script: each action exactly once."""
        rows = self._rows(workshop_id)
        authors = {json.loads(d)["participant"]: json.loads(d)["name"]
                   for t, d in rows if t == "participant.joined"}
        written: dict[str, int] = {}
        deleted: dict[str, int] = {}
        notes: dict[str, tuple[str, str]] = {}
        for kind, data in rows:
            body = json.loads(data)
            if kind == "note.added":
                written[body["text"]] = written.get(body["text"], 0) + 1
                notes[body["note"]] = (body["author"], body["text"])
            elif kind == "note.edited":
                written[body["text"]] = written.get(body["text"], 0) + 1
                notes[body["note"]] = (notes[body["note"]][0], body["text"])
            elif kind == "note.deleted":
                deleted[body["note"]] = deleted.get(body["note"], 0) + 1
                notes.pop(body["note"])
        mismatches = []
        for number, phone in enumerate(phones):
            mine = {text for author, text in notes.values() if authors.get(author) == f"Téléphone {number}"}
            want = expected_texts(phone.steps)
            if mine != want:
                mismatches.append({"phone": number, "missing": sorted(want - mine), "extra": sorted(mine - want)})
        return {
            "twice": sorted(text for text, n in written.items() if n != 1)
            + sorted(note for note, n in deleted.items() if n != 1),
            "mismatches": mismatches,
            "events": len(rows),
        }
