"""The indicator framework against a real server: phones rate, the projector's histogram follows live,
a later workshop starts from the framework, coordinators edit the library; one scenario in Chromium."""

import asyncio
import json
import re
import shutil
from pathlib import Path

import pytest

from cdp import Chromium
from players import Person, Server

SHIPPED = Path(__file__).resolve().parent.parent / "boards" / "data" / "indicators.json"
TOKEN = "jeton-de-coordination-test"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def coordinated(tmp_path):
    running = Server(tmp_path / "atelier.db", extra=("--coordinator-token", TOKEN)).start()
    yield running
    running.stop()


def people(server, title="Atelier des Tilleuls", territory="QPV des Tilleuls", names=("Alice", "Bob")):
    host = Person(server)
    workshop = host.create_workshop(title, territory)
    phones = []
    for name in names:
        phone = Person(server)
        assert phone.join(workshop["code"], name).status_code == 303
        phones.append(phone)
    screen = Person(server)
    screen.workshop_id = workshop["id"]
    page = host.http.get(f"/a/{workshop['id']}/animation").text
    screen_query = "&cle=" + re.search(r"ecran\?cle=([0-9a-f]+)", page).group(1)
    return host, phones, screen, screen_query, workshop


async def indicators_board(host, workshop) -> str:
    """Adds an indicators board, shows it, and starts it from the library as the facilitator's button does."""
    await host.connect(view="facilitator")
    await host.wait_for('id="stage"')
    frame = await host.ack(await host.act({"type": "board.add", "kind": "indicators", "title": "Référentiel"}))
    board = max(re.findall(r'name="board" value="(b\d+)"', frame), key=lambda b: int(b[1:]))
    await host.ack(await host.act({"type": "board.show", "board": board}))
    seeded = host.http.post(f"/a/{workshop['id']}/indicateurs/{board}/amorcer")
    assert seeded.status_code == 303 and seeded.headers["location"] == f"/a/{workshop['id']}/animation"
    await host.wait_for(f'id="ind-{board}-c-inter1"')
    return board


async def adopt(host, board, *keys):
    for key in keys:
        await host.ack(await host.act({"type": "indicator.choose", "board": board, "indicator": key, "chosen": True}))
    await host.ack(await host.act({"type": "indicators.publish", "board": board}))


async def phase(host, board, name):
    await host.ack(await host.act({"type": "board.phase", "board": board, "phase": name}))


def histogram(html, board, key):
    """The last rendering of one indicator's histogram in `html`: counts for 1..5 and "?", and its text."""
    found = re.findall(rf'<article id="ind-{board}-h-{key}".*?</article>', html, re.S)
    if not found:
        return None, ""
    article = found[-1]
    return [int(n) for n in re.findall(r'<span class="ind-count">(\d+)</span>', article)], article


def counts_are(board, key, expected):
    return lambda frame: histogram(frame, board, key)[0] == expected


def pressed(html, board, key):
    row = re.findall(rf'<li id="ind-{board}-r-{key}".*?</li>', html, re.S)
    values = re.findall(r'name="value" value="(\w+)"><button[^>]*aria-pressed="true"', row[-1]) if row else []
    return values[0] if values else None


def test_two_phones_rate_and_the_projector_histogram_updates_live(server):
    async def scenario():
        host, (alice, bob), screen, screen_query, workshop = people(server)
        board = await indicators_board(host, workshop)
        await adopt(host, board, "inter1", "coord2")
        await phase(host, board, "rate")
        await alice.connect()
        await bob.connect()
        await screen.connect(view="screen", query=screen_query)
        for person in (alice, bob, screen):
            await person.wait_for('id="stage"')
        assert histogram(screen.frames[-1], board, "inter1")[0] == [0, 0, 0, 0, 0, 0]

        await alice.ack(await alice.act({"type": "indicator.rate", "board": board, "indicator": "inter1",
                                         "value": "2"}))
        frame = await screen.wait_for(counts_are(board, "inter1", [0, 1, 0, 0, 0, 0]))
        assert "Médiane : 2" in histogram(frame, board, "inter1")[1]

        await bob.ack(await bob.act({"type": "indicator.rate", "board": board, "indicator": "inter1", "value": 5}))
        frame = await screen.wait_for(counts_are(board, "inter1", [0, 1, 0, 0, 1, 0]))
        article = histogram(frame, board, "inter1")[1]
        assert "is-cue" in article and "Avis partagés : à discuter" in article
        assert re.search(r'id="ind-' + board + r'-cues".*Connaissance mutuelle des missions', frame, re.S)

        # Alice changes her mind: her answer replaces the earlier one on the projector.
        await alice.ack(await alice.act({"type": "indicator.rate", "board": board, "indicator": "inter1",
                                         "value": "4"}))
        frame = await screen.wait_for(counts_are(board, "inter1", [0, 0, 0, 1, 1, 0]))
        assert "Médiane : 4,5" in histogram(frame, board, "inter1")[1]
        # Her phone shows her own answer; Bob's phone never receives Alice's.
        assert pressed(await alice.wait_for(lambda f: pressed(f, board, "inter1") == "4"), board, "inter1") == "4"
        assert all(pressed(f, board, "inter1") in (None, "5") for f in bob.frames)
        # Another tap on the same answer changes nothing anyone sees.
        await alice.ack(await alice.act({"type": "indicator.rate", "board": board, "indicator": "inter1",
                                         "value": "4"}))
        assert all("ind-count" not in f for f in await screen.quiet(0.4))

        # Reloaded pages agree: Alice's answer is selected on her phone, the counts on the console.
        assert pressed(alice.http.get(f"/a/{workshop['id']}").text, board, "inter1") == "4"
        console = host.http.get(f"/a/{workshop['id']}/animation").text
        assert histogram(console, board, "inter1")[0] == [0, 0, 0, 1, 1, 0]
        assert "2 personnes ont répondu au baromètre." in console

    run(scenario())


