"""Two machines behind one address: two server processes on different ports sharing one PostgreSQL
database (and one Redis relay). Every page works from either; phones on both see one board live.
Real PostgreSQL cluster (tests/pg_cluster.py), real redis-server, real `python run.py` processes."""

from __future__ import annotations

import asyncio
import re
import time

from players import ITEM, Person, Server
from test_cluster import Redis, on

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
