"""The store's contract, checked on both backends: a SQLite file and a PostgreSQL database.

Every test takes `database` (tests/conftest.py): a fresh SQLite path, then a fresh database in a
throwaway PostgreSQL cluster. What passes on one must pass on the other.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
import time

import pytest

from boards import rules
from boards.model import PARTICIPANT
from boards.state import replay
from server import agendas, coordinator, library, privacy, transfer
from server.store import Store, now


def new_workshop(store: Store, workshop_id: str = "w1", code: str = "ABC123", territory: str = "QPV Nord") -> str:
    row = {"id": workshop_id, "join_code": code, "facilitator_key": "k-" + workshop_id, "title": "Atelier",
           "territory": territory, "created_at": now(), "demo": 0}
    store.create_workshop(row, rules.create_workshop(workshop_id, "Atelier", territory, code))
    return workshop_id


def test_events_ops_and_workshops_round_trip(database):
    with Store(database) as store:
        ws = new_workshop(store)
        first = store.last_seq(ws)
        assert first >= 1 and [e["seq"] for e in store.events(ws)] == list(range(1, first + 1))
        stored = store.append(ws, first, [{"type": "note.added", "board": "b1", "text": "Été « à l'école »"}],
                              participant="p1", op="op-1")
        assert stored[0]["seq"] == first + 1
        assert store.op_seq(ws, "p1", "op-1") == first + 1 and store.op_seq(ws, "p1", "op-2") is None
        assert list(store.events(ws, after=first)) == [
            {"type": "note.added", "board": "b1", "text": "Été « à l'école »", "seq": first + 1,
             "at": stored[0]["at"]}]
        assert store.workshop_id_for_code("ABC123") == ws and store.code_in_use("ABC123")
        assert not store.code_in_use("ZZZ999") and store.workshop_id_for_code("ZZZ999") is None
        assert [row["id"] for row in store.workshops()] == [ws] and store.workshop(ws)["demo"] == 0
        assert store.workshop("nope") is None and store.last_seq("nope") == 0
        assert store.sequences() == {ws: first + 1}
        assert sorted(store.tables_with("workshop_id")) == ["events", "ops", "snapshots"]


def test_a_failed_write_leaves_nothing(database):
    """Events and the operation id are one transaction: a clash on either writes neither."""
    with Store(database) as store:
        ws = new_workshop(store)
        last = store.last_seq(ws)
        store.append(ws, last, [{"type": "note.added", "board": "b1", "text": "a"}], "p1", "op-1")
        with pytest.raises(Exception):
            # Same operation id again: the ops row clashes after the event row was written.
            store.append(ws, last + 1, [{"type": "note.added", "board": "b1", "text": "b"}], "p1", "op-1")
        assert store.last_seq(ws) == last + 1
        with pytest.raises(Exception):
            store.append(ws, last, [{"type": "note.added", "board": "b1", "text": "c"}], "p2", "op-9")
        assert store.op_seq(ws, "p2", "op-9") is None and store.last_seq(ws) == last + 1


def test_a_reopened_store_is_another_connection_to_the_same_database(database):
    with Store(database) as store:
        secret = store.secret("session")
        ws = new_workshop(store)
        with store.reopen() as other:
            assert other is not store and other.secret("session") == secret
            other.append(ws, other.last_seq(ws), [{"type": "note.added", "board": "b1", "text": "x"}])
            assert store.last_seq(ws) == other.last_seq(ws)
    # And after a restart.
    with Store(database) as again:
        assert again.secret("session") == secret and again.last_seq(ws) > 0


def test_decisions_are_taken_one_at_a_time_on_the_latest_state(database):
    """Two connections (two machines) read the last number and write the next, with a pause in
    between: inside transaction(), neither ever decides on a state the other has changed."""
    with Store(database) as store:
        ws = new_workshop(store)
    errors: list[BaseException] = []

    def machine(name: str) -> None:
        try:
            with Store(database) as mine:
                for turn in range(15):
                    with mine.transaction(ws):
                        last = mine.last_seq(ws)
                        time.sleep(0.002)
                        mine.insert(ws, last, [{"type": "note.added", "board": "b1", "text": f"{name}{turn}"}],
                                    name, f"op-{turn}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=machine, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with Store(database) as store:
        seqs = [e["seq"] for e in store.events(ws)]
        assert seqs == list(range(1, len(seqs) + 1))
        assert sum(1 for e in store.events(ws) if e["type"] == "note.added") == 45


def test_modules_store_and_read_through_the_same_interface(database):
    with Store(database) as store:
        ws = new_workshop(store)
        # Indicator library: versions, stale saves refused, sizes computed.
        version, shipped = library.current(store)
        assert library.save(store, version, shipped[:3], "import", "trois.csv") == version + 1
        with pytest.raises(library.Stale):
            library.save(store, version, shipped, "import", "vieux.csv")
        assert [(row["version"], row["size"]) for row in library.history(store)] == [(version + 1, 3)]
        # Coordinator tokens and agenda templates: ids numbered by the database.
        token = coordinator.add_token(store, "Nord", "QPV Nord")
        other = coordinator.add_token(store, "Sud", "QPV Sud")
        first, second = coordinator._territorial(store, token), coordinator._territorial(store, other)
        assert first is not None and second is not None and first != second
        with store.atomic():
            store.execute("INSERT INTO agenda_templates (name, territory, boards, created_at) VALUES (?, ?, ?, ?)",
                          ["Séance 1", "QPV Nord", json.dumps([["ideas", "Idées"]]), now()])
        assert [(row["name"], row["territory"]) for row in agendas.saved(store, "QPV Nord")] == [
            ("Séance 1", "QPV Nord")]
        assert store.counts()["coordinator_tokens"] == 2 and store.sequences()[ws] == store.last_seq(ws)
        # Retention: idle workshops found by their last event (a GROUP BY both databases accept).
        assert privacy.expired(store, 30) == []
        assert privacy.expired(store, 30, now=datetime(2100, 1, 1, tzinfo=timezone.utc)) == [ws]


def test_a_workshop_file_travels_between_the_two_backends(database, tmp_path):
    """Exported from a laptop's SQLite file, imported here; importing it again changes nothing."""
    with Store(str(tmp_path / "portable.db")) as laptop:
        ws = new_workshop(laptop, "w-terrain", "TER123")
        state = replay(ws, laptop.events(ws))
        laptop.append(ws, state.seq, rules.join(state, "Awa", "Centre social", PARTICIPANT, None), "p1", "op-1")
        data = transfer.export_workshop(laptop, ws)
        expected = [(e["seq"], e["type"]) for e in laptop.events(ws)]
    with Store(database) as server:
        first = transfer.import_workshop(server, data)
        again = transfer.import_workshop(server, data)
        assert first.created and first.events == len(expected) and not again.changed
        assert [(e["seq"], e["type"]) for e in server.events(ws)] == expected
        assert server.op_seq(ws, "p1", "op-1") == expected[-1][0]
        assert transfer.export_workshop(server, ws) == data


def test_on_postgres_a_locked_workshop_holds_back_only_itself(postgres):
    """Machines deciding for other workshops go on; a whole-store transaction waits for it."""
    url = postgres.new_database()
    with Store(url) as first, Store(url) as second:
        new_workshop(first, "w1", "AAA111")
        new_workshop(first, "w2", "BBB222")
        whole = threading.Event()

        def whole_store() -> None:
            with second.reopen() as third, third.transaction():
                whole.set()

        with first.transaction("w1"):
            first.insert("w1", first.last_seq("w1"), [{"type": "note.added", "board": "b1", "text": "a"}])
            # Another workshop commits at once (this would wait here if the lock were global).
            second.append("w2", second.last_seq("w2"), [{"type": "note.added", "board": "b1", "text": "b"}])
            waiting = threading.Thread(target=whole_store)
            waiting.start()
            assert not whole.wait(0.5)
        waiting.join(10)
        assert whole.is_set()
