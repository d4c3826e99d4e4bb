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
limit behind is closed with 1013 and resyncs when it reconnects.

A change that shows nothing to a client (a join, a board not on screen) only moves its
sequence number: that rides with the client's next frame instead of costing a frame of its
own, and goes alone only if nothing else has gone for SEQ_DELAY. Meanwhile a client that
reconnects says an older number and gets a full resync, which is right, only dearer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from typing import Awaitable, Callable

log = logging.getLogger("maillage.hub")

# Least time between two frames to one client: at most 1/TICK frames per client per second.
TICK = 0.02
# Longest tick: however far behind the server is, a change waits at most this long for its frame.
MAX_TICK = 0.5
# A room's flush may take at most this share of the event loop: the tick is the CPU the flush took
# divided by it, plus how late the flush started (how far behind the loop is), so a room whose
# frames are cheap keeps TICK whatever its size and a plenary's phones get fewer, larger frames
# only while the server is busy. CPU, not wall time: on a shared machine the wall time of a flush
# counts the time the process waited for a core.
FLUSH_SHARE = 0.5
# Seconds a sequence number may wait for a frame to ride with before it is sent alone.
SEQ_DELAY = 2.0
# A change that is exactly one element swapped whole out of band (a card's tally): a later one for
# the same id makes it useless while both wait in a feed. Parts render the state as it is when
# they are made, so the later one carries everything the earlier one did.
_WHOLE_ELEMENT = re.compile(r'<\w+ id="([^"]+)"[^>]*? hx-swap-oob="true"[^>]*>[^<]*</\w+>\s*')


def replaces(html: str) -> str | None:
    """The id of the one element `html` swaps whole out of band, or None for any other change."""
    found = _WHOLE_ELEMENT.fullmatch(html)
    return found.group(1) if found else None


class Feed:
    """The shared parts of a room's changes for one (view, language), in publish order.

    Positions are absolute (they keep counting after the items every reader has passed are
    dropped). A part superseded by a later whole swap of the same element is blanked in place,
    so positions never move."""

    __slots__ = ("items", "base", "slots", "clients")

    def __init__(self) -> None:
        self.items: list[str] = []
        self.base = 0
        self.slots: dict[str, int] = {}
        self.clients: set[Client] = set()

    @property
    def end(self) -> int:
        return self.base + len(self.items)

    def append(self, html: str) -> None:
        slot = replaces(html)
        if slot is not None:
            before = self.slots.get(slot)
            if before is not None and before >= self.base:
                # Readers that already passed it do not care; the others read the later one.
                self.items[before - self.base] = ""
            self.slots[slot] = self.end
        self.items.append(html)

    def live(self, pos: int) -> int:
        """Parts not superseded from `pos` on."""
        return sum(1 for item in self.items[pos - self.base:] if item)

    def trim(self) -> None:
        """Forgets what every reader of this feed has passed."""
        low = min((client.pos for client in self.clients), default=self.end)
        if low > self.base:
            del self.items[:low - self.base]
            self.base = low
            if self.slots:
                self.slots = {slot: at for slot, at in self.slots.items() if at >= low}


