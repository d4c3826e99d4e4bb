"""Group commit for processes sharing one PostgreSQL database: each batch decided under the lock.

Alone, a process decides an action against its memory the moment it arrives (server/writer.py):
nobody else writes to its workshops. With several processes, a decision must see what the others
committed just before, so until now each action took the workshop's lock, read the others' new
events, decided and committed on the event loop, one at a time: at a plenary's 200 votes a second,
seven round trips and a flush each, the loop waiting on the database meanwhile.

Here the actions that arrive are queued undecided. The writer thread takes the workshop's lock and
reads what the others committed since this process last looked; the loop then folds those in,
decides the queued actions one by one against that state, folds them and renders what every page
will see; the thread writes them and commits, which releases the lock. One lock, one read and one
flush per batch, and the loop never waits on the database. As with one process, frames,
acknowledgements and refusals wait in the batch until it is written.

A batch that fails at any step leaves the process unsure of its memory: the workshop is read back
from the database, and its pages are closed so that they reconnect, resync and send again what was
never acknowledged (as server/writer.py does).

SQLite files shared by several processes keep the decision on the loop: there the write lock is
the whole file's, and any other write this process makes on the loop meanwhile would wait for a
lock held by a thread that waits for the loop.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import logging
import sys
from typing import Callable

from .store import StoreLost
from .writer import Batch, Line, Writer

log = logging.getLogger("maillage.writer")

# A cycle's stages: the thread takes the lock and reads; the loop decides; the thread writes.
LOCKING, DECIDING, WRITING = "locking", "deciding", "writing"


class Cycle:
    """One batch's turn at the lock: the actions it decides, who waits for them, where it stands."""

    __slots__ = ("actions", "keys", "found", "waiters", "stage", "future", "stack")

    def __init__(self, actions: list[Callable[[], None]], keys: list[tuple[str, str]], waiters: list) -> None:
        self.actions = actions
        # The (participant, op) of the actions that have one, and those of them already applied
        # (read under the lock with the others' events).
        self.keys = keys
        self.found: set[tuple[str, str]] = set()
        self.waiters = waiters
        self.stage = LOCKING
        self.future: concurrent.futures.Future | None = None
        # The open transaction, held on the thread from the lock to the commit.
        self.stack: contextlib.ExitStack | None = None


class LockstepLine(Line):
    __slots__ = ("actions", "keys", "action_waiters", "cycle")

    def __init__(self) -> None:
        super().__init__()
        self.actions: list[Callable[[], None]] = []
        self.keys: list[tuple[str, str]] = []
        self.action_waiters: list = []
        self.cycle: Cycle | None = None


