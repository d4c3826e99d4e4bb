"""The facilitator's people panel follows presence and contributions item by item.

Re-rendered whole on every refresh, the panel cost 0.2 ms a person (180 ms and 800 KB a second
at 1,000 people while they contribute). A refresh now sends the items of the people whose
presence or counts changed; the whole panel only when its list did (someone joined, left, was
excluded) or a console connected. Either way the console's panel must end as a fresh render.
Real shell (Workshops, Hub, a SQLite file); the page is tests/htmx_dom.py's.
"""

from __future__ import annotations

import re

from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards import rules
from boards.actions import parse
from htmx_dom import Page, regions
from players import ITEM
from server import render
from server.hub import Hub
from server.store import Store
from server.workshops import Workshops


def fresh_panel(shell, ws) -> str:
    online = set(shell.hub.room(ws.id).online())
    return regions(render.presence(ws, online, "facilitator", "fr"))["people"]


def test_a_refresh_sends_only_the_people_who_changed_and_the_panel_stays_right(tmp_path):
    store = Store(str(tmp_path / "atelier.db"))
    try:
        hub = Hub()
        shell = Workshops(store, hub)
        ws = shell.get(shell.create("Atelier", "QPV")["id"])
        host = shell.facilitator(ws, "Animation")
        people = [shell.join(ws, f"Personne {n}") for n in range(40)]
        room = hub.room(ws.id)
        console = hub.client(None, FACILITATOR, host, "fr")
        phones = {p: hub.client(None, PARTICIPANT, p, "fr") for p in people}
        for client in [console, *phones.values()]:
            room.add(client)
        shell.presence.console_connected(ws)
        shell.presence.refresh(ws)
        first = console.take()
        assert '<div id="people"' in first
        page = Page('<div id="people"></div><span id="online"></span>')
        page.apply(first)
        assert page.region("people") == fresh_panel(shell, ws)

        # One contributes, one leaves, one is named captain: two items and a count, not the panel.
        board = ws.current_board
        shell.commit(ws, rules.decide(ws, Actor(people[3], PARTICIPANT),
                                      parse({**ITEM, "board": board, "text": "Une idée"})),
                     people[3])
        room.discard(phones[people[7]])
        shell.commit(ws, rules.decide(ws, Actor(host, FACILITATOR),
                                      parse({"type": "participant.captain", "participant": people[9],
                                             "captain": True})))
        # (Without an event loop, each change refreshes presence at once.)
        shell.presence.refresh(ws)
        frame = console.take()
        assert '<div id="people"' not in frame
        # Whose presence or captaincy changed: their items; who only contributed: the count alone.
        assert set(re.findall(r'<li id="person-([^"]+)"', frame)) == {people[7], people[9]}
        assert set(re.findall(r'<span id="contrib-([^"]+)" hx-swap-oob', frame)) == {people[3]}
        assert len(frame) < len(first) / 5
        page.apply(frame)
        assert page.region("people") == fresh_panel(shell, ws)

        # Nothing changed: no item at all.
        shell.presence.refresh(ws)
        nothing = console.take()
        assert "person-" not in nothing and "contrib-" not in nothing

        # Someone new: their item is appended to the list, not the whole panel sent again.
        newcomer = shell.join(ws, "Nouvelle venue")
        frame = console.take()
        assert '<div id="people"' not in frame
        assert re.findall(r'<li id="person-([^"]+)"', frame) == [newcomer]
        assert len(frame) < len(first) / 5
        page.apply(frame)
        assert page.region("people") == fresh_panel(shell, ws)

        # Someone leaves the list (removed): the panel goes whole.
        shell.commit(ws, rules.decide(ws, Actor(host, FACILITATOR),
                                      parse({"type": "participant.remove", "participant": people[5]})))
        shell.presence.refresh(ws)
        frame = console.take()
        assert '<div id="people"' in frame
        page.apply(frame)
        assert page.region("people") == fresh_panel(shell, ws)
    finally:
        store.close()
