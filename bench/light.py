"""Light phones: websocket clients that read every byte the server sends but look at little of it.

A plenary of 2,000 phones receives 45,000 to 100,000 frames a second; `loadgen.Conn` hands each
to Python as text (12 to 17 µs of the load generator per frame), so the load generator alone
takes most of a core, and on a 2-core machine a second server process has no core left to show
what it buys. With light phones the load generator's CPU comes to 4 to 7 µs per frame received
(docs/performance.md, "Light phones"):

- they are raw sockets on one epoll of their own, read in one pass over the phones with
  something to read every 20 ms, as a phone on busy wifi reads in bursts (or as soon as data
  comes, where a bench times each arrival), not through a reader callback, a handle and a
  transport per socket and read;
- each frame's boundaries are found from its header: it is counted, a ping answered, a close
  returned; a frame is decoded only when it carries what the bench must see (the first render,
  a refusal of the phone's own action);
- actions are sent as a browser sends them, masked.

The bench's observers stay full `loadgen.Conn`s: only they time tallies. Frames are read as the
server writes them, uncompressed and whole (light phones offer no extension, and our server sends
each message as one frame).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import select
import socket
import time
from typing import Callable

from websockets.speedups import apply_mask

import loadgen

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
READ_EVERY = 0.02
REFUSAL = b'data-refused="'
READ_BYTES = 1 << 20


def frame(opcode: int, payload: bytes) -> bytes:
    """A client's frame: final, masked (RFC 6455 5.3), with the shortest length encoding."""
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = os.urandom(4)
    return head + mask + apply_mask(payload, mask)


