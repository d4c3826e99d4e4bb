"""Group commit (server/writer.py): what the live boards decide is shown and acknowledged only once
it is on disk, many actions share one commit, and a failed write loses nothing acknowledged.

A real server on a loopback port, real websocket phones, a real SQLite file read through a
connection of its own. The writer's transactions are held at a gate the test opens, or made to
fail once: a real disk is too fast to catch between a decision and its write.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import sqlite3
import threading

import pytest

from boards.state import replay
from htmx_dom import Page
from live_server import LiveServer
from players import Person
from server.store import Store

NOTE = {"type": "note.add", "text": ""}


class Gate:
    """Wraps the writer's transactions: counts them, holds them while closed, fails the next one
    when told to."""

    def __init__(self, writer):
        self.open = threading.Event()
        self.open.set()
        self.count = 0
        self.fail_next = False
        store = writer.store
        real = store.transaction

        @contextlib.contextmanager
        def transaction(*ids):
            self.open.wait(20)
            self.count += 1
            with real(*ids) as inside:
                yield inside
                if self.fail_next:
                    self.fail_next = False
                    raise sqlite3.OperationalError("disk I/O error")
        store.transaction = transaction


def stored_texts(db, workshop_id: str) -> list[str]:
    """The notes on disk, read through a connection of the test's own."""
    with Store(str(db)) as store:
        return [event["text"] for event in store.events(workshop_id) if event["type"] == "note.added"]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    if request.param == "sqlite":
        return tmp_path / "atelier.db"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def room(tmp_path):
    with LiveServer(tmp_path / "atelier.db") as server:
        seated = _seated(server)
        yield (server, *seated)
        seated[-1].open.set()


def decided(server, workshop_id: str) -> int:
    """Events decided and waiting for the disk."""
    def count():
        line = server.app.state.workshops.writer.lines.get(workshop_id)
        return 0 if line is None else len(line.open.events) + len(line.flying.events if line.flying else [])
    return server.call(count)


async def online(*people) -> None:
    """Each connected, past the frames that answer their hello."""
    for person in people:
        await person.connect()
    for person in people:
        await person.quiet(0.3)


