"""A real uvicorn server inside the test process, on a loopback port, with settings of the test's choosing.

Real sockets and the real websocket implementation, like `python run.py`, but the application
object stays reachable (to compare its state before and after) and every log record the server
writes at warning level or above is kept, so a test can assert that nothing went wrong inside.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import logging
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import uvicorn

from players import ROOT, free_port
from server.app import create_app
from server.httpprotocol import BoundedHttpTools
from server.settings import Settings
from server.wsprotocol import GuardedWebSocket

# The project's run.py, loaded by path: bench/run.py may stand first on sys.path under the same name.
_spec = importlib.util.spec_from_file_location("maillage_run", ROOT / "run.py")
_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_run)
listening_socket = _run.listening_socket


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self, expected: tuple[str, ...] = ()) -> list[str]:
        """Records at error level or with a traceback, except those whose message starts with `expected`."""
        shown = logging.Formatter()
        return [f"{r.name}: {r.getMessage()}\n{shown.formatException(r.exc_info) if r.exc_info else ''}"
                for r in self.records if (r.levelno >= logging.ERROR or r.exc_info)
                and not r.getMessage().startswith(expected)]


class LiveServer:
    def __init__(self, db: Path, **settings):
        self.db = db
        self.port = free_port()
        self.settings = Settings(db_path=str(db), **settings)
        self.app = create_app(self.settings)
        self.records = Records()
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LiveServer":
        # On the root logger only: uvicorn's and ours propagate to it (log_config=None below).
        logging.getLogger().addHandler(self.records)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False, ws_max_size=self.settings.ws_max_size,
                                ws_per_message_deflate=True, timeout_graceful_shutdown=2,
                                log_config=None, http=BoundedHttpTools, ws=GuardedWebSocket)
        self.server = uvicorn.Server(config)
        # The same listening socket as run.py's (its send buffer bound matters to slow readers).
        sockets = [listening_socket("127.0.0.1", self.port)]
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": sockets}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("in-process server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        logging.getLogger().removeHandler(self.records)

    def call(self, function, *args):
        """Runs `function` on the server's event loop, where the live state is changed, and returns its result."""
        async def run():
            return function(*args)
        loop = self.server.servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(run(), loop).result(10)


def digest(db: Path) -> str:
    """A fingerprint of everything the database holds, read through a separate connection."""
    conn = sqlite3.connect(db)
    try:
        sha = hashlib.sha256()
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            sha.update(table.encode())
            for row in sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"')):
                sha.update(row.encode())
        return sha.hexdigest()
    finally:
        conn.close()


def stderr_text(process) -> str:
    """What a stopped server process wrote on stderr, without waiting for the pipe's end: a child
    it spawned (the snapshot analysis worker) may still hold the pipe open."""
    os.set_blocking(process.stderr.fileno(), False)
    chunks = []
    while True:
        try:
            chunk = process.stderr.read()
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def children(pid: int) -> list[int]:
    try:
        return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]
    except OSError:
        return []


def stop_reaping(server) -> list[int]:
    """Stops a `players.Server` and ends the processes it had started that outlive it (the snapshot
    analysis worker and multiprocessing's resource tracker do, today); returns their ids."""
    spawned = children(server.process.pid) if server.process else []
    server.stop()
    deadline = time.monotonic() + 3
    alive = spawned
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists()]
        time.sleep(0.1)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive
