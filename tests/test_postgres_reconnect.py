"""A machine on PostgreSQL outlives the loss of its database connection (PostgreSQL restarted, a
failover, a network cut): the next action is decided again on a new connection and acknowledged,
nothing is applied twice, and nobody restarts the server. Real cluster (tests/pg_cluster.py), real
`python run.py` process; the cut is PostgreSQL ending the server's connection from its side."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from players import ITEM, Person, Server
from test_cluster import Redis

NAME = "maillage-coupure"


def cut(url: str) -> int:
    """Ends every connection the server holds to the database; returns how many there were."""
    with psycopg.connect(url, autocommit=True) as conn:
        return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                                [NAME]).fetchall())


@pytest.mark.parametrize("relayed", [False, True], ids=["alone", "with-a-relay"])
def test_a_lost_database_connection_costs_no_action_and_no_restart(postgres, relayed):
    """Alone, the machine writes by group commit (server/writer.py); with a relay, by batches
    decided under the workshop's lock (server/lockstep.py): both take a new connection."""
    url = postgres.new_database()
    redis = Redis().start() if relayed else None
    server = Server(f"{url}&application_name={NAME}", extra=("--broker", redis.url) if relayed else ()).start()
    try:
        asyncio.run(scenario(server, url))
    finally:
        server.stop()
        if redis is not None:
            redis.stop()


async def scenario(server: Server, url: str) -> None:
    host = Person(server)
    workshop = host.create_workshop("Atelier coupé", "QPV des Tilleuls")
    alice = Person(server)
    assert alice.join(workshop["code"], "Alice").status_code == 303
    await alice.connect()
    await alice.wait_for('id="stage"')
    await alice.ack(await alice.act({**ITEM, "text": "Avant la coupure"}))

    # An action after the cut: taken on a new connection, acknowledged, shown.
    assert cut(url) >= 1
    await alice.ack(await alice.act({**ITEM, "text": "Après la coupure"}), timeout=15)
    await alice.wait_for("Après la coupure")
    # A page and a join after another cut: HTTP goes on too.
    assert cut(url) >= 1
    bob = Person(server)
    assert bob.join(workshop["code"], "Bob").status_code == 303
    assert "Après la coupure" in host.http.get(f"/a/{workshop['id']}/animation").text

    # Each action is stored once, in order, and the server never restarted.
    with psycopg.connect(url) as conn:
        texts = [row[0] for row in conn.execute(
            "SELECT data FROM events WHERE workshop_id = %s ORDER BY seq", [workshop["id"]]).fetchall()]
    assert sum("Après la coupure" in text for text in texts) == 1
    assert sum('"Bob"' in text for text in texts) == 1
    assert server.process.poll() is None
