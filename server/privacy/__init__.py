"""Privacy: a workshop deleted for good, a retention period, a contribution's words erased, and log
lines that keep no one's address.

Deleting is not enough: a deleted row stays in the database's files until they are rewritten. So
each store scrubs after deleting (server/store/sqlite.py, server/store/postgres.py): on SQLite a
text typed in a deleted workshop is then nowhere in the files.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import json
import logging
import re
from datetime import datetime, timedelta, timezone

from boards.actions import REGISTRY, Text
from boards.errors import Rejected
from boards.i18n import N_
from boards.state import replay

from .. import render

log = logging.getLogger("maillage.privacy")

# Close code for the phones of a deleted workshop: the page does not reconnect after it (static/board.js).
GONE = 4404
DAY = 24 * 3600


class ScrubFailed(RuntimeError):
    """The WAL could not be emptied (a reader held it): deleted data may remain in the -wal file."""


def erase(app, workshop_ids: list[str]) -> int:
    """Deletes workshops and everything stored about them; returns how many existed."""
    store, workshops, hub = app.state.store, app.state.workshops, app.state.hub
    store.secure_delete()
    found = 0
    # Every table with a workshop_id column: today's (events, ops, snapshots...) and tomorrow's.
    tables = store.tables_with("workshop_id")
    for workshop_id in workshop_ids:
        # Nothing still on its way to disk may land after the deletion.
        workshops.settle(workshop_id)
    with store.transaction(*workshop_ids):
        for workshop_id in workshop_ids:
            for table in tables:
                store.execute(f'DELETE FROM "{table}" WHERE workshop_id = ?', [workshop_id])
            found += store.execute("DELETE FROM workshops WHERE id = ?", [workshop_id]).rowcount
    for workshop_id in workshop_ids:
        _forget(workshops, hub, workshop_id)
    store.scrub()
    return found


def _forget(workshops, hub, workshop_id: str) -> None:
    """The live side: the workshop's state, its join code and its connected phones."""
    ws = workshops.states.pop(workshop_id, None)
    if ws is not None and workshops.by_code.get(ws.join_code) == workshop_id:
        del workshops.by_code[ws.join_code]
    room = hub.rooms.pop(workshop_id, None)
    for client in list(room.clients) if room else ():
        client.push(render.notice(client.locale, Rejected(N_("Cet atelier a été supprimé."))))
        client.finish(GONE)


# Retention ----------------------------------------------------------------------------------

def expired(store, days: int, now: datetime | None = None) -> list[str]:
    """Workshops with no activity for more than `days` days (last event, or creation)."""
    now = now or datetime.now(timezone.utc)
    limit = (now - timedelta(days=days)).isoformat(timespec="seconds")
    rows = store.execute(
        "SELECT w.id FROM workshops w LEFT JOIN events e ON e.workshop_id = w.id"
        " GROUP BY w.id HAVING COALESCE(MAX(e.at), w.created_at) < ?", [limit])
    return [row[0] for row in rows]


def purge_expired(app, days: int) -> int:
    ids = expired(app.state.store, days)
    if ids:
        erase(app, ids)
        log.info("retention: %d workshop(s) idle for more than %d days deleted", len(ids), days)
    return len(ids)


def keep_for(app, days: int | None, every: float = DAY) -> None:
    """With a retention period: purge once a day while the application runs (run.py purges at start-up)."""
    if not days:
        return
    inner = app.router.lifespan_context

    async def daily() -> None:
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(ScrubFailed):
                purge_expired(app, days)

    @contextlib.asynccontextmanager
    async def lifespan(application):
        async with inner(application) as state:
            task = asyncio.create_task(daily())
            try:
                yield state
            finally:
                task.cancel()
    app.router.lifespan_context = lifespan


# A contribution's words, erased from the log ------------------------------------------------

def _free_text_fields() -> set[str]:
    """Names that are free text wherever an action uses them (not ids, choices or numbers)."""
    kinds: dict[str, set[bool]] = {}
    for cls in REGISTRY.values():
        for f in dataclasses.fields(cls):
            kinds.setdefault(f.name, set()).add(isinstance(f.metadata["read"], Text))
    return {name for name, texts in kinds.items() if texts == {True}}


def redact(app, ws, board_id: str, key: str, item_id: str) -> bool:
    """Blanks the words of one deleted item in the events that carried them.

    The state is the fold of the events, so this is done only if replaying the edited log gives
    exactly the live state; otherwise nothing is changed and False is returned."""
    store = app.state.store
    app.state.workshops.settle(ws.id)
    texts = _free_text_fields()
    store.secure_delete()
    try:
        with store.transaction(ws.id):
            for seq, data in store.execute("SELECT seq, data FROM events WHERE workshop_id = ?", [ws.id]).fetchall():
                body = json.loads(data)
                if body.get("board") != board_id or body.get(key) != item_id:
                    continue
                blank = {k: ("" if k in texts and isinstance(v, str) else v) for k, v in body.items()}
                if blank != body:
                    store.execute("UPDATE events SET data = ? WHERE workshop_id = ? AND seq = ?",
                               [json.dumps(blank, ensure_ascii=False), ws.id, seq])
            if repr(replay(ws.id, app.state.store.events(ws.id))) != repr(ws):
                raise _Mismatch
    except _Mismatch:
        log.warning("redaction skipped: replay would differ from the live state (%s)", ws.id)
        return False
    store.scrub(vacuum=False)
    return True


class _Mismatch(Exception):
    pass


# Logs ---------------------------------------------------------------------------------------

IPV4 = r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])"
# An IPv6 address has "::" or eight groups; times like 12:34:56 have neither.
IPV6 = r"(?<![\w:])(?=[0-9A-Fa-f:]*::|(?:[0-9A-Fa-f]{1,4}:){7})[0-9A-Fa-f:]{2,39}(?![\w:])"
ADDRESS = re.compile(f"{IPV4}|{IPV6}")
# Capabilities that travel in query strings (the projector's key), as uvicorn logs websocket URLs.
SECRET_QUERY = re.compile(r"([?&]cle=)[^&\s\"]+")


def masked(address: str) -> str:
    """The network an address belongs to (/24, /48), not the device."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address) + f"/{prefix}"


class MaskAddresses(logging.Filter):
    """Rewrites log records so that no full IP address nor projector key is written anywhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = SECRET_QUERY.sub(r"\1…", ADDRESS.sub(lambda m: masked(m.group(0)), message))
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def mask_logs() -> None:
    """Installs the filter on every handler of the root logger (where uvicorn's records go too)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(MaskAddresses())
