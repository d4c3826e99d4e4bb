"""Two machines behind one address: two server processes on different ports sharing one PostgreSQL
database (and one Redis relay). Every page works from either; phones on both see one board live.
Real PostgreSQL cluster (tests/pg_cluster.py), real redis-server, real `python run.py` processes."""

from __future__ import annotations

import asyncio
import re
import time

import psycopg
import pytest

from players import ITEM, Person, Server
from test_cluster import Redis, on, votes_through_both_never_exceed_the_budget

TOKEN = "jeton-national-assez-long"


def test_two_machines_on_one_postgres_database_serve_the_same_workshops(postgres):
    url = postgres.new_database()
    redis = Redis().start()
    machines = [Server(url, extra=("--broker", redis.url, "--coordinator-token", TOKEN)) for _ in range(2)]
    try:
        first, second = (machine.start() for machine in machines)
        asyncio.run(scenario(first, second))
    finally:
        for machine in machines:
            machine.stop()
        redis.stop()


async def scenario(first: Server, second: Server) -> None:
    host = Person(first)
    workshop = host.create_workshop("Plénière nationale", "QPV des Tilleuls")
    # The join code typed on the other machine finds the workshop.
    alice, bob = Person(first), Person(second)
    assert alice.join(workshop["code"], "Alice").status_code == 303
    assert bob.join(workshop["code"], "Bob").status_code == 303
    for person in (alice, bob):
        await person.connect()
        await person.wait_for('id="stage"')
    for index in range(4):
        person = (alice, bob)[index % 2]
        await person.ack(await person.act({**ITEM, "text": f"Idée {index}"}))
    for person in (alice, bob):
        await person.wait_for("Idée 3", timeout=10)
    await bob.quiet(0.3)
    assert alice.seq == bob.seq
    # The facilitator's cookie is good on both machines (the session secret is in the database).
    moved_host = on(second, host)
    assert moved_host.http.get(f"/a/{workshop['id']}/animation").status_code == 200
    # A wave taken on one machine is reviewed on the other.
    taken = host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": "Vague 1"})
    assert taken.status_code == 303
    snapshot_id = re.search(r"instantane=(s[0-9a-f]+)", taken.headers["location"]).group(1)
    coordinator = Person(second)
    assert coordinator.http.post("/coordination/connexion", data={"token": TOKEN}).status_code == 303
    assert "Vague 1" in coordinator.http.get("/coordination").text
    deadline = time.monotonic() + 60
    while "Idée 3" not in (page := coordinator.http.get(f"/coordination/instantanes/{snapshot_id}")).text:
        assert page.status_code == 200 and time.monotonic() < deadline, "the wave never showed on the other machine"
        await asyncio.sleep(0.2)
    # A workshop created on the second machine is joined through the first.
    other = Person(second).create_workshop("Atelier du Sud", "QPV Sud")
    carol = Person(first)
    assert carol.join(other["code"], "Carol").status_code == 303
    assert "Atelier du Sud" in carol.http.get(f"/a/{other['id']}").text


@pytest.fixture
def machines(postgres):
    url = postgres.new_database()
    redis = Redis().start()
    pair = [Server(url, extra=("--broker", redis.url)) for _ in range(2)]
    try:
        yield url, [machine.start() for machine in pair]
    finally:
        for machine in pair:
            machine.stop()
        redis.stop()


async def facilitated_with_alice(machine: Server):
    """A workshop created on `machine`, and Alice's phone connected to it there."""
    host = Person(machine)
    workshop = host.create_workshop("Atelier partagé", "QPV des Tilleuls")
    alice = Person(machine)
    assert alice.join(workshop["code"], "Alice").status_code == 303
    await alice.connect()
    await alice.wait_for('id="stage"')
    return host, workshop, alice


def hold_the_lock(holder: psycopg.Connection, workshop_id: str) -> None:
    """What another machine's decision holds: the workshop's lock, until the holder's transaction ends."""
    holder.execute("SELECT pg_advisory_xact_lock(1, hashtext(%s))", [workshop_id])


def test_votes_through_two_machines_on_postgres_never_exceed_the_budget(machines):
    """Each machine decides a batch of votes under the workshop's lock, against what the other
    committed just before (server/lockstep.py)."""
    _, (first, second) = machines
    asyncio.run(votes_through_both_never_exceed_the_budget(first, second))


