"""Rooms: the clients connected to each workshop, and the delivery of changes to them.

Each client has a small outbox and one sender task. Publishing only appends to
outboxes (no await), so the order of publishes is the order of commits. The
sender joins everything that piled up since its last send into one frame: a
busy room gets fewer, larger frames instead of a frame per change. A client
whose outbox overflows is closed with 1013 and resyncs when it reconnects.

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
from typing import Callable

from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger("maillage.hub")

# Least time between two frames to one client: at most 1/TICK frames per client per second.
TICK = 0.02
# Frames per second one process can write while it also decides, commits and renders: in a room
# of N clients each waits at least N/FRAME_BUDGET seconds between two frames (TICK up to 100
# clients, 400 ms at 2,000), so a plenary's phones get fewer frames carrying every tally changed
# meanwhile, instead of asking for N × 50 frames a second and falling further behind at each vote.
# Measured with bench/plenary.py on a shared 2-core machine: 2,000 phones voting 200 times a second
# left the server room for about 3,300 frames a second of ~3 KB.
FRAME_BUDGET = 5_000
# Seconds a sequence number may wait for a frame to ride with before it is sent alone.
SEQ_DELAY = 2.0
# A change that is exactly one element swapped whole out of band (a card's tally): a later one for
# the same id makes it useless while both wait in an outbox. Parts render the state as it is when
# they are made, so the later one carries everything the earlier one did.
_WHOLE_ELEMENT = re.compile(r'<\w+ id="([^"]+)"[^>]*? hx-swap-oob="true"[^>]*>[^<]*</\w+>\s*')


def replaces(html: str) -> str | None:
    """The id of the one element `html` swaps whole out of band, or None for any other change."""
    found = _WHOLE_ELEMENT.fullmatch(html)
    return found.group(1) if found else None


class Client:
    def __init__(self, socket: WebSocket, view: str, participant: str | None, locale: str,
                 limit: int, proxy_by: str | None = None):
        self.socket = socket
        self.view = view
        self.participant = participant
        # Set when a facilitator or table captain types for a person without a phone.
        self.proxy_by = proxy_by
        self.locale = locale
        # What a shared rendering depends on (an attribute: the broadcast loop reads it per client).
        self.key = view, locale
        self.limit = limit
        self.parts: list[str] = []
        # Index in `parts` of the queued whole-element swap of each id (see `replaces`).
        self.slots: dict[str, int] = {}
        self.acks: list[str] = []
        self.refused: list[str] = []
        self.seq: int | None = None
        self.overflow = False
        # Set to a close code to send what is queued, then close (e.g. a removed participant).
        self.closing: int | None = None
        self.wake = asyncio.Event()
        # The sender task while it waits on the socket to take a frame.
        self.sending: asyncio.Task | None = None
        # Whether this connection had its hello answered (live.py serves one full resync per connection).
        self.greeted = False
        # Since when (monotonic) `seq` has waited for a frame to ride with, if it waits.
        self.seq_waits: float | None = None
        self.room: Room | None = None

    def push(self, html: str = "", seq: int | None = None, ack: str | None = None,
             refused: str | None = None) -> None:
        if len(self.parts) + len(self.acks) + len(self.refused) >= self.limit and not self._compact():
            if self.sending is not None and not self.overflow:
                # Its socket is not draining (a reader that stopped reading): the send would wait
                # forever, and so would the close after it. Give up on it now.
                self.sending.cancel()
            self.overflow = True
        else:
            if html:
                self.parts.append(html)
            if seq is not None:
                self.seq = seq
            if ack:
                self.acks.append(ack)
            if refused:
                self.refused.append(refused)
        self.wake.set()

    def _compact(self) -> bool:
        """Drops the parts a later one superseded; True when that made room in the outbox."""
        if not self.slots:
            return False
        kept = [part for part in self.parts if part]
        freed = len(kept) < len(self.parts)
        self.parts, self.slots = kept, {}
        return freed

    def finish(self, code: int) -> None:
        """Sends what is queued, then closes with `code`."""
        self.closing = code
        self.wake.set()

    def take(self) -> str:
        sync = ['<div id="sync" hx-swap-oob="true" hidden']
        if self.seq is not None:
            sync.append(f' data-seq="{self.seq}"')
        if self.acks:
            sync.append(f' data-ack="{" ".join(self.acks)}"')
        if self.refused:
            sync.append(f' data-refused="{" ".join(self.refused)}"')
        sync.append("></div>")
        frame = "".join(self.parts) + "".join(sync)
        self.parts, self.acks, self.refused, self.seq = [], [], [], None
        self.slots = {}
        self.seq_waits = None
        return frame

    async def run(self) -> None:
        """Sends the outbox until the socket closes (or the wire cut it: a flood, a stall)."""
        try:
            await self._run()
        except (WebSocketDisconnect, OSError, RuntimeError):
            # The connection is gone: the receive loop learns it too and cleans up.
            return

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.overflow:
                log.info("client fell behind, closing it so it resyncs")
                await self.socket.close(1013)
                return
            self.sending = asyncio.current_task()
            try:
                await self.socket.send_text(self.take())
            finally:
                self.sending = None
            if self.closing is not None:
                await self.socket.close(self.closing)
                return
            # The first change goes out at once; what arrives meanwhile waits for one frame.
            await asyncio.sleep(self.room.tick() if self.room is not None else TICK)


class Room:
    def __init__(self, workshop_id: str):
        self.workshop_id = workshop_id
        self.clients: set[Client] = set()
        # The pending send of sequence numbers that found no frame to ride with.
        self._seq_due: asyncio.Handle | None = None

    def add(self, client: Client) -> None:
        client.room = self
        self.clients.add(client)

    def tick(self) -> float:
        """Least time between two frames to one client of this room: longer as the room grows."""
        return max(TICK, len(self.clients) / FRAME_BUDGET)

    def discard(self, client: Client) -> None:
        self.clients.discard(client)

    def online(self) -> list[str]:
        """Ids of the people with at least one open page (facilitators included), proxies excluded."""
        seen = Counter(c.participant for c in self.clients if c.view != "screen" and c.proxy_by is None)
        return [p for p in seen if p]

    def publish(self, render: Callable[[str, str], str], seq: int | None = None,
                personal: Callable[[Client], str] | None = None, readers: set[str] | None = None) -> None:
        """Queues one change for every client: rendered once per (view, locale), not per client.

        `personal` adds a client's own part; given `readers`, only for pages acting as one of them
        (this loop runs for every client on every change: a plenary's votes make it the hot path).
        """
        cache: dict[tuple[str, str], tuple[str, str | None]] = {}
        for client in self.clients:
            key = client.key
            shared = cache.get(key)
            if shared is None:
                html = render(client.view, client.locale)
                shared = cache[key] = html, replaces(html)
            html, slot = shared
            if personal is not None and (readers is None or client.participant in readers):
                own = personal(client)
                if own:
                    html, slot = html + own, None
            if not html:
                if seq is not None:
                    self._seq_later(client, seq)
            elif len(client.parts) + len(client.acks) + len(client.refused) < client.limit:
                # push(), inlined: at 200 votes/s to 2,000 phones the call alone was a tenth of the server.
                if slot is not None:
                    # A plenary's phone gets one tally per card per frame, however many votes came.
                    slots = client.slots
                    before = slots.get(slot)
                    if before is not None:
                        client.parts[before] = ""
                    slots[slot] = len(client.parts)
                client.parts.append(html)
                if seq is not None:
                    client.seq = seq
                client.wake.set()
            else:
                client.push(html, seq)

    def _seq_later(self, client: Client, seq: int) -> None:
        """A new sequence number without a change to show: no frame of its own, unless none goes soon."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No event loop (a test driving the hub by hand): nothing can wait, send it now.
            client.push(seq=seq)
            return
        client.seq = seq
        if client.seq_waits is None:
            client.seq_waits = time.monotonic()
        if self._seq_due is None:
            self._seq_due = loop.call_later(SEQ_DELAY, self._send_waiting_seqs)

    def _send_waiting_seqs(self) -> None:
        """Wakes the clients whose sequence number has waited SEQ_DELAY; comes back for the others.

        In a busy room every client gets a frame well within SEQ_DELAY, so this sends nothing."""
        self._seq_due = None
        now = time.monotonic()
        oldest = None
        for client in self.clients:
            since = client.seq_waits
            if since is None:
                continue
            if now - since >= SEQ_DELAY:
                client.seq_waits = None
                client.wake.set()
            elif oldest is None or since < oldest:
                oldest = since
        if oldest is not None:
            self._seq_due = asyncio.get_running_loop().call_later(oldest + SEQ_DELAY - now, self._send_waiting_seqs)


class Hub:
    def __init__(self, queue_limit: int = 512):
        self.rooms: dict[str, Room] = {}
        self.queue_limit = queue_limit

    def room(self, workshop_id: str) -> Room:
        room = self.rooms.get(workshop_id)
        if room is None:
            room = self.rooms[workshop_id] = Room(workshop_id)
        return room

    def client(self, socket: WebSocket, view: str, participant: str | None, locale: str,
               proxy_by: str | None = None) -> Client:
        return Client(socket, view, participant, locale, self.queue_limit, proxy_by)
