"""The websocket wire: uvicorn's sans-I/O websockets protocol, with a budget on every frame and a
bound on how long a connection may keep frames waiting.

uvicorn answers pings itself and keeps parsing a client's frames after the application closed it
(to read the client's close reply, for up to ten seconds), so an application-level rate limit
never sees pings, pongs or what follows a close. This protocol counts every frame a client sends
(text, binary, continuation, ping, pong, close) against a token bucket before anything else is
done with it. A client over budget is closed with 1008 at once: what it had queued for the
application is dropped and nothing more is read from it.

A connection is also cut (its buffers freed) when a frame waits unsent longer than
`send_timeout`: the transport stayed above its high-water mark that long, or a ping went
unanswered for half of it (pings go out every half of it, so a reader that stopped is found
within the bound even when what waits for it fits in the kernel's buffers). A plain close would
not do: asyncio closes a transport only once its buffer has drained, which never happens here.

Limits come from the application's lifespan state (`LIMITS`), so one class serves every process
(`python run.py --workers N` builds the application in each of them).
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import Frame
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from .auth import TokenBucket, network_of

log = logging.getLogger("maillage.wire")

LIMITS = "maillage.websocket_limits"
# Where a websocket's scope holds its GuardedWebSocket, for the hub's frames (`write_now`).
WIRE = "maillage.wire"
# The reason given to the application when the wire closed a connection for flooding.
FLOOD = "flood"
# Close codes after which nothing more is read: a flood (1008), a connection refused for now (4429).
HARD_CLOSES = {1008, 4429}
# Bytes handed to the frame parser at a time: a packet full of tiny frames is counted as it is
# parsed, so a flood costs at most its burst plus one slice of parsing before it is cut.
SLICE = 2048
# Seconds a cut connection may take to flush its close frame before it is aborted.
GRACE = 1.0
# permessage-deflate as uvicorn sets it (12-bit windows, memLevel 5, context kept from one message
# to the next), at zlib's fastest level: a frame repeats the markup of the frames before it, which
# the kept context finds at any level, so level 1 costs a few bytes a frame and saves most of the
# compression time, which every frame pays once per phone (docs/performance.md, "One frame per
# feed, the compression level, ...", change 4).
DEFLATE = {"server_max_window_bits": 12, "client_max_window_bits": 12,
           "compress_settings": {"memLevel": 5, "level": 1}}


@dataclass(frozen=True)
class Limits:
    frames_per_second: float = 40.0
    frame_burst: float = 160.0
    send_timeout: float = 30.0
    cooldown: float = 15.0
    # (address, cookie, path) of connections closed for flooding -> monotonic time they may return
    cooling: dict = field(default_factory=dict)


class Throttled:
    """At most one log line a second for one kind of event, with the count of those not written."""

    def __init__(self, logger: logging.Logger, period: float = 1.0):
        self.logger, self.period = logger, period
        self.last = float("-inf")
        self.skipped = 0

    def warning(self, message: str) -> None:
        now = time.monotonic()
        if now - self.last < self.period:
            self.skipped += 1
            return
        extra = f" ({self.skipped} more in the last {now - self.last:.0f} s)" if self.skipped and self.last > 0 else ""
        self.last, self.skipped = now, 0
        self.logger.warning("%s%s", message, extra)


_floods = Throttled(log)
_stalls = Throttled(log)


class GuardedWebSocket(WebSocketsSansIOProtocol):
    def __init__(self, config, server_state, app_state: dict[str, Any], _loop=None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if config.ws_per_message_deflate:
            self.conn = ServerProtocol(extensions=[ServerPerMessageDeflateFactory(**DEFLATE)],
                                       max_size=config.ws_max_size, logger=self.conn.logger)
        limits = app_state.get(LIMITS) or Limits()
        self.budget = TokenBucket(limits.frames_per_second, limits.frame_burst)
        self.send_timeout = limits.send_timeout
        # uvicorn pings every ping_interval and gives up ping_timeout later.
        self.ping_interval = self.ping_timeout = limits.send_timeout / 2
        self.close_timeout = min(self.close_timeout, 2.0)
        self.limits = limits
        self.stall_timer = None
        self.cut_timer = None
        self.cut_off = False
        self.caller: tuple | None = None
        # The transport while a frame may go straight to it (`write_now`), else None: kept as the
        # connection's state changes, so a frame to a steady reader costs one question, not nine.
        self.lane = None
        # Whether permessage-deflate was agreed: each frame is then compressed for this connection.
        self.compressed = False

    # Reading ---------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self.cut_off:
            return
        if not self.handshake_complete:
            return super().data_received(data)
        view = memoryview(data)
        for start in range(0, len(data), SLICE):
            super().data_received(bytes(view[start:start + SLICE]))
            if self.lane is not None and (self.close_sent or self.conn.state is not State.OPEN):
                # A close from the client, or a protocol error: no frame may follow our close.
                self.lane = None
            if self.cut_off or self.transport.is_closing():
                return

    def handle_events(self) -> None:
        for event in self.conn.events_received():
            if isinstance(event, Request):
                self.handle_request(event)
                continue
            if self.cut_off:
                return
            if not self.budget.take():
                self.flooded()
                return
            self.dispatch(event)

    def handle_request(self, request: Request) -> None:
        """The handshake; refused here, before the application is asked, while the same caller
        (address, cookie, path) cools down after a flood: a script reconnecting in a loop then
        costs a parsed request and a 429, not a session check and an accepted connection."""
        host = self.client[0] if self.client else "-"
        self.caller = (network_of(host), request.headers.get("Cookie", ""), request.path)
        until = self.limits.cooling.get(self.caller)
        if until is not None and time.monotonic() < until:
            self.handshake_complete = self.close_sent = True
            response = self.conn.reject(429, "Trop de messages envoyés : reconnexion possible dans quelques secondes.\n")
            self.conn.send_response(response)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()
            return
        self.handle_connect(request)
        if self.response.status_code == 101:
            # The application's task is created but not started: it finds this in its scope.
            self.scope[WIRE] = self

    def cool_down(self) -> None:
        if self.caller is None:
            return
        now = time.monotonic()
        cooling = self.limits.cooling
        if len(cooling) > 10_000:
            for key in [k for k, until in cooling.items() if until <= now]:
                del cooling[key]
        cooling[self.caller] = now + self.limits.cooldown

    def dispatch(self, event: Frame) -> None:
        handlers = {0: self.handle_cont, 1: self.handle_text, 2: self.handle_bytes, 8: self.handle_close,
                    9: lambda _: self.handle_ping(), 10: self.handle_pong}
        handlers[event.opcode.value](event)

    def flooded(self) -> None:
        _floods.warning("websocket closed: frames over budget")
        self.cool_down()
        # What the application has not read yet is dropped: it learns only that the client is gone.
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": 1008, "reason": FLOOD})
        if not self.close_sent:
            try:
                self.conn.send_close(1008, "too many frames")
            except InvalidState:
                pass
            self.close_sent = True
        self.cut()

    def cut(self) -> None:
        """Stops reading now, flushes what is queued (the close frame), and aborts if that takes long."""
        if self.cut_off:
            return
        self.cut_off = True
        self.lane = None
        self.transport.write(b"".join(self.conn.data_to_send()))
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None
        self.transport.close()
        self.cut_timer = self.loop.call_later(GRACE, self.transport.abort)

    # Writing ---------------------------------------------------------------
    def write_now(self, frame) -> bool:
        """Writes a text frame (server/feed.py's Frame) at once, as `send` would, without a
        coroutine per frame; False when `send` would have to wait or fail, for it to do so.

        A connection without compression gets the frame's bytes as they are, framed once for
        all such clients; with permessage-deflate each connection compresses with its own context.
        A steady connection's frame goes through `lane` without the questions below: in a room
        of 1,000 they touched five objects per reader, each out of the processor's cache after
        the write to the reader before, and cost a fifth of the frame (docs/performance.md)."""
        lane = self.lane
        if lane is not None and not lane.is_closing():
            if self.compressed:
                conn = self.conn
                conn.send_text(frame.data)
                lane.write(b"".join(conn.data_to_send()))
            else:
                lane.write(frame.wire)
            return True
        if (self.close_sent or self.disconnected or self.cut_off or self.initial_response is not None
                or not self.writable.is_set() or self.transport.is_closing()):
            return False
        conn = self.conn
        if conn.state is not State.OPEN or conn.expect_continuation_frame:
            return False
        if conn.extensions:
            conn.send_text(frame.data)
            self.transport.write(b"".join(conn.data_to_send()))
        else:
            self.transport.write(frame.wire)
        return True

    async def send(self, message) -> None:
        if self.close_sent and self.initial_response is None and message["type"] in ("websocket.send", "websocket.close"):
            # Closed by the wire (a flood, a stall): for the application, the client is gone.
            raise ClientDisconnected()
        try:
            await super().send(message)
        finally:
            # Accepted, closed, or failed: what `write_now` may do changes here.
            self.lane = self._steady()
            self.compressed = bool(self.conn.extensions)
        if message["type"] == "websocket.close" and self.handshake_complete:
            if message.get("code") in HARD_CLOSES:
                if message.get("code") == 1008:
                    self.cool_down()
                self.cut()
            elif self.close_timer is not None:
                # Wait a little for the client's close reply, then abort: a transport closed with
                # unsent bytes would wait for a reader that may never come back.
                self.close_timer.cancel()
                self.close_timer = self.loop.call_later(self.close_timeout, self.transport.abort)

    def _steady(self):
        """The transport, when a frame may be written to it at once; else None."""
        conn = self.conn
        if (self.handshake_complete and not self.close_sent and not self.disconnected and not self.cut_off
                and self.initial_response is None and self.writable.is_set()
                and conn.state is State.OPEN and not conn.expect_continuation_frame
                and not self.transport.is_closing()):
            return self.transport
        return None

    def pause_writing(self) -> None:
        super().pause_writing()
        # Frames wait for the socket (hub.py counts how far behind it falls), not in its buffer.
        self.lane = None
        if self.stall_timer is None:
            self.stall_timer = self.loop.call_later(self.send_timeout, self.stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        self.lane = self._steady()
        if self.stall_timer is not None:
            self.stall_timer.cancel()
            self.stall_timer = None

    def stalled(self) -> None:
        self.stall_timer = None
        _stalls.warning("websocket cut: frames waited unsent too long")
        self.reset()

    def keepalive_timeout(self) -> None:
        # uvicorn would send a close (1011) and close the transport, which waits for its buffer
        # to drain: a reader that stopped would hold it forever. It would not read the close either.
        self.pong_timer = None
        self.pending_ping_payload = None
        _stalls.warning("websocket cut: a ping went unanswered")
        self.reset()

    def reset(self) -> None:
        """Drops the connection with a TCP reset: what waits for the peer, in our buffers and in
        the kernel's, is freed now (a graceful close leaves it queued until the kernel gives up)."""
        self.cut_off = self.close_sent = True
        self.lane = None
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        self.transport.abort()

    def shutdown(self) -> None:
        self.lane = None
        super().shutdown()

    def connection_lost(self, exc) -> None:
        self.lane = None
        for timer in (self.stall_timer, self.cut_timer):
            if timer is not None:
                timer.cancel()
        self.stall_timer = self.cut_timer = None
        super().connection_lost(exc)
