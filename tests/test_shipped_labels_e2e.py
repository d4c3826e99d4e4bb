"""Our shipped defaults read in the reader's language; what people typed reads as typed.

A workshop starts with default actor and tie types, brake/lever categories and the common
indicator library, stored in French. An English reader sees them in English on the boards, the
review pages and the report; a category the facilitator renamed, a type they added, stay exactly
as typed in both languages; data files keep the stored French whoever downloads them."""

import asyncio
import re
import shutil
import time

import pytest

from cdp import Chromium
from players import Person, Server
from server.i18n import translate

TOKEN = "jeton-de-coordination-libelles"


def run(coro):
    return asyncio.run(coro)


def english(person: Person) -> Person:
    """The reader chooses English with the page header's switch (a cookie the websocket sends too)."""
    assert person.http.get("/langue/en?next=/").status_code == 303
    return person


async def board(host: Person, kind: str, title: str) -> str:
    frame = await host.ack(await host.act({"type": "board.add", "kind": kind, "title": title}))
    added = max(re.findall(r'name="board" value="(b\d+)"', frame), key=lambda b: int(b[1:]))
    await host.ack(await host.act({"type": "board.show", "board": added}))
    return added


def test_an_english_reader_sees_our_types_and_categories_in_english_and_typed_ones_as_typed(server):
    async def scenario():
        host = Person(server)
        workshop = host.create_workshop("Atelier des Tilleuls", "QPV des Tilleuls")
        alice, bob = english(Person(server)), Person(server)
        for person, name in ((alice, "Alice"), (bob, "Bob")):
            assert person.join(workshop["code"], name).status_code == 303
        await host.connect(view="facilitator")
        await host.wait_for('id="stage"')

        # The stakeholder map: two of our actor types and one the facilitator typed.
        stakeholders = await board(host, "stakeholders", "Carte")
        await host.ack(await host.act({"type": "map.types", "board": stakeholders, "list": "actor",
                                       "names": "association\ncollectivité\nclub de foot"}))
        await alice.connect()
        await bob.connect()
        english_map = await alice.wait_for(f'id="sh-{stakeholders}"')
        french_map = await bob.wait_for(f'id="sh-{stakeholders}"')
        # Values sent back stay the stored French; what is read is the reader's language.
        assert '<option value="association">non-profit association</option>' in english_map
        assert '<option value="collectivité">local authority</option>' in english_map
        assert '<option value="club de foot">club de foot</option>' in english_map
        assert '<option value="projet commun">joint project</option>' in english_map
        assert '<span data-k="projet commun">joint project</span>' in english_map
        assert '<option value="association">association</option>' in french_map
        assert '<option value="club de foot">club de foot</option>' in french_map
        assert "non-profit association" not in french_map and "joint project" not in french_map
        legend = re.search(r'<ul class="sh-types">.*?</ul>', english_map, re.S).group(0)
        assert "local authority" in legend and "club de foot" in legend and "collectivité" not in legend

        # An actor added by the English reader is stored with the French type, as exports show it.
        frame = await alice.ack(await alice.act({"type": "actor.add", "board": stakeholders,
                                                 "name": "Régie de quartier", "category": "association"}))
        assert 'data-c="association"' in frame
        export = host.http.get(f"/a/{workshop['id']}/cartographie/{stakeholders}/acteurs.csv")
        assert "Régie de quartier;association;" in export.content.decode("utf-8-sig")

        # Brakes and levers: one category renamed by the facilitator, the others ours.
        levers = await board(host, "levers", "Freins et leviers")
        await host.ack(await host.act({"type": "levers.category.rename", "board": levers,
                                       "category": "social", "label": "Vie du quartier"}))
        english_board = await alice.wait_for('<option value="social">Vie du quartier</option>')
        french_board = await bob.wait_for('<option value="social">Vie du quartier</option>')
        assert '<option value="economique">Economic</option>' in english_board
        assert '<option value="social">Vie du quartier</option>' in english_board
        assert '<option value="economique">Économique</option>' in french_board
        assert '<option value="social">Vie du quartier</option>' in french_board
        for person in (host, alice, bob):
            await person.close()

    run(scenario())


