"""Plays the people of a workshop against a real server: HTTP with cookies, websockets with Origin."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
# A new workshop opens on the structured shared diagnosis (b2): one contribution, short of its text.
ITEM = {"type": "diagnosis.add", "board": "b2", "theme": "emploi", "nature": "need", "source": "lived"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A real `python run.py` process on a loopback port."""

    def __init__(self, db: Path, port: int | None = None, extra: tuple[str, ...] = ()):
        self.db, self.port, self.extra = db, port or free_port(), extra
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        self.process = subprocess.Popen(
            [sys.executable, "run.py", "--host", "127.0.0.1", "--port", str(self.port), "--db", str(self.db),
             "--no-demo", "--log-level", "warning", *self.extra],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server died: " + self.process.stderr.read().decode())
            try:
                httpx.get(self.url + "/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


class Person:
    """One browser: its cookie jar, and at most one live connection at a time."""

    def __init__(self, server: Server):
        self.server = server
        self.http = httpx.Client(base_url=server.url, follow_redirects=False,
                                 headers={"Origin": server.url, "Accept-Language": "fr"})
        self.socket = None
        self.seq = 0
        self.frames: list[str] = []
        self.backlog: list[str] = []
        self.workshop_id: str | None = None

    # HTTP -----------------------------------------------------------------
    def create_workshop(self, title="Atelier test", territory="QPV test") -> dict:
        response = self.http.post("/ateliers", data={"title": title, "territory": territory})
        assert response.status_code == 303, response.text
        link = response.headers["location"]
        self.facilitator_link = link
        entered = self.http.get(link)
        assert entered.status_code == 303
        self.workshop_id = link.split("/")[2]
        page = self.http.get(f"/a/{self.workshop_id}/animation")
        code = re.search(r'<p class="code"[^>]*>([A-Z0-9]{6})</p>', page.text).group(1)
        return {"id": self.workshop_id, "code": code, "link": link}

    async def ideas_board(self) -> str:
        """Adds a free ideas board and puts it on stage; returns its id. For the load tests, before
        anyone joins: an ideas board renders once per view, the structured diagnosis once per reader."""
        await self.connect(view="facilitator")
        # The answer to hello (the whole page): a presence frame may come first, without the
        # workshop's sequence number, and a board id guessed from it named the wrong board.
        await self.wait_for('id="stage"')
        added = await self.ack(await self.act({"type": "board.add", "kind": "ideas", "title": "Idées"}))
        if 'value="Idées"' not in added:
            added = await self.wait_for('value="Idées"')
        board = re.search(r'id="rename-(b\d+)"[^>]*value="Idées"', added).group(1)
        await self.ack(await self.act({"type": "board.show", "board": board}))
        await self.close()
        return board

    def join(self, code: str, name: str, organisation: str = "") -> httpx.Response:
        response = self.http.post("/rejoindre", data={"code": code, "name": name, "organisation": organisation})
        if response.status_code == 303 and response.headers["location"].startswith("/a/"):
            self.workshop_id = response.headers["location"].split("/")[2]
        return response

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())

    # Websocket ------------------------------------------------------------
    async def connect(self, view: str = "participant", query: str = "", origin: str | None = None,
                      hello: bool = True, workshop_id: str | None = None, compression: str | None = "deflate"):
        url = f"ws://127.0.0.1:{self.server.port}/a/{workshop_id or self.workshop_id}/ws?view={view}{query}"
        self.backlog = []
        self.socket = await websockets.connect(
            url, origin=origin or self.server.url,
            additional_headers={"Cookie": self.cookie_header(), "Accept-Language": "fr"}, compression=compression,
            # A browser takes every frame off the socket as it comes, whatever the page does; the
            # library's default (stop reading past 16 unread frames) would make a phone that sends
            # a burst before reading its answers look like a slow reader to the server.
            max_queue=None)
        if hello:
            await self.send({"type": "hello", "last_seq": self.seq})
        return self.socket

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))

    async def act(self, message: dict, op: str | None = None) -> str:
        """Sends an action with an operation id; returns the id."""
        op = op or secrets.token_hex(6)
        await self.send({**message, "op": op})
        return op

    async def next_frame(self, timeout: float = 5.0) -> str:
        """Reads one more frame from the socket; it also goes to the backlog that wait_for scans."""
        frame = await asyncio.wait_for(self.socket.recv(), timeout)
        self.frames.append(frame)
        self.backlog.append(frame)
        match = re.search(r'<div id="sync"[^>]*data-seq="(\d+)"', frame)
        if match:
            self.seq = int(match.group(1))
        return frame

    async def wait_for(self, predicate, timeout: float = 5.0) -> str:
        """The first frame not yet passed by an earlier wait_for that satisfies predicate."""
        check = (lambda f: predicate in f) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        while True:
            while self.backlog:
                frame = self.backlog.pop(0)
                if check(frame):
                    return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no frame matching {predicate!r}; last: {self.frames[-3:]}")
            await self.next_frame(remaining)

    async def _find(self, pattern: str, timeout: float) -> str:
        """A frame matching pattern, seen or to come, without consuming the backlog."""
        deadline = time.monotonic() + timeout
        scanned = 0
        while True:
            for frame in self.frames[scanned:]:
                if re.search(pattern, frame):
                    return frame
            scanned = len(self.frames)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no frame matching {pattern!r}; last: {self.frames[-3:]}")
            await self.next_frame(remaining)

    async def ack(self, op: str, timeout: float = 5.0) -> str:
        return await self._find(rf'data-ack="[^"]*\b{op}\b', timeout)

    async def refused(self, op: str, timeout: float = 5.0) -> str:
        return await self._find(rf'data-refused="[^"]*\b{op}\b', timeout)

    async def quiet(self, seconds: float = 0.3) -> list[str]:
        """Frames received within `seconds`, expecting the socket to stay open."""
        got = []
        try:
            while True:
                got.append(await self.next_frame(seconds))
        except asyncio.TimeoutError:
            return got

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            self.socket = None
