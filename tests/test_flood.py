"""Flooding and slow readers, against a real server process.

A phone sending as fast as it can (from another process, so its CPU is not the test's) is
throttled: the server acknowledges no more than its rate allows and reads no more of it than
twice that, the rest waits in the flooder's own TCP buffers; repeated hellos get one full frame
per connection. Meanwhile the other phones get every acknowledgement and every change.
A phone that stops reading is dropped once it falls behind, and the others carry on.

No timing threshold here (the machine is shared): the latencies of the other phones, quiet and
under flood, are printed for the record; what is asserted are counts the server cannot fake.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import websockets

from live_server import stderr_text
from server.wsprotocol import SLICE
from players import Person, Server

HERE = Path(__file__).resolve().parent
RATE, BURST = 20, 80          # server.settings: actions_per_second and its 4 s burst
STALL_TIMEOUT = 30.0          # server.settings: send_timeout, after which a stalled socket is cut
FRAME_BURST = 160             # server.settings: frame_burst
ONLINE = re.compile(r"(\d+) personnes? connectées?")


def run(coro):
    return asyncio.run(coro)


async def timed_notes(person: Person, count: int, tag: str, board: str) -> list[float]:
    """Acknowledgement times of `count` notes sent one after the other, at a phone's pace."""
    times = []
    for number in range(count):
        start = time.monotonic()
        op = await person.act({"type": "note.add", "board": board, "text": f"{tag} {number}"})
        await person.ack(op, timeout=30)
        times.append(time.monotonic() - start)
        await asyncio.sleep(0.1)
    return times


async def room_of(server: Server, count: int):
    host = Person(server)
    workshop = host.create_workshop("Atelier bousculé", "QPV")
    workshop["board"] = await host.ideas_board()
    people = []
    for number in range(count):
        person = Person(server)
        assert person.join(workshop["code"], f"Personne {number}").status_code == 303
        await person.connect()
        await person.wait_for('id="sync"')
        people.append(person)
    return host, workshop, people


def flood_with(server: Server, workshop: dict, kind: str, seconds: float) -> subprocess.Popen:
    flooder = Person(server)
    flooder.join(workshop["code"], f"Flot {kind}")
    url = f"ws://127.0.0.1:{server.port}/a/{workshop['id']}/ws?view=participant"
    return subprocess.Popen([sys.executable, str(HERE / "flooder.py"), url, server.url,
                             flooder.cookie_header(), str(seconds), kind, workshop["board"]], stdout=subprocess.PIPE)


def test_floods_of_pings_binary_frames_and_frames_after_a_close_leave_the_others_their_pace(tmp_path):
    """Each flood comes from a raw socket that writes frames as fast as the kernel takes them, goes
    on writing after it is closed, and reconnects at once (a script, not a page)."""
    server = Server(tmp_path / "atelier.db", extra=("--flood-cooldown", "30")).start()
    try:
        async def scenario():
            host, workshop, people = await room_of(server, 3)
            results = {}
            for kind in ("ping", "binary", "text"):
                process = flood_with(server, workshop, kind, 12)
                quiet, during = [], []
                # Rounds with the flooder stopped and running alternately, so that both paces are
                # measured under the same load of a shared machine.
                for round_ in range(24):
                    running = round_ % 2 == 1
                    process.send_signal(signal.SIGCONT if running else signal.SIGSTOP)
                    await asyncio.sleep(0.1)
                    times = await asyncio.gather(*(timed_notes(p, 1, f"{kind}{round_}-{k}", workshop["board"])
                                                   for k, p in enumerate(people)))
                    (during if running else quiet).extend(t for batch in times for t in batch)
                process.send_signal(signal.SIGCONT)
                process.terminate()
                out, _ = await asyncio.to_thread(process.communicate)
                results[kind] = json.loads(out), quiet, during
            return host, workshop, results

        host, workshop, results = run(scenario())
        page = host.http.get(f"/a/{workshop['id']}/animation").text
        flooded = len(re.findall(r'<p class="text">flot \d+</p>', page))
        for kind, (flood, quiet, during) in results.items():
            base = statistics.median(quiet)
            ratio = statistics.median(during) / base
            print(f"{kind} flood: {flood['sent']} frames written over {flood['connections']} connections, "
                  f"closes {flood['closes']}; others' median ack {base * 1000:.1f} ms quiet, "
                  f"{statistics.median(during) * 1000:.1f} ms under flood (x{ratio:.2f})")
            # Cut once over budget; then every reconnection within the cooldown is refused at the
            # handshake (429), so what it writes afterwards is never read.
            assert flood["connections"] <= 2 and flood["refused_handshakes"] > 10, flood
            assert flood["sent"] > FRAME_BURST, flood
            assert ratio <= 2, (kind, ratio)
        # What the server answered is all it read: a burst of frames (plus the one slice of bytes
        # parsed when the budget ran out) or, for messages, a burst of actions and a couple of
        # seconds of refusals.
        assert results["ping"][0]["pongs"] <= FRAME_BURST + SLICE // 6, results["ping"][0]
        assert results["binary"][0]["notices"] <= BURST + 2 * RATE, results["binary"][0]
        text = results["text"][0]
        # Of the text flood, no more than its burst went through; hellos got one full frame.
        assert flooded <= BURST and text["acked"] <= BURST, (flooded, text)
        assert text["full_frames"] <= 1, text
        # The others lost nothing: all their notes are on the board, beside the flooder's accepted ones.
        assert page.count('<article id="note-') == 3 * 3 * 24 + flooded
        log = stderr_text(server.process)
        assert len(re.findall("frames over budget", log)) <= 3, log[-2000:]
    finally:
        server.stop()