class Reader:
    """One epoll for light phones, read in one pass over every phone with something to read:
    every `every` seconds (bursts: the least CPU a frame), or, with `every` None, each time the
    event loop sees the epoll's own descriptor readable (each frame timed as it arrives)."""

    def __init__(self, every: float | None):
        self.poll = select.epoll()
        self.phones: dict[int, LightConn] = {}
        if every is None:
            asyncio.get_running_loop().add_reader(self.poll.fileno(), self.read)
        else:
            self.task = asyncio.create_task(self._every(every))

    def add(self, phone: LightConn) -> None:
        phone.reader = self
        self.phones[phone.sock.fileno()] = phone
        self.poll.register(phone.sock.fileno(), select.EPOLLIN)

    def remove(self, phone: LightConn) -> None:
        if self.phones.pop(phone.sock.fileno(), None) is not None:
            self.poll.unregister(phone.sock.fileno())

    def read(self) -> None:
        for fd, _ in self.poll.poll(0):
            phone = self.phones.get(fd)
            if phone is not None:
                phone.readable()

    async def _every(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            self.read()


def _reader(every: float | None) -> Reader:
    # Kept on the loop, so that they go with it (each asyncio.run of a test has its own).
    loop = asyncio.get_running_loop()
    readers = loop.__dict__.setdefault("light_readers", {})
    if every not in readers:
        readers[every] = Reader(every)
    return readers[every]


class LightConn:
    """What plenary.window asks of a phone: frames, bytes, closed_code, on_frame, send, close.

    `on_frame` is handed only the frames that refuse an action or hold `look_for`."""

    def __init__(self, sock: socket.socket, first: str | None, label: str, look_for: bytes | None = None):
        self.sock, self.label, self.look_for = sock, label, look_for
        self.first = first.encode() if first else None
        self.frames = self.bytes = 0
        self.first_at: float | None = None
        self.first_message = ""
        self.first_frame: asyncio.Future = asyncio.get_running_loop().create_future()
        self.on_frame: Callable[[object, str, float], None] | None = None
        self.closed_code: int | None = None
        self.buffer = b""
        self.reader: Reader | None = None

    def readable(self) -> None:
        try:
            data = self.sock.recv(READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._closed(1006)
            return
        self.received(data)

    def received(self, data: bytes) -> None:
        if self.buffer:
            data = self.buffer + data
        self.buffer = data[self._frames(data):]

    def _frames(self, data: bytes) -> int:
        """Handles the whole frames at the start of `data`; returns where the rest begins."""
        at, size = 0, len(data)
        while size - at >= 2:
            first, length = data[at], data[at + 1] & 0x7F
            start = at + 2
            if length == 126:
                if size - at < 4:
                    break
                length, start = int.from_bytes(data[at + 2:at + 4], "big"), at + 4
            elif length == 127:
                if size - at < 10:
                    break
                length, start = int.from_bytes(data[at + 2:at + 10], "big"), at + 10
            end = start + length
            if end > size:
                break
            opcode = first & 0x0F
            if opcode == TEXT:
                self.frames += 1
                self.bytes += length
                if self.first_at is None or self.on_frame is not None:
                    self._look(data[start:end])
            elif opcode == PING:
                self._write(frame(PONG, data[start:end]))
            elif opcode == CLOSE:
                payload = data[start:end]
                self._closed(int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005, reply=True)
                return size
            at = end
        return at

    def _look(self, payload: bytes) -> None:
        now = time.perf_counter()
        if self.first_at is None and (self.first is None or self.first in payload):
            self.first_at, self.first_message = now, payload.decode()
            if not self.first_frame.done():
                self.first_frame.set_result(self.first_message)
        if self.on_frame is not None and (REFUSAL in payload or (self.look_for and self.look_for in payload)):
            self.on_frame(self, payload.decode(), now)

    def _write(self, data: bytes) -> None:
        try:
            sent = self.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            return
        if sent < len(data):
            # Rare (a pong or an action is a few dozen bytes): the rest goes when the socket can take it.
            asyncio.ensure_future(asyncio.get_running_loop().sock_sendall(self.sock, data[sent:]))

    def _closed(self, code: int, reply: bool = False) -> None:
        if self.closed_code is None:
            self.closed_code = code
            if reply:
                self._write(frame(CLOSE, code.to_bytes(2, "big")))
            if self.reader is not None:
                self.reader.remove(self)
            self.sock.close()
        if not self.first_frame.done():
            self.first_frame.set_exception(ConnectionError(f"{self.label} closed before its first frame"))
            self.first_frame.exception()

    async def send(self, message: dict) -> None:
        if self.closed_code is None:
            self._write(frame(TEXT, json.dumps(message).encode()))
        # else: as a phone whose socket is gone, the action is lost and the bench sees closed_code.

    async def close(self) -> None:
        if self.closed_code is None:
            self._write(frame(CLOSE, (1000).to_bytes(2, "big")))
            self._closed(1000)


async def open_light(url: str, origin: str | None = None, cookie: str = "", hello: dict | None = None,
                     first: str | None = None, label: str = "", every: float | None = READ_EVERY,
                     deflate: bool = False, look_for: bytes | None = None) -> LightConn:
    """Opens one light phone from a loadgen spec (participant_specs' keys); `every`: see Reader."""
    assert url.startswith("ws://") and not deflate, "light phones read plain frames only"
    host_port, _, path = url[len("ws://"):].partition("/")
    host, _, port = host_port.partition(":")
    lines = [f"GET /{path} HTTP/1.1", f"Host: {host_port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}", "Sec-WebSocket-Version: 13",
             "Accept-Language: fr"]
    if origin:
        lines.append(f"Origin: {origin}")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        await loop.sock_connect(sock, (host, int(port)))
        await loop.sock_sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = await loop.sock_recv(sock, 65536)
            if not chunk:
                raise ConnectionError(f"{label or url}: connection lost during the upgrade")
            answer += chunk
    except BaseException:
        sock.close()
        raise
    head, _, rest = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        sock.close()
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        raise ConnectionError(f"{label or url}: upgrade refused ({status})")
    conn = LightConn(sock, first, label or url, look_for)
    _reader(every).add(conn)
    if rest:
        conn.received(rest)
    if hello is not None:
        await conn.send(hello)
    return conn


async def open_many(specs: list[dict], concurrency: int = 500, timeout: float = 300.0) -> list[LightConn]:
    """As loadgen.open_many: each phone has received its first frame when this returns."""
    return await loadgen.open_many(specs, concurrency, timeout=timeout, opener=open_light)
