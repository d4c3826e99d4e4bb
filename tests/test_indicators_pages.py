"""The indicators board's live fragments against a real server: after each change, what a phone
shows (its page as loaded, with every frame's out-of-band swaps applied as htmx does) is what the
same page shows when loaded again."""

import asyncio
import re

from htmx_dom import Page
from players import Person

PAGES = {"facilitator": "/animation", "participant": ""}


def run(coro):
    return asyncio.run(coro)


class Reader:
    """One phone or laptop: a Person whose page follows the frames it receives."""

    def __init__(self, person: Person, view: str):
        self.person, self.view = person, view
        self.page: Page | None = None
        self.applied = 0

    def url(self) -> str:
        return f"/a/{self.person.workshop_id}{PAGES[self.view]}"

    async def open(self):
        html = self.person.http.get(self.url()).text
        self.page, self.applied = Page(html), len(self.person.frames)
        # Connected at the page's own number, as board.js does: nothing to catch up.
        self.person.seq = int(re.search(r'id="sync"[^>]*data-seq="(\d+)"', html).group(1))
        await self.person.connect(view=self.view)

    async def follow(self, seq: int):
        """Applies every frame up to the one that carries sequence number `seq`."""
        await self.person.wait_for(lambda frame: self.person.seq >= seq)
        for frame in self.person.frames[self.applied:]:
            self.page.apply(frame)
        self.applied = len(self.person.frames)

    def stage(self) -> str | None:
        return self.page.region("stage")

    def fresh_stage(self) -> str | None:
        return Page(self.person.http.get(self.url()).text).region("stage")


def sync_seq(frame: str) -> int:
    return int(re.search(r'id="sync"[^>]*data-seq="(\d+)"', frame).group(1))


def test_the_first_proposal_on_a_board_without_indicators_reaches_every_page(server):
    """An empty board shows a message instead of its groups of cards: the first proposal must
    replace it, not be appended to a group that is not on the page."""
    async def scenario():
        host = Person(server)
        workshop = host.create_workshop("Atelier des Tilleuls", "QPV des Tilleuls")
        alice, bob = Person(server), Person(server)
        for phone, name in ((alice, "Alice"), (bob, "Bob")):
            assert phone.join(workshop["code"], name).status_code == 303
        await host.connect(view="facilitator")
        frame = await host.ack(await host.act({"type": "board.add", "kind": "indicators", "title": "Référentiel"}))
        board = max(re.findall(r'name="board" value="(b\d+)"', frame), key=lambda b: int(b[1:]))
        await host.ack(await host.act({"type": "board.show", "board": board}))
        await host.close()

        readers = [Reader(host, "facilitator"), Reader(alice, "participant"), Reader(bob, "participant")]
        for reader in readers:
            await reader.open()
            assert "Aucun indicateur sur ce tableau pour l'instant." in reader.stage()

        acked = await alice.ack(await alice.act({"type": "indicator.propose", "board": board,
                                                 "name": "Accès aux droits"}))
        for reader in readers:
            await reader.follow(sync_seq(acked))
            assert "Accès aux droits" in reader.stage(), reader.view
            assert reader.stage() == reader.fresh_stage(), reader.view

        # The second proposal joins the first one's group, on every page.
        acked = await bob.ack(await bob.act({"type": "indicator.propose", "board": board,
                                             "name": "Partage des données"}))
        for reader in readers:
            await reader.follow(sync_seq(acked))
            assert "Partage des données" in reader.stage(), reader.view
            assert reader.stage() == reader.fresh_stage(), reader.view

        # The last one withdrawn, the message is back.
        for person, name in ((alice, "Accès aux droits"), (bob, "Partage des données")):
            key = re.search(rf'id="ind-{board}-c-(\w+)"><h4 >{name}<', readers[0].stage()).group(1)
            acked = await person.ack(await person.act({"type": "indicator.withdraw", "board": board,
                                                       "indicator": key}))
        for reader in readers:
            await reader.follow(sync_seq(acked))
            assert "Aucun indicateur sur ce tableau pour l'instant." in reader.stage(), reader.view
            assert reader.stage() == reader.fresh_stage(), reader.view

    run(scenario())