def test_budgets_and_bad_input_are_refused_to_the_sender_only(server):
    async def scenario():
        host, (alice, bob), screen, screen_query, workshop = people(server)
        board = await indicators_board(host, workshop)
        await host.ack(await host.act({"type": "indicators.mode", "board": board, "mode": "dots", "budget": "2"}))
        await phase(host, board, "prioritise")
        await alice.connect()
        await bob.connect()
        await alice.wait_for('id="stage"')
        await bob.wait_for('id="stage"')
        dot = {"type": "indicator.dot", "board": board, "indicator": "hab1", "add": True}
        op = await alice.act(dot, op="dot-once-1")
        await alice.ack(op)
        # The same operation sent again (a retry) is acknowledged, not applied twice.
        await alice.act(dot, op="dot-once-1")
        await alice.ack("dot-once-1")
        await alice.ack(await alice.act({**dot, "indicator": "coord1"}))
        await alice.wait_for("Il vous reste 0 gommette sur 2.")
        await bob.quiet(0.4)
        attempts = [
            ({**dot, "indicator": "effet1"}, "toutes vos gommettes"),
            ({"type": "indicators.allocate", "board": board, "indicator": ["hab1", "coord1"], "points": [2, 1]},
             "3 gommettes pour 2"),
            ({"type": "indicators.publish", "board": board}, "Seule l&#39;animation"),
            ({"type": "indicator.rate", "board": board, "indicator": "hab1", "value": "3"}, "pas ouvert"),
            ({"type": "indicator.propose", "board": board, "name": "Trop tard"}, "closes"),
        ]
        for message, reason in attempts:
            frame = await alice.refused(await alice.act(message))
            assert reason in frame
        # Nothing reached anyone else: no board change, no notice.
        assert all(f"ind-{board}" not in f and "notice" not in f for f in await bob.quiet(0.5))
        console = host.http.get(f"/a/{workshop['id']}/animation").text
        assert "1 personne a réparti tout son budget." in console
        await phase(host, board, "reveal")
        ranking = host.http.get(f"/a/{workshop['id']}/ecran?{screen_query[1:]}").text
        # One dot each: a tie, kept in the library's order.
        names = re.findall(r'<span class="ind-rank-name">([^<]+)', ranking)
        assert names[:2] == ["Orientations accompagnées", "Habitants présents dans les instances"]
        assert "1 gommette · 1 personne" in ranking

    run(scenario())


