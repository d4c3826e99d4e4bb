"""Group commit: the actions of a workshop are decided and folded at once, written to disk together
on a thread of their own, and shown to anyone only once written.

Committing each action on the event loop made the loop wait for every flush to disk: at a
plenary's 200 votes a second, most of the server's time. Here the loop decides an action against
the state in memory (which already holds the actions decided before it, written or not), folds it
and renders what every page will see, and the writer thread commits what piled up meanwhile in
one transaction. While a batch is on its way to disk, whatever the room would send (frames,
acknowledgements, refusals, resyncs) waits in that batch's `parts`, in order, and goes out when
the batch is written: nothing shown or acknowledged is ever missing from the disk, and frames
still leave in commit order. When the disk is idle the first action is written at once; the
busier the disk, the larger the next batch, so a flood of votes costs a handful of commits a second.

A write that fails leaves the memory ahead of the disk: the workshop is read back from the
database, the batches on top of it are dropped unsent, and the room's pages are closed so that
they reconnect, resync and send again what was never acknowledged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from typing import Callable

from .store import Store, StoreLost

log = logging.getLogger("maillage.writer")


class Batch:
    """Actions decided and folded, not yet on disk: their events, their operation ids, and what
    the room sends once they are."""

    __slots__ = ("events", "ops", "parts", "done", "waiters")

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.ops: list[tuple[str, str, int]] = []
        self.parts: list[Callable[[], None]] = []
        self.done = False
        self.waiters: list[asyncio.Future] = []

    def __bool__(self) -> bool:
        return bool(self.events or self.ops)


class Line:
    """One workshop's batches: the one being written, the one filling up behind it."""

    __slots__ = ("flying", "open", "sealing", "ops")

    def __init__(self) -> None:
        self.flying: Batch | None = None
        self.open = Batch()
        self.sealing = False
        # Operation ids of both batches: a retry of an action not yet written is recognised.
        self.ops: set[tuple[str, str]] = set()


