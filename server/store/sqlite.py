"""The store on one SQLite file (the default): one machine, any number of processes on it."""

from __future__ import annotations

import contextlib
import sqlite3

import sqlite_utils

from . import MIGRATIONS, Store, statements

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # FULL: an acknowledged action survives a power cut, not only a killed process.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)
WORDS = {"serial": "INTEGER PRIMARY KEY", "without_rowid": " WITHOUT ROWID"}


class SqliteStore(Store):
    def __init__(self, target):
        self.target = self.path = str(target)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        for pragma in PRAGMAS:
            self.db.execute(pragma)
        self._migrate()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db.atomic():
                for statement in statements(script, WORDS):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={number}")

    def execute(self, sql: str, params=()):
        return self.db.execute(sql, list(params))

    def executemany(self, sql: str, rows: list) -> None:
        self.db.conn.executemany(sql, rows)

    def query(self, sql: str, params=()) -> list[dict]:
        return list(self.db.query(sql, list(params)))

    def atomic(self):
        return self.db.atomic()

    @contextlib.contextmanager
    def transaction(self, *workshop_ids: str):
        """A write transaction taken at once (BEGIN IMMEDIATE), whatever the workshops.

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

    def close(self) -> None:
        self.db.close()

    def tables_with(self, column: str) -> list[str]:
        tables = [row[0] for row in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return [t for t in tables if any(col[1] == column for col in self.db.execute(f'PRAGMA table_info("{t}")'))]

    def secure_delete(self) -> None:
        self.db.execute("PRAGMA secure_delete=ON")

    def scrub(self, vacuum: bool = True) -> None:
        """A deleted row stays in its page until reused and in the WAL until a checkpoint: zeroed
        free space (secure_delete), a rebuilt file (VACUUM) and an emptied WAL leave none."""
        from ..privacy import ScrubFailed
        if vacuum:
            self.db.execute("VACUUM")
        busy, _, _ = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise ScrubFailed("wal_checkpoint(TRUNCATE) was blocked by a reader")
