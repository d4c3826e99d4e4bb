"""Steering a workshop: agenda templates, follow-me, phases, timer lock, proxies, removal. Real server."""

import asyncio
import re

import pytest
import websockets

from players import ITEM, Person


def run(coro):
    return asyncio.run(coro)


def setup(server):
    host = Person(server)
    workshop = host.create_workshop("Atelier de pilotage", "QPV du Parc")
    alice, bob = Person(server), Person(server)
    alice.join(workshop["code"], "Alice")
    bob.join(workshop["code"], "Bob")
    page = host.http.get(f"/a/{workshop['id']}/animation").text
    screen = Person(server)
    screen.workshop_id = workshop["id"]
    return host, alice, bob, screen, "&cle=" + re.search(r"ecran\?cle=([0-9a-f]+)", page).group(1), workshop


def test_template_follow_me_and_phases(server):
    async def scenario():
        host, alice, bob, screen, key, workshop = setup(server)
        await host.connect(view="facilitator")
        await alice.connect()
        await screen.connect(view="screen", query=key)
        for person in (host, alice, screen):
            await person.wait_for('id="stage"')

        applied = host.http.post(f"/a/{workshop['id']}/modele", data={"template": "diagnostic"})
        assert applied.status_code == 303
        # Pictograms beside the words are drawings without text: read the markup without them.
        agenda = re.sub(r"<svg\b.*?</svg>", "", await host.wait_for("Ambition de changement"))
        # The workshop opened on the structured diagnosis: the template keeps it and adds the
        # systems map and the ambition agreed by consent around it, one board each.
        assert agenda.count('<span class="title">Diagnostic partagé</span>') == 1
        assert agenda.count('<span class="kind">Diagnostic partagé</span>') == 1
        assert agenda.count('<span class="kind">Carte systémique</span>') == 1
        assert agenda.count('<span class="kind">Ambition de changement</span>') == 1
        # Nothing moves for participants until the facilitator shows a board.
        assert 'id="stage-title">Diagnostic partagé' in await alice.wait_for('id="stage"')
        ambition = re.findall(r'name="board" value="(b\d+)">\s*<button class="small">[^<]*</button>', agenda)[-1]

        await host.ack(await host.act({"type": "board.show", "board": ambition}))
        for person in (alice, screen):
            frame = await person.wait_for('id="stage-title">Ambition de changement')
        assert "Proposez en une ou deux phrases" in alice.frames[-1]
        assert "Proposez en une ou deux phrases" not in screen.frames[-1]

        await host.ack(await host.act({"type": "board.phase", "board": ambition, "phase": "locked"}))
        frame = await alice.wait_for('data-phase="locked"')
        assert "Verrouillé" in frame and 'name="type" value="ambition.propose"' not in frame
        op = await alice.act({"type": "ambition.propose", "board": ambition, "text": "Trop tard"})
        assert "Ce tableau est verrouillé." in await alice.refused(op)

        # A saved template comes back in the list, for this territory.
        saved = host.http.post(f"/a/{workshop['id']}/modeles", data={"name": "Mon déroulé du Parc"})
        assert saved.status_code == 303
        assert "Mon déroulé du Parc" in host.http.get(f"/a/{workshop['id']}/animation").text
        # A participant cannot apply templates.
        assert alice.http.post(f"/a/{workshop['id']}/modele", data={"template": "complet"}).status_code == 403

    run(scenario())


def test_timer_locks_contributions_at_zero_and_more_time_reopens(server):
    async def scenario():
        host, alice, bob, screen, key, workshop = setup(server)
        await host.connect(view="facilitator")
        await alice.connect()
        await screen.connect(view="screen", query=key)
        for person in (host, alice, screen):
            await person.wait_for('id="stage"')
        await host.ack(await host.act({"type": "timer.start", "minutes": 0, "seconds": 2, "lock": "true"}))
        frame = await screen.wait_for('id="timer"')
        assert 'data-running="true"' in frame
        await alice.ack(await alice.act({**ITEM, "text": "À temps"}))
        await alice.wait_for("Temps écoulé : contributions fermées", timeout=8)
        await screen.wait_for("Temps écoulé : contributions fermées")
        op = await alice.act({**ITEM, "text": "Hors délai"})
        assert "temps est écoulé" in await alice.refused(op)
        await host.ack(await host.act({"type": "timer.add", "minutes": 1}))
        await alice.wait_for('data-running="true"')
        await alice.ack(await alice.act({**ITEM, "text": "Rouvert"}))

    run(scenario())