def wait_ready(person: Person, snapshot_id: str) -> str:
    ready = translate("en", "Le réseau en chiffres")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = person.http.get(f"/coordination/instantanes/{snapshot_id}")
        assert page.status_code == 200
        if ready in page.text:
            return page.text
        time.sleep(0.2)
    raise AssertionError("analysis never finished")


def test_the_report_and_review_pages_read_our_defaults_in_english_and_data_files_keep_them(tmp_path):
    server = Server(tmp_path / "libelles.db", extra=("--coordinator-token", TOKEN)).start()
    try:
        host = Person(server)
        workshop = host.create_workshop("Atelier de janvier", "QPV des Tilleuls")
        alice = Person(server)
        assert alice.join(workshop["code"], "Alice").status_code == 303

        async def scenario():
            await host.connect(view="facilitator")
            await host.wait_for('id="stage"')
            stakeholders = await board(host, "stakeholders", "Carte")
            await host.ack(await host.act({"type": "map.types", "board": stakeholders, "list": "actor",
                                           "names": "association\ncollectivité\nclub de foot"}))
            ids = []
            for name, kind in (("Centre social", "association"), ("Mairie", "collectivité"),
                               ("Club des Tilleuls", "club de foot")):
                frame = await host.ack(await host.act({"type": "actor.add", "board": stakeholders,
                                                       "name": name, "category": kind}))
                ids.append(re.search(r'id="actor-(a\d+)"[^>]*>' + name + "<", frame).group(1))
            for source, target in ((ids[0], ids[1]), (ids[1], ids[2])):
                await host.ack(await host.act({"type": "tie.add", "board": stakeholders, "source": source,
                                               "target": target, "category": "projet commun",
                                               "strength": 2, "direction": "both"}))

            levers = await board(host, "levers", "Freins et leviers")
            await host.ack(await host.act({"type": "levers.category.rename", "board": levers,
                                           "category": "social", "label": "Vie du quartier"}))
            await alice.connect()
            await alice.wait_for(f'value="{levers}"')
            for category, text in (("social", "Trop peu de temps pour se voir"),
                                   ("economique", "Budgets séparés")):
                await alice.ack(await alice.act({"type": "card.add", "board": levers, "side": "frein",
                                                 "category": category, "text": text}))
            # Cards stay out of snapshots while writing is private.
            await host.ack(await host.act({"type": "board.phase", "board": levers, "phase": "reveal"}))

            indicators = await board(host, "indicators", "Référentiel")
            seeded = host.http.post(f"/a/{workshop['id']}/indicateurs/{indicators}/amorcer")
            assert seeded.status_code == 303
            await host.wait_for(f'id="ind-{indicators}-c-inter1"')
            await host.ack(await host.act({"type": "indicator.choose", "board": indicators,
                                           "indicator": "inter1", "chosen": True}))
            await host.ack(await host.act({"type": "indicators.publish", "board": indicators}))
            # The facilitator's console in English names the library's indicators in English.
            english(host)
            console = host.http.get(f"/a/{workshop['id']}/animation").text
            assert "Knowing each other&#39;s missions" in console and "Actors knowing one another" in console
            assert "Connaissance mutuelle des missions" not in console
            await alice.close()
            await host.close()

        run(scenario())
        taken = host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": "T0"})
        assert taken.status_code == 303
        snapshot = re.search(r"instantane=(s[0-9a-f]+)", taken.headers["location"]).group(1)

        coordinator = english(Person(server))
        assert coordinator.http.post("/coordination/connexion",
                                     data={"token": TOKEN, "suite": "/coordination"}).status_code == 303
        page = wait_ready(coordinator, snapshot)
        # The snapshot page: the renamed category as typed, ours in English, the indicator in English.
        assert "Vie du quartier" in page and "Economic" in page and "Économique" not in page
        assert "Knowing each other&#39;s missions" in page and "Actors knowing one another" in page
        assert "non-profit association" in page and "club de foot" in page

        url = f"/coordination/instantanes/{snapshot}/export/"
        report = coordinator.http.get(url + "rapport.html").text
        assert '<html lang="en">' in report and "The network in figures" in report
        assert "joint project" in report and "projet commun" not in report
        assert "non-profit association" in report and "local authority" in report
        assert "Knowing each other&#39;s missions" in report and "Actors knowing one another" in report
        assert "Connaissance mutuelle des missions" not in report

        # The same report for a French reader, and the data files for anyone: stored French.
        french = Person(server)
        french.http.post("/coordination/connexion", data={"token": TOKEN, "suite": "/coordination"})
        french_report = french.http.get(url + "rapport.html").text
        assert '<html lang="fr">' in french_report and "projet commun" in french_report
        assert "Connaissance mutuelle des missions" in french_report and "joint project" not in french_report
        ties = coordinator.http.get(url + "liens.csv").content.decode("utf-8-sig")
        assert "projet commun" in ties and "joint project" not in ties
        cards = coordinator.http.get(url + "freins_leviers.csv").content.decode("utf-8-sig")
        assert "Vie du quartier" in cards and "Économique" in cards and "Economic" not in cards
        network = coordinator.http.get(url + "reseau.html").text
        assert '"non-profit association"' in network and '"club de foot"' in network
    finally:
        server.stop()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package")