class LockstepWriter(Writer):
    line_class = LockstepLine

    def __init__(self, store, hub, failed: Callable[[str], None], seq_of: Callable[[str], int],
                 caught: Callable[[str, list[dict]], None], published: Callable[[str], None], **options):
        """`seq_of(workshop)`: the last event this process has folded; `caught(workshop, events)`
        folds and shows the events read under the lock that are newer than that; `published(workshop)`
        tells the other processes that a batch was committed."""
        super().__init__(store, hub, failed, **options)
        self.seq_of = seq_of
        self.caught = caught
        self.published = published
        # The thread has one connection, so one transaction at a time: the workshop whose cycle
        # holds it, and those whose actions wait for their turn.
        self._turn: str | None = None
        self._queue: collections.deque[str] = collections.deque()

    # On the event loop ----------------------------------------------------------------------

    def defer(self, workshop_id: str, action: Callable[[], None], key: tuple[str, str] | None = None) -> None:
        """Queues an action, decided at the next turn of this workshop at the lock. `action` decides
        and folds (through `add`), and answers its page; a Refusal it must answer itself, anything
        else it raises abandons the batch. `key`, its (participant, op), is looked up under the
        lock: `applied` then tells whether it was."""
        line = self.line(workshop_id)
        line.actions.append(action)
        if key is not None:
            line.keys.append(key)
        if line.cycle is None and not line.sealing:
            line.sealing = True
            self.loop.call_soon(self._seal, workshop_id)

    def applied(self, workshop_id: str, participant: str, op: str) -> bool:
        """Whether an action of the batch being decided is a retry of one already applied (on any
        machine), or of one decided before it."""
        line = self.lines.get(workshop_id)
        cycle = line.cycle if line is not None else None
        return self.seen(workshop_id, participant, op) or (
            cycle is not None and (participant, op) in cycle.found)

    def written(self, workshop_id: str):
        """Done once every action queued so far is decided and on disk."""
        line = self.lines.get(workshop_id)
        if line is None or not line.actions:
            return super().written(workshop_id)
        future = self.loop.create_future()
        line.action_waiters.append(future)
        return future

    def drain(self, workshop_id: str | None = None) -> None:
        """Blocks until every workshop's queued actions are decided and written: a turn of one
        workshop may stand before those of the one asked for."""
        while self.lines:
            if self._turn is None:
                if not self._queue:
                    self._queue.extend(self.lines)
                self._take_turns()
                continue
            cycle = self.lines[self._turn].cycle
            if cycle.stage == DECIDING:
                # Called from one of the decisions (a fold that failed): the batch is abandoned there.
                return
            concurrent.futures.wait([cycle.future])
            if cycle.stage == LOCKING:
                self._locked(self._turn, cycle)
            else:
                self._wrote(self._turn, cycle)

    def drain_all(self) -> None:
        self.drain()

    def _wake(self, workshop_id: str, line: Line) -> None:
        # Decisions are only taken inside a cycle, which writes them: nothing to start.
        pass

    def _seal(self, workshop_id: str) -> None:
        line = self.lines.get(workshop_id)
        if line is None:
            return
        line.sealing = False
        if line.cycle is not None:
            return
        if not line.actions:
            # Nothing to decide: what waited behind the last batch may go.
            self._close(workshop_id, line.open)
            return
        if workshop_id not in self._queue:
            self._queue.append(workshop_id)
        self._take_turns()

    def _take_turns(self) -> None:
        while self._turn is None and self._queue:
            workshop_id = self._queue.popleft()
            line = self.lines.get(workshop_id)
            if line is None or line.cycle is not None:
                continue
            if not line.actions:
                self._seal(workshop_id)
                continue
            self._turn = workshop_id
            cycle = line.cycle = Cycle(line.actions, line.keys, line.action_waiters)
            line.actions, line.keys, line.action_waiters = [], [], []
            self._submit(workshop_id, cycle, self._lock_and_read, self.seq_of(workshop_id), self._locked)

    def _submit(self, workshop_id: str, cycle: Cycle, work, argument, then) -> None:
        cycle.future = self.pool.submit(work, workshop_id, cycle, argument)
        cycle.future.add_done_callback(lambda future: self.loop.call_soon_threadsafe(then, workshop_id, cycle))

    def _locked(self, workshop_id: str, cycle: Cycle) -> None:
        """The lock is held and the others' new events read: decide this batch's actions."""
        if cycle.stage != LOCKING:
            return
        line = self.lines[workshop_id]
        error = cycle.future.exception()
        if error is not None:
            self._abandon(workshop_id, cycle, error)
            return
        cycle.stage = DECIDING
        batch = line.open
        try:
            fresh, cycle.found = cycle.future.result()
            self.caught(workshop_id, fresh)
            for action in cycle.actions:
                action()
        except Exception as failure:
            self.pool.submit(self._roll_back, cycle, failure)
            self._abandon(workshop_id, cycle, failure)
            return
        batch.waiters.extend(cycle.waiters)
        line.flying, line.open = batch, Batch()
        self.hub.room(workshop_id).defer_to = line.open.parts
        cycle.stage = WRITING
        self._submit(workshop_id, cycle, self._write_and_commit, batch, self._wrote)

    def _wrote(self, workshop_id: str, cycle: Cycle) -> None:
        if cycle.stage != WRITING:
            return
        error = cycle.future.exception()
        if error is not None:
            line = self.lines[workshop_id]
            line.flying.done = True
            cycle.waiters = [*cycle.waiters, *line.flying.waiters]
            self._abandon(workshop_id, cycle, error)
            return
        cycle.stage = None
        self.lines[workshop_id].cycle = None
        self._turn = None
        batch = self.lines[workshop_id].flying
        if batch.events:
            self.published(workshop_id)
        # Sends what waited for the batch, then gives the next workshop in line its turn.
        self._settle(workshop_id, batch, cycle.future)
        self._take_turns()

    def _abandon(self, workshop_id: str, cycle: Cycle, error: BaseException) -> None:
        log.error("a batch of %d actions was abandoned; reading workshop %s back from the database",
                  len(cycle.actions), workshop_id, exc_info=error)
        cycle.stage = None
        self._turn = None
        line = self.lines.pop(workshop_id)
        self.hub.room(workshop_id).defer_to = None
        for waiter in [*cycle.waiters, *line.open.waiters, *line.action_waiters]:
            if not waiter.done():
                waiter.set_exception(error)
        self.failed(workshop_id)
        self._take_turns()

    # On the writer thread -------------------------------------------------------------------

    def _lock_and_read(self, workshop_id: str, cycle: Cycle, after: int) -> tuple[list[dict], set]:
        try:
            return self._lock_and_read_once(workshop_id, cycle, after)
        except StoreLost:
            # Found lost before anything was decided: a new connection, and the lock again.
            log.warning("the database connection was lost; connected again, taking the lock again")
            return self._lock_and_read_once(workshop_id, cycle, after)

    def _lock_and_read_once(self, workshop_id: str, cycle: Cycle, after: int) -> tuple[list[dict], set]:
        stack = contextlib.ExitStack()
        stack.enter_context(self.store.transaction(workshop_id))
        try:
            fresh = list(self.store.events(workshop_id, after=after))
            found = self.store.ops_among(workshop_id, cycle.keys) if cycle.keys else set()
        except BaseException:
            stack.__exit__(*sys.exc_info())
            raise
        cycle.stack = stack
        return fresh, found

    def _write_and_commit(self, workshop_id: str, cycle: Cycle, batch: Batch) -> None:
        try:
            self.store.write(workshop_id, batch.events, batch.ops)
        except BaseException:
            cycle.stack.__exit__(*sys.exc_info())
            raise
        cycle.stack.close()

    def _roll_back(self, cycle: Cycle, failure: BaseException) -> None:
        with contextlib.suppress(Exception):
            cycle.stack.__exit__(type(failure), failure, failure.__traceback__)
