"""Many websocket clients in one process: the load generator the live benches share.

Clients are `websockets` asyncio clients, one reading task each, that count the frames and bytes
they receive and hand each frame to a callback with its arrival time. People join a workshop the
way phones do, by posting the join form and keeping the session cookie; that HTTP is spoken
directly on asyncio streams because httpx would cost the load generator more than the server.
The same clients speak to the anchor (bench/anchor_server.py), whose protocol mirrors ours.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode

HOST = "127.0.0.1"
ACKS = re.compile(r'data-ack="([^"]*)"')
SEQ = re.compile(r'data-seq="(\d+)"')
REFUSED = re.compile(r'data-refused="([^"]*)"')
NOTICE = re.compile(r'class="notice error">(.*?)</p>', re.S)


def raise_fd_limit(wanted: int = 16_384) -> int:
    """Each client is one socket here and one on the server: 2,000 clients need 2,000+ fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def own_cpu() -> float:
    """CPU seconds the load generator itself has used, to show whether it kept up."""
    times = os.times()
    return times.user + times.system


def install_fast_loop() -> None:
    """uvloop when present, as uvicorn picks it for the server: both sides pay the same loop."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


# HTTP ---------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    cookies: dict[str, str]


async def http(port: int, method: str, path: str, form: dict | None = None, cookie: str = "",
               files: tuple[str, str, bytes] | None = None) -> Reply:
    """One HTTP/1.1 request with Connection: close; redirects are returned, not followed."""
    reader, writer = await asyncio.open_connection(HOST, port)
    origin = f"http://{HOST}:{port}"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", f"Origin: {origin}",
             "Accept-Language: fr", "Connection: close"]
    body = b""
    if files is not None:
        field_name, filename, content = files
        boundary = "benchboundary7d41a"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field_name}\"; "
                f"filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").encode() + content + \
            f"\r\n--{boundary}--\r\n".encode()
        lines.append(f"Content-Type: multipart/form-data; boundary={boundary}")
    elif form is not None:
        body = urlencode(form).encode()
        lines.append("Content-Type: application/x-www-form-urlencoded")
    if method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    raw = await reader.read()
    writer.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers, cookies = {}, {}
    for line in header_lines:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            cookies[key.strip()] = val.strip()
        else:
            headers[name] = value
    return Reply(int(status_line.split()[1]), headers, rest.decode("utf-8", "replace"), cookies)


@dataclass
class Room:
    """A workshop on our server, seen by the load generator."""
    port: int
    id: str
    code: str
    facilitator_cookie: str
    screen_key: str
    cookies: list[str] = field(default_factory=list)
    # The free ideas board the benches write notes on (see open_workshop).
    ideas: str = "b2"

    def note(self, k: int) -> dict:
        return note(k, self.ideas)

    def url(self, view: str = "participant") -> str:
        query = f"&cle={self.screen_key}" if view == "screen" else ""
        return f"ws://{HOST}:{self.port}/a/{self.id}/ws?view={view}{query}"

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"


async def open_workshop(port: int, title: str = "Banc d'essai", territory: str = "QPV du banc") -> Room:
    """Creates a workshop as a facilitator does, and reads its join code and projector key."""
    created = await http(port, "POST", "/ateliers", {"title": title, "territory": territory})
    assert created.status == 303, created.status
    link = created.headers["location"]
    entered = await http(port, "GET", link)
    cookie = "maillage=" + entered.cookies["maillage"]
    workshop_id = link.split("/")[2]
    page = await http(port, "GET", f"/a/{workshop_id}/animation", cookie=cookie)
    code = re.search(r'<p class="code"[^>]*>([A-Z0-9]{6})</p>', page.body).group(1)
    screen_key = re.search(r"ecran\?cle=([0-9a-f]+)", page.body).group(1)
    room = Room(port, workshop_id, code, cookie, screen_key)
    # A workshop opens on the structured diagnosis, rendered once per reader; the benches measure
    # the broadcast of one render per view, so they write on a free ideas board, put on stage.
    # Operation ids of their own: the facilitator that a bench opens next numbers its own from 1.
    fac = await facilitator(room)
    await fac.conn.act({"type": "board.add", "kind": "ideas", "title": "Idées"}, "setup-ideas")
    room.ideas = f"b{SEQ.search(fac.conn.acked_frame).group(1)}"
    await fac.conn.act({"type": "board.show", "board": room.ideas}, "setup-show")
    await fac.conn.close()
    return room


async def join(room: Room, name: str) -> str:
    """One phone posting the join form; returns its session cookie."""
    reply = await http(room.port, "POST", "/rejoindre", {"code": room.code, "name": name})
    if reply.status != 303 or "maillage" not in reply.cookies:
        said = NOTICE.search(reply.body) or re.search(r'class="[^"]*error[^"]*"[^>]*>(.*?)<', reply.body, re.S)
        raise RuntimeError(f"join refused ({reply.status}): {said.group(1).strip() if said else ''}")
    return "maillage=" + reply.cookies["maillage"]


async def join_many(room: Room, count: int, concurrency: int = 32, prefix: str = "Personne") -> list[str]:
    """`count` more people join (numbered after those already in `room.cookies`)."""
    gate = asyncio.Semaphore(concurrency)
    first = len(room.cookies)

    async def one(index: int) -> str:
        async with gate:
            return await join(room, f"{prefix} {first + index + 1}")

    cookies = await asyncio.gather(*(one(i) for i in range(count)))
    room.cookies.extend(cookies)
    return list(cookies)


# Websocket clients --------------------------------------------------------------------------

class Refused(Exception):
    """The server refused an action; the message is its notice."""


class Receiver(ClientConnection):
    """The asyncio client connection, handing each text frame to a callback as it is parsed.

    The stock way to read (`async for message in connection`) goes through a queue and a future
    per message: about 25 µs of the load generator's core per frame here, twice what the anchor
    server spends sending it, so the load generator rather than the server would set the pace.
    Handshake, pings, closing and sending stay the library's own."""

    on_text: Callable[[str, float], None] | None = None

    def process_event(self, event) -> None:
        # The handshake's response goes through here too, before any frame.
        if getattr(event, "opcode", None) is Opcode.TEXT and event.fin and self.on_text is not None:
            self.on_text(event.data.decode(), time.perf_counter())
        else:
            super().process_event(event)