def test_a_later_workshop_starts_from_the_framework_and_shows_the_previous_wave(server):
    async def first():
        host, (alice, bob), screen, screen_query, workshop = people(server, "Atelier de janvier")
        board = await indicators_board(host, workshop)
        await alice.connect()
        await alice.wait_for('id="stage"')
        event = await alice.ack(await alice.act({"type": "indicator.propose", "board": board,
                                                 "name": "Permanences communes au centre social"}))
        own = re.search(r'id="ind-' + board + r'-c-(T\w+)"', event).group(1)
        await adopt(host, board, "inter1", own)
        await phase(host, board, "rate")
        await bob.connect()
        for phone, value in ((alice, "2"), (bob, "3")):
            await phone.ack(await phone.act({"type": "indicator.rate", "board": board, "indicator": "inter1",
                                             "value": value}))
        return own

    own = run(first())

    async def second():
        host, (carol,), screen, screen_query, workshop = people(server, "Atelier de juin", " qpv des  TILLEULS",
                                                                names=("Carol",))
        board = await indicators_board(host, workshop)
        console = host.http.get(f"/a/{workshop['id']}/animation").text
        assert "Vague 2 · référentiel version 1" in console and "repris de « Atelier de janvier »" in console
        assert "Permanences communes au centre social" in console
        await phase(host, board, "rate")
        await carol.connect()
        await screen.connect(view="screen", query=screen_query)
        await carol.wait_for(f'id="ind-{board}-r-{own}"')
        frame = await screen.wait_for('id="stage"')
        counts, article = histogram(frame, board, "inter1")
        assert counts == [0, 0, 0, 0, 0, 0] and "vague précédente : 2,5" in article and "with-before" in article
        await carol.ack(await carol.act({"type": "indicator.rate", "board": board, "indicator": "inter1",
                                         "value": "4"}))
        frame = await screen.wait_for(counts_are(board, "inter1", [0, 0, 0, 1, 0, 0]))
        assert "Médiane : 4" in histogram(frame, board, "inter1")[1]
        assert "vague précédente : 2,5" in histogram(frame, board, "inter1")[1]

    run(second())


def test_only_the_facilitator_seeds_a_board_and_a_phone_gets_only_its_own_panel(server):
    async def scenario():
        host, (alice, bob), screen, screen_query, workshop = people(server)
        board = await indicators_board(host, workshop)
        await phase(host, board, "prioritise")
        assert alice.http.post(f"/a/{workshop['id']}/indicateurs/{board}/amorcer").status_code == 403
        assert Person(server).http.get(f"/a/{workshop['id']}/indicateurs/{board}/moi").status_code == 403
        assert alice.http.get(f"/a/{workshop['id']}/indicateurs/b999/moi").status_code == 404
        await alice.connect()
        await alice.wait_for('id="stage"')
        await alice.ack(await alice.act({"type": "indicator.dot", "board": board, "indicator": "hab2", "add": 1}))
        mine = alice.http.get(f"/a/{workshop['id']}/indicateurs/{board}/moi").text
        theirs = bob.http.get(f"/a/{workshop['id']}/indicateurs/{board}/moi").text
        assert "Il vous reste 4 gommettes" in mine and "Il vous reste 5 gommettes" in theirs
        # Once the board was used it cannot be started over from the library.
        refused = host.http.post(f"/a/{workshop['id']}/indicateurs/{board}/amorcer")
        assert refused.status_code == 409 and "déjà servi" in refused.text

    run(scenario())


def library_csv(client, version=""):
    response = client.get("/coordination/bibliotheque/export.csv" + (f"?version={version}" if version else ""))
    assert response.status_code == 200
    return response.content


