"""The brakes and levers board end to end: a real server process, real websocket clients, SQLite."""

import asyncio
import re

from htmx_dom import regions
from players import Person

SECRET_A = "Les bailleurs ne viennent jamais aux réunions"
SECRET_B = "Un annuaire partagé des structures du quartier"


def run(coro):
    return asyncio.run(coro)


async def levers_room(server):
    """A workshop whose board on screen is a brakes and levers board; everyone connected."""
    host = Person(server)
    workshop = host.create_workshop("Freins et leviers des Tilleuls", "QPV des Tilleuls")
    alice, bob, screen = Person(server), Person(server), Person(server)
    assert alice.join(workshop["code"], "Alice Arnaud", "Centre social").status_code == 303
    assert bob.join(workshop["code"], "Bob Bernard").status_code == 303
    screen.workshop_id = workshop["id"]
    page = host.http.get(f"/a/{workshop['id']}/animation").text
    screen_query = "&cle=" + re.search(r"ecran\?cle=([0-9a-f]+)", page).group(1)
    await host.connect(view="facilitator")
    await host.wait_for('id="stage"')
    op = await host.act({"type": "board.add", "kind": "levers", "title": "Freins et leviers"})
    frame = await host.ack(op)
    board = "b" + re.search(r'data-seq="(\d+)"', frame).group(1)
    await host.ack(await host.act({"type": "board.show", "board": board}))
    for person, view, query in ((alice, "participant", ""), (bob, "participant", ""), (screen, "screen", screen_query)):
        await person.connect(view=view, query=query)
        await person.wait_for(f'id="lv-status-{board}"')
    return host, alice, bob, screen, screen_query, workshop, board


async def bob_s_card(bob, board, side: str, category: str, text: str) -> str:
    """Bob writes a card; returns its id."""
    frame = await bob.ack(await bob.act({"type": "card.add", "board": board, "side": side,
                                         "category": category, "text": text}))
    return re.search(r'id="lv-card-(c\d+)"', frame).group(1)


async def remove_bob(host, workshop) -> None:
    """The facilitator removes Bob, as the console's people panel offers it."""
    page = host.http.get(f"/a/{workshop['id']}/animation").text
    bob_id = re.search(r'name="participant" value="(p\d+)">\s*<button[^>]*Retirer Bob', page).group(1)
    await host.ack(await host.act({"type": "participant.remove", "participant": bob_id}))


async def settle(person, ops):
    """Reads frames until every op is acknowledged or refused; returns (acked, refused)."""
    acked, refused = set(), set()
    while not ops <= acked | refused:
        frame = await person.next_frame(10)
        sync = re.search(r'<div id="sync"[^>]*>', frame).group(0)
        for name, bucket in (("ack", acked), ("refused", refused)):
            found = re.search(rf'data-{name}="([^"]*)"', sync)
            bucket.update(found.group(1).split() if found else ())
    return acked & ops, refused & ops


