"""Snapshots: taken by the facilitator, analysed in a worker process, stored with their analysis.

The analysis of a large map takes seconds of CPU, and so do the exports and the review
pages of a large wave; all of them run in one worker process (exports/jobs.py), started on
first use and shut down with the app, so the live boards of every workshop stay responsive
meanwhile. The worker gets the snapshot and analysis as the JSON text stored here and gives
back text or bytes: the event loop parses and serialises nothing large. Two processes, so a
page or a download does not queue behind a long analysis, each at a lower priority than the
server so the live boards keep their core.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import secrets
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from boards.actions import Text
from boards.errors import Refusal
from boards.snapshot import freeze

from . import auth
from .i18n import translate
from .pages import html, locale_of
from .store import now
from exports import jobs

log = logging.getLogger("maillage.snapshots")
LABEL = Text(80)


# The worker yields the CPU to the live boards: at niceness 10 the scheduler gives it about a
# tenth of a core the event loop also wants, the whole core when the loop is idle.
WORKER_NICENESS = 10
WORKERS = 2


def _in_background(server: int) -> None:
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    # A worker holds its own end of the job queue, so the server's death does not end it: it
    # would go on running (and holding the server's stderr) after a kill or a shutdown that
    # left a long export behind. It watches the server (named by the server itself: it may die
    # before this runs) and leaves within a second of it.
    threading.Thread(target=_leave_with, args=(server,), daemon=True).start()
    jobs.warm_up()


def _leave_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


class Snapshots:
    def __init__(self, store):
        self.db = store
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a clean interpreter, not a fork of a process holding sockets and a database.
            self._pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_in_background,
                                             initargs=(os.getpid(),))
        return self._pool

    async def run(self, function, *args):
        """``function(*args)`` in the worker process; the event loop only waits."""
        return await asyncio.get_running_loop().run_in_executor(self._executor(), function, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def take(self, ws, label: str) -> dict:
        """Freezes the workshop now; the row is stored at once, its analysis follows."""
        snapshot_id = "s" + secrets.token_hex(8)
        data = freeze(ws, snapshot_id, label, now())
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO snapshots (id, workshop_id, territory, label, seq, taken_at, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [snapshot_id, ws.id, ws.territory, label, ws.seq, data["taken_at"],
                 json.dumps(data, ensure_ascii=False)])
        return data

    async def analyse(self, snapshot_id: str) -> None:
        text = await self.run(jobs.analysis_text, self.raw(snapshot_id)["data"])
        with self.db.atomic():
            self.db.execute("UPDATE snapshots SET analysis = ? WHERE id = ?", [text, snapshot_id])

    async def analyse_pending(self) -> None:
        """After a restart, analyses that were running when the server stopped are run again."""
        for row in self.db.query("SELECT id FROM snapshots WHERE analysis IS NULL"):
            await self.analyse(row["id"])

    def raw(self, snapshot_id: str) -> dict | None:
        """The row with its data and analysis as stored (JSON text, for the worker)."""
        rows = self.db.query("SELECT * FROM snapshots WHERE id = ?", [snapshot_id])
        return rows[0] if rows else None

    def column(self, ids: list[str], name: str) -> dict[str, str]:
        """One stored column (``data`` or ``analysis``, as JSON text) of several snapshots."""
        if name not in ("data", "analysis") or not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        return {row["id"]: row[name] for row in
                self.db.query(f"SELECT id, {name} FROM snapshots WHERE id IN ({marks})", list(ids))}

    def get(self, snapshot_id: str) -> dict | None:
        row = self.raw(snapshot_id)
        if row is None:
            return None
        row["data"] = json.loads(row["data"])
        row["analysis"] = json.loads(row["analysis"]) if row["analysis"] else None
        return row

    def listing(self, workshop_id: str | None = None) -> list[dict]:
        sql = "SELECT id, workshop_id, territory, label, seq, taken_at, analysis IS NOT NULL AS ready FROM snapshots"
        params = []
        if workshop_id is not None:
            sql, params = sql + " WHERE workshop_id = ?", [workshop_id]
        return [{**row, "ready": bool(row["ready"])} for row in self.db.query(sql + " ORDER BY taken_at, id", params)]


async def take(request: Request) -> Response:
    """POST by the facilitator: freeze the workshop as a wave with a label."""
    ws = request.app.state.workshops.get(request.path_params["workshop_id"])
    if ws is None or not auth.facilitator_of(request.session, ws.id):
        return html(request, "error.html", 403, message_key="facilitator_only")
    form = await request.form()
    locale = locale_of(request)
    try:
        label = LABEL.read(translate(locale, "libellé"), form.get("label", ""))
    except Refusal as refusal:
        return html(request, "error.html", 400, message_key=None,
                    message=translate(locale, refusal.message, refusal.params))
    snapshots: Snapshots = request.app.state.snapshots
    # A wave holds only what is on disk.
    request.app.state.workshops.settle(ws.id)
    data = snapshots.take(ws, label)
    task = asyncio.create_task(snapshots.analyse(data["id"]))
    request.app.state.background.add(task)
    task.add_done_callback(request.app.state.background.discard)
    return RedirectResponse(f"/a/{ws.id}/animation?instantane={data['id']}#instantanes", status_code=303)