class Conn:
    """One websocket client: counts what it receives and hands each frame to `on_frame`."""

    def __init__(self, socket: Receiver, label: str, first: str | None):
        self.socket = socket
        self.label = label
        self.frames = 0
        self.bytes = 0
        self.first = first
        self.first_at: float | None = None
        self.first_message = ""
        self.first_frame: asyncio.Future = asyncio.get_running_loop().create_future()
        self.on_frame: Callable[["Conn", str, float], None] | None = None
        self.acks: dict[str, asyncio.Future] = {}
        self.closed_code: int | None = None
        self.acked_frame = ""
        socket.on_text = self._frame
        self.task = asyncio.create_task(self._watch())

    def _frame(self, message: str, now: float) -> None:
        self.frames += 1
        self.bytes += len(message)
        if self.first_at is None and (self.first is None or self.first in message):
            self.first_at, self.first_message = now, message
            if not self.first_frame.done():     # a caller that gave up may have cancelled it
                self.first_frame.set_result(message)
        if self.acks:
            for group in ACKS.findall(message):
                for op in group.split():
                    waiter = self.acks.pop(op, None)
                    if waiter is not None and not waiter.done():
                        self.acked_frame = message
                        waiter.set_result(now)
            for group in REFUSED.findall(message):
                for op in group.split():
                    waiter = self.acks.pop(op, None)
                    if waiter is not None and not waiter.done():
                        notice = NOTICE.search(message)
                        waiter.set_exception(Refused(notice.group(1) if notice else op))
        if self.on_frame is not None:
            self.on_frame(self, message, now)

    async def _watch(self) -> None:
        try:
            await self.socket.wait_closed()
        finally:
            self.closed_code = self.socket.close_code
            if not self.first_frame.done():
                self.first_frame.set_exception(ConnectionError(f"{self.label} closed before its first frame"))
                # Whoever awaits it still gets the error; nobody awaiting is not worth a warning.
                self.first_frame.exception()

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))

    async def act(self, message: dict, op: str, timeout: float = 30.0) -> float:
        """Sends an action and waits for its acknowledgement; returns the ack's arrival time."""
        waiter = self.acks[op] = asyncio.get_running_loop().create_future()
        await self.send({**message, "op": op})
        return await asyncio.wait_for(waiter, timeout)

    def expect(self, op: str) -> asyncio.Future:
        """A future resolved with the arrival time of the frame acknowledging `op`."""
        waiter = self.acks[op] = asyncio.get_running_loop().create_future()
        return waiter

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.socket.close(), 5)
        except (asyncio.TimeoutError, ConnectionClosed, OSError):
            pass
        self.task.cancel()


async def open_conn(url: str, origin: str | None = None, cookie: str = "", hello: dict | None = None,
                    first: str | None = None, deflate: bool = False, label: str = "") -> Conn:
    """Opens one client; `deflate` offers permessage-deflate as browsers do."""
    headers = {"Accept-Language": "fr"}
    if cookie:
        headers["Cookie"] = cookie
    socket = await connect(url, origin=origin, additional_headers=headers,
                           compression="deflate" if deflate else None, max_size=64 * 2**20,
                           ping_interval=None, close_timeout=2, open_timeout=600, create_connection=Receiver)
    conn = Conn(socket, label or url, first)
    if hello is not None:
        await conn.send(hello)
    return conn