def test_private_writing_reveal_votes_from_two_phones_and_results(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop, board = await levers_room(server)
        start = {person: len(person.frames) for person in (host, bob, screen)}

        op = await alice.act({"type": "card.add", "board": board, "side": "frein", "category": "gouvernance",
                              "text": SECRET_A})
        frame = await alice.ack(op)
        if SECRET_A not in frame:
            frame = await alice.wait_for(SECRET_A)
        card_a = re.search(r'id="lv-card-(c\d+)"', frame).group(1)
        for person in (host, bob, screen):
            await person.wait_for("1 carte écrite")
        await asyncio.sleep(0.3)
        for person in (host, bob, screen):
            await person.quiet(0.2)
            wire = "".join(person.frames[start[person]:])
            assert SECRET_A not in wire and not re.search(rf"\b{card_a}\b", wire)
        # Nor on a page loaded afresh, by the other phone, the projector or the facilitator.
        for person, path in ((bob, f"/a/{workshop['id']}"), (screen, f"/a/{workshop['id']}/ecran?{screen_query[1:]}"),
                             (host, f"/a/{workshop['id']}/animation")):
            page = person.http.get(path).text
            assert "1 carte écrite" in page and SECRET_A not in page and not re.search(rf"\b{card_a}\b", page)
        assert SECRET_A in alice.http.get(f"/a/{workshop['id']}").text

        op = await bob.act({"type": "card.add", "board": board, "side": "levier", "category": "interconnaissance",
                            "text": SECRET_B})
        frame = await bob.ack(op)
        if SECRET_B not in frame:
            frame = await bob.wait_for(SECRET_B)
        card_b = re.search(r'id="lv-card-(c\d+)"', frame).group(1)
        # Only the facilitator moves the board from one phase to the next.
        op = await alice.act({"type": "board.phase", "board": board, "phase": "reveal"})
        await alice.refused(op)

        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "reveal"}))
        for person in (alice, bob, screen, host):
            frame = await person.wait_for(lambda f: SECRET_A in f and SECRET_B in f)
            assert 'class="lv-field"' in frame
            # Anonymous by default: no author on any board (the facilitator's people panel names everyone).
            shown = "".join(html for rid, html in regions(frame).items() if rid != "people")
            assert "Alice Arnaud" not in shown and "Bob Bernard" not in shown

        await host.ack(await host.act({"type": "levers.settings", "board": board, "budget": "3", "per_card": "2"}))
        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "vote"}))
        for phone in (alice, bob):
            await phone.wait_for('data-left="3"')
        tallies_from = {person: len(person.frames) for person in (alice, bob, screen)}

        # A vote during voting lands; the phone shows what is left.
        for phone, card, times in ((alice, card_b, 2), (alice, card_a, 1), (bob, card_a, 2), (bob, card_b, 1)):
            for _ in range(times):
                await phone.ack(await phone.act({"type": "vote.add", "board": board, "card": card}))
        frame = await host.wait_for("2 sur 2 participants ont placé tous leurs points")
        op = await bob.act({"type": "vote.add", "board": board, "card": card_b})
        frame = await bob.refused(op)
        assert "Vous avez déjà placé tous vos points (3)" in frame
        for phone in (alice, bob):
            await phone.quiet(0.2)
            shown = re.findall(rf'id="lv-dots-{board}" class="lv-dots" data-left="(\d+)"', "".join(phone.frames))
            assert shown[-1] == "0"
        for person in (alice, bob, screen):
            await person.quiet(0.2)
            assert "lv-tally" not in "".join(person.frames[tallies_from[person]:])

        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "results"}))
        for person in (alice, bob, screen):
            frame = await person.wait_for("Résultats du vote")
            ranked = re.findall(r'<li value="(\d+)" id="lv-rank-(c\d+)"><span class="lv-rank-text">[^<]*</span> '
                                r'<span class="lv-rank-n">(\d+) points</span>', frame)
            assert sorted(ranked) == [("1", card_a, "3"), ("1", card_b, "3")]
            assert f'id="lv-tally-{card_a}"' in frame
        op = await alice.act({"type": "vote.add", "board": board, "card": card_a})
        await alice.refused(op)

    run(scenario())