class Client:
    def __init__(self, socket, view: str, participant: str | None, locale: str,
                 limit: int, proxy_by: str | None = None,
                 send: Callable[[str], Awaitable] | None = None):
        self.socket = socket
        # Writes one text frame; by default through the socket, live.py gives the bare ASGI send.
        self.send = send if send is not None else (socket.send_text if socket is not None else None)
        self.view = view
        self.participant = participant
        # Set when a facilitator or table captain types for a person without a phone.
        self.proxy_by = proxy_by
        self.locale = locale
        self.key = view, locale
        self.limit = limit
        self.feed: Feed | None = None
        # Position in the feed of the next shared part this client has not been sent.
        self.pos = 0
        # This client's own parts: (feed position they follow, html).
        self.own: list[tuple[int, str]] = []
        self.acks: list[str] = []
        self.refused: list[str] = []
        # A sequence number given with an own part (a resync), to send with the next frame.
        self.seq: int | None = None
        # The room's sequence number when this client arrived (not its to claim: its page may be
        # older) and the last one sent to it.
        self.arrival_seq: int | None = None
        self.sent_seq: int | None = None
        self.overflow = False
        # Set to a close code to send what is queued, then close (e.g. a removed participant).
        self.closing: int | None = None
        # The write of a frame the socket could not take at once, while it waits.
        self.sending: asyncio.Future | None = None
        # True once the hub gave up on this connection (closed, fell behind, or its socket failed).
        self.stopped = False
        # Called once when the hub stops this connection (live.py ends its receive loop).
        self.on_stop: Callable[[], None] | None = None
        # Whether this connection had its hello answered (live.py serves one full resync per connection).
        self.greeted = False
        self.room: Room | None = None

    def push(self, html: str = "", seq: int | None = None, ack: str | None = None,
             refused: str | None = None) -> None:
        """Queues a part of this client's own, after every shared part published so far."""
        if len(self.own) + len(self.acks) + len(self.refused) >= self.limit:
            self.overflow = True
        else:
            if html:
                self.own.append((self.feed.end if self.feed is not None else 0, html))
            if seq is not None:
                self.seq = seq
            if ack:
                self.acks.append(ack)
            if refused:
                self.refused.append(refused)
        if self.room is not None:
            self.room.poke(self)

    def finish(self, code: int) -> None:
        """Sends what is queued, then closes with `code`."""
        self.closing = code
        if self.room is not None:
            self.room.poke(self)

    def _latest_seq(self) -> int | None:
        room_seq = self.room.seq if self.room is not None else None
        if room_seq == self.arrival_seq:
            room_seq = None
        if self.seq is None:
            return room_seq
        return self.seq if room_seq is None else max(self.seq, room_seq)

    def seq_behind(self) -> bool:
        if self.seq is not None:
            # Given explicitly (a hello answered): it goes, even when the page already has it.
            return True
        latest = self._latest_seq()
        return latest is not None and latest != self.sent_seq

    def due(self) -> bool:
        """Whether a frame (or a close) is waiting for this client."""
        feed = self.feed
        return bool((feed is not None and self.pos < feed.end) or self.own or self.acks or self.refused
                    or self.overflow or self.closing is not None or self.seq_behind())

    def behind(self) -> int:
        """Parts waiting for this client (superseded ones counted only when it matters)."""
        waiting = len(self.own) + len(self.acks) + len(self.refused)
        feed = self.feed
        if feed is not None:
            raw = feed.end - self.pos
            waiting += raw if waiting + raw <= self.limit else feed.live(self.pos)
        return waiting

    def take(self) -> str:
        """Everything waiting for this client as one frame, its sync element last."""
        feed = self.feed
        if feed is not None:
            start = self.pos
            shared = feed.items[start - feed.base:]
            self.pos = feed.end
        else:
            start, shared = 0, []
        if self.own:
            parts, done = [], 0
            for at, html in self.own:
                upto = at - start
                if upto > done:
                    parts.extend(shared[done:upto])
                    done = upto
                parts.append(html)
            parts.extend(shared[done:])
        else:
            parts = shared
        seq = self._latest_seq()
        sync = ['<div id="sync" hx-swap-oob="true" hidden']
        if seq is not None:
            sync.append(f' data-seq="{seq}"')
            self.sent_seq = seq
        if self.acks:
            sync.append(f' data-ack="{" ".join(self.acks)}"')
        if self.refused:
            sync.append(f' data-refused="{" ".join(self.refused)}"')
        sync.append("></div>")
        self.own, self.acks, self.refused, self.seq = [], [], [], None
        return "".join(parts) + "".join(sync)

    def stop(self, notify: bool = True) -> None:
        """The hub is done with this connection: nothing more is written to it; with `notify`,
        the receive loop is told (once)."""
        if not self.stopped:
            self.stopped = True
            if self.sending is not None:
                self.sending.cancel()
            if self.room is not None:
                self.room.discard(self)
        if not notify:
            return
        callback, self.on_stop = self.on_stop, None
        if callback is not None:
            callback()


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
        # When the pending flush was asked for (uvloop's handles for a time past have no when()).
        self._flush_at = 0.0
        self._last_flush = float("-inf")
        self._tick = TICK
        # The pending send of sequence numbers that found no frame to ride with.
        self._seq_due: asyncio.TimerHandle | None = None

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
        if seq is not None:
            self.seq = seq
        shown = quiet = False
        for key, feed in self.feeds.items():
            if not feed.clients:
                continue
            html = render(*key)
            if html:
                feed.append(html)
                self.fresh.add(feed)
                shown = True
            else:
                quiet = True
        if personal is not None:
            if readers is None:
                targets = list(self.clients)
            else:
                targets = [c for person in readers for c in self.by_person.get(person, ())]
            for client in targets:
                own = personal(client)
                if own:
                    client.push(own)
        if shown:
            self.wake()
        if quiet and seq is not None:
            self._seq_later()

    # Delivery -------------------------------------------------------------------------------
    def poke(self, client: Client) -> None:
        """`client` has something of its own waiting."""
        self.dirty.add(client)
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
        late = loop.time() - self._flush_at
        self._flush_due = None
        started = time.thread_time()
        fresh, self.fresh = self.fresh, set()
        dirty, self.dirty = self.dirty, set()
        for feed in fresh:
            for client in list(feed.clients):
                self._deliver(client)
        for client in dirty:
            self._deliver(client)
        for feed in fresh:
            feed.trim()
        took = time.thread_time() - started
        self._last_flush = loop.time()
        self._tick = min(MAX_TICK, max(TICK, took / FLUSH_SHARE + max(0.0, late)))
        if self.fresh or self.dirty:
            self.wake()

    def _deliver(self, client: Client) -> None:
        if client.stopped or client.room is not self:
            return
        if client.overflow or client.behind() > client.limit:
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
        frame = client.take()
        self._write(client, frame)
        if client.closing is not None and client.sending is None:
            self._close(client, client.closing)

    def _write(self, client: Client, frame: str) -> None:
        """Writes now; a socket that cannot take it at once finishes in a task of its own."""
        coro = client.send(frame)
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
               proxy_by: str | None = None, send: Callable[[str], Awaitable] | None = None) -> Client:
        return Client(socket, view, participant, locale, self.queue_limit, proxy_by, send)
