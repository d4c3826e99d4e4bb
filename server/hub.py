"""Rooms: the clients connected to each workshop, and the delivery of changes to them.

A change is rendered once per (view, language) and appended to that key's feed, a queue shared
by the room's clients of that key; each client reads the feed from its own position. Only what
is a client's own (its private part of a change, a resync, acknowledgements, refusals) goes to
its own outbox, each part marked with the feed position it follows, so a frame interleaves both
in publish order. Publishing never awaits, so the order of publishes is the order of commits,
and a change costs the room one append per view and language, not one per client.

One flusher per room wakes at most once per tick and writes a frame to every client with
something new: everything that piled up since its last frame, so a busy room gets fewer, larger
frames instead of a frame per change. A write that the socket cannot take at once (its buffer is
full) finishes in a task of its own; meanwhile that client is skipped. A client more than its
limit behind while its socket still holds an earlier frame is closed with 1013 and resyncs when
it reconnects; one whose socket is free gets everything at once, however large the batch a slow
disk released (the writer's batches grow with the disk's delay).

A change that shows nothing to a client (a join, a board not on screen) only moves its
sequence number: that rides with the client's next frame instead of costing a frame of its
own, and goes alone only if nothing else has gone for SEQ_DELAY. Meanwhile a client that
reconnects says an older number and gets a full resync, which is right, only dearer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Awaitable, Callable

from .feed import Client, Feed, replaces  # noqa: F401  (Client and replaces are part of the hub's interface)

log = logging.getLogger("maillage.hub")

# Least time between two frames to one client: at most 1/TICK frames per client per second.
TICK = 0.01
# Longest tick: however far behind the server is, a change waits at most this long for its frame.
MAX_TICK = 0.5
# A room's flush may take at most this share of the event loop: the pause after a flush, counted
# from its end, is what leaves the rest of the loop that share (as long as the flush itself at
# FLUSH_SHARE = 0.5), plus how late the flush started (how far behind the loop is), so a room whose
# frames are cheap keeps TICK whatever its size and a plenary's phones get fewer, larger frames
# only while the server is busy. CPU, not wall time: on a shared machine the wall time of a flush
# counts the time the process waited for a core. Lateness counts only as far as the flush before
# was late too: a loop that cannot keep up is late flush after flush, while one pause (a young
# collection, a console's first panel) made the next tick as long as itself, and a plenary's
# phones waited 130 ms and more for the tick after it.
FLUSH_SHARE = 0.5
# Seconds a sequence number may wait for a frame to ride with before it is sent alone.
SEQ_DELAY = 2.0
# Close tasks under way (the loop keeps only weak references to tasks).
_closing: set[asyncio.Future] = set()


class _Continue:
    """Awaits the rest of a coroutine that was started by hand and suspended on `waiting`."""

    def __init__(self, coro, waiting):
        self.coro, self.waiting = coro, waiting

    def __await__(self):
        waiting = self.waiting
        while True:
            try:
                yield waiting
            except BaseException as exc:  # a cancellation reaches the write where it waits
                try:
                    waiting = self.coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting = self.coro.send(None)
                except StopIteration:
                    return


async def _finish(rest: _Continue) -> None:
    await rest


class Room:
    def __init__(self, workshop_id: str):
        self.workshop_id = workshop_id
        self.clients: set[Client] = set()
        self.feeds: dict[tuple[str, str], Feed] = {}
        self.by_person: dict[str, set[Client]] = {}
        # The workshop's sequence number as of the last change published.
        self.seq: int | None = None
        # What the next flush must visit: feeds with new parts, clients with parts of their own.
        self.fresh: set[Feed] = set()
        self.dirty: set[Client] = set()
        self._flush_due: asyncio.Handle | None = None
        # A pending frame for clients idle for a tick (see `poke`).
        self._soon: asyncio.Handle | None = None
        # When the pending flush was asked for (uvloop's handles for a time past have no when()).
        self._flush_at = 0.0
        self._last_flush = float("-inf")
        self._tick = TICK
        # How late the last flush started.
        self._late = 0.0
        # The pending send of sequence numbers that found no frame to ride with.
        self._seq_due: asyncio.TimerHandle | None = None
        # While changes decided here are on their way to disk, what the room would send waits in
        # this list, in order, until they are written (server/writer.py); None when nothing waits.
        self.defer_to: list | None = None

    def add(self, client: Client) -> None:
        client.room = self
        self.clients.add(client)
        feed = self.feeds.get(client.key)
        if feed is None:
            feed = self.feeds[client.key] = Feed()
        client.feed = feed
        client.pos = feed.end
        client.arrival_seq = self.seq
        feed.clients.add(client)
        if client.participant is not None:
            self.by_person.setdefault(client.participant, set()).add(client)

    def discard(self, client: Client) -> None:
        self.clients.discard(client)
        self.dirty.discard(client)
        if client.feed is not None:
            client.feed.clients.discard(client)
        people = self.by_person.get(client.participant or "")
        if people is not None:
            people.discard(client)
            if not people:
                del self.by_person[client.participant]

    def tick(self) -> float:
        """Least time between two frames to one client of this room (see FLUSH_SHARE)."""
        return self._tick

    def online(self) -> list[str]:
        """Ids of the people with at least one open page (facilitators included), proxies excluded."""
        seen = Counter(c.participant for c in self.clients if c.view != "screen" and c.proxy_by is None)
        return [p for p in seen if p]

    def publish(self, render: Callable[[str, str], str], seq: int | None = None,
                personal: Callable[[Client], str] | None = None, readers: set[str] | None = None) -> None:
        """Queues one change for every client: rendered once per (view, locale), not per client.

        `personal` adds a client's own part; given `readers`, only for pages acting as one of them.
        """
        parts, quiet = [], False
        for key, feed in self.feeds.items():
            if not feed.clients:
                continue
            html = render(*key)
            if html:
                parts.append((feed, html))
            else:
                quiet = True
        own = []
        if personal is not None:
            if readers is None:
                targets = list(self.clients)
            else:
                targets = [c for person in readers for c in self.by_person.get(person, ())]
            own = [(client, html) for client in targets if (html := personal(client))]

        def send() -> None:
            if seq is not None:
                self.seq = seq
            for feed, html in parts:
                feed.append(html)
                self.fresh.add(feed)
            for client, html in own:
                client.push(html)
            if parts:
                self.wake()
            if quiet and seq is not None:
                self._seq_later()
        # Rendered now, from the state this change left; sent once it is on disk (server/writer.py).
        if self.defer_to is not None:
            self.defer_to.append(send)
        else:
            send()

    # Delivery -------------------------------------------------------------------------------
    def poke(self, client: Client) -> None:
        """`client` has something of its own waiting (an acknowledgement, a refusal, a resync).

        A client that got no frame for a tick gets it at once, as it would in a quiet room: the
        room's own tick, set by whoever else had frames (a flood of refusals to one connection),
        must not delay the others' acknowledgements."""
        self.dirty.add(client)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if loop.time() - client.last_sent >= self._tick:
            if self._soon is None:
                self._soon = loop.call_soon(self._flush_idle)
        else:
            self.wake()

    def _flush_idle(self) -> None:
        """Frames now for the poked clients that got none for a tick; the others wait for the tick."""
        self._soon = None
        now = asyncio.get_running_loop().time()
        for client in list(self.dirty):
            if now - client.last_sent >= self._tick:
                self.dirty.discard(client)
                self._guarded(client)
        if self.dirty:
            self.wake()

    def wake(self) -> None:
        """Flushes at the next tick (at once when the last flush is a tick old)."""
        if self._flush_due is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No event loop (a test driving the hub by hand): it takes the frames itself.
            return
        self._flush_at = max(loop.time(), self._last_flush + self._tick)
        self._flush_due = loop.call_at(self._flush_at, self.flush)

    def flush(self) -> None:
        """One frame to every client with something new; the next tick from what this one cost."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        late = now - self._flush_at
        self._flush_due = None
        started = time.thread_time()
        fresh, self.fresh = self.fresh, set()
        dirty, self.dirty = self.dirty, set()
        # Smallest feeds first: the projector and the console (one reader each, that the whole
        # room watches or steers by) do not wait behind the writes to every phone.
        for feed in sorted(fresh, key=_readers):
            self._deliver_feed(feed, now)
        for client in dirty:
            self._guarded(client, now)
        took = time.thread_time() - started
        self._last_flush = loop.time()
        behind = min(max(0.0, late), self._late)
        self._late = max(0.0, late)
        self._tick = min(MAX_TICK, max(TICK, took * (1 / FLUSH_SHARE - 1) + behind))
        if self.fresh or self.dirty:
            self.wake()

    def _deliver_feed(self, feed: Feed, now: float) -> None:
        """Delivers a feed's new parts to its readers, then forgets what all of them passed.

        Most readers of a busy room have nothing of their own and stand where the others do:
        they get the same frame, written without `_deliver`'s questions (six calls a reader:
        2 µs in a room of 1,000, a third of what asyncio's write and the send under it cost)."""
        end, seq = feed.end, self.seq
        # The lowest place a reader of this feed is left at, for trim (a dirty client
        # delivered below only moves on).
        low = end
        start = frame = None
        # Whether that frame took its readers to the end (a backlog may take several).
        whole = False
        for client in list(feed.clients):
            try:
                if (client.own or client.acks or client.refused or client.overflow or client.stopped
                        or client.seq is not None or client.closing is not None or client.sending is not None
                        or client.wire is None or client.arrival_seq == seq or client.room is not self):
                    self._deliver(client, now)
                elif client.pos == start and whole:
                    # The frame the reader before got: what take_frame would give it.
                    client.pos, client.sent_seq, client.last_sent = end, seq, now
                    if not client.wire.write_now(frame):
                        self._write(client, frame)
                else:
                    if client.pos >= end:
                        self._deliver(client, now)
                    else:
                        start = client.pos
                        frame = client.take_frame()
                        client.last_sent = now
                        self._write(client, frame)
                        whole = client.pos == end
                        if not whole:
                            self._rest(client, now)
            except Exception:
                self._failed(client)
            if client.pos < low:
                low = client.pos
        feed.trim(low)

    def _guarded(self, client: Client, now: float | None = None) -> None:
        """One client's failure must not cost the rest of the room its frames."""
        try:
            self._deliver(client, now)
        except Exception:
            self._failed(client)

    def _failed(self, client: Client) -> None:
        log.exception("delivering to a client failed; closing it so it resyncs")
        self._close(client, 1011)

    def _deliver(self, client: Client, now: float | None = None) -> None:
        if client.stopped or client.room is not self:
            return
        # Only a socket still busy with an earlier frame counts as behind: a reader that can take
        # a frame now gets everything at once, however much a slow commit released in one go.
        if client.overflow or (client.sending is not None and client.behind() > client.limit):
            log.info("client fell behind, closing it so it resyncs")
            client.overflow = True
            self._close(client, 1013)
            return
        if client.sending is not None:
            # Its last frame is still waiting for the socket: this one waits for the next tick.
            self.dirty.add(client)
            return
        if not client.due():
            return
        frame = client.take_frame()
        client.last_sent = now if now is not None else asyncio.get_running_loop().time()
        self._write(client, frame)
        self._rest(client, client.last_sent)
        if client.closing is not None and client.sending is None:
            self._close(client, client.closing)

    def _rest(self, client: Client, now: float) -> None:
        """A backlog longer than one frame (server/feed.py's FRAME_CHARS): the next frames, as
        long as the socket takes them at once; what it cannot take waits in the room, counted
        against the client's limit, and goes when the socket has room again."""
        while client.sending is None and not client.stopped and client.has_parts():
            frame = client.take_frame()
            client.last_sent = now
            self._write(client, frame)

    def _write(self, client: Client, frame) -> None:
        """Writes now; a socket that cannot take it at once finishes in a task of its own."""
        wire = client.wire
        if wire is not None and wire.write_now(frame):
            return
        coro = client.send(frame.text)
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        except Exception:
            # The connection is gone: the receive loop learns it too and cleans up.
            client.stop()
            return
        task = client.sending = asyncio.ensure_future(_finish(_Continue(coro, waiting)))

        def written(task: asyncio.Future) -> None:
            client.sending = None
            if task.cancelled() or task.exception() is not None:
                client.stop()
            elif client.closing is not None:
                self._close(client, client.closing)
            elif client.due():
                self.poke(client)
        task.add_done_callback(written)

    def _close(self, client: Client, code: int) -> None:
        if client.sending is not None:
            # A reader that stopped reading: the write would wait forever, and so would the close.
            client.sending.cancel()
        socket = client.socket
        # No more frames; the receive loop is told once the close has gone (if it ended first,
        # the connection would close with another code, and a removed phone would come back).
        client.stop(notify=False)
        if socket is None:
            client.stop()
            return

        async def close() -> None:
            try:
                await socket.close(code)
            except Exception:
                pass
            client.stop()
        task = asyncio.ensure_future(close())
        # The loop keeps only weak references to tasks.
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    def _seq_later(self) -> None:
        """A new sequence number without a change to show: no frame of its own, unless none goes soon."""
        if self._seq_due is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._seq_due = loop.call_later(SEQ_DELAY, self._send_waiting_seqs)

    def _send_waiting_seqs(self) -> None:
        """Sends the sequence numbers that found no frame to ride with since the last look.

        In a busy room every client gets a frame well within SEQ_DELAY, so this sends nothing."""
        self._seq_due = None
        for client in list(self.clients):
            if client.seq_behind() and client.sending is None:
                self._deliver(client)


def _readers(feed) -> int:
    return len(feed.clients)


class Hub:
    def __init__(self, queue_limit: int = 512):
        self.rooms: dict[str, Room] = {}
        self.queue_limit = queue_limit

    def room(self, workshop_id: str) -> Room:
        room = self.rooms.get(workshop_id)
        if room is None:
            room = self.rooms[workshop_id] = Room(workshop_id)
        return room

    def client(self, socket, view: str, participant: str | None, locale: str,
               proxy_by: str | None = None, send: Callable[[str], Awaitable] | None = None,
               wire=None) -> Client:
        return Client(socket, view, participant, locale, self.queue_limit, proxy_by, send, wire)
