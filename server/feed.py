"""What waits for the clients of a room: the feeds they share and each client's own parts.

A `Feed` holds the shared parts of a room's changes for one (view, language), in publish order;
each `Client` reads it from its own position. A client's own parts (a private part of a change,
a resync, acknowledgements, refusals) are marked with the feed position they follow, so `take`
joins both in publish order into one frame. Delivery is server/hub.py's.
"""

from __future__ import annotations

import asyncio
import bisect
import re
from typing import Awaitable, Callable

from websockets.frames import Opcode
from websockets.frames import Frame as WireFrame

# A change that is exactly one element swapped whole out of band (a card's tally): a later one for
# the same id makes it useless while both wait in a feed. Parts render the state as it is when
# they are made, so the later one carries everything the earlier one did.
_WHOLE_ELEMENT = re.compile(r'<\w+ id="([^"]+)"[^>]*? hx-swap-oob="true"[^>]*>[^<]*</\w+>\s*')


# The most text several parts may join into one frame. A backlog longer than this (a phone that
# read nothing for a while, a slow commit releasing many changes at once) goes in several frames,
# the sync element with the last: 256 Ki characters are at most 1 MiB in UTF-8, the default frame
# limit of websocket client libraries, and a phone swaps each frame as it comes. A single part
# larger than this (a whole large board) goes alone.
FRAME_CHARS = 256 * 1024


def replaces(html: str) -> str | None:
    """The id of the one element `html` swaps whole out of band, or None for any other change."""
    found = _WHOLE_ELEMENT.fullmatch(html)
    return found.group(1) if found else None


class Frame:
    """One frame for one or more clients: its text, encoded (and framed) once however many
    clients of a feed it goes to."""

    __slots__ = ("text", "_data", "_wire")

    def __init__(self, text: str):
        self.text = text
        self._data: bytes | None = None
        self._wire: bytes | None = None

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.text.encode()
        return self._data

    @property
    def wire(self) -> bytes:
        """The whole websocket frame as a server sends it to a client that did not negotiate
        compression: unmasked, unfragmented, the same bytes for every such client."""
        if self._wire is None:
            self._wire = WireFrame(Opcode.TEXT, self.data).serialize(mask=False)
        return self._wire


class Feed:
    """The shared parts of a room's changes for one (view, language), in publish order.

    Positions are absolute (they keep counting after the items every reader has passed are
    dropped). A part superseded by a later whole swap of the same element is blanked in place,
    so positions never move."""

    __slots__ = ("items", "base", "slots", "clients", "last_frame")

    def __init__(self) -> None:
        self.items: list[str] = []
        self.base = 0
        self.slots: dict[str, int] = {}
        self.clients: set[Client] = set()
        # ((from, end, seq), Frame, to): the last frame made of this feed's parts alone, which
        # every client at the same place with nothing of its own gets too; `to` is where it
        # leaves its readers (before `end` when the backlog took more than one frame).
        self.last_frame: tuple[tuple, Frame, int] | None = None

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

    def trim(self, low: int | None = None) -> None:
        """Forgets what every reader of this feed has passed (all are at `low` or beyond, when given)."""
        self.last_frame = None
        if low is None:
            low = min((client.pos for client in self.clients), default=self.end)
        if low > self.base:
            del self.items[:low - self.base]
            self.base = low
            if self.slots:
                self.slots = {slot: at for slot, at in self.slots.items() if at >= low}


class Client:
    # Slots are laid out in this order: what the hub asks of every reader of every frame comes
    # first, on one or two cache lines (in a room of 1,000, each reader's objects are out of the
    # cache again by the time the next frame comes).
    __slots__ = ("pos", "own", "acks", "refused", "overflow", "stopped", "seq", "closing", "sending", "wire",
                 "arrival_seq", "room", "sent_seq", "last_sent", "feed", "socket", "send", "view", "participant",
                 "proxy_by", "locale", "key", "limit", "on_stop", "greeted")

    def __init__(self, socket, view: str, participant: str | None, locale: str,
                 limit: int, proxy_by: str | None = None,
                 send: Callable[[str], Awaitable] | None = None, wire=None):
        self.socket = socket
        # Writes one text frame; by default through the socket, live.py gives the bare ASGI send.
        self.send = send if send is not None else (socket.send_text if socket is not None else None)
        # The connection's protocol when it can write a frame without a coroutine (server/wsprotocol.py).
        self.wire = wire
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
        # Loop time of the last frame written to this client.
        self.last_sent = float("-inf")
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
        room = self.room
        if room is not None and room.defer_to is not None:
            # Sent once the changes decided before it are on disk (server/writer.py).
            room.defer_to.append(lambda: self.push(html, seq, ack, refused))
            return
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
        if self.room is not None and self.room.defer_to is not None:
            self.room.defer_to.append(lambda: self.finish(code))
            return
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

    def take_frame(self) -> Frame:
        """`take`, as a Frame shared with the clients of the feed that get the same one."""
        feed = self.feed
        if feed is None or self.own or self.acks or self.refused or self.seq is not None:
            return Frame(self.take())
        key = (self.pos, feed.end, self._latest_seq())
        last = feed.last_frame
        if last is not None and last[0] == key:
            # What take() would have done, without building the same text again.
            self.pos = last[2]
            if key[2] is not None and self.pos == feed.end:
                self.sent_seq = key[2]
            return last[1]
        frame = Frame(self.take())
        feed.last_frame = (key, frame, self.pos)
        return frame

    def has_parts(self) -> bool:
        """Whether parts are still waiting after a frame: a backlog longer than one frame."""
        return bool(self.own) or (self.feed is not None and self.pos < self.feed.end)

    def take(self) -> str:
        """Everything waiting for this client as one frame, its sync element last; or, when that
        would be longer than FRAME_CHARS, the first of several frames, without a sync element:
        the page's sequence number, acknowledgements and refusals go with the last, once the page
        holds every change they speak of."""
        feed = self.feed
        if feed is not None:
            start = self.pos
            shared = feed.items[start - feed.base:]
        else:
            start, shared = 0, []
        parts, mine = self._in_order(start, shared)
        if sum(map(len, parts)) > FRAME_CHARS:
            parts = self._first_frame(start, parts, mine)
            if self.has_parts():
                return "".join(parts)
        elif feed is not None:
            self.pos = feed.end
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

    def _in_order(self, start: int, shared: list[str]) -> tuple[list[str], list[int]]:
        """The parts waiting, shared and own, in publish order, and the places of the own ones."""
        if not self.own:
            return shared, []
        parts, mine, done = [], [], 0
        for at, html in self.own:
            upto = at - start
            if upto > done:
                parts.extend(shared[done:upto])
                done = upto
            mine.append(len(parts))
            parts.append(html)
        parts.extend(shared[done:])
        return parts, mine

    def _first_frame(self, start: int, parts: list[str], mine: list[int]) -> list[str]:
        """Of a backlog longer than FRAME_CHARS, the parts that fit in one frame (at least one),
        taken; the rest are left waiting."""
        size = count = 0
        for html in parts:
            if count and size + len(html) > FRAME_CHARS:
                break
            size += len(html)
            count += 1
        own = bisect.bisect_left(mine, count)
        self.pos = start + count - own
        del self.own[:own]
        return parts[:count]

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
