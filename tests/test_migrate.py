"""An SQLite archive moved into PostgreSQL with one command, checked, and never copied twice."""

from __future__ import annotations

import subprocess
import sys

from boards import rules
from boards.model import PARTICIPANT
from boards.state import replay
from players import ROOT
from server import coordinator, library, migrate
from server.store import Store, now


def archive(path: str) -> dict[str, int]:
    """A small archive with a row in every table; returns each workshop's last event number."""
    with Store(path) as store:
        for number in range(3):
            ws, code = f"w{number}", f"COD{number:03d}"
            store.create_workshop({"id": ws, "join_code": code, "facilitator_key": "k", "title": f"Atelier {number}",
                                   "territory": "QPV Nord", "created_at": now(), "demo": 0},
                                  rules.create_workshop(ws, f"Atelier {number}", "QPV Nord", code))
            for person in range(number):
                state = replay(ws, store.events(ws))
                store.append(ws, state.seq, rules.join(state, f"Personne {person}", "", PARTICIPANT, None),
                             f"p{person}", f"op{person}")
        store.execute("INSERT INTO snapshots (id, workshop_id, territory, label, seq, taken_at, data)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)", ["s1", "w1", "QPV Nord", "Vague 1", 3, now(), "{}"])
        coordinator.add_token(store, "Nord", "QPV Nord")
        library.save(store, 0, list(library.shipped())[:2], "import", "deux.csv")
        store.execute("INSERT INTO agenda_templates (name, territory, boards, created_at) VALUES (?, ?, ?, ?)",
                      ["Séance", "QPV Nord", "[]", now()])
        store.secret("session")
        return store.sequences()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server.migrate", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_an_sqlite_archive_moves_into_postgres_checked_and_only_once(postgres, tmp_path):
    source, target = str(tmp_path / "maillage.db"), postgres.new_database()
    sequences = archive(source)
    done = run(source, target)
    assert done.returncode == 0, done.stderr
    assert "3 workshops moved and checked" in done.stdout
    with Store(source) as old, Store(target) as new:
        assert new.counts() == old.counts() and all(new.counts().values())
        assert new.sequences() == sequences and migrate.digests(new) == migrate.digests(old)
        assert new.secret("session") == old.secret("session")
        # Ids the database numbers go on after the copied ones.
        coordinator.add_token(new, "Sud", "QPV Sud")
        assert [row["id"] for row in new.query("SELECT id FROM coordinator_tokens ORDER BY id")] == [1, 2]
        before = new.counts()
    again = run(source, target)
    assert again.returncode == 2 and "not empty" in again.stderr and "nothing was copied" in again.stderr
    with Store(target) as new:
        assert new.counts() == before
    missing = run(str(tmp_path / "absent.db"), postgres.new_database())
    assert missing.returncode == 2 and "is not a file" in missing.stderr


def test_a_failed_check_writes_nothing(postgres, tmp_path, monkeypatch):
    source, target = str(tmp_path / "maillage.db"), postgres.new_database()
    archive(source)
    # A copy that loses a row on the way (as a faulty driver would): the check catches it.
    real = Store.executemany

    def lossy(store, sql, rows):
        real(store, sql, rows[:-1] if "INTO events" in sql else rows)
    with Store(source) as old, Store(target) as new:
        monkeypatch.setattr(type(new), "executemany", lossy)
        try:
            migrate.migrate(old, new)
        except migrate.MigrationRefused as refusal:
            assert "row counts differ (events)" in str(refusal)
        else:
            raise AssertionError("a lossy copy was accepted")
        assert not any(new.counts().values())