def test_in_chromium_the_actor_panel_names_our_types_in_english_and_a_typed_one_as_typed(server):
    """The panel of the selected actor is filled by static/stakeholders.js from the stored values."""
    loop = asyncio.new_event_loop()
    host = Person(server)
    workshop = host.create_workshop("Atelier des Tilleuls", "QPV des Tilleuls")
    alice = english(Person(server))
    assert alice.join(workshop["code"], "Alice").status_code == 303

    async def prepare():
        await host.connect(view="facilitator")
        await host.wait_for('id="stage"')
        map_board = await board(host, "stakeholders", "Carte")
        await host.ack(await host.act({"type": "map.types", "board": map_board, "list": "actor",
                                       "names": "association\nclub de foot"}))
        ids = []
        for name, kind in (("Centre social", "association"), ("Club des Tilleuls", "club de foot")):
            frame = await host.ack(await host.act({"type": "actor.add", "board": map_board, "name": name,
                                                   "category": kind}))
            ids.append(re.search(r'id="actor-(a\d+)"[^>]*>' + name + "<", frame).group(1))
        await host.ack(await host.act({"type": "tie.add", "board": map_board, "source": ids[0],
                                       "target": ids[1], "category": "projet commun", "strength": 2,
                                       "direction": "both"}))
        return map_board, ids

    map_board, (centre, club) = loop.run_until_complete(prepare())
    browser = Chromium()
    try:
        browser.open_workshop(alice, server, workshop['id'])
        panel = f"document.getElementById('sh-panel-{map_board}')"
        for actor, kind in ((centre, "non-profit association"), (club, "club de foot")):
            browser.value(f"document.getElementById('actor-{actor}').click()")
            browser.wait(f"!{panel}.hidden && {panel}.querySelector('.sh-sel-type').textContent === {kind!r}")
            browser.wait(f"{panel}.querySelector('.sh-r-kind') && "
                         f"{panel}.querySelector('.sh-r-kind').textContent === 'joint project'")
            browser.value(f"{panel}.querySelector('.sh-close').click()")
            browser.wait(f"{panel}.hidden")
    finally:
        browser.close()
        loop.run_until_complete(host.close())
        loop.close()
