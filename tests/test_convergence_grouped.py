"""Convergence with group commit (server/writer.py): the same machine as tests/test_convergence.py,
with the writer's disk and the event loop's turns as moves of their own.

The machine chooses when a batch of decided actions is sealed, when it reaches the disk and when
the loop learns it is written, between any two other moves; a restart is then a crash that loses
what was decided but not written. What must hold is the same: every page ends as a fresh render,
every action is answered, each once, and memory never holds what is neither on disk nor on its
way there.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections import deque

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, rule

from test_convergence import PHASES, Convergence, Shell, phone


class ManualLoop:
    """The event loop's callbacks, run when the machine says."""

    def __init__(self):
        self.ready: deque = deque()

    def call_soon(self, callback, *args):
        self.ready.append((callback, args))

    call_soon_threadsafe = call_soon

    def create_future(self):
        raise AssertionError("nothing in the machine waits for a write")

    def turn(self) -> bool:
        if not self.ready:
            return False
        callback, args = self.ready.popleft()
        callback(*args)
        return True


class Disk:
    """The writer thread: each write happens when the machine says (or when the shell waits for it)."""

    def __init__(self):
        self.jobs: deque = deque()

    def submit(self, work, *args) -> concurrent.futures.Future:
        future = concurrent.futures.Future()
        self.jobs.append((future, work, args))
        return future

    def write(self) -> bool:
        if not self.jobs:
            return False
        future, work, args = self.jobs.popleft()
        try:
            future.set_result(work(*args))
        except Exception as exc:
            future.set_exception(exc)
        return True

    def wait(self, future) -> None:
        while not future.done():
            self.write()

    def shutdown(self, wait: bool = True) -> None:
        pass


class GroupedShell(Shell):
    def start(self) -> None:
        super().start()
        self.loop, self.disk = ManualLoop(), Disk()
        self.workshops.start_writer(loop=self.loop, pool=self.disk)

    def stop(self) -> None:
        # A crash: whatever was decided and not written is lost with the process.
        self.workshops.writer.store.close()
        super().stop()


class GroupedConvergence(Convergence):
    shell_class = GroupedShell

    @rule()
    def loop_turn(self):
        self.shell.loop.turn()

    @rule()
    def disk_write(self):
        self.shell.disk.write()

    def _background(self) -> bool:
        moved = False
        while self.shell.disk.write() | self.shell.loop.turn():
            moved = True
        return moved

    @invariant()
    def memory_holds_only_what_is_stored(self):
        ws = self.ws
        stored = max([0] + [e["seq"] for e in self.shell.store.events(ws.id)])
        line = self.shell.workshops.writer.lines.get(ws.id)
        waiting = [e["seq"] for batch in (line.flying, line.open) if batch for e in batch.events] if line else []
        # What memory holds beyond the disk is exactly what is on its way there, in order.
        assert [*range(stored + 1, ws.seq + 1)] == [s for s in waiting if s > stored]


def test_pages_converge_when_writes_lag_behind_decisions_and_the_server_crashes():
    """Actions decided while earlier ones are still on their way to disk, a phone lost with its
    action unacknowledged, a crash with a batch decided and not written: nothing acknowledged is
    lost, the lost action comes back with its phone, each is applied once."""
    machine = GroupedConvergence()
    try:
        alice, bob, host = phone(machine, "alice"), phone(machine, "bob"), phone(machine, "animation")
        machine.send(alice, {"type": "note.add", "board": "b2", "text": "Écrite la première"})
        machine.deliver_to_server_now(alice)
        machine.loop_turn()                       # sealed: on its way to disk
        machine.send(bob, {"type": "note.add", "board": "b2", "text": "Décidée pendant l'écriture"})
        machine.deliver_to_server_now(bob)
        machine.disk_write()                      # the first is written, not yet announced
        machine.send(host, {"type": "note.add", "board": "b2", "text": "De l'animation"})
        machine.deliver_to_server_now(host)
        # Decided and folded, but nothing of it waits in any page's feed yet.
        assert machine.ws.boards["b2"].data.notes
        assert not any("Décidée" in item for feed in machine.shell.hub.room(machine.workshop_id).feeds.values()
                       for item in feed.items)
        machine.restart()                         # lost: Bob's note and the facilitator's, never acknowledged
        machine.settle()
        notes = machine.ws.boards["b2"].data.notes.values()
        assert sorted(n.text for n in notes) == ["De l'animation", "Décidée pendant l'écriture", "Écrite la première"]
    finally:
        machine.close()


GroupedConvergence.TestCase.settings = settings(
    max_examples=int(os.environ.get("MAILLAGE_CONVERGENCE_EXAMPLES", "50")) // 2,
    stateful_step_count=60, deadline=None, phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestGroupedConvergence = GroupedConvergence.TestCase