def test_proxy_contributions_are_marked_and_counted(server):
    async def scenario():
        host, alice, bob, screen, key, workshop = setup(server)
        await host.connect(view="facilitator")
        await host.wait_for('id="stage"')
        await host.ack(await host.act({"type": "participant.add_offline", "name": "Mme Diallo"}))
        frame = await host.wait_for("Mme Diallo")
        person = re.search(r'href="/a/\w+/pour/(p\d+)"', frame).group(1)

        # The facilitator types for her.
        proxy = Person(server)
        proxy.http = host.http
        proxy.workshop_id = workshop["id"]
        page = host.http.get(f"/a/{workshop['id']}/pour/{person}")
        assert page.status_code == 200 and "Vous saisissez pour Mme Diallo" in page.text
        await proxy.connect(query=f"&pour={person}")
        await proxy.ack(await proxy.act({**ITEM, "text": "Dit par Mme Diallo"}))
        frame = await host.wait_for("1 par procuration")
        assert "Dit par Mme Diallo" in host.http.get(f"/a/{workshop['id']}/animation").text

        # Bob is no captain: he may not type for her. Once named captain, Alice may.
        assert bob.http.get(f"/a/{workshop['id']}/pour/{person}").status_code == 403
        with pytest.raises(websockets.InvalidStatus):
            await bob.connect(query=f"&pour={person}")
        alice_id = re.search(r'name="participant" value="(p\d+)">\s*<input type="hidden" name="captain"',
                             host.http.get(f"/a/{workshop['id']}/animation").text).group(1)
        await alice.connect()
        await alice.wait_for('id="stage"')
        await host.ack(await host.act({"type": "participant.captain", "participant": alice_id, "captain": True}))
        assert "Capitaine de table" in await alice.wait_for('id="captain"')
        captain = Person(server)
        captain.http = alice.http
        captain.workshop_id = workshop["id"]
        await captain.connect(query=f"&pour={person}")
        await captain.ack(await captain.act({**ITEM, "text": "Encore Mme Diallo"}))
        await host.wait_for("2 contributions")
        # Proxies type as the person, never as a facilitator.
        op = await captain.act({"type": "workshop.lock", "locked": True})
        await captain.refused(op)
        # Someone else without a phone arrives: the captain's list shows them at once; and once
        # Alice is no longer captain, her page stops getting the list.
        await host.ack(await host.act({"type": "participant.add_offline", "name": "M. Martin"}))
        assert "M. Martin" in await alice.wait_for(lambda frame: 'id="captain"' in frame and "M. Martin" in frame)
        await host.ack(await host.act({"type": "participant.captain", "participant": alice_id, "captain": False}))
        await alice.quiet(0.3)
        await host.ack(await host.act({"type": "participant.add_offline", "name": "Mme Petit"}))
        assert not any("Mme Petit" in frame for frame in await alice.quiet(0.5))

    run(scenario())


def test_removed_participant_can_no_longer_act(server):
    async def scenario():
        host, alice, bob, screen, key, workshop = setup(server)
        await host.connect(view="facilitator")
        await bob.connect()
        await bob.wait_for('id="stage"')
        frame = await host.wait_for("Bob")
        bob_id = re.search(r'name="participant" value="(p\d+)">\s*<button class="link danger" aria-label="Retirer Bob"',
                           frame).group(1)
        await host.ack(await host.act({"type": "participant.remove", "participant": bob_id}))
        await bob.wait_for("vous a retiré")
        with pytest.raises(websockets.ConnectionClosed):
            await bob.quiet(2)
        with pytest.raises(websockets.InvalidStatus):
            await bob.connect()
        assert bob.http.get(f"/a/{workshop['id']}").status_code == 303
        frame = await host.wait_for(lambda f: 'id="people"' in f and "Bob" not in f.split('id="people"')[1])
        assert "Personne n'a encore rejoint" in frame or "Alice" in frame

    run(scenario())