def test_coordinators_edit_import_and_export_the_library(coordinated):
    coordinator = Person(coordinated)
    assert coordinator.http.get("/coordination/bibliotheque").headers["location"].startswith("/coordination/connexion")
    assert coordinator.http.post("/coordination/connexion", data={"token": "faux", "suite": "/coordination"}
                                 ).status_code == 403
    signed = coordinator.http.post("/coordination/connexion",
                                   data={"token": TOKEN, "suite": "/coordination/bibliotheque"})
    assert signed.headers["location"] == "/coordination/bibliotheque"
    shipped = library_csv(coordinator.http)
    assert shipped.decode("utf-8-sig").count("\r\n") == 1 + len(json.loads(SHIPPED.read_text())["indicators"])

    def upload(name, body, version="0", headers=None):
        return coordinator.http.post("/coordination/bibliotheque/importer", data={"version": version},
                                     files={"fichier": (name, body, "text/csv")}, headers=headers)

    # A file with bad rows: each is reported with its line, and nothing is imported.
    lines = shipped.decode("utf-8-sig").split("\r\n")
    lines[2] = lines[2].replace("coord", "COORD", 1) if lines[2].startswith("coord") else "Mauvais;" + lines[2]
    lines[5] = ";".join(lines[5].split(";")[:3])
    bad = upload("biblio.csv", "\r\n".join(lines).encode())
    assert bad.status_code == 400
    assert "« biblio.csv » n'a pas été importé" in bad.text
    assert "Ligne 3 : " in bad.text and "Ligne 6 : 3 valeurs au lieu de 6." in bad.text
    assert library_csv(coordinator.http) == shipped

    # A good file replaces the library as a whole: one indicator renamed, one added.
    rows = shipped.decode("utf-8-sig")
    rows = rows.replace("Acteurs isolés", "Structures sans partenaire") + "local1;Projets co-portés;Chantiers " \
        "d'insertion partagés;Chantiers portés par plusieurs structures.;Recensement annuel.;Coordination.\r\n"
    good = upload("biblio.csv", rows.encode("cp1252"))
    assert good.status_code == 303 and good.headers["location"].endswith("fait=import")
    page = coordinator.http.get(good.headers["location"]).text
    assert "Bibliothèque importée : version 1." in page and "Structures sans partenaire" in page
    assert library_csv(coordinator.http, "0") == shipped
    # A form based on an old version is refused rather than overwriting the newer library.
    assert upload("biblio.csv", rows.encode(), version="0").status_code == 409

    # One indicator edited through the form; a bad edit changes nothing.
    form = {"original": "inter1", "version": "1", "id": "inter1", "dimension": "Interconnaissance entre acteurs",
            "dimension_new": "", "name": "", "definition": "d", "measure": "m", "source": "s"}
    refused = coordinator.http.post("/coordination/bibliotheque/indicateur", data=form)
    assert refused.status_code == 400 and "Le champ « nom » est vide." in refused.text
    edited = coordinator.http.post("/coordination/bibliotheque/indicateur", data={**form, "name": "Se connaître"})
    assert edited.status_code == 303
    exported = json.loads(coordinator.http.get("/coordination/bibliotheque/export.json").content)
    assert exported["indicators"][0]["name"] == "Se connaître" and exported["indicators"][-1]["id"] == "local1"
    # Cross-site posts are refused before reaching the library.
    assert upload("x.csv", rows.encode(), "2", headers={"Origin": "http://evil.example"}).status_code == 403

    # A board started now takes the edited library.
    async def board_from_library():
        host = Person(coordinated)
        workshop = host.create_workshop("Atelier", "QPV des Érables")
        board = await indicators_board(host, workshop)
        console = host.http.get(f"/a/{workshop['id']}/animation").text
        assert "Se connaître" in console and "Chantiers d&#39;insertion partagés" in console
        assert f'id="ind-{board}-c-local1"' in console

    run(board_from_library())


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package")
def test_a_phone_in_chromium_allocates_points_rates_and_keeps_its_panel(server):
    host, (alice,), screen, screen_query, workshop = people(server, names=("Alice",))
    loop = asyncio.new_event_loop()
    board = loop.run_until_complete(indicators_board(host, workshop))

    def steer(*messages):
        async def send():
            for message in messages:
                await host.ack(await host.act({"board": board, **message}))
        loop.run_until_complete(send())

    steer({"type": "indicators.mode", "mode": "points"}, {"type": "board.phase", "phase": "prioritise"})
    browser = Chromium(extra=("--lang=fr-FR", "--accept-lang=fr-FR"))
    try:
        browser.call("Page.enable")
        browser.open_workshop(alice, server, workshop['id'])
        panel = f"document.getElementById('ind-{board}-me')"
        # The points form sends the whole allocation at once, as two repeated fields.
        browser.value(f"""(() => {{ const boxes = {panel}.querySelectorAll('input[name=points]');
            boxes[0].value = '70'; boxes[3].value = '30'; {panel}.querySelector('form button').click(); }})()""")
        # The counter follows the typing at once; the allocation is saved once acknowledged.
        browser.wait(f"{panel}.textContent.includes('réparti 100 points') && "
                     "Object.values(window.maillage.pending).every((p) => p.state === 'saved')")
        # A change every screen receives re-renders the stage without the reader: the panel reloads itself.
        browser.value(f"{panel}.setAttribute('data-old', 'yes')")
        steer({"type": "board.rename", "title": "Notre référentiel"})
        browser.wait(f"!document.querySelector('[data-old]') && {panel}.textContent.includes('réparti 100 points')")
        steer({"type": "indicator.choose", "indicator": "inter4", "chosen": True}, {"type": "indicators.publish"},
              {"type": "board.phase", "phase": "rate"})
        row = f"document.getElementById('ind-{board}-r-inter4')"
        # Wait until htmx has taken the new forms over, as a person's thumb would anyway.
        browser.wait(f"{row} && {row}.querySelectorAll('button').length === 6 && "
                     f"({row}.querySelectorAll('form')[5]['htmx-internal-data'] || {{}}).initHash")
        browser.value(f"{row}.querySelectorAll('button')[5].click()")
        browser.wait(f"{row}.querySelector('button[aria-pressed=true]')")
        assert browser.value(f"{row}.querySelector('button[aria-pressed=true]').textContent").startswith("?")
        assert browser.value("document.getElementById('outbox').textContent").count("Refusé") == 0
    finally:
        browser.close()
        loop.run_until_complete(host.close())
        loop.close()
    console = host.http.get(f"/a/{workshop['id']}/animation").text
    assert histogram(console, board, "inter4")[0] == [0, 0, 0, 0, 0, 1]
