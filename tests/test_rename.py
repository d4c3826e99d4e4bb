"""A change of name sends only what shows the name, to the pages that show it.

Whole frames on every rename cost the server its CPU and the phones their data (a 1,000-actor map
sent to every phone, 19 times a second). A rename now swaps the elements that show the person's
name: their header on their own pages, their item of the facilitator's people panel, the authors
of signed contributions where each view shows them. Every page must end as a fresh render, no
page may receive a name it does not show (an anonymous contribution stays anonymous), and every
swap must find its element (a missing one is a console error in the browser).
Real shell (Workshops, Hub, a SQLite file); the pages are tests/htmx_dom.py's.
"""

from __future__ import annotations

import asyncio
import re

from boards import rules
from boards.actions import parse
from boards.model import FACILITATOR, PARTICIPANT, SCREEN, Actor
from htmx_dom import Page, regions
from players import Person
from server import render
from server.hub import Hub
from server.store import Store
from server.workshops import Workshops

LOCALE = "fr"
KINDS = ("ideas", "levers", "diagnosis", "systems", "ambition", "indicators", "stakeholders")
OOB_BY_ID = re.compile(r'<(\w+) id="([^"]+)"[^>]*hx-swap-oob="true"')


class Room:
    """Alice (Mission locale) and Bob on their phones, the facilitator's console, the projector."""

    def __init__(self, tmp_path):
        self.store = Store(str(tmp_path / "atelier.db"))
        self.hub = Hub()
        self.shell = Workshops(self.store, self.hub)
        boards = tuple((kind, kind) for kind in KINDS)
        self.ws = self.shell.get(self.shell.create("Atelier", "QPV", boards=boards)["id"])
        self.board = {b.kind: b.id for b in self.ws.boards.values()}
        self.host = self.shell.facilitator(self.ws, "Animation")
        self.alice = self.shell.join(self.ws, "Alice Arnaud", "Mission locale")
        self.bob = self.shell.join(self.ws, "Bob Bernard")
        self.pages: dict[str, tuple] = {}

    def act(self, who: str, message: dict) -> None:
        role = FACILITATOR if who == self.host else PARTICIPANT
        self.shell.commit(self.ws, lambda ws: rules.decide(ws, Actor(who, role), parse(message)))

    def show(self, kind: str) -> str:
        self.close_pages()
        self.act(self.host, {"type": "board.show", "board": self.board[kind]})
        return self.board[kind]

    def fresh(self, view: str, me: str | None) -> str:
        """The page's live regions as a page that connects now gets them: its frame, its header,
        the online count and, on the console, the people panel."""
        online = set(self.hub.room(self.ws.id).online())
        return (render.frame(self.ws, view, LOCALE, me) + render.header(self.ws, view, LOCALE, me, oob=True)
                + render.presence(self.ws, online, view, LOCALE))

    def close_pages(self) -> None:
        room = self.hub.room(self.ws.id)
        for client, *_ in self.pages.values():
            room.discard(client)
        self.pages = {}

    def open_pages(self) -> None:
        """Every page as it is now, connected: later frames are applied to it."""
        self.close_pages()
        room = self.hub.room(self.ws.id)
        for view, me in ((PARTICIPANT, self.alice), (PARTICIPANT, self.bob), (FACILITATOR, self.host), (SCREEN, None)):
            room.add(self.hub.client(None, view, me, LOCALE))
        self.shell.presence.console_connected(self.ws)
        for client in room.clients:
            self.pages[{self.alice: "alice", self.bob: "bob", self.host: "console"}.get(client.participant, "screen")] = (
                client, client.view, client.participant,
                Page('<div id="sync" hidden></div>' + self.fresh(client.view, client.participant)))
        # The panel as the server last sent it: later refreshes send the items that changed.
        self.shell.presence.refresh(self.ws)
        for client, *_ in self.pages.values():
            client.take()

    def rename(self, name: str) -> dict[str, str]:
        """Alice takes `name`; returns the frame each page received, each applied to its page."""
        before = {page: self.text(page) for page in self.pages}
        old = self.ws.participants[self.alice].name
        self.act(self.alice, {"type": "participant.rename", "name": name, "organisation": "Mission locale"})
        self.shell.presence.refresh(self.ws)
        frames = {}
        for page, (client, view, me, dom) in self.pages.items():
            frame = frames[page] = client.take()
            for tag, element_id in OOB_BY_ID.findall(frame):
                assert dom.root.find(element_id) is not None, f"{page}: a swap of #{element_id}, not on the page"
            dom.apply(frame)
            fresh = regions(self.fresh(view, me))
            for region, expected in fresh.items():
                assert dom.region(region) == expected, f"{page}: #{region} differs from a fresh render"
            shown = self.text(page)
            assert shown.count(name) == before[page].count(old), (page, name)
            assert old not in shown, (page, old)
            if old not in before[page]:
                assert name not in frame, f"{page} shows no name of Alice, yet received the new one"
        return frames

    def text(self, page: str) -> str:
        """What the page shows in its live regions."""
        dom = self.pages[page][3]
        return "".join(dom.region(node.attrs["id"]) or "" for node in dom.root.elements() if "id" in node.attrs)

    def close(self) -> None:
        self.store.close()