async def open_many(specs: list[dict], concurrency: int = 500, wait_first: bool = True,
                    timeout: float = 300.0, opener=None) -> list[Conn]:
    """Opens one client per spec (keyword arguments of open_conn), `concurrency` handshakes at a
    time, and waits until each has received its first frame. Many at once is much cheaper for
    our server than a trickle: each arrival refreshes the presence count of everyone connected,
    and the hub joins the refreshes that arrive within one tick into one frame."""
    gate = asyncio.Semaphore(concurrency)

    async def one(spec: dict) -> Conn:
        async with gate:
            conn = await (opener or open_conn)(**spec)
            if wait_first:
                await asyncio.wait_for(asyncio.shield(conn.first_frame), timeout)
            return conn

    return list(await asyncio.gather(*(one(spec) for spec in specs)))


async def close_all(conns: list[Conn], concurrency: int = 256) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(conn: Conn) -> None:
        async with gate:
            await conn.close()

    await asyncio.gather(*(one(c) for c in conns))


def participant_specs(room: Room, cookies: list[str], deflate: bool = False) -> list[dict]:
    return [{"url": room.url(), "origin": room.origin, "cookie": cookie,
             "hello": {"type": "hello", "last_seq": 0}, "first": 'id="stage"', "deflate": deflate,
             "label": f"participant {i}"} for i, cookie in enumerate(cookies)]


def staff_specs(room: Room) -> list[dict]:
    """The facilitator's console and the projector, open in every room we measure."""
    return [{"url": room.url(view), "origin": room.origin, "cookie": room.facilitator_cookie,
             "hello": {"type": "hello", "last_seq": 0}, "first": 'id="stage"', "label": view}
            for view in ("facilitator", "screen")]


def anchor_specs(port: int, count: int, first_size: int, deflate: bool = False) -> list[dict]:
    return [{"url": f"ws://{HOST}:{port}/", "hello": {"type": "hello", "size": first_size},
             "deflate": deflate, "label": f"anchor client {i}"} for i in range(count)]


class Facilitator:
    """The facilitator's console as a client: actions acknowledged one after another."""

    def __init__(self, conn: Conn):
        self.conn = conn
        self.count = 0

    async def __call__(self, message: dict) -> int:
        """Sends one action; returns the sequence number the acknowledging frame brings."""
        self.count += 1
        await self.conn.act(message, f"fac-{self.count}")
        return int(SEQ.search(self.conn.acked_frame).group(1))


async def facilitator(room: Room) -> Facilitator:
    conn = await open_conn(room.url("facilitator"), room.origin, room.facilitator_cookie,
                           {"type": "hello", "last_seq": 0}, 'id="stage"', label="facilitator setup")
    await asyncio.wait_for(conn.first_frame, 30)
    return Facilitator(conn)


async def pace(rate: float, count: int, send: Callable[[int], object]) -> float:
    """Calls `send(k)` for k in range(count) at `rate` per second, open loop (nobody waits for an
    answer before the next send, as in a room); returns the time the last one was sent."""
    start = time.perf_counter()
    for k in range(count):
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        result = send(k)
        if asyncio.iscoroutine(result):
            await result
    return time.perf_counter()


async def settle(conns: list[Conn], quiet: float = 0.3, limit: float = 30.0) -> None:
    """Waits until no client has received anything for `quiet` seconds (or `limit` passed)."""
    deadline = time.perf_counter() + limit
    last = sum(c.frames for c in conns)
    while time.perf_counter() < deadline:
        await asyncio.sleep(quiet)
        now = sum(c.frames for c in conns)
        if now == last:
            return
        last = now


# Notes on the ideas board: the action most benches send ------------------------------------

MARK = re.compile(r"mk(\d+)z")
NOTE = "Les permanences communes du centre social gagneraient à être mieux connues (mk{k}z)"


def note(k: int, board: str) -> dict:
    """A note like a participant's, carrying a marker a receiver can find in the frame."""
    return {"type": "note.add", "board": board, "text": NOTE.format(k=k)}


def anchor_note(k: int, size: int) -> dict:
    return {"type": "note.add", "text": NOTE.format(k=k), "size": size}


async def probe_sizes(room: Room, cookies: list[str]) -> dict:
    """Sizes of our frames as a participant receives them: the first render after hello, and the
    frame bringing another participant's note. The anchor is asked for the same sizes."""
    writer, reader = await open_many(participant_specs(room, cookies[:2]))
    sizes = []
    reader.on_frame = lambda conn, message, now: sizes.append(len(message)) if "mk" in message else None
    for k in range(5):
        await writer.act(room.note(900_000 + k), f"probe-{k}")
        await asyncio.sleep(0.05)
    await settle([reader], quiet=0.2)
    first = len(await writer.first_frame)
    await close_all([writer, reader])
    return {"first_bytes": first, "frame_bytes": sorted(sizes)[len(sizes) // 2]}


async def wait_until(predicate: Callable[[], bool], limit: float, step: float = 0.05) -> bool:
    """Polls `predicate` until it holds or `limit` seconds passed; returns whether it held."""
    deadline = time.perf_counter() + limit
    while not predicate():
        if time.perf_counter() >= deadline:
            return False
        await asyncio.sleep(step)
    return True
