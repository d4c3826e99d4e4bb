"""python -m server.migrate maillage.db postgresql://...: an SQLite archive moved into PostgreSQL.

Every table is copied in one transaction of the target, then checked before it commits: the row
count of every table, and for every workshop its last event number and a digest of its whole log.
A target that already holds anything is refused (run the servers on it after the move, not
before), so running the command twice cannot copy twice. The source is only read (opening it
brings an older file's schema up to date, as the server would).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

from .store import SERIAL, TABLES, Store

BATCH = 1000


class MigrationRefused(Exception):
    pass


def digests(store: Store) -> dict[str, str]:
    """Each workshop's events, hashed in order: the same log on both sides gives the same digest."""
    found: dict[str, hashlib._Hash] = {}
    for workshop_id, seq, kind, data, at in store.execute(
            "SELECT workshop_id, seq, type, data, at FROM events ORDER BY workshop_id, seq"):
        found.setdefault(workshop_id, hashlib.sha256()).update(f"{seq}\x1f{kind}\x1f{data}\x1f{at}\x1e".encode())
    return {workshop_id: digest.hexdigest() for workshop_id, digest in found.items()}


def check(source: Store, target: Store) -> None:
    for name, (mine, theirs) in {"row counts": (source.counts(), target.counts()),
                                 "workshop sequences": (source.sequences(), target.sequences()),
                                 "event logs": (digests(source), digests(target))}.items():
        if mine != theirs:
            differing = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            raise MigrationRefused(f"check failed, {name} differ ({', '.join(map(str, differing[:5]))}):"
                                   " nothing was written")


def migrate(source: Store, target: Store) -> dict[str, int]:
    """Copies every table of `source` into the empty `target`; returns the row counts."""
    held = {table: count for table, count in target.counts().items() if count}
    if held:
        listed = ", ".join(f"{count} in {table}" for table, count in held.items())
        raise MigrationRefused(f"the target database is not empty ({listed}): nothing was copied."
                               " Move the archive into a new, empty database.")
    with target.transaction():
        for table in TABLES:
            cursor = source.execute(f"SELECT * FROM {table}")
            columns = [column[0] for column in cursor.description]
            insert = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})")
            while rows := cursor.fetchmany(BATCH):
                target.executemany(insert, [list(row) for row in rows])
        for table, column in SERIAL.items():
            target.renumber(table, column)
        check(source, target)
    return target.counts()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.migrate",
                                     description="Move a Maillage archive (an SQLite file) into a new PostgreSQL database.")
    parser.add_argument("source", help="the SQLite file, e.g. maillage.db")
    parser.add_argument("target", help="the empty database, e.g. postgresql://maillage@db.example.org/maillage")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.source):
        print(f"python -m server.migrate: {args.source} is not a file: nothing was copied.", file=sys.stderr)
        return 2
    try:
        with Store(args.source) as source, Store(args.target) as target:
            counts = migrate(source, target)
            workshops = len(target.sequences())
    except MigrationRefused as refusal:
        print(f"python -m server.migrate: {refusal}", file=sys.stderr)
        return 2
    except Exception as error:  # a row the target refuses: the transaction is rolled back whole
        print(f"python -m server.migrate: copy failed, nothing was written: {error}", file=sys.stderr)
        return 1
    print(f"{workshops} workshops moved and checked: "
          + ", ".join(f"{table} {count}" for table, count in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