async def until(check, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


@pytest.fixture
def room_on(database):
    with LiveServer(database) as server:
        seated = _seated(server)
        yield (server, *seated)
        seated[-1].open.set()


def _seated(server):
    host = Person(server)
    code = host.create_workshop()["code"]
    board = asyncio.run(host.ideas_board())
    alice, bob = Person(server), Person(server)
    assert alice.join(code, "Alice").status_code == 303
    assert bob.join(code, "Bob").status_code == 303
    return host.workshop_id, board, alice, bob, Gate(server.app.state.workshops.writer)


def test_nothing_is_shown_or_acknowledged_before_it_is_on_disk_and_a_burst_shares_commits(room_on):
    """On SQLite and on PostgreSQL (one process: the writer has its own connection either way)."""
    server, workshop_id, board, alice, bob, gate = room_on

    async def scenario():
        await online(alice, bob)
        before = gate.count
        gate.open.clear()
        first = await alice.act({**NOTE, "board": board, "text": "premier"})
        await until(lambda: decided(server, workshop_id) == 1)
        # Decided, folded and on its way to disk: the writer holds it.
        ops = [await alice.act({**NOTE, "board": board, "text": f"note {n}"}) for n in range(30)]
        await until(lambda: decided(server, workshop_id) == 31)
        # Neither the author nor the room has seen anything, and the disk has none of it.
        assert not any("premier" in f or "data-ack" in f for f in await alice.quiet(0.4))
        assert not any("premier" in f for f in await bob.quiet(0.1))
        assert stored_texts(server.db, workshop_id) == []
        gate.open.set()
        for op in [first, *ops]:
            await alice.ack(op)
        seen = "".join(await bob.quiet(0.5))
        # Everything reached the room, in the order decided.
        positions = [seen.index(text) for text in ["premier", *(f"note {n}<" for n in range(30))]]
        assert positions == sorted(positions)
        assert stored_texts(server.db, workshop_id) == ["premier", *(f"note {n}" for n in range(30))]
        # The first note's commit, then one for the thirty decided while it was held.
        assert gate.count - before == 2
        await alice.close()
        await bob.close()
    asyncio.run(scenario())


def test_a_failed_write_acknowledges_nothing_and_the_phone_sends_it_again(room):
    server, workshop_id, board, alice, bob, gate = room

    async def scenario():
        await online(alice, bob)
        gate.fail_next = True
        op = await alice.act({**NOTE, "board": board, "text": "perdue puis renvoyée"})
        # The write failed: the room's pages are closed so that they resync from the disk.
        with pytest.raises(Exception):
            for _ in range(50):
                frame = await alice.next_frame(5)
                assert f'data-ack="{op}' not in frame
        assert alice.socket.close_code == 1011
        assert not any("perdue" in f for f in bob.frames)
        assert stored_texts(server.db, workshop_id) == []
        ws = server.app.state.workshops.states[workshop_id]
        # Memory was read back from the disk: the note is not in it either.
        assert "perdue" not in repr(server.call(lambda: ws))
        # The page reconnects and sends the unacknowledged action again, with the same op id.
        await alice.connect()
        await alice.act({**NOTE, "board": board, "text": "perdue puis renvoyée"}, op=op)
        await alice.ack(op)
        await alice.act({**NOTE, "board": board, "text": "perdue puis renvoyée"}, op=op)
        await alice.ack(op)
        assert stored_texts(server.db, workshop_id) == ["perdue puis renvoyée"]
        with Store(str(server.db)) as store:
            on_disk = replay(workshop_id, store.events(workshop_id))
        assert repr(on_disk) == repr(server.call(lambda: ws))
        await alice.close()
        await bob.close()
    asyncio.run(scenario())


def test_a_write_that_cannot_wait_goes_after_what_is_on_its_way(room):
    """A form (here a board renamed by the shell at once) written while live actions
    are held: it waits for them, so the disk and the room keep the order things were decided in."""
    server, workshop_id, board, alice, bob, gate = room
    workshops = server.app.state.workshops

    async def scenario():
        await online(alice, bob)
        gate.open.clear()
        op = await alice.act({**NOTE, "board": board, "text": "avant le tableau"})
        await until(lambda: decided(server, workshop_id) == 1)
        threading.Timer(0.3, gate.open.set).start()
        ws = workshops.states[workshop_id]
        await asyncio.to_thread(server.call, lambda: workshops.commit(
            ws, [{"type": "board.renamed", "board": board, "title": "Après la note"}]))
        await alice.ack(op)
        seen = "".join(await bob.quiet(0.5))
        assert seen.index("avant le tableau") < seen.index("Après la note")
        with contextlib.closing(sqlite3.connect(server.db)) as conn:
            kinds = [kind for (kind,) in conn.execute(
                "SELECT type FROM events WHERE workshop_id = ? ORDER BY seq DESC LIMIT 2", [workshop_id])]
        assert kinds == ["board.renamed", "note.added"]
        await alice.close()
        await bob.close()
    asyncio.run(scenario())


def test_a_page_loaded_while_a_change_is_on_its_way_shows_it_once(room):
    """The page is rendered from memory, which holds the change; the room sends the change once it
    is written, after the page connected: the page must not end with the note twice."""
    server, workshop_id, board, alice, bob, gate = room

    async def scenario():
        await alice.connect()
        gate.open.clear()
        op = await alice.act({**NOTE, "board": board, "text": "pendant le chargement"})
        await until(lambda: decided(server, workshop_id) == 1)
        loaded = bob.http.get(f"/a/{workshop_id}").text
        page = Page(loaded)
        shown = page.region("stage").count("pendant le chargement")
        assert shown
        bob.seq = int(re.search(r'data-seq="(\d+)"', loaded).group(1))
        await bob.connect()
        await bob.quiet(0.3)
        gate.open.set()
        await alice.ack(op)
        for frame in bob.frames + await bob.quiet(0.5):
            page.apply(frame)
        assert page.region("stage").count("pendant le chargement") == shown
        await alice.close()
        await bob.close()
    asyncio.run(scenario())


def test_every_phone_connection_sends_small_frames_at_once(room):
    """Nagle's algorithm is off on the server's side of every websocket: a frame that follows
    another (a note after an acknowledgement) leaves at once instead of waiting for the phone to
    acknowledge the first, which phones delay by tens of milliseconds. run.py's listening socket
    must say it is TCP for asyncio to turn it off on the connections it accepts."""
    server, workshop_id, _, alice, bob, _ = room

    async def scenario():
        await online(alice, bob)

        def flags():
            return [client.wire.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                    for client in server.app.state.hub.room(workshop_id).clients]
        assert server.call(flags) == [1, 1]
        await alice.close()
        await bob.close()
    asyncio.run(scenario())


def test_a_batch_that_fails_under_the_lock_acknowledges_nothing_and_the_phone_sends_it_again(postgres):
    """Machines sharing PostgreSQL decide a batch under the workshop's lock (server/lockstep.py): a
    commit that fails there loses nothing acknowledged either, and leaves nothing on disk."""
    from test_cluster import Redis

    redis = Redis().start()
    try:
        with LiveServer(postgres.new_database(), broker_url=redis.url) as server:
            workshop_id, board, alice, bob, gate = _seated(server)
            assert type(server.app.state.workshops.writer).__name__ == "LockstepWriter"

            async def scenario():
                await online(alice, bob)
                before = gate.count
                await alice.ack(await alice.act({**NOTE, "board": board, "text": "gardée"}))
                assert gate.count == before + 1
                gate.fail_next = True
                op = await alice.act({**NOTE, "board": board, "text": "perdue puis renvoyée"})
                with pytest.raises(Exception):
                    for _ in range(50):
                        assert f'data-ack="{op}' not in await alice.next_frame(5)
                assert alice.socket.close_code == 1011
                assert not any("perdue" in f for f in bob.frames)
                assert stored_texts(server.db, workshop_id) == ["gardée"]
                ws = server.app.state.workshops.states[workshop_id]
                assert "perdue" not in repr(server.call(lambda: ws))
                await alice.connect()
                for _ in range(2):
                    await alice.act({**NOTE, "board": board, "text": "perdue puis renvoyée"}, op=op)
                    await alice.ack(op)
                assert stored_texts(server.db, workshop_id) == ["gardée", "perdue puis renvoyée"]
                with Store(str(server.db)) as store:
                    on_disk = replay(workshop_id, store.events(workshop_id))
                assert repr(on_disk) == repr(server.call(lambda: ws))
                await alice.close()
                await bob.close()
            asyncio.run(scenario())
    finally:
        redis.stop()


def test_an_action_refused_then_sent_again_is_decided_again_and_a_written_one_is_not(room):
    """Actions are recognised as already applied from memory (read once from the disk), not by a
    query each: a refused one was never applied, so the same op id is decided afresh."""
    server, workshop_id, board, alice, bob, gate = room

    async def scenario():
        await online(alice, bob)
        # Refused by the rules, against the workshop's state (parsing alone would not tell).
        op = await alice.act({**NOTE, "board": "b999", "text": "sur un tableau qui n'existe pas"})
        await alice.refused(op)
        await alice.act({**NOTE, "board": board, "text": "écrite la seconde fois"}, op=op)
        await alice.ack(op)
        since = len(alice.frames)
        await alice.act({**NOTE, "board": board, "text": "pas une troisième"}, op=op)
        while not any(re.search(rf'data-ack="[^"]*\b{op}\b', frame) for frame in alice.frames[since:]):
            await alice.next_frame(5)
        assert stored_texts(server.db, workshop_id) == ["écrite la seconde fois"]
        await alice.close()
        await bob.close()
    asyncio.run(scenario())
