"""The room's shared feeds and its one flusher (server/feed.py, server/hub.py).

A change is rendered once per (view, language) and queued once per feed, whatever the number of
clients; each client reads its feed from its own position, its own parts (a private part, a
resync, an acknowledgement) interleaved in publish order. One flusher per room writes the
frames, without a task per client; a client whose socket stops taking frames is closed with
1013 once it is more than its limit behind, and the others go on.

The sockets here are in-process stand-ins that record what they are given: what is checked is
the order and grouping of frames, which a real network would not let us arrange. The real
server's slow readers are in tests/test_slow_readers.py.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from server import feed as feed_module
from server.hub import TICK, Hub

SYNC = re.compile(r'<div id="sync"[^>]*></div>$')


class Socket:
    """Takes every frame at once, as a socket with room in its buffers does."""

    def __init__(self):
        self.frames: list[str] = []
        self.closed: int | None = None

    async def send_text(self, text: str) -> None:
        self.frames.append(text)

    async def close(self, code: int = 1000) -> None:
        self.closed = code


class StuckSocket(Socket):
    """A reader that stopped reading: its first frame never finishes being written."""

    async def send_text(self, text: str) -> None:
        await asyncio.get_running_loop().create_future()


def room_of(clients: list[tuple[str, str | None, str]], limit: int = 512):
    hub = Hub(limit)
    room = hub.room("w1")
    made = []
    for view, person, locale in clients:
        client = hub.client(Socket(), view, person, locale)
        room.add(client)
        made.append(client)
    return room, made


def body(frame: str) -> str:
    return SYNC.sub("", frame)


def test_a_change_is_rendered_and_queued_once_per_view_and_language():
    keys = [("participant", "fr"), ("participant", "en"), ("screen", "fr"), ("facilitator", "fr")]
    room, clients = room_of([(view, f"p{i}", locale) for i in range(150) for view, locale in keys])
    renders = []

    def render(view, locale):
        renders.append((view, locale))
        return f"<p>{view}-{locale}-{len(renders)}</p>"
    for n in range(3):
        room.publish(render, seq=10 + n)
    assert len(renders) == 3 * len(keys)
    assert sorted(len(feed.items) for feed in room.feeds.values()) == [3, 3, 3, 3]
    for client in clients:
        frame = client.take()
        assert frame.count(f"<p>{client.view}-{client.locale}-") == 3
        assert 'data-seq="12"' in frame


def test_own_parts_and_acknowledgements_keep_publish_order_against_the_feed():
    room, (alice, bob) = room_of([("participant", "alice", "fr"), ("participant", "bob", "fr")])
    room.publish(lambda view, locale: "<p>A</p>", seq=1)
    assert body(bob.take()) == "<p>A</p>"
    alice.push("<p>mine</p>")
    room.publish(lambda view, locale: "<p>B</p>", seq=2,
                 personal=lambda client: "<p>alice's dots</p>", readers={"alice"})
    alice.push(ack="op-1")
    frame = alice.take()
    assert body(frame) == "<p>A</p><p>mine</p><p>B</p><p>alice's dots</p>"
    assert 'data-seq="2"' in frame and 'data-ack="op-1"' in frame
    # Bob read A already: he gets B only, and nobody else's private part.
    assert body(bob.take()) == "<p>B</p>"
    assert not alice.due() and not bob.due()


def test_a_later_swap_of_an_element_supersedes_the_earlier_one_for_readers_behind():
    room, (early, late) = room_of([("participant", "a", "fr"), ("participant", "b", "fr")])

    def tally(n):
        return lambda view, locale: f'<span id="tally-c1" hx-swap-oob="true">{n}</span>'
    room.publish(tally(1), seq=1)
    assert ">1<" in early.take()
    room.publish(tally(2), seq=2)
    room.publish(lambda view, locale: "<p>note</p>", seq=3)
    room.publish(tally(3), seq=4)
    for client in (early, late):
        frame = body(client.take())
        assert frame == '<p>note</p><span id="tally-c1" hx-swap-oob="true">3</span>'


def test_a_client_arriving_later_reads_from_where_the_feed_is():
    room, (first,) = room_of([("participant", "a", "fr")])
    room.publish(lambda view, locale: "<p>before</p>", seq=5)
    hub_client = Hub().client(Socket(), "participant", "b", "fr")
    room.add(hub_client)
    # Its page was rendered at some earlier number: the room's 5 is not its to claim yet.
    assert not hub_client.due()
    room.publish(lambda view, locale: "<p>after</p>", seq=6)
    frame = hub_client.take()
    assert body(frame) == "<p>after</p>" and 'data-seq="6"' in frame
    assert body(first.take()) == "<p>before</p><p>after</p>"


def test_one_flusher_writes_every_client_without_a_task_each_and_closes_the_one_stuck():
    async def scenario():
        room, clients = room_of([("participant", f"p{i}", "fr") for i in range(60)], limit=8)
        stuck = Hub(8).client(StuckSocket(), "participant", "stuck", "fr")
        room.add(stuck)
        stopped = []
        stuck.on_stop = lambda: stopped.append(True)
        before = len(asyncio.all_tasks())
        most = 0
        for n in range(40):
            room.publish(lambda view, locale, n=n: f"<p>n{n}</p>", seq=n + 1)
            await asyncio.sleep(0.005)
            most = max(most, len(asyncio.all_tasks()) - before)
        await asyncio.sleep(0.3)
        # The stuck write has a task of its own while it waits; nobody else needs one.
        assert most <= 2, most
        for client in clients:
            shown = "".join(client.socket.frames)
            assert [int(n) for n in re.findall(r"<p>n(\d+)</p>", shown)] == list(range(40))
            # Changes that came within a tick share a frame.
            assert len(client.socket.frames) < 40
            assert 'data-seq="40"' in client.socket.frames[-1]
        assert stuck.socket.closed == 1013 and stopped == [True]
        assert stuck not in room.clients
        # What every reader passed is forgotten.
        assert room.feeds[("participant", "fr")].items == []
    asyncio.run(scenario())


def test_a_batch_larger_than_the_limit_released_at_once_reaches_every_reader_that_can_take_it():
    """A slow commit releases every change decided meanwhile in one go (the writer's batches grow
    with the disk's delay): readers whose sockets are free get it all in one frame; only a socket
    still holding an earlier frame counts as falling behind."""
    async def scenario():
        room, clients = room_of([("participant", f"p{i}", "fr") for i in range(20)] + [("screen", "s", "fr")],
                                limit=32)
        stuck = Hub(32).client(StuckSocket(), "participant", "stuck", "fr")
        room.add(stuck)
        room.publish(lambda view, locale: "<p>n0</p>", seq=1)
        await asyncio.sleep(0.05)
        for n in range(1, 101):
            room.publish(lambda view, locale, n=n: f"<p>n{n}</p>", seq=n + 1)
        await asyncio.sleep(0.1)
        for client in clients:
            assert client.socket.closed is None
            shown = "".join(client.socket.frames)
            assert [int(n) for n in re.findall(r"<p>n(\d+)</p>", shown)] == list(range(101))
            assert 'data-seq="101"' in client.socket.frames[-1]
        assert stuck.socket.closed == 1013 and stuck not in room.clients
    asyncio.run(scenario())


def test_a_close_asked_for_goes_after_the_last_frame():
    async def scenario():
        room, (alice, bob) = room_of([("participant", "alice", "fr"), ("participant", "bob", "fr")])
        alice.push("<p>Vous avez été retiré</p>")
        alice.finish(4403)
        await asyncio.sleep(0.05)
        room.publish(lambda view, locale: "<p>later</p>", seq=3)
        await asyncio.sleep(0.05)
        assert "retiré" in alice.socket.frames[-1] and alice.socket.closed == 4403
        assert "later" not in "".join(alice.socket.frames) and alice not in room.clients
        assert "later" in "".join(bob.socket.frames) and bob.socket.closed is None
    asyncio.run(scenario())


def test_clients_at_the_same_place_share_one_frame_and_nobody_gets_another_ones_parts():
    room, (alice, bob, carol, late) = room_of([("participant", p, "fr") for p in ("alice", "bob", "carol", "late")])
    room.seq = 1
    late.pos = 0
    room.publish(lambda view, locale: "<p>A</p>", seq=2)
    assert body(late.take()) == "<p>A</p>"
    room.publish(lambda view, locale: "<p>B</p>", seq=3)
    alice.push(ack="op-9")
    frames = {client.participant: client.take_frame() for client in (alice, bob, carol, late)}
    # Bob and Carol read A and B from the same place: one frame, encoded and framed once.
    assert frames["bob"] is frames["carol"]
    assert body(frames["bob"].text) == "<p>A</p><p>B</p>" and 'data-seq="3"' in frames["bob"].text
    # Alice's acknowledgement is hers alone; the late reader had A already.
    assert 'data-ack="op-9"' in frames["alice"].text and "op-9" not in frames["bob"].text
    assert body(frames["late"].text) == "<p>B</p>"
    # What the shared frame skipped doing is done: nothing is due, and the next change comes alone.
    assert not any(client.due() for client in (alice, bob, carol, late))
    room.publish(lambda view, locale: "<p>C</p>", seq=4)
    assert body(bob.take_frame().text) == body(carol.take_frame().text) == "<p>C</p>"
    wire = frames["bob"].wire
    # A server's unmasked final text frame: the payload's length, then the payload as it is.
    assert wire == bytes([0x81, len(frames["bob"].data)]) + frames["bob"].text.encode()


def test_the_projector_and_the_console_get_a_change_before_the_phones():
    """Each tick writes the smallest feeds first: the projector the room watches and the console
    the facilitator steers by do not wait behind the writes to every phone, even when the phones
    came first."""
    written = []

    class Logged(Socket):
        def __init__(self, who):
            super().__init__()
            self.who = who

        async def send_text(self, text: str) -> None:
            written.append(self.who)

    async def scenario():
        hub = Hub()
        room = hub.room("w1")
        for view, count in (("participant", 50), ("screen", 1), ("facilitator", 1)):
            for i in range(count):
                room.add(hub.client(Logged(view), view, f"{view}{i}" if view != "screen" else None, "fr"))
        for n in range(3):
            room.publish(lambda view, locale, n=n: f"<p>{view}-{n}</p>", seq=n + 1)
            await asyncio.sleep(0.05)
        assert len(written) >= 3 * 52
        for start in range(0, len(written), 52):
            assert sorted(written[start:start + 2]) == ["facilitator", "screen"], written[start:start + 3]
            assert set(written[start + 2:start + 52]) == {"participant"}
    asyncio.run(scenario())


def test_one_late_flush_does_not_lengthen_the_next_tick_but_a_loop_that_stays_behind_does():
    """The tick grows with how late flushes start only when they are late one after another (a
    loop that cannot keep up); a single pause (a collection, a big render) must not make the
    room's next frames wait as long as the pause itself."""

    async def scenario():
        room, clients = room_of([("participant", f"p{i}", "fr") for i in range(5)])
        loop = asyncio.get_running_loop()

        def late_flush(late: float) -> float:
            room.publish(lambda view, locale: "<p>n</p>", seq=1)
            if room._flush_due is not None:
                room._flush_due.cancel()
            room._flush_at = loop.time() - late
            room.flush()
            return room.tick()
        assert late_flush(0.0) < 0.05
        assert late_flush(0.3) < 0.05          # one pause
        assert late_flush(0.0) < 0.05
        late_flush(0.3)
        assert late_flush(0.3) >= 0.3 - TICK   # behind twice in a row
        assert late_flush(0.0) < 0.05          # caught up
    asyncio.run(scenario())


class Wire:
    """A connection that writes a frame without a coroutine (server/wsprotocol.py's), or says it
    cannot when its buffer is `full`, for the client's coroutine send to wait instead."""

    def __init__(self, socket: Socket):
        self.socket, self.full = socket, False

    def write_now(self, frame) -> bool:
        if self.full:
            return False
        self.socket.frames.append(frame.text)
        return True


def test_a_backlog_longer_than_a_frame_goes_in_bounded_frames_the_sync_with_the_last(monkeypatch):
    """A phone that read nothing for a while gets its backlog in frames of at most FRAME_CHARS of
    parts (a websocket client's default limit is 1 MiB), in publish order; its sequence number and
    acknowledgements come with the last frame only, when the page holds every change they speak of."""
    monkeypatch.setattr(feed_module, "FRAME_CHARS", 100)
    room, (alice, bob) = room_of([("participant", "alice", "fr"), ("participant", "bob", "fr")])
    for n in range(6):
        room.publish(lambda view, locale, n=n: f"<p>{n}{'.' * 30}</p>", seq=n + 1)
        if n == 2:
            alice.push("<i>mine</i>")
    alice.push(ack="op-1")
    frames = [alice.take()]
    while alice.has_parts():
        frames.append(alice.take())
    assert len(frames) == 3
    assert all(len(body(frame)) <= 100 for frame in frames)
    assert "".join(body(frame) for frame in frames) == "".join(
        f"<p>{n}{'.' * 30}</p>" + ("<i>mine</i>" if n == 2 else "") for n in range(6))
    assert [SYNC.search(frame) is not None for frame in frames] == [False, False, True]
    assert 'data-seq="6"' in frames[-1] and 'data-ack="op-1"' in frames[-1]
    assert not alice.due()
    # A part longer than a frame goes alone, and when it is all that waits, with its sync.
    room.publish(lambda view, locale: "<p>" + "x" * 300 + "</p>", seq=7)
    alone = alice.take()
    assert body(alone) == "<p>" + "x" * 300 + "</p>" and 'data-seq="7"' in alone
    assert not alice.has_parts() and not alice.due()


class GatedSocket(Socket):
    """A socket whose buffer is full until the test opens the gate."""

    def __init__(self):
        super().__init__()
        self.gate = asyncio.Event()

    async def send_text(self, text: str) -> None:
        await self.gate.wait()
        self.frames.append(text)


def test_the_flusher_writes_a_long_backlog_in_several_frames_while_the_socket_takes_them(monkeypatch):
    """Readers free to take frames get the whole backlog in one flush, however many frames it
    takes; one whose socket is full gets the rest once it has room, and nobody waits for it."""
    monkeypatch.setattr(feed_module, "FRAME_CHARS", 200)

    async def scenario():
        room, clients = room_of([("participant", f"p{i}", "fr") for i in range(4)])
        for client in clients:
            client.wire = Wire(client.socket)
        held = Hub(512).client(GatedSocket(), "participant", "held", "fr")
        room.add(held)
        for n in range(40):
            room.publish(lambda view, locale, n=n: f"<p>n{n}{'.' * 20}</p>", seq=n + 1)
        await asyncio.sleep(0.05)
        for client in clients + [held]:
            frames = client.socket.frames
            if client is held:
                # Its first frame waits in its socket; the rest waits in the room.
                assert frames == [] and held.sending is not None and held.has_parts()
                held.socket.gate.set()
                await asyncio.sleep(0.05)
            assert len(frames) > 1 and all(len(body(frame)) <= 200 for frame in frames)
            assert [int(n) for n in re.findall(r"<p>n(\d+)", "".join(frames))] == list(range(40))
            assert [SYNC.search(frame) is not None for frame in frames] == [False] * (len(frames) - 1) + [True]
            assert 'data-seq="40"' in frames[-1]
        # Once every reader passed them, the parts are forgotten at the next change.
        room.publish(lambda view, locale: "<p>n40</p>", seq=41)
        await asyncio.sleep(0.05)
        assert room.feeds[("participant", "fr")].items == []
        assert all('data-seq="41"' in client.socket.frames[-1] for client in clients + [held])
    asyncio.run(scenario())


@pytest.mark.parametrize("frame_chars", [256 * 1024, 40])
def test_readers_written_without_questions_get_what_each_would_get_alone(monkeypatch, frame_chars):
    """The flusher writes the readers of a feed who have nothing of their own and stand where the
    others do without asking each what it is due. Against rooms whose clients are asked (no
    direct write), the same random play must give every client the same frames; with frames
    of 40 characters, every backlog of more than a part or two goes in several."""
    import random

    monkeypatch.setattr(feed_module, "FRAME_CHARS", frame_chars)

    async def play(direct: bool, seed: int) -> list[list[str]]:
        rng = random.Random(seed)
        hub = Hub(8)
        room = hub.room("w1")
        clients = []

        def arrive():
            socket = Socket()
            view = rng.choice(["participant", "participant", "screen"])
            client = hub.client(socket, view, f"p{len(clients)}", "fr", wire=Wire(socket) if direct else None)
            room.add(client)
            clients.append(client)
        def hold():
            for handle in (room._flush_due, room._soon):
                if handle is not None:
                    handle.cancel()
            room._flush_due = room._soon = None
        for _ in range(6):
            arrive()
        seq = 0
        for step in range(120):
            roll = rng.random()
            if roll < 0.45:
                seq += 1
                room.publish(lambda view, locale, n=step: f"<p>{view}-{n}</p>",
                             seq=seq if rng.random() < 0.9 else None)
            elif roll < 0.55:
                seq += 1
                # A change that swaps one element whole: a later one supersedes it in the feed.
                room.publish(lambda view, locale, n=step: f'<b id="tally" hx-swap-oob="true">{n}</b>', seq=seq)
            elif roll < 0.7:
                rng.choice(clients).push(f"<i>own-{step}</i>" if rng.random() < 0.5 else "", ack=f"op{step}")
            elif roll < 0.75:
                arrive()
            elif roll < 0.8:
                # The same client is stuck or not in both plays: its frames wait, then go.
                wire = clients[rng.randrange(len(clients))].wire
                if wire is not None:
                    wire.full = not wire.full
            elif roll < 0.83:
                rng.choice(clients).finish(1000)
            # Ticks by hand, at the same steps in both plays: the loop's clock would group parts
            # into frames differently from one run to the next.
            hold()
            if rng.random() < 0.4:
                room.flush()
                hold()
            await asyncio.sleep(0)
        for _ in range(3):
            room.flush()
            hold()
            await asyncio.sleep(0)
        return [client.socket.frames + [f"closed {client.socket.closed}", f"overflow {client.overflow}"]
                for client in clients]

    for seed in range(8):
        assert asyncio.run(play(True, seed)) == asyncio.run(play(False, seed)), seed
