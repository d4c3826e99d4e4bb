"""The store: schema, event append, replay, operation ids, on SQLite or PostgreSQL.

Every change of a workshop is one row of `events`, numbered per workshop. An action's events and
its operation id are committed in one transaction, so a retried operation is recognised exactly
when its effects exist.

One interface, two implementations (server/store/sqlite.py, server/store/postgres.py). Everything
above the store speaks the same small dialect: `execute` (a cursor: fetchone, fetchall, rowcount,
iteration), `query` (rows as dicts) and `atomic()`, with `?` placeholders that each backend
translates, and SQL both databases understand (`INSERT ... ON CONFLICT DO NOTHING`, no JSON
functions). The schema is written once below; `{serial}` and `{without_rowid}` are the two words
where the databases differ.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from datetime import datetime, timezone
from typing import Iterator

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
    ){without_rowid};
    CREATE TABLE ops (
        workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        participant TEXT NOT NULL,
        op TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (workshop_id, participant, op)
    ){without_rowid};
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # Tables that modules used to create when first used; IF NOT EXISTS: older SQLite files have them.
    """
    CREATE TABLE IF NOT EXISTS snapshots (
        id TEXT PRIMARY KEY,
        workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
        territory TEXT NOT NULL, label TEXT NOT NULL, seq INTEGER NOT NULL, taken_at TEXT NOT NULL,
        data TEXT NOT NULL, analysis TEXT);
    CREATE TABLE IF NOT EXISTS coordinator_tokens (
        id {serial}, label TEXT NOT NULL, territory TEXT NOT NULL,
        digest TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT);
    CREATE TABLE IF NOT EXISTS indicator_library (
        version INTEGER PRIMARY KEY, saved_at TEXT NOT NULL, action TEXT NOT NULL,
        detail TEXT NOT NULL, document TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS agenda_templates (
        id {serial}, name TEXT NOT NULL, territory TEXT NOT NULL,
        boards TEXT NOT NULL, created_at TEXT NOT NULL);
    """,
]

# Tables in an order that respects their references (a copy fills them in this order).
TABLES = ("workshops", "events", "ops", "meta", "snapshots", "coordinator_tokens", "indicator_library",
          "agenda_templates")
# Tables whose id the database numbers itself.
SERIAL = {"coordinator_tokens": "id", "agenda_templates": "id"}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stamp(after_seq: int, events: list[dict]) -> list[dict]:
    """Events as they are stored and folded: numbered after `after_seq`, stamped with the time."""
    at = now()
    return [{**event, "seq": after_seq + offset, "at": at} for offset, event in enumerate(events, start=1)]


def is_postgres(target: str) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def statements(script: str, words: dict[str, str]) -> list[str]:
    return [s.strip() for s in script.format(**words).split(";") if s.strip()]


class StoreLost(Exception):
    """The connection to the database server was lost during a transaction. The store connects
    again on its next use; the transaction may be tried again (an operation id already stored, or
    a sequence number already taken, keeps a retry from applying anything twice)."""


class Store:
    """`Store(target)` opens a PostgreSQL URL (postgresql://...) or an SQLite file path."""

    target: str

    def __new__(cls, target=None, *args, **kwargs):
        if cls is Store:
            if is_postgres(str(target)):
                from .postgres import PostgresStore
                cls = PostgresStore
            else:
                from .sqlite import SqliteStore
                cls = SqliteStore
        return super().__new__(cls)

    # What each backend provides ----------------------------------------------------------------

    def execute(self, sql: str, params=()):
        raise NotImplementedError

    def query(self, sql: str, params=()) -> list[dict]:
        raise NotImplementedError

    def atomic(self):
        """A transaction (a savepoint when nested): all or nothing, no ordering lock."""
        raise NotImplementedError

    def transaction(self, *workshop_ids: str):
        """The transaction in which a decision is read and written, see the backends."""
        raise NotImplementedError

    def reopen(self) -> "Store":
        """A new store with its own connection to the same database (for another thread)."""
        return type(self)(self.target)

    def close(self) -> None:
        raise NotImplementedError

    def tables_with(self, column: str) -> list[str]:
        raise NotImplementedError

    def renumber(self, table: str, column: str) -> None:
        """After rows were copied with their ids: the next id the database gives follows them."""

    def secure_delete(self) -> None:
        """Before deleting words: have freed space overwritten where the database can."""

    def scrub(self, vacuum: bool = True) -> None:
        """After deleting: leave no trace of the deleted rows in the database's files."""
        raise NotImplementedError

    # Shared, portable ---------------------------------------------------------------------------

    def secret(self, name: str) -> str:
        """A random secret kept in the database so it survives restarts (and is shared by machines)."""
        row = self.execute("SELECT value FROM meta WHERE key = ?", [name]).fetchone()
        if row:
            return row[0]
        with self.atomic():
            self.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         [name, secrets.token_urlsafe(32)])
        # Another process may have written it first: everyone keeps the stored one.
        return self.execute("SELECT value FROM meta WHERE key = ?", [name]).fetchone()[0]

    def create_workshop(self, row: dict, events: list[dict]) -> list[dict]:
        with self.atomic():
            self.execute(
                "INSERT INTO workshops (id, join_code, facilitator_key, title, territory, created_at, demo)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [row["id"], row["join_code"], row["facilitator_key"], row["title"], row["territory"],
                 row["created_at"], row["demo"]])
            return self._insert(row["id"], 0, events)

    def append(self, workshop_id: str, after_seq: int, events: list[dict],
               participant: str | None = None, op: str | None = None) -> list[dict]:
        """Commits events (numbered after `after_seq`) and the operation id in one transaction."""
        with self.transaction(workshop_id):
            return self.insert(workshop_id, after_seq, events, participant, op)

    def insert(self, workshop_id: str, after_seq: int, events: list[dict],
               participant: str | None = None, op: str | None = None) -> list[dict]:
        """Writes events and the operation id; to be called inside `transaction()`."""
        stored = self._insert(workshop_id, after_seq, events)
        if op is not None and participant is not None:
            last = stored[-1]["seq"] if stored else after_seq
            self.execute("INSERT INTO ops (workshop_id, participant, op, seq) VALUES (?, ?, ?, ?)",
                         [workshop_id, participant, op, last])
        return stored

    def _insert(self, workshop_id: str, after_seq: int, events: list[dict]) -> list[dict]:
        stored = stamp(after_seq, events)
        self.write(workshop_id, stored)
        return stored

    def write(self, workshop_id: str, stored: list[dict], ops=()) -> None:
        """Writes events already numbered and stamped (see `stamp`) and operation ids, given as
        (participant, op, seq); to be called inside `transaction()`."""
        rows = [[workshop_id, event["seq"], event["type"],
                 json.dumps({k: v for k, v in event.items() if k not in ("seq", "type", "at")}, ensure_ascii=False),
                 event["at"]] for event in stored]
        if rows:
            self.executemany("INSERT INTO events (workshop_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)", rows)
        if ops:
            self.executemany("INSERT INTO ops (workshop_id, participant, op, seq) VALUES (?, ?, ?, ?)",
                             [[workshop_id, participant, op, seq] for participant, op, seq in ops])

    def executemany(self, sql: str, rows: list) -> None:
        for row in rows:
            self.execute(sql, row)

    def op_seq(self, workshop_id: str, participant: str, op: str) -> int | None:
        row = self.execute("SELECT seq FROM ops WHERE workshop_id = ? AND participant = ? AND op = ?",
                           [workshop_id, participant, op]).fetchone()
        return row[0] if row else None

    def ops_of(self, workshop_id: str) -> set[tuple[str, str]]:
        """Every (participant, op) applied to a workshop."""
        return {(row[0], row[1]) for row in self.execute(
            "SELECT participant, op FROM ops WHERE workshop_id = ?", [workshop_id]).fetchall()}

    def ops_among(self, workshop_id: str, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of these (participant, op) already applied to a workshop."""
        found: set[tuple[str, str]] = set()
        wanted = set(keys)
        ops = sorted({op for _, op in wanted})
        for start in range(0, len(ops), 500):
            chunk = ops[start:start + 500]
            rows = self.execute(f"SELECT participant, op FROM ops WHERE workshop_id = ? AND op IN ({', '.join('?' * len(chunk))})",
                                [workshop_id, *chunk]).fetchall()
            found.update(key for key in ((row[0], row[1]) for row in rows) if key in wanted)
        return found

    def events(self, workshop_id: str, after: int = 0) -> Iterator[dict]:
        rows = self.execute(
            "SELECT seq, type, data, at FROM events WHERE workshop_id = ? AND seq > ? ORDER BY seq",
            [workshop_id, after]).fetchall()
        for seq, kind, data, at in rows:
            yield {**json.loads(data), "type": kind, "seq": seq, "at": at}

    def workshops(self) -> list[dict]:
        return self.query("SELECT * FROM workshops ORDER BY created_at, id")

    def workshop(self, workshop_id: str) -> dict | None:
        rows = self.query("SELECT * FROM workshops WHERE id = ?", [workshop_id])
        return rows[0] if rows else None

    def last_seq(self, workshop_id: str) -> int:
        row = self.execute("SELECT MAX(seq) FROM events WHERE workshop_id = ?", [workshop_id]).fetchone()
        return row[0] or 0

    def workshop_id_for_code(self, code: str) -> str | None:
        row = self.execute("SELECT id FROM workshops WHERE join_code = ?", [code]).fetchone()
        return row[0] if row else None

    def code_in_use(self, code: str) -> bool:
        return self.execute("SELECT 1 FROM workshops WHERE join_code = ?", [code]).fetchone() is not None

    def counts(self) -> dict[str, int]:
        return {table: self.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}

    def sequences(self) -> dict[str, int]:
        """Each workshop's last event number (0 for none)."""
        return {row[0]: row[1] or 0 for row in self.execute(
            "SELECT w.id, MAX(e.seq) FROM workshops w LEFT JOIN events e ON e.workshop_id = w.id GROUP BY w.id")}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def opened(target: str):
    store = Store(target)
    try:
        yield store
    finally:
        store.close()
