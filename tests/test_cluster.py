"""Several server processes sharing workshops through Redis: same order everywhere, no overspent budget,
no lost action when a process dies, refusals while Redis is away. Real redis-server, real processes."""

import asyncio
import dataclasses
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from players import ITEM, Person, Server, free_port


class Redis:
    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: .ci/run installs Debian's redis-server"
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def pair(tmp_path):
    redis = Redis().start()
    db = tmp_path / "partage.db"
    first = Server(db, extra=("--broker", redis.url)).start()
    second = Server(db, extra=("--broker", redis.url)).start()
    yield first, second, redis
    for process in (first, second):
        process.stop()
    redis.stop()


def run(coro):
    return asyncio.run(coro)


def on(server, person):
    """The same browser (same cookies) talking to another process."""
    other = Person(server)
    other.http.cookies = person.http.cookies
    other.workshop_id = person.workshop_id
    return other


async def settle(person, ops, timeout=10.0):
    acked, refused = set(), set()
    deadline = time.monotonic() + timeout
    while acked | refused != ops:
        frame = await person.next_frame(max(0.05, deadline - time.monotonic()))
        for field, bucket in (("data-ack", acked), ("data-refused", refused)):
            match = re.search(rf'{field}="([^"]*)"', frame)
            if match:
                bucket.update(set(match.group(1).split()) & ops)
    return acked, refused


def test_phones_on_two_processes_see_every_change_in_the_same_order(pair):
    first, second, _ = pair

    async def scenario():
        host = Person(first)
        workshop = host.create_workshop("Plénière", "QPV du Centre")
        alice, bob = Person(first), Person(second)
        assert alice.join(workshop["code"], "Alice").status_code == 303
        assert bob.join(workshop["code"], "Bob").status_code == 303
        await alice.connect()
        await bob.connect()
        await alice.wait_for('id="stage"')
        await bob.wait_for('id="stage"')
        sent = []
        for index in range(6):
            person = (alice, bob)[index % 2]
            text = f"Idée numéro {index}"
            sent.append(text)
            await person.act({**ITEM, "text": text})
        await alice.wait_for("Idée numéro 5", timeout=10)
        await bob.wait_for("Idée numéro 5", timeout=10)
        for person in (alice, bob):
            await person.quiet(0.5)
        assert alice.seq == bob.seq
        pages = [alice.http.get(f"/a/{workshop['id']}").text, bob.http.get(f"/a/{workshop['id']}").text]
        orders = [re.findall(r"<p class=\"dg-text\">(Idée numéro \d)</p>", page) for page in pages]
        assert orders[0] == orders[1] and sorted(orders[0]) == sorted(sent)
        # Both processes count everyone connected, wherever they are: what the page shows is the
        # last count it was sent (which may have come before the ideas).
        for person in (alice, bob):
            if re.findall(r"(\d+) personnes? connectées?", "".join(person.frames))[-1:] != ["2"]:
                await person.wait_for("2 personnes connectées", timeout=10)

    run(scenario())


def test_concurrent_votes_through_both_processes_never_exceed_the_budget(pair):
    first, second, _ = pair
    run(votes_through_both_never_exceed_the_budget(first, second))


async def votes_through_both_never_exceed_the_budget(first, second) -> None:
    """Twenty votes at once through two processes on a budget of four: four are acknowledged, on
    whichever process, and every page shows four dots spent."""
    host = Person(first)
    workshop = host.create_workshop()
    await host.connect(view="facilitator")
    await host.wait_for('id="stage"')
    await host.ack(await host.act({"type": "board.add", "kind": "levers", "title": "Freins et leviers"}))
    board = f"b{host.seq}"
    await host.ack(await host.act({"type": "board.show", "board": board}))
    alice = Person(first)
    alice.join(workshop["code"], "Alice")
    await alice.connect()
    await alice.wait_for('id="stage"')
    for text in ("Pas de lieu commun", "Chacun garde ses chiffres"):
        await alice.ack(await alice.act({"type": "card.add", "board": board, "side": "frein",
                                         "category": "confiance", "text": text}))
    await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "vote"}))
    await host.ack(await host.act({"type": "levers.settings", "board": board, "budget": 4, "per_card": 20}))
    cards = sorted(set(re.findall(r'id="lv-card-(c\d+)"', alice.http.get(f"/a/{workshop['id']}").text)))
    tab = on(second, alice)
    await tab.connect()
    await tab.wait_for('id="stage"')
    messages = [{"type": "vote.add", "board": board, "card": cards[i % 2]} for i in range(10)]
    ops_a, ops_b = [f"a{i}x" for i in range(10)], [f"b{i}x" for i in range(10)]
    await asyncio.gather(*(alice.act(m, op) for m, op in zip(messages, ops_a)),
                         *(tab.act(m, op) for m, op in zip(messages, ops_b)))
    (acked_a, _), (acked_b, _) = await asyncio.gather(settle(alice, set(ops_a)), settle(tab, set(ops_b)))
    assert len(acked_a) + len(acked_b) == 4
    for page in (alice.http.get(f"/a/{workshop['id']}").text, tab.http.get(f"/a/{workshop['id']}").text):
        assert sum(map(int, re.findall(r'class="lv-my" data-n="(\d+)"', page))) == 4


