"""The facilitator removes a participant and keeps them out of this workshop: their browser and
their name are refused with a message, until the facilitator lifts the exclusion."""

from __future__ import annotations

import asyncio
import re

import pytest
import websockets

from boards import rules, state
from boards.actions import parse
from boards.errors import Rejected
from boards.model import FACILITATOR, PARTICIPANT, Actor, Workshop
from players import Person

REFUSED = "vous ne pouvez pas le rejoindre à nouveau"


def run(coro):
    return asyncio.run(coro)


def test_only_the_facilitator_bans_and_the_core_keeps_the_banned_out():
    ws = Workshop(id="w1", title="Atelier", territory="QPV")
    seq = 0
    for event in rules.create_workshop("w1", "Atelier", "QPV", "ABCDEF") + rules.join(ws, "Animation", role=FACILITATOR):
        seq += 1
        state.apply(ws, {**event, "seq": seq})
    for name in ("Éric  Dupont", "Alice"):
        seq += 1
        state.apply(ws, {**rules.join(ws, name)[0], "seq": seq})
    host, eric, alice = list(ws.participants)
    ban = parse({"type": "participant.ban", "participant": eric})
    with pytest.raises(Rejected):
        rules.decide(ws, Actor(alice, PARTICIPANT), ban)
    for event in rules.decide(ws, Actor(host, FACILITATOR), ban):
        seq += 1
        state.apply(ws, {**event, "seq": seq})
    assert ws.participants[eric].removed and ws.participants[eric].banned
    for name, previous in (("Quelqu'un", eric), ("eric dupont", None), ("ÉRIC DUPONT ", None)):
        with pytest.raises(Rejected):
            rules.join(ws, name, previous=previous)
    assert rules.join(ws, "Bob")
    lift = parse({"type": "participant.ban", "participant": eric, "banned": "false"})
    for event in rules.decide(ws, Actor(host, FACILITATOR), lift):
        seq += 1
        state.apply(ws, {**event, "seq": seq})
    assert rules.join(ws, "Éric Dupont", previous=eric)


def test_a_banned_participant_cannot_come_back_until_the_facilitator_lifts_it(server):
    async def scenario():
        host = Person(server)
        workshop = host.create_workshop("Atelier agité", "QPV")
        await host.connect(view="facilitator")
        await host.wait_for('id="sync"')
        bob = Person(server)
        assert bob.join(workshop["code"], "Bob Martin").status_code == 303
        await bob.connect()
        await bob.wait_for('id="sync"')
        page = host.http.get(f"/a/{workshop['id']}/animation").text
        bob_id = re.search(r'name="type" value="participant.ban"><input type="hidden" name="participant" '
                           r'value="([^"]+)"', page.replace("\n", "").replace("  ", "")).group(1)

        await host.ack(await host.act({"type": "participant.ban", "participant": bob_id, "banned": "true"}))
        notice = await bob.wait_for("notice")
        assert "retiré" in notice
        with pytest.raises(websockets.ConnectionClosed):
            await bob.quiet(3)
        assert bob.socket.close_code == 4403
        # Back from the same browser under another name, or from another browser under the same one.
        again = bob.join(workshop["code"], "Robert")
        assert again.status_code == 400 and REFUSED in again.text
        other = Person(server).join(workshop["code"], "bob  MARTIN")
        assert other.status_code == 400 and REFUSED in other.text
        assert Person(server).join(workshop["code"], "Claire").status_code == 303
        panel = host.http.get(f"/a/{workshop['id']}/animation").text
        assert "Personnes exclues" in panel and "Lever l’exclusion de Bob Martin" in panel

        await host.ack(await host.act({"type": "participant.ban", "participant": bob_id, "banned": "false"}))
        assert bob.join(workshop["code"], "Bob Martin").status_code == 303
        assert "Personnes exclues" not in host.http.get(f"/a/{workshop['id']}/animation").text

    run(scenario())
