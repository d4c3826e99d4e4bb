"""The scripted workshop of tests/crash_workshop.py, its phones spread over two machines sharing one
PostgreSQL database, one machine killed with SIGKILL at a random moment and restarted.

The two servers run for every trial (each trial is a new workshop on them). Phones of the killed
machine reconnect through the other one, as a load balancer would send them, and resend what was
not acknowledged with the same operation ids: the other machine must recognise an operation the
dead one committed. At the end every phone reconnects, half through each machine, and must reach
the database's last event.
"""

from __future__ import annotations

import asyncio
import time

import websockets

from crash_workshop import Phone, Trial
from live_server import stderr_text
from players import Person, Server
from server.store import Store


class SpreadTrial(Trial):
    def __init__(self, workdir, servers: list[Server], url: str, **options):
        super().__init__(workdir, **options)
        self.servers, self.url = servers, url
        self.server = servers[0]
        self.down: Server | None = None

    async def run(self) -> dict:
        self.alive.set()
        report = await self._run()
        report["converged"] = await self._converge()
        return report

    def _person(self, number: int) -> Person:
        return Person(self.servers[number % len(self.servers)])

    def _settled(self) -> None:
        pass   # the servers serve the next trial; PostgreSQL is read while they run

    async def _killer(self, phones: list[Phone], start: float) -> None:
        for _ in range(self.kills):
            # Mid-workshop whatever the machine's speed: once a random tenth to half of the
            # script is acknowledged (a timed kill may come after a fast script's end).
            target = self.rng.randint(len(phones), self.actions // 2)
            while sum(len(p.acked) for p in phones) < target:
                if self.finished.is_set() or all(p.done for p in phones):
                    return
                await asyncio.sleep(0.005)
            victim = self.rng.choice(self.servers)
            victim.process.kill()
            victim.process.wait()
            self.down = victim
            self.kill_times.append(time.monotonic() - start)
            self.stderr.append(stderr_text(victim.process))
            seen = {op for p in phones for op in p.acked}
            self.checks.append(self._check_file(seen))
            await asyncio.to_thread(victim.start)
            self.down = None

    async def _connect(self, phone: Phone) -> None:
        delay = 0.05
        while True:
            if phone.person.server is self.down:
                # Behind one address, a reconnecting phone reaches a machine that is up.
                phone.person.server = next(s for s in self.servers if s is not self.down)
            try:
                await phone.person.connect()
                return
            except (OSError, websockets.InvalidHandshake, asyncio.TimeoutError):
                await asyncio.sleep(self.rng.uniform(0, delay))
                delay = min(delay * 2, 1.0)

    def _check_file(self, acked: set[str]) -> dict:
        # The killed process is a client of PostgreSQL, which stays up: there is no file of its
        # own to check, only that every acknowledged operation is committed.
        with Store(self.url) as store:
            stored = {row[0] for row in store.execute("SELECT op FROM ops")}
        return {"integrity": "ok", "acked": len(acked), "missing": sorted(acked - stored)}

    def _rows(self, workshop_id: str) -> list[tuple[str, str]]:
        with Store(self.url) as store:
            return [tuple(row) for row in store.execute(
                "SELECT type, data FROM events WHERE workshop_id = ? ORDER BY seq", [workshop_id])]

    async def _converge(self) -> list[int]:
        """Each phone's distance to the last event after reconnecting (0 when it caught up)."""
        with Store(self.url) as store:
            last = store.last_seq(self.workshop_id)
        behind = []
        for number, phone in enumerate(self.phones):
            person = phone.person
            person.server = self.servers[number % len(self.servers)]
            await person.connect()
            deadline = time.monotonic() + 10
            while person.seq < last and time.monotonic() < deadline:
                try:
                    await person.next_frame(max(0.05, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    break
            await person.close()
            behind.append(last - person.seq)
        return behind