def test_a_killed_process_loses_nothing_and_its_phones_resync_through_the_other(pair):
    first, second, _ = pair

    async def scenario():
        host = Person(first)
        workshop = host.create_workshop()
        alice = Person(first)
        alice.join(workshop["code"], "Alice")
        bob = Person(second)
        bob.join(workshop["code"], "Bob")
        await alice.connect()
        await bob.connect()
        await alice.wait_for('id="stage"')
        await bob.wait_for('id="stage"')
        await alice.ack(await alice.act({**ITEM, "text": "Dit juste avant la panne"}))
        first.kill()
        await bob.ack(await bob.act({**ITEM, "text": "Dit pendant la panne"}))
        moved = on(second, alice)
        moved.seq = alice.seq
        await moved.connect()
        frame = await moved.wait_for("Dit pendant la panne")
        assert "Dit juste avant la panne" in frame
        assert moved.seq == bob.seq

    run(scenario())


def test_without_redis_actions_are_refused_then_accepted_when_it_returns(pair):
    first, second, redis = pair

    async def scenario():
        host = Person(first)
        workshop = host.create_workshop()
        alice, bob = Person(first), Person(second)
        alice.join(workshop["code"], "Alice")
        bob.join(workshop["code"], "Bob")
        await alice.connect()
        await bob.connect()
        await alice.wait_for('id="stage"')
        await bob.wait_for('id="stage"')
        redis.stop()
        await alice.wait_for("relais entre serveurs est indisponible", timeout=10)
        op = await alice.act({**ITEM, "text": "Pendant la coupure"})
        assert "Réessayez dans un instant" in await alice.refused(op)
        redis.process = None
        redis.start()
        deadline = time.monotonic() + 20
        while True:
            op = await alice.act({**ITEM, "text": "Après la coupure"})
            frame = await alice._find(rf'data-(ack|refused)="[^"]*\b{op}\b', 5)
            if f'data-ack="{op}' in frame or re.search(rf'data-ack="[^"]*\b{op}\b', frame):
                break
            assert time.monotonic() < deadline, "Redis came back but actions are still refused"
            await asyncio.sleep(0.5)
        await bob.wait_for("Après la coupure", timeout=10)
        assert "Pendant la coupure" not in httpx.get(f"{second.url}/a/{workshop['id']}",
                                                     cookies=bob.http.cookies).text

    run(scenario())


def test_the_documented_multi_worker_command_serves_a_workshop(tmp_path):
    redis = Redis().start()
    server = Server(tmp_path / "workers.db", extra=("--workers", "2", "--broker", redis.url)).start()
    try:
        async def scenario():
            host = Person(server)
            workshop = host.create_workshop()
            phones = [Person(server) for _ in range(4)]
            for index, phone in enumerate(phones):
                assert phone.join(workshop["code"], f"P{index}").status_code == 303
                await phone.connect()
                await phone.wait_for('id="stage"')
            await phones[0].ack(await phones[0].act({**ITEM, "text": "Pour tous"}))
            for phone in phones[1:]:
                await phone.wait_for("Pour tous", timeout=10)

        run(scenario())
    finally:
        server.stop()
        redis.stop()


def test_a_crowd_connecting_at_once_does_not_make_the_relay_look_lost(pair):
    """Each arrival shares who is connected through Redis. Two hundred phones connecting to one
    process at once make more writes at once than its Redis client keeps connections: they must
    wait for one, not be taken for a lost relay (which refused every action from then on)."""
    first, second, _ = pair
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import loadgen as lg

    async def scenario():
        room = await lg.open_workshop(first.port)
        crowd = dataclasses.replace(room, port=second.port, cookies=[])
        phones = await lg.open_many(lg.participant_specs(crowd, await lg.join_many(crowd, 200)))
        try:
            await lg.settle(phones, quiet=0.5)
            await phones[0].act(room.note(1), "after-the-crowd", timeout=10)
        finally:
            await lg.close_all(phones)

    run(scenario())


def test_a_failed_write_to_redis_is_not_a_relay_lost_for_good(pair):
    """A write to Redis may fail while the subscription stands (here: Redis takes no new
    connection for a moment). Actions are refused meanwhile; once Redis answers again they are
    accepted, without waiting for the subscription to break."""
    import redis as redis_client

    first, second, relay = pair

    async def scenario():
        host = Person(first)
        workshop = host.create_workshop()
        alice, bob = Person(first), Person(second)
        alice.join(workshop["code"], "Alice")
        bob.join(workshop["code"], "Bob")
        for person in (alice, bob):
            await person.connect()
            await person.wait_for('id="stage"')
        admin = redis_client.Redis(port=relay.port)
        admin.config_set("maxclients", 1)
        admin.client_kill_filter(_type="normal", skipme=True)     # the writers' connections, not the subscriptions
        # Committed and acknowledged; telling the other process about it is what fails.
        await alice.ack(await alice.act({**ITEM, "text": "Avant la panne"}))
        await alice.wait_for("relais entre serveurs est indisponible", timeout=15)
        admin.config_set("maxclients", 10000)
        deadline = time.monotonic() + 15
        while True:
            op = await alice.act({**ITEM, "text": "Après la panne"})
            frame = await alice._find(rf'data-(ack|refused)="[^"]*\b{op}\b', 5)
            if re.search(rf'data-ack="[^"]*\b{op}\b', frame):
                break
            assert time.monotonic() < deadline, "Redis answers again but actions are still refused"
            await asyncio.sleep(0.5)
        await bob.wait_for("Après la panne", timeout=10)

    run(scenario())
