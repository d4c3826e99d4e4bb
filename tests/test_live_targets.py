"""What reaches whom on the live path: a vote's dots reach its voter's pages only (proxied votes
included), the presence panel settles after a burst of arrivals and departures, and a phone that
missed changes which were not its business resyncs right. Real server, real websocket clients."""

import asyncio
import re

from htmx_dom import Page
from players import Person


def run(coro):
    return asyncio.run(coro)


def left_shown(frames: list[str], board: str) -> list[str]:
    return re.findall(rf'id="lv-dots-{board}" class="lv-dots" data-left="(\d+)"', "".join(frames))


def left_on_page(person: Person, path: str, board: str) -> str:
    page = person.http.get(path).text
    return re.search(rf'id="lv-dots-{board}" class="lv-dots" data-left="(\d+)"', page).group(1)


async def voting_room(server):
    """A levers board on screen in its vote phase (budget 3), two cards; Alice is a table captain,
    Mme Diallo has no phone; the facilitator, Alice and Bob connected."""
    host = Person(server)
    workshop = host.create_workshop("Plénière des Tilleuls", "QPV des Tilleuls")
    alice, bob = Person(server), Person(server)
    assert alice.join(workshop["code"], "Alice Arnaud").status_code == 303
    assert bob.join(workshop["code"], "Bob Bernard").status_code == 303
    await host.connect(view="facilitator")
    await host.wait_for('id="stage"')
    await host.ack(await host.act({"type": "participant.add_offline", "name": "Mme Diallo"}))
    diallo = re.search(r'href="/a/\w+/pour/(p\d+)"', await host.wait_for("Mme Diallo")).group(1)
    alice_id = re.search(r'name="participant" value="(p\d+)">\s*<input type="hidden" name="captain"',
                         host.http.get(f"/a/{workshop['id']}/animation").text).group(1)
    await host.ack(await host.act({"type": "participant.captain", "participant": alice_id, "captain": True}))
    frame = await host.ack(await host.act({"type": "board.add", "kind": "levers", "title": "Freins et leviers"}))
    board = "b" + re.search(r'data-seq="(\d+)"', frame).group(1)
    await host.ack(await host.act({"type": "board.show", "board": board}))
    await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "reveal"}))
    cards = []
    for side, text in (("frein", "Les bailleurs ne viennent pas"), ("levier", "Un annuaire partagé")):
        frame = await host.ack(await host.act({"type": "card.add", "board": board, "side": side,
                                               "category": "gouvernance", "text": text}))
        cards.append("c" + re.search(r'data-seq="(\d+)"', frame).group(1))
    await host.ack(await host.act({"type": "levers.settings", "board": board, "budget": 3, "per_card": 3}))
    await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "vote"}))
    for phone in (alice, bob):
        await phone.connect()
        await phone.wait_for(f'id="lv-dots-{board}" class="lv-dots" data-left="3"')
    return host, alice, bob, workshop, board, cards, diallo


def test_a_vote_changes_its_voters_dots_only_and_a_proxied_vote_reaches_the_proxy_pages(server):
    async def scenario():
        host, alice, bob, workshop, board, cards, diallo = await voting_room(server)
        # Mme Diallo's page, open twice: on the facilitator's laptop and on her table captain's phone.
        by_host, by_captain = Person(server), Person(server)
        by_host.http, by_captain.http = host.http, alice.http
        for proxy in (by_host, by_captain):
            proxy.workshop_id = workshop["id"]
            await proxy.connect(query=f"&pour={diallo}")
            await proxy.wait_for(f'id="lv-dots-{board}" class="lv-dots" data-left="3"')
        for person in (alice, bob, by_host, by_captain):
            await person.quiet(0.2)
        start = {person: len(person.frames) for person in (alice, bob, by_host, by_captain)}

        # Alice's own vote: her dots left change, nobody else's.
        frame = await alice.ack(await alice.act({"type": "vote.add", "board": board, "card": cards[0]}))
        if 'data-left="2"' not in frame:
            await alice.wait_for(f'id="lv-dots-{board}" class="lv-dots" data-left="2"')
        assert re.search(rf'id="lv-my-{cards[0]}" class="lv-my" data-n="1"', "".join(alice.frames[start[alice]:]))

        # Two votes typed by the captain for Mme Diallo: both of her pages follow, Alice's does not.
        for card in cards:
            await by_captain.ack(await by_captain.act({"type": "vote.add", "board": board, "card": card}))
        for proxy in (by_host, by_captain):
            await proxy.wait_for(f'id="lv-dots-{board}" class="lv-dots" data-left="1"')
        for person in (alice, bob, by_host, by_captain):
            await person.quiet(0.3)
        assert left_shown(alice.frames[start[alice]:], board) == ["2"]
        assert left_shown(bob.frames[start[bob]:], board) == []
        assert "lv-my-" not in "".join(bob.frames[start[bob]:])
        for proxy in (by_host, by_captain):
            assert left_shown(proxy.frames[start[proxy]:], board) == ["2", "1"]
            mine = "".join(proxy.frames[start[proxy]:])
            assert re.search(rf'id="lv-my-{cards[1]}" class="lv-my" data-n="1"', mine)

        # Pages loaded afresh agree with what the live frames showed.
        home = f"/a/{workshop['id']}"
        assert left_on_page(alice, home, board) == "2"
        assert left_on_page(bob, home, board) == "3"
        assert left_on_page(host, f"{home}/pour/{diallo}", board) == "1"

        # Bob's vote reaches Bob, not the captain nor her proxy page.
        marks = {person: len(person.frames) for person in (alice, by_captain)}
        await bob.ack(await bob.act({"type": "vote.add", "board": board, "card": cards[1]}))
        await bob.wait_for(f'id="lv-dots-{board}" class="lv-dots" data-left="2"')
        for person in (alice, by_captain):
            await person.quiet(0.3)
            assert left_shown(person.frames[marks[person]:], board) == []

    run(scenario())