def test_a_rename_swaps_the_names_each_page_shows_and_nothing_else(tmp_path):
    room = Room(tmp_path)
    try:
        alice, bob, host = room.alice, room.bob, room.host
        # The structured diagnosis, names shown: Alice's item is signed.
        board = room.show("diagnosis")
        room.act(host, {"type": "diagnosis.settings", "board": board, "budget": 3, "anonymous": False})
        room.act(alice, {"type": "diagnosis.add", "board": board, "theme": "emploi", "nature": "need",
                         "source": "lived", "text": "Des horaires de garde"})
        room.open_pages()
        frames = room.rename("Alice Martin")
        assert all("Alice Martin" in frames[page] for page in ("alice", "bob", "console", "screen"))
        assert 'id="me"' in frames["alice"] and 'id="me"' not in frames["bob"]

        # Free ideas: the author shows on the facilitator's console only.
        board = room.show("ideas")
        room.act(alice, {"type": "note.add", "board": board, "text": "Une navette le samedi"})
        room.open_pages()
        frames = room.rename("Alice Nguyen")
        assert f'id="note-meta-' in frames["console"]

        # Brakes and levers: one card written while the board was anonymous, one signed. While
        # writing, cards are private: the signed one shows its name on Alice's phone only.
        board = room.show("levers")
        room.act(alice, {"type": "card.add", "board": board, "side": "levier", "category": "gouvernance",
                         "text": "Un annuaire partagé"})
        room.act(host, {"type": "levers.anonymous", "board": board, "anonymous": False})
        room.act(alice, {"type": "card.add", "board": board, "side": "frein", "category": "gouvernance",
                         "text": "Les bailleurs ne viennent pas"})
        unsigned, signed = list(room.ws.boards[board].data.cards)
        room.open_pages()
        frames = room.rename("Alice Martin")
        assert f'id="lv-who-{signed}"' in frames["alice"]
        room.act(host, {"type": "board.phase", "board": board, "phase": "reveal"})
        room.open_pages()
        frames = room.rename("Alice Nguyen")
        assert all(f'id="lv-who-{signed}"' in frames[page] for page in ("alice", "bob", "console", "screen"))
        assert not any(f"lv-who-{unsigned}" in frame for frame in frames.values())

        # The systems map, names shown.
        board = room.show("systems")
        room.act(host, {"type": "systems.anonymous", "board": board, "anonymous": False})
        room.act(alice, {"type": "factor.add", "board": board, "text": "Confiance entre partenaires"})
        room.open_pages()
        room.rename("Alice Martin")

        # The shared ambition: Alice's statement, and her reserve in the closed round (shown twice,
        # in the round's result and in the statement's rounds); Bob's objection stays his.
        board = room.show("ambition")
        room.act(host, {"type": "ambition.anonymous", "board": board, "anonymous": False})
        room.act(alice, {"type": "ambition.propose", "board": board, "text": "Que chaque jeune trouve un appui"})
        statement = next(iter(room.ws.boards[board].data.statements))
        room.act(host, {"type": "board.phase", "board": board, "phase": "consent"})
        room.act(host, {"type": "ambition.round.open", "board": board, "statement": statement})
        room.act(bob, {"type": "ambition.answer", "board": board, "answer": "object", "reason": "Trop vague"})
        room.act(alice, {"type": "ambition.answer", "board": board, "answer": "reserve", "reason": "Les moyens"})
        room.act(host, {"type": "ambition.round.close", "board": board})
        room.open_pages()
        frames = room.rename("Alice Nguyen")
        assert "Bob Bernard" not in frames["screen"]

        # Indicators: who proposed one, on the console.
        board = room.show("indicators")
        room.act(alice, {"type": "indicator.propose", "board": board, "name": "Jeunes accompagnés"})
        room.open_pages()
        room.rename("Alice Martin")

        # The stakeholder map, 100 actors: "ajouté par" in the console's likely duplicates. The
        # phones and the projector get a frame that has nothing of the map.
        board = room.show("stakeholders")
        room.act(alice, {"type": "actor.add", "board": board, "name": "Mission locale", "category": "association"})
        room.act(bob, {"type": "actor.add", "board": board, "name": "Mission Locale", "category": "association",
                       "anyway": True})
        for n in range(100):
            room.act(host, {"type": "actor.add", "board": board, "name": f"Association {n}", "category": "association"})
        room.open_pages()
        frames = room.rename("Alice Nguyen")
        for page in ("bob", "screen"):
            assert len(frames[page]) < 1_000, (page, len(frames[page]))
        assert 'id="actor-' not in frames["console"] and 'id="sh-dups-' in frames["console"]
        assert len(frames["console"]) < len(room.fresh(FACILITATOR, host)) / 10
    finally:
        room.close()


