"""SQLite through sqlite-utils: schema migrations, event append, replay, operation ids.

Every change of a workshop is one row of `events`, numbered per workshop. An
action's events and its operation id are committed in one transaction, so a
retried operation is recognised exactly when its effects exist.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
from datetime import datetime, timezone
from typing import Iterator

import sqlite_utils

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # FULL: an acknowledged action survives a power cut, not only a killed process.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)

MIGRATIONS = [
    """
    CREATE TABLE workshops (
        id TEXT PRIMARY KEY,
        join_code TEXT NOT NULL UNIQUE,
        facilitator_key TEXT NOT NULL,
        title TEXT NOT NULL,
        territory TEXT NOT NULL,
        created_at TEXT NOT NULL,
        demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE events (
        workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (workshop_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE ops (
        workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        participant TEXT NOT NULL,
        op TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (workshop_id, participant, op)
    ) WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
]


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: str):
        self.path = path
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        for pragma in PRAGMAS:
            self.db.execute(pragma)
        self._migrate()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db.atomic():
                for statement in filter(str.strip, script.split(";")):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={number}")

    def close(self) -> None:
        self.db.close()

    def secret(self, name: str) -> str:
        """A random secret kept in the database so it survives restarts."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [name]).fetchone()
        if row:
            return row[0]
        value = secrets.token_urlsafe(32)
        with self.db.atomic():
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [name, value])
        return value

    def create_workshop(self, row: dict, events: list[dict]) -> list[dict]:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO workshops (id, join_code, facilitator_key, title, territory, created_at, demo)"
                " VALUES (:id, :join_code, :facilitator_key, :title, :territory, :created_at, :demo)",
                row,
            )
            return self._insert(row["id"], 0, events)

    def append(self, workshop_id: str, after_seq: int, events: list[dict],
               participant: str | None = None, op: str | None = None) -> list[dict]:
        """Commits events (numbered after `after_seq`) and the operation id in one transaction."""
        with self.transaction():
            return self.insert(workshop_id, after_seq, events, participant, op)

    @contextlib.contextmanager
    def transaction(self):
        """A write transaction taken at once (BEGIN IMMEDIATE).

        Holding SQLite's write lock from the first read means that what is read
        inside (the events other processes committed) is still the latest when
        the new events are written: the database itself orders every decision.
        """
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def insert(self, workshop_id: str, after_seq: int, events: list[dict],
               participant: str | None = None, op: str | None = None) -> list[dict]:
        """Writes events and the operation id; to be called inside `transaction()`."""
        stored = self._insert(workshop_id, after_seq, events)
        if op is not None and participant is not None:
            last = stored[-1]["seq"] if stored else after_seq
            self.db.execute(
                "INSERT INTO ops (workshop_id, participant, op, seq) VALUES (?, ?, ?, ?)",
                [workshop_id, participant, op, last])
        return stored

    def _insert(self, workshop_id: str, after_seq: int, events: list[dict]) -> list[dict]:
        stamp = now()
        stored = []
        for offset, event in enumerate(events, start=1):
            event = {**event, "seq": after_seq + offset, "at": stamp}
            body = {k: v for k, v in event.items() if k not in ("seq", "type", "at")}
            self.db.execute(
                "INSERT INTO events (workshop_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)",
                [workshop_id, event["seq"], event["type"], json.dumps(body, ensure_ascii=False), stamp])
            stored.append(event)
        return stored

    def op_seq(self, workshop_id: str, participant: str, op: str) -> int | None:
        row = self.db.execute(
            "SELECT seq FROM ops WHERE workshop_id = ? AND participant = ? AND op = ?",
            [workshop_id, participant, op]).fetchone()
        return row[0] if row else None

    def events(self, workshop_id: str, after: int = 0) -> Iterator[dict]:
        cursor = self.db.execute(
            "SELECT seq, type, data, at FROM events WHERE workshop_id = ? AND seq > ? ORDER BY seq",
            [workshop_id, after])
        for seq, kind, data, at in cursor:
            yield {**json.loads(data), "type": kind, "seq": seq, "at": at}

    def workshops(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM workshops ORDER BY created_at, id"))

    def workshop(self, workshop_id: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM workshops WHERE id = ?", [workshop_id]))
        return rows[0] if rows else None

    def last_seq(self, workshop_id: str) -> int:
        row = self.db.execute("SELECT MAX(seq) FROM events WHERE workshop_id = ?", [workshop_id]).fetchone()
        return row[0] or 0

    def workshop_id_for_code(self, code: str) -> str | None:
        row = self.db.execute("SELECT id FROM workshops WHERE join_code = ?", [code]).fetchone()
        return row[0] if row else None

    def code_in_use(self, code: str) -> bool:
        return self.db.execute("SELECT 1 FROM workshops WHERE join_code = ?", [code]).fetchone() is not None