def last(pattern: str, frames: list[str]) -> str | None:
    found = re.findall(pattern, "".join(frames), re.S)
    return found[-1] if found else None


def panel(frames: list[str]) -> str:
    """The facilitator's people panel as these frames leave it on the page."""
    page = Page('<div id="people"></div>')
    for frame in frames:
        page.apply(frame)
    return page.region("people") or ""


def test_presence_is_right_after_a_burst_of_arrivals_and_departures(server):
    async def scenario():
        host = Person(server)
        workshop = host.create_workshop("Atelier nombreux", "QPV du Parc")
        await host.connect(view="facilitator")
        await host.wait_for('id="stage"')
        phones = [Person(server) for _ in range(12)]
        for k, phone in enumerate(phones):
            assert phone.join(workshop["code"], f"Personne {k:02d}").status_code == 303
        await asyncio.gather(*(phone.connect() for phone in phones))
        await asyncio.gather(*(phone.wait_for('id="stage"') for phone in phones))
        leaving, staying = phones[:5], phones[5:]
        await asyncio.gather(*(phone.close() for phone in leaving))

        # Seven phones and the facilitator's laptop; the five who left are shown disconnected (the
        # panel comes whole, then as the items of the people who changed).
        def settled(frame: str) -> bool:
            return "8 personnes connectées" in frame and panel(host.frames).count("déconnecté·e") == 5
        await host.wait_for(settled)
        for phone in staying:
            await phone.wait_for("8 personnes connectées")
        # Nothing later contradicts it.
        await asyncio.sleep(1.5)
        for person in (host, *staying):
            await person.quiet(0.3)
            assert last(r'<span id="online"[^>]*>([^<]*)<', person.frames) == "8 personnes connectées"
        people = panel(host.frames)
        for k, phone in enumerate(phones):
            entry = re.search(rf"Personne {k:02d}.*?</li>", people, re.S).group(0)
            assert ("déconnecté·e" in entry) == (phone in leaving), entry

    run(scenario())


def test_a_change_showing_nothing_moves_the_sequence_later_and_a_reconnection_still_resyncs(server):
    async def scenario():
        host = Person(server)
        workshop = host.create_workshop("Atelier en préparation", "QPV du Parc")
        alice, bob = Person(server), Person(server)
        assert alice.join(workshop["code"], "Alice").status_code == 303
        assert bob.join(workshop["code"], "Bob").status_code == 303
        await host.connect(view="facilitator")
        await host.wait_for('id="stage"')
        frame = await host.ack(await host.act({"type": "board.add", "kind": "levers", "title": "Pour plus tard"}))
        board = "b" + re.search(r'data-seq="(\d+)"', frame).group(1)
        for phone in (alice, bob):
            await phone.connect()
            await phone.wait_for('id="stage"')
        for person in (host, alice, bob):
            await person.quiet(0.3)

        # The facilitator prepares a board nobody sees yet: the phones have nothing to show.
        await host.ack(await host.act({"type": "levers.settings", "board": board, "budget": 4, "per_card": 2}))
        server_seq = host.seq
        assert await alice.quiet(0.3) == [] and alice.seq < server_seq

        # Alice's phone drops and comes back with the number it had: it gets everything again.
        await alice.close()
        await alice.connect()
        frame = await alice.wait_for('id="stage"')
        assert alice.seq == server_seq and f'data-seq="{server_seq}"' in frame
        # Bob's phone, still connected, gets the number a little later without anything to show.
        frame = await bob.wait_for(f'data-seq="{server_seq}"')
        assert 'id="stage"' not in frame
        await bob.close()
        await bob.connect()
        await bob.quiet(0.3)
        assert bob.seq == server_seq

        # What the preparation changed shows on both once the board is on screen.
        await host.ack(await host.act({"type": "board.show", "board": board}))
        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "vote"}))
        for phone in (alice, bob):
            await phone.wait_for(f'id="lv-dots-{board}" class="lv-dots" data-left="4"')

    run(scenario())