def test_a_page_away_during_a_rename_shows_the_new_name_when_it_comes_back(tmp_path):
    room = Room(tmp_path)
    try:
        board = room.show("levers")
        room.act(room.host, {"type": "levers.anonymous", "board": board, "anonymous": False})
        room.act(room.alice, {"type": "card.add", "board": board, "side": "frein", "category": "gouvernance",
                              "text": "Les bailleurs ne viennent pas"})
        room.act(room.host, {"type": "board.phase", "board": board, "phase": "reveal"})
        room.open_pages()
        seq = room.ws.seq
        hub_room = room.hub.room(room.ws.id)
        for page in ("alice", "bob"):
            hub_room.discard(room.pages[page][0])
        room.act(room.alice, {"type": "participant.rename", "name": "Alice Martin", "organisation": ""})
        for page in ("alice", "bob"):
            _, view, me, dom = room.pages[page]
            client = room.hub.client(None, view, me, LOCALE)
            hub_room.add(client)
            room.shell.resync(room.ws, client, seq)
            dom.apply(client.take())
            # (The online count follows with the next refresh of presence.)
            fresh = render.frame(room.ws, view, LOCALE, me) + render.header(room.ws, view, LOCALE, me, oob=True)
            for region, expected in regions(fresh).items():
                assert dom.region(region) == expected, f"{page}: #{region} differs from a fresh render"
        assert "Alice Martin" in room.pages["alice"][3].region("me")
        assert "Mission locale" not in room.pages["alice"][3].region("me")
        assert "Alice Martin" in room.pages["bob"][3].region(f"lv-who-{next(iter(room.ws.boards[board].data.cards))}")
    finally:
        room.close()


def test_on_a_live_server_a_rename_reaches_the_pages_that_show_it_in_a_few_bytes(server):
    """Real server, real websocket clients: a 300-actor map on screen; Alice renames herself. Bob's
    phone gets a frame that has nothing of the map; Alice's header and the console's people panel
    follow; Alice's second tab, away meanwhile, shows the new name when it comes back."""
    async def scenario():
        host, alice, bob, tab = Person(server), Person(server), Person(server), Person(server)
        workshop = host.create_workshop("Atelier des Tilleuls", "QPV des Tilleuls")
        assert alice.join(workshop["code"], "Alice Arnaud", "Mission locale").status_code == 303
        assert bob.join(workshop["code"], "Bob Bernard").status_code == 303
        tab.http.cookies = alice.http.cookies
        tab.workshop_id = alice.workshop_id
        await host.connect(view="facilitator")
        await host.wait_for('id="stage"')
        frame = await host.ack(await host.act({"type": "board.add", "kind": "stakeholders", "title": "Carte"}))
        board = "b" + re.search(r'data-seq="(\d+)"', frame).group(1)
        listing = "nom;type\n" + "\n".join(f"Structure {n};association" for n in range(300))
        imported = host.http.post(f"/a/{workshop['id']}/cartographie/{board}/import",
                                  files={"file": ("acteurs.csv", listing.encode(), "text/csv")})
        assert imported.status_code == 200 and "300" in imported.text
        await host.ack(await host.act({"type": "board.show", "board": board}))
        for phone in (alice, bob, tab):
            await phone.connect()
            await phone.wait_for('id="stage"')
        await tab.close()
        await host.quiet(0.3)

        await alice.ack(await alice.act({"type": "participant.rename", "name": "Alice Martin",
                                         "organisation": "Mission locale"}))
        assert re.search(r'<p id="me"[^>]*>[^<]*<strong>Alice Martin</strong>', "".join(alice.frames[-3:]))
        got = await bob.quiet(0.5)
        assert sum(len(f) for f in got) < 2_000, [len(f) for f in got]
        assert not any("Alice" in f or 'id="actor-' in f for f in got)
        panel = await host.wait_for(lambda f: re.search(r'<li id="person-p\d+"[^>]*>\s*<span class="dot"', f)
                                    and "Alice Martin" in f)
        assert 'id="actor-' not in panel

        await tab.connect()
        back = await tab.wait_for('id="stage"')
        assert re.search(r'<p id="me"[^>]*>[^<]*<strong>Alice Martin</strong>', back)
        for person in (host, alice, bob, tab):
            await person.close()

    asyncio.run(scenario())