def test_a_machine_waiting_for_a_workshop_s_lock_still_serves_its_pages(machines):
    """While another machine holds a workshop, an action on it waits for its turn, unanswered, and
    the machine meanwhile serves every other page; the action is decided and acknowledged once the
    lock is free, against what was committed under it."""
    url, (first, second) = machines

    async def scenario():
        host, workshop, alice = await facilitated_with_alice(first)
        with psycopg.connect(url) as holder:
            hold_the_lock(holder, workshop["id"])
            op = await alice.act({**ITEM, "text": "Pendant le verrou"})
            with pytest.raises(asyncio.TimeoutError):
                await alice.ack(op, timeout=0.5)
            started = time.monotonic()
            assert host.http.get("/", timeout=5).status_code == 200
            assert host.http.get(f"/j/{workshop['code']}", timeout=5).status_code == 200
            served_in = time.monotonic() - started
            holder.rollback()
        await alice.ack(op, timeout=10)
        await alice.wait_for("Pendant le verrou")
        # Written once, and shown on the other machine too.
        bob = on(second, alice)
        await bob.connect()
        await bob.wait_for("Pendant le verrou", timeout=10)
        assert served_in < 5

    asyncio.run(scenario())


def test_a_form_written_while_phones_act_waits_for_their_batches_not_for_ever(machines):
    """A form's change is written on the event loop, after the batches under way: it waits for them
    to take the lock, be decided and written (the lock then held by this machine's own writer),
    then takes its turn; nothing is lost or written twice."""
    url, (first, _) = machines

    async def scenario():
        host, workshop, alice = await facilitated_with_alice(first)
        with psycopg.connect(url) as holder:
            hold_the_lock(holder, workshop["id"])     # this machine's batch of ideas waits for it
            ops = [await alice.act({**ITEM, "text": f"Idée {index}"}) for index in range(40)]
            await asyncio.sleep(0.3)
            # The template's boards are committed on the loop, after the ideas.
            posting = asyncio.create_task(asyncio.to_thread(
                host.http.post, f"/a/{workshop['id']}/modele", data={"template": "diagnostic"}, timeout=10))
            await asyncio.sleep(0.3)
            assert not posting.done()
            holder.rollback()
        assert (await posting).status_code == 303
        for op in ops:
            await alice.ack(op, timeout=10)
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT type, data FROM events WHERE workshop_id = %s ORDER BY seq",
                                [workshop["id"]]).fetchall()
        assert [sum(f'"Idée {index}"' in data for _, data in rows) for index in range(40)] == [1] * 40
        # The workshop's first board, then, after every idea, the template's two new ones.
        boards = [at for at, (kind, _) in enumerate(rows) if kind == "board.added"]
        ideas = [at for at, (_, data) in enumerate(rows) if '"Idée ' in data]
        assert len(boards) == 3 and boards[1] > ideas[-1]

    asyncio.run(scenario())


def test_a_workshop_deleted_on_postgres_is_gone_from_the_database(postgres):
    """Deleting and retention go through the same store interface: every table with a
    workshop_id is emptied and vacuumed (VACUUM outside any transaction, as PostgreSQL demands)."""
    from live_server import LiveServer
    from server.store import Store

    url = postgres.new_database()
    canary = "CANARI-PG"
    with LiveServer(url) as server:
        host = Person(server)
        workshop = host.create_workshop(f"Atelier {canary}", "QPV des Tilleuls")
        kept = Person(server).create_workshop("Atelier gardé", "QPV des Tilleuls")
        assert host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": f"T0 {canary}"}).status_code == 303
        done = host.http.post(f"/a/{workshop['id']}/supprimer", data={"code": workshop["code"]})
        assert done.status_code == 200 and "supprim" in done.text
        assert host.http.get(f"/a/{workshop['id']}/animation").status_code == 404
        assert server.records.errors() == []
    with Store(url) as store:
        for table in store.tables_with("workshop_id"):
            assert store.execute(f"SELECT COUNT(*) FROM {table} WHERE workshop_id = ?",
                                 [workshop["id"]]).fetchone()[0] == 0, table
        assert [row["id"] for row in store.workshops()] == [kept["id"]]
        assert store.execute("SELECT COUNT(*) FROM events WHERE data LIKE ?", [f"%{canary}%"]).fetchone()[0] == 0