def slow_socket(port: int) -> socket.socket:
    """A connection that reads as little as the kernel allows."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect(("127.0.0.1", port))
    return sock


def test_a_phone_that_stops_reading_is_dropped_and_nobody_waits_for_it(server):
    long_text = "Les permanences communes au centre social ne sont pas connues des habitants. " * 5

    async def scenario():
        host, workshop, writers = await room_of(server, 12)
        await host.connect(view="facilitator")
        await host.wait_for('id="sync"')
        for person in writers:
            for number in range(3):
                await person.ack(await person.act({"type": "note.add", "board": workshop["board"],
                                                                   "text": f"{number} {long_text}"}))
        quiet = await timed_notes(writers[0], 10, "calme", workshop["board"])

        slow = Person(server)
        slow.join(workshop["code"], "Lent")
        slow.socket = await websockets.connect(
            f"ws://127.0.0.1:{server.port}/a/{workshop['id']}/ws?view=participant", sock=slow_socket(server.port),
            origin=server.url, additional_headers={"Cookie": slow.cookie_header()}, compression=None, max_queue=1)
        await slow.send({"type": "hello", "last_seq": 0})
        await host.wait_for(lambda f: (m := ONLINE.search(f)) and int(m.group(1)) == 14, timeout=10)

        async def write(person: Person, number: int) -> None:
            ops = [await person.act({"type": "note.add", "board": workshop["board"],
                                     "text": f"{number}-{k} {long_text}"})
                   for k in range(60)]
            for op in ops:
                await person.ack(op, timeout=30)

        async def measure() -> list[float]:
            await asyncio.sleep(0.2)
            return await timed_notes(writers[0], 10, "pendant", workshop["board"])

        dropped = asyncio.create_task(host.wait_for(
            lambda f: (m := ONLINE.search(f)) and int(m.group(1)) == 13, timeout=60))
        began = time.monotonic()
        *_, during = await asyncio.gather(*(write(p, k) for k, p in enumerate(writers[1:], 1)), measure())
        await dropped
        # Dropped by the room once it fell its limit behind, not by the stall timer (30 s of its
        # socket's buffer held full): frames for a phone that cannot take them wait in the room,
        # counted, rather than in the socket's buffer, unbounded until the timer.
        assert time.monotonic() - began < STALL_TIMEOUT, time.monotonic() - began
        # Every other phone got every change: each one reaches the last sequence number.
        final = host.seq
        for person in writers:
            await person.wait_for(lambda f: person.seq >= final, timeout=10) if person.seq < final else None
            assert person.seq >= final
        # The slow phone finds its connection closed once it reads what was already on the wire.
        closed = False
        try:
            while True:
                await asyncio.wait_for(slow.socket.recv(), 10)
        except websockets.ConnectionClosed:
            closed = True
        assert closed
        return quiet, during

    quiet, during = run(scenario())
    print(f"slow reader dropped; a writer's median ack {statistics.median(quiet) * 1000:.1f} ms in a quiet room, "
          f"{statistics.median(during) * 1000:.1f} ms while 11 others posted 660 long notes and the slow "
          f"phone fell behind")
