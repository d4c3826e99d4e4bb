"""The live core end to end: a real uvicorn process, real websocket clients, a real SQLite file."""

import asyncio
import json
import re

import pytest
import websockets

from players import ITEM, Person, Server


def run(coro):
    return asyncio.run(coro)


def room(server):
    host = Person(server)
    workshop = host.create_workshop("Diagnostic des Tilleuls", "QPV des Tilleuls")
    alice, bob = Person(server), Person(server)
    assert alice.join(workshop["code"], "Alice", "Centre social").status_code == 303
    assert bob.join(workshop["code"].lower(), "Bob").status_code == 303
    screen = Person(server)
    screen.workshop_id = workshop["id"]
    page = host.http.get(f"/a/{workshop['id']}/animation").text
    screen_query = "&cle=" + re.search(r'ecran\?cle=([0-9a-f]+)', page).group(1)
    return host, alice, bob, screen, screen_query, workshop


def test_note_reaches_every_screen_and_survives_restart(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        await alice.connect()
        await bob.connect()
        await screen.connect(view="screen", query=screen_query)
        await host.connect(view="facilitator")
        for person in (alice, bob, screen, host):
            await person.wait_for('id="stage"')

        op = await alice.act({**ITEM, "text": "Les structures se connaissent mal"})
        await alice.ack(op)
        shown = {}
        for other in (bob, screen, host):
            shown[other] = await other.wait_for("Les structures se connaissent mal")
            assert '<article id="dg-item-' in shown[other]
        # The diagnosis is anonymous by default: the item names nobody, on the console either; the
        # console's people panel counts Alice's contribution (in a frame of its own or with the
        # item's); the projector never shows her name.
        article = re.search(r'<article id="dg-item-.*?</article>', shown[host], re.S).group(0)
        assert "Alice" not in article
        who = re.search(r'<li id="person-([^"]+)"[^>]*>((?!</li>).)*Alice', "".join(host.frames), re.S).group(1)
        # Her whole item, or her count alone when only the count changed since the last refresh.
        counted = re.compile(rf'id="(person|contrib)-{who}"((?!</li>).)*1 contribution<', re.S)
        if not any(counted.search(frame) for frame in host.frames):
            await host.wait_for(lambda frame: counted.search(frame) is not None)
        assert not [frame for frame in screen.frames if "Alice" in frame]
        for person in (alice, bob, screen, host):
            await person.close()
        return workshop

    workshop = run(scenario())
    server.stop()
    server.start()

    async def after_restart():
        viewer = Person(server)
        viewer.join(workshop["code"], "Chloé")
        page = viewer.http.get(f"/a/{workshop['id']}").text
        assert "Les structures se connaissent mal" in page

    run(after_restart())


def test_participant_cannot_do_facilitator_actions(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        await alice.connect()
        await bob.connect()
        await alice.wait_for('id="stage"')
        await bob.wait_for('id="stage"')
        note = await bob.act({**ITEM, "text": "Note de Bob"})
        await bob.ack(note)
        seq_before = bob.seq
        await alice.wait_for("Note de Bob")
        attempts = [
            {"type": "diagnosis.hide", "board": "b2", "item": f"d{seq_before}", "hidden": True},
            {"type": "workshop.lock", "locked": True},
            {"type": "board.add", "kind": "ideas", "title": "Pirate"},
            {"type": "board.phase", "board": "b2", "phase": "locked"},
            {"type": "diagnosis.delete", "board": "b2", "item": f"d{seq_before}"},
            {**ITEM, "type": "diagnosis.edit", "item": f"d{seq_before}", "text": "détournée"},
        ]
        for attempt in attempts:
            op = await alice.act(attempt)
            frame = await alice.refused(op)
            assert 'class="notice error"' in frame
        # Nothing changed: Bob received no change at all, and the state on the server is the same.
        assert await bob.quiet(0.5) == [] or all("Note de Bob" not in f and "détournée" not in f
                                                  for f in bob.frames[-3:])
        page = host.http.get(f"/a/{workshop['id']}/animation").text
        assert "Note de Bob" in page and "Pirate" not in page and "détournée" not in page
        assert "verrouillé :" not in page

        # A message for another workshop is refused too.
        op = await alice.act({**ITEM, "text": "x", "workshop": "autre"})
        await alice.refused(op)
        # The projector may look, never touch.
        await screen.connect(view="screen", query=screen_query)
        op = await screen.act({**ITEM, "text": "depuis l'écran"})
        await screen.refused(op)
        # A participant's cookie does not open the facilitator view.
        with pytest.raises(websockets.InvalidStatus):
            await alice.connect(view="facilitator")

    run(scenario())


def test_reconnect_with_old_sequence_is_brought_up_to_date(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        await alice.connect()
        await alice.wait_for('id="stage"')
        seen = alice.seq
        await alice.close()
        await bob.connect()
        for text in ("Première idée hors ligne", "Deuxième idée hors ligne"):
            await bob.ack(await bob.act({**ITEM, "text": text}))
        alice.seq = seen
        await alice.connect()
        frame = await alice.wait_for("Deuxième idée hors ligne")
        assert "Première idée hors ligne" in frame
        assert alice.seq == bob.seq
        # Already current: a hello answers with the sequence only, not the whole board.
        await alice.send({"type": "hello", "last_seq": alice.seq})
        frame = await alice.wait_for('id="sync"')
        assert 'id="stage"' not in frame

    run(scenario())


def test_retried_operation_is_applied_once(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        await alice.connect()
        await alice.wait_for('id="stage"')
        message = {**ITEM, "text": "Une seule fois"}
        op = await alice.act(message, op="retry-me-123")
        await alice.ack(op)
        await alice.close()
        await alice.connect()
        await alice.act(message, op="retry-me-123")
        await alice.ack(op)
        await alice.act(message, op="retry-me-123")
        await alice.ack(op)
        page = alice.http.get(f"/a/{workshop['id']}").text
        assert page.count("Une seule fois</p>") == 1

    run(scenario())


def test_bad_input_is_refused_to_its_sender_only(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        await alice.connect()
        await bob.connect()
        await alice.wait_for('id="stage"')
        await bob.wait_for('id="stage"')
        await bob.quiet(0.3)
        bad = [
            "pas du json",
            json.dumps([1, 2, 3]),
            json.dumps({"type": "inconnu"}),
            json.dumps({"type": "note.add", "board": "b2"}),
            json.dumps({**ITEM, "text": "x" * 281}),
            json.dumps({**ITEM, "text": "   "}),
            json.dumps({"type": "note.add", "board": "../etc", "text": "x"}),
            json.dumps({"type": "note.add", "board": "b99", "text": "x"}),
            json.dumps({**ITEM, "text": 42}),
            json.dumps({**ITEM, "text": "x", "extra": 1}),
        ]
        for text in bad:
            await alice.socket.send(text)
            frame = await alice.wait_for('class="notice error"')
            assert re.search(r"notice error\">[^<]{5,}</p>", frame)
        assert "dépasse 280 caractères" in "".join(alice.frames)
        assert await bob.quiet(0.5) == []
        # A frame far beyond the limit closes the connection cleanly instead of being read.
        await alice.socket.send(json.dumps({**ITEM, "text": "x" * 200_000}))
        with pytest.raises(websockets.ConnectionClosed):
            await alice.quiet(2)
        assert alice.socket.close_code == 1009
        page = host.http.get(f"/a/{workshop['id']}/animation").text
        assert page.count('<article id="dg-item-') == 0

    run(scenario())


def test_foreign_origin_and_strangers_are_refused(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        with pytest.raises(websockets.InvalidStatus):
            await alice.connect(origin="http://evil.example")
        stranger = Person(server)
        stranger.workshop_id = workshop["id"]
        with pytest.raises(websockets.InvalidStatus):
            await stranger.connect()
        with pytest.raises(websockets.InvalidStatus):
            await stranger.connect(view="screen", query="&cle=0000")
        # Cross-site form post.
        response = stranger.http.post("/ateliers", data={"title": "x", "territory": "y"},
                                      headers={"Origin": "http://evil.example"})
        assert response.status_code == 403

    run(scenario())


def test_live_count_of_people_connected(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        await host.connect(view="facilitator")
        await host.wait_for('id="stage"')
        await alice.connect()
        await host.wait_for("2 personnes connectées")
        await bob.connect()
        frame = await host.wait_for("3 personnes connectées")
        assert re.search(r'<li id="person-[^"]+" class="on"[^>]*>\s*<span class="dot"[^>]*></span>\s*<span class="who">Bob', frame)
        await bob.close()
        frame = await host.wait_for("2 personnes connectées")
        assert re.search(r'<li id="person-[^"]+" class="off"[^>]*>\s*<span class="dot"[^>]*></span>\s*<span class="who">Bob', frame)

    run(scenario())


def test_contributions_refresh_the_console_alone_and_arrivals_every_page(server):
    """Who contributed shows on the console only: the phones' count of people connected did not
    change, and a plenary's contributions re-sent it to every phone every few seconds."""
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        await host.connect(view="facilitator")
        await alice.connect()
        await bob.connect()
        await screen.connect(view="screen", query=screen_query)
        await bob.wait_for("3 personnes connectées")
        await screen.wait_for("3 personnes connectées")
        await host.wait_for("3 personnes connectées")
        await bob.quiet(0.5)
        await screen.quiet(0.1)
        seen_by_bob, seen_by_screen = len(bob.frames), len(screen.frames)

        op = await alice.act({**ITEM, "text": "Un guichet unique pour les démarches"})
        await alice.ack(op)
        who = re.search(r'<li id="person-([^"]+)"((?!</li>).)*Alice', "".join(host.frames), re.S).group(1)
        await host.wait_for(re.compile(rf'id="(person|contrib)-{who}"((?!</li>).)*1 contribution<', re.S).search,
                            timeout=5)
        await bob.quiet(0.3)
        await screen.quiet(0.1)
        assert any("Un guichet unique" in frame for frame in bob.frames[seen_by_bob:])
        assert not [f for f in bob.frames[seen_by_bob:] + screen.frames[seen_by_screen:] if 'id="online"' in f]

        # Someone arrives: every page counts them.
        carol = Person(server)
        assert carol.join(workshop["code"], "Carole").status_code == 303
        await carol.connect()
        for page in (bob, screen, host, carol):
            await page.wait_for("4 personnes connectées")
        for page in (host, alice, bob, screen, carol):
            await page.close()

    run(scenario())


def test_oversized_uploads_are_refused_before_being_read(server):
    host = Person(server)
    workshop = host.create_workshop()
    big = b"x" * (3 * 1024 * 1024)
    declared = host.http.post("/ateliers", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert declared.status_code == 413

    def chunks():
        # A file part, streamed without a length: only counting what arrives can stop it.
        yield b'--B\r\nContent-Disposition: form-data; name="fichier"; filename="a.csv"\r\n\r\n'
        for _ in range(48):
            yield b"y" * 65536
        yield b"\r\n--B--\r\n"

    streamed = host.http.post("/ateliers", content=chunks(),
                              headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert streamed.status_code == 413
    assert "Atelier test" in host.http.get(f"/a/{workshop['id']}/animation").text


def test_an_endless_request_head_is_refused_and_a_body_read_with_its_head_is_not(server):
    """A header line that never ends would be kept in memory for as long as it grows: past 16 KiB
    of head the request gets a 400 and its connection is closed. A body that arrives in the same
    read as a short head is the body, not more head."""
    import socket

    def exchange(payload: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(payload)
            received = b""
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                received += chunk
            return received

    endless = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * (64 * 1024)
    answer = exchange(endless)
    assert answer.startswith(b"HTTP/1.1 400") and answer.endswith(b"Request head too large.")

    body = b"title=" + b"t" * 60_000 + b"&territory=QPV"
    head = (f"POST /ateliers HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nOrigin: {server.url}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    answer = exchange(head + body)
    assert b"Request head too large." not in answer
    # The application read the form and answered it (a page saying the title is too long).
    assert b"content-type: text/html" in answer, answer[:300]
    # The server still serves.
    assert Person(server).http.get("/").status_code == 200


def test_phones_with_and_without_compression_read_the_same_changes(server):
    """Frames to phones that did not negotiate compression are framed once for all of them
    (server/feed.py's Frame); those that did compress each with their own context."""
    async def scenario():
        host, alice, bob, screen, screen_query, workshop = room(server)
        chloe = Person(server)
        assert chloe.join(workshop["code"], "Chloé").status_code == 303
        await alice.connect(compression=None)
        await bob.connect()
        await chloe.connect(compression=None)
        for person in (alice, bob, chloe):
            await person.wait_for('id="stage"')
            await person.quiet(0.3)
        texts = [f"Frein {n} : " + "les horaires ne se croisent pas, " * (n * 4) for n in range(3)]
        start = {person: len(person.frames) for person in (bob, chloe)}
        for text in texts:
            await alice.ack(await alice.act({**ITEM, "text": text.strip()}))
        read = {}
        for person in (bob, chloe):
            await person.wait_for(texts[-1].strip())
            await person.quiet(0.3)
            read[person] = "".join(person.frames[start[person]:])
        for seen in read.values():
            assert [seen.index(text.strip()) for text in texts] == sorted(seen.index(text.strip()) for text in texts)
        articles = re.compile(r'<article id="dg-item-[^"]+".*?</article>', re.S)
        assert articles.findall(read[bob]) == articles.findall(read[chloe]) and len(articles.findall(read[bob])) == 3
        assert bob.seq == chloe.seq == alice.seq
        for person in (alice, bob, chloe):
            assert person.socket.close_code is None
            await person.close()

    run(scenario())