class Writer:
    line_class = Line

    def __init__(self, store: Store, hub, failed: Callable[[str], None], loop=None, pool=None):
        """`loop` and `pool` stand for the running event loop and the writer thread (a test may
        give its own, that runs their callbacks and writes when it chooses)."""
        # Its own connection: SQLite and psycopg connections are not shared between threads.
        self.store = store.reopen()
        self.hub = hub
        self.failed = failed
        self.lines: dict[str, Line] = {}
        self.pool = pool or concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="maillage-writer")
        # The write under way of each batch on its way to disk.
        self._futures: dict[int, concurrent.futures.Future] = {}
        self.loop = loop or asyncio.get_running_loop()

    # On the event loop ----------------------------------------------------------------------

    def pending(self, workshop_id: str) -> bool:
        return workshop_id in self.lines

    def line(self, workshop_id: str) -> Line:
        """The workshop's line, opened if need be: from now on what its room sends waits for it."""
        line = self.lines.get(workshop_id)
        if line is None:
            line = self.lines[workshop_id] = self.line_class()
            self.hub.room(workshop_id).defer_to = line.open.parts
        return line

    def seen(self, workshop_id: str, participant: str, op: str) -> bool:
        line = self.lines.get(workshop_id)
        return line is not None and (participant, op) in line.ops

    def add(self, workshop_id: str, stored: list[dict], participant: str | None, op: str | None,
            seq: int) -> None:
        """Queues decided events (and the operation id, numbered `seq`, the last event's or the
        workshop's) for the next write."""
        line = self.line(workshop_id)
        line.open.events.extend(stored)
        if op is not None and participant is not None:
            line.open.ops.append((participant, op, seq))
            line.ops.add((participant, op))
        self._wake(workshop_id, line)

    def _wake(self, workshop_id: str, line: Line) -> None:
        if line.flying is None and not line.sealing:
            # Everything decided in this turn of the loop goes in the same write (and a line opened
            # for nothing closes there).
            line.sealing = True
            self.loop.call_soon(self._seal, workshop_id)

    def written(self, workshop_id: str) -> asyncio.Future:
        """A future done when everything decided so far for this workshop is on disk."""
        future = self.loop.create_future()
        line = self.lines.get(workshop_id)
        if line is None:
            future.set_result(None)
        else:
            line.open.waiters.append(future)
        return future

    def drain(self, workshop_id: str) -> None:
        """Blocks until everything decided for this workshop is written and sent (for the rare
        writes that cannot wait for a turn of the loop: an HTTP form, the timer, an erasure)."""
        while True:
            line = self.lines.get(workshop_id)
            if line is None:
                return
            if line.flying is None:
                self._seal(workshop_id)
                continue
            batch = line.flying
            future = self._futures[id(batch)]
            # A pool of a test's may have to do the write itself to be waited for.
            getattr(self.pool, "wait", lambda future: concurrent.futures.wait([future]))(future)
            self._settle(workshop_id, batch, future)

    def drain_all(self) -> None:
        for workshop_id in list(self.lines):
            self.drain(workshop_id)

    def close(self) -> None:
        self.drain_all()
        self.pool.shutdown(wait=True)
        self.store.close()

    def _seal(self, workshop_id: str) -> None:
        line = self.lines.get(workshop_id)
        if line is None:
            return
        line.sealing = False
        if line.flying is not None:
            return
        batch = line.open
        if not batch:
            # Nothing to write: what waited on the batch before (now written) may go.
            self._close(workshop_id, batch)
            return
        line.flying, line.open = batch, Batch()
        self.hub.room(workshop_id).defer_to = line.open.parts
        future = self.pool.submit(self._write, workshop_id, batch)
        self._futures[id(batch)] = future
        future.add_done_callback(
            lambda future: self.loop.call_soon_threadsafe(self._settle, workshop_id, batch, future))

    def _close(self, workshop_id: str, batch: Batch) -> None:
        """The line has nothing left to write: what waited on its open batch goes, and the room
        sends at once from now on."""
        self._release(workshop_id, batch)
        del self.lines[workshop_id]
        self.hub.room(workshop_id).defer_to = None

    def _settle(self, workshop_id: str, batch: Batch, future: concurrent.futures.Future) -> None:
        """A write returned: send what waited for it, or start over from the disk if it failed."""
        if batch.done:
            return
        batch.done = True
        self._futures.pop(id(batch), None)
        line = self.lines[workshop_id]
        line.flying = None
        line.ops.difference_update((participant, op) for participant, op, _ in batch.ops)
        error = future.exception()
        if error is not None:
            log.error("writing a batch of %d events failed; reading workshop %s back from the disk",
                      len(batch.events), workshop_id, exc_info=error)
            dropped = [batch, line.open]
            del self.lines[workshop_id]
            self.hub.room(workshop_id).defer_to = None
            for lost in dropped:
                for waiter in lost.waiters:
                    if not waiter.done():
                        waiter.set_exception(error)
            self.failed(workshop_id)
            return
        self._release(workshop_id, batch)
        # What was decided meanwhile goes next, or, when nothing was, what waited behind goes now.
        self._seal(workshop_id)

    def _release(self, workshop_id: str, batch: Batch) -> None:
        room = self.hub.room(workshop_id)
        waiting, room.defer_to = room.defer_to, None
        try:
            for part in batch.parts:
                try:
                    part()
                except Exception:
                    log.exception("sending a written change failed")
        finally:
            room.defer_to = waiting
        for waiter in batch.waiters:
            if not waiter.done():
                waiter.set_result(None)

    # On the writer thread -------------------------------------------------------------------

    def _write(self, workshop_id: str, batch: Batch) -> None:
        for attempt in (1, 2):
            try:
                with self.store.transaction(workshop_id):
                    self.store.write(workshop_id, batch.events, batch.ops)
                return
            except StoreLost:
                # The connection went during the transaction: it may or may not have committed.
                if attempt > 1:
                    raise
                if self._committed(workshop_id, batch):
                    return
                log.warning("the database connection was lost; writing the batch again")

    def _committed(self, workshop_id: str, batch: Batch) -> bool:
        if batch.events:
            return self.store.last_seq(workshop_id) >= batch.events[-1]["seq"]
        participant, op, _ = batch.ops[-1]
        return self.store.op_seq(workshop_id, participant, op) is not None