def test_concurrent_votes_from_two_tabs_of_one_phone_never_exceed_the_budget(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop, board = await levers_room(server)
        op = await bob.act({"type": "card.add", "board": board, "side": "frein", "category": "confiance",
                            "text": "Personne ne partage ses chiffres"})
        await bob.ack(op)
        await alice.ack(await alice.act({"type": "card.add", "board": board, "side": "levier",
                                         "category": "moyens", "text": "Mutualiser un local"}))
        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "vote"}))
        await host.ack(await host.act({"type": "levers.settings", "board": board, "budget": 5, "per_card": 20}))
        page = alice.http.get(f"/a/{workshop['id']}").text
        cards = sorted(set(re.findall(r'id="lv-card-(c\d+)"', page)))
        assert len(cards) == 2

        # A second tab of the same phone: same cookies, its own connection.
        tab = Person(server)
        tab.http.cookies = alice.http.cookies
        tab.workshop_id = workshop["id"]
        await tab.connect()
        await tab.wait_for(f'id="lv-dots-{board}"')
        await alice.quiet(0.2)

        messages = [{"type": "vote.add", "board": board, "card": cards[i % 2]} for i in range(12)]
        first = [f"a{i:02d}x" for i in range(12)]
        second = [f"b{i:02d}x" for i in range(12)]
        await asyncio.gather(*(alice.act(m, op) for m, op in zip(messages, first)),
                             *(tab.act(m, op) for m, op in zip(messages, second)))
        (acked_1, refused_1), (acked_2, refused_2) = await asyncio.gather(
            settle(alice, set(first)), settle(tab, set(second)))
        assert len(acked_1) + len(acked_2) == 5
        assert len(refused_1) + len(refused_2) == 19
        # Retries of acknowledged dots, from the other tab, are acknowledged again and not counted.
        retried = sorted(acked_1)[:2] + sorted(acked_2)[:2]
        for op in retried:
            await (tab if op in acked_1 else alice).act(messages[int(op[1:3])], op)
        await asyncio.gather(settle(tab, {op for op in retried if op in acked_1}),
                             settle(alice, {op for op in retried if op in acked_2}))

        page = alice.http.get(f"/a/{workshop['id']}").text
        assert re.search(rf'id="lv-dots-{board}" class="lv-dots" data-left="0"', page)
        mine = re.findall(r'id="lv-my-c\d+" class="lv-my" data-n="(\d+)"', page)
        assert sum(map(int, mine)) == 5
        await host.ack(await host.act({"type": "levers.tallies", "board": board, "shown": True}))
        frame = await screen.wait_for("lv-tally")
        tallies = re.findall(r'id="lv-tally-c\d+" class="lv-tally"[^>]*>(\d+) points?<', frame)
        assert sum(map(int, tallies)) == 5
        assert "1 sur 2 participants ont placé tous leurs points" in frame
        await tab.close()

    run(scenario())


def test_a_removed_participant_s_dots_leave_the_projector_s_results(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop, board = await levers_room(server)
        card = await bob_s_card(bob, board, "frein", "confiance", "On se méfie des bailleurs")
        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "vote"}))
        for phone, times in ((bob, 3), (alice, 1)):
            for _ in range(times):
                await phone.ack(await phone.act({"type": "vote.add", "board": board, "card": card}))
        await remove_bob(host, workshop)

        # A projector that opens now counts Alice alone, and her dot alone.
        await host.ack(await host.act({"type": "levers.tallies", "board": board, "shown": True}))
        fresh = screen.http.get(f"/a/{workshop['id']}/ecran?{screen_query[1:]}").text
        assert "0 sur 1 participant a placé tous ses points" in fresh
        assert re.search(rf'id="lv-tally-{card}" class="lv-tally">1 point<', fresh)
        # The projector already on shows the results without Bob's dots; his card stays.
        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "results"}))
        frame = await screen.wait_for("Résultats du vote")
        assert re.search(rf'<li value="1" id="lv-rank-{card}"><span class="lv-rank-text">On se méfie des bailleurs'
                         r'</span> <span class="lv-rank-n">1 point</span>', frame)

    run(scenario())


def test_the_projector_counts_voters_and_dots_live_as_people_join_and_are_removed(server):
    async def scenario():
        host, alice, bob, screen, screen_query, workshop, board = await levers_room(server)
        card = await bob_s_card(bob, board, "levier", "moyens", "Des locaux partagés")
        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "vote"}))
        await host.ack(await host.act({"type": "levers.tallies", "board": board, "shown": True}))
        await screen.wait_for("sur 2 participants")

        # Someone arrives late: the projector's count of voters follows at once.
        carol = Person(server)
        assert carol.join(workshop["code"], "Carole").status_code == 303
        frame = await screen.wait_for("sur 3 participants")
        assert f'id="lv-status-{board}"' in frame

        for phone, times in ((bob, 2), (alice, 1)):
            for _ in range(times):
                await phone.ack(await phone.act({"type": "vote.add", "board": board, "card": card}))
        await screen.wait_for(f'id="lv-tally-{card}" class="lv-tally" hx-swap-oob="true">3 points<')

        # Bob is removed: his dots leave the tally on the projector already on, and he no longer counts.
        await remove_bob(host, workshop)
        frame = await screen.wait_for(f'id="lv-tally-{card}" class="lv-tally" hx-swap-oob="true">1 point<')
        assert "sur 2 participants" in frame

    run(scenario())
