"""The stakeholder map end to end: a real server process, real websocket clients, a real SQLite file."""

import asyncio
import codecs
import math
import re
import shutil

import pytest

from cdp import Phone
from players import Person


def run(coro):
    return asyncio.run(coro)


async def map_room(server):
    """A facilitator with a stakeholder map on screen, two participants and the projector, all connected."""
    host = Person(server)
    workshop = host.create_workshop("Carte des Tilleuls", "QPV des Tilleuls")
    alice, bob, screen = Person(server), Person(server), Person(server)
    assert alice.join(workshop["code"], "Alice", "Centre social").status_code == 303
    assert bob.join(workshop["code"], "Bob", "Mission locale").status_code == 303
    screen.workshop_id = workshop["id"]
    await host.connect(view="facilitator")
    await host.wait_for('id="stage"')
    await host.ack(await host.act({"type": "board.add", "kind": "stakeholders", "title": "Qui coopère ?"}))
    board = f"b{host.seq}"
    await host.ack(await host.act({"type": "board.show", "board": board}))
    page = host.http.get(f"/a/{workshop['id']}/animation").text
    assert f'id="sh-{board}"' in page
    query = "&cle=" + re.search(r"ecran\?cle=([0-9a-f]+)", page).group(1)
    await alice.connect()
    await bob.connect()
    await screen.connect(view="screen", query=query)
    for person in (alice, bob, screen):
        await person.wait_for(f'id="sh-{board}"')
    return host, alice, bob, screen, workshop, board


async def add_actor(person, board, name, category="association", anyway=False):
    frame = await person.ack(await person.act({"type": "actor.add", "board": board, "name": name,
                                               "category": category, "anyway": anyway}))
    shown = " ".join(name.split())
    return re.search(r'id="actor-(a\d+)"[^>]*>' + re.escape(shown) + "<", frame).group(1)


def test_a_tie_drawn_on_one_phone_appears_on_the_others_and_the_projector(server):
    async def scenario():
        host, alice, bob, screen, workshop, board = await map_room(server)
        mission = await add_actor(alice, board, "Mission locale", "service public de l'emploi")
        caf = await add_actor(alice, board, "CAF", "institution publique")
        # A move reaches the others as that one actor, not as the whole board.
        await bob.ack(await bob.act({"type": "actor.move", "board": board, "actor": mission, "x": "0.8", "y": 0.2}))
        moved = await screen.wait_for('style="left:80%;top:20%"')
        assert f'id="actor-{mission}"' in moved and f'id="sh-{board}"' not in moved and len(moved) < 1200
        await alice.wait_for('style="left:80%;top:20%"')
        await alice.ack(await alice.act({"type": "actor.place", "board": board, "actor": caf, "zone": "monitor"}))

        op = await alice.act({"type": "tie.add", "board": board, "source": mission, "target": caf,
                              "category": "orientation de publics", "strength": "3", "direction": "one"})
        await alice.ack(op)
        for other in (bob, screen, host):
            frame = await other.wait_for("<polyline")
            line = re.search(r'<polyline id="tie-(t\d+)"[^>]*>', frame).group(0)
            assert f'data-a="{mission}"' in line and f'data-b="{caf}"' in line and 'class="s3 q0 d k1"' in line
            assert 'data-k="orientation de publics"' in line
            assert 'points="80,20' not in line and 'points="80.0,20.0 ' in line
            assert f'hx-swap-oob="beforeend:#sh-ties-{board}"' in frame
            # The counts the facilitator and the projector show come with it.
            assert "2 acteurs" in frame and "1 lien" in frame and re.search(r">0 acteurs? sans lien<", frame)
        # No participant's id on the projector.
        assert "data-by" not in screen.frames[-1]

        # The same pair and type again is refused to its sender only.
        again = await bob.act({"type": "tie.add", "board": board, "source": caf, "target": mission,
                               "category": "orientation de publics", "strength": 1, "direction": "both"})
        assert "existe déjà" in await bob.refused(again)
        assert all("<polyline" not in f for f in await alice.quiet(0.4))

    run(scenario())


def test_a_merge_by_the_facilitator_is_seen_everywhere(server):
    async def scenario():
        host, alice, bob, screen, workshop, board = await map_room(server)
        keep = await add_actor(alice, board, "Mission locale")
        # Bob is warned that the name is on the map already, and adds his one anyway.
        warned = await bob.refused(await bob.act({"type": "actor.add", "board": board, "name": "mission  locale",
                                                  "category": "association"}))
        assert "« Mission locale » est déjà sur la carte" in warned
        gone = await add_actor(bob, board, "mission  locale", anyway=True)
        caf = await add_actor(bob, board, "CAF", "institution publique")
        await host.wait_for("Garder le n° 2 : « mission locale »")
        ties = []
        for person, source in ((alice, keep), (bob, gone)):
            frame = await person.ack(await person.act({"type": "tie.add", "board": board, "source": source,
                                                       "target": caf, "category": "projet commun", "strength": 2,
                                                       "direction": "both"}))
            ties.append(re.search(r'<polyline id="tie-(t\d+)"', frame).group(1))
        await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "rate"}))
        frame = await bob.ack(await bob.act({"type": "tie.rate", "board": board, "tie": ties[1], "trust": 4,
                                             "value": "2"}))
        assert 'data-q="4 1 2 1 1"' in frame

        refused = await alice.act({"type": "actor.merge", "board": board, "actor": gone, "into": keep})
        assert "Seule l&#39;animation" in await alice.refused(refused)
        await host.ack(await host.act({"type": "actor.merge", "board": board, "actor": gone, "into": keep}))
        for viewer in (alice, bob, screen, host):
            frame = await viewer.wait_for(f'<i id="actor-{gone}" hx-swap-oob="delete">')
            assert "1 lien" in frame and "2 acteurs" in frame
            # The two "projet commun" ties became Alice's one, now carrying Bob's rating.
            assert f'<i id="tie-{ties[1]}" hx-swap-oob="delete">' in frame
            survivor = re.search(rf'<polyline id="tie-{ties[0]}"[^>]*>', frame).group(0)
            assert f'data-a="{keep}"' in survivor and 'data-q="4 1 2 1 1"' in survivor
            # Only the facilitator has the list of likely duplicates; it is now empty.
            assert ("Aucun doublon" in frame) == (viewer is host)
        return workshop, alice, keep, gone

    workshop, alice, keep, gone = run(scenario())
    server.stop()
    server.start()
    page = alice.http.get(f"/a/{workshop['id']}").text
    assert f'id="actor-{gone}"' not in page and f'id="actor-{keep}"' in page
    assert page.count("<polyline") == 1 and 'data-q="4 1 2 1 1"' in page


def test_csv_import_reaches_every_screen_and_only_the_facilitator_may_import_or_export(server):
    async def scenario():
        host, alice, bob, screen, workshop, board = await map_room(server)
        url = f"/a/{workshop['id']}/cartographie/{board}"
        messy = codecs.BOM_UTF8 + "Nom;Type\r\n\r\nRégie de quartier;Association\r\nCAF;institution publique\r\n".encode()
        denied = alice.http.post(url + "/import", files={"file": ("acteurs.csv", messy, "text/csv")})
        assert denied.status_code == 403
        assert alice.http.get(url + "/acteurs.csv").status_code == 403

        bad = "nom;type\nCAF;institution publique\nClub;club de foot\n".encode("cp1252")
        answer = host.http.post(url + "/import", files={"file": ("a.csv", bad, "text/csv")})
        assert answer.status_code == 200 and "Ligne 3" in answer.text and "club de foot" in answer.text
        assert "Rien n&#39;a été importé" in answer.text
        assert all("CAF" not in f for f in await alice.quiet(0.4))

        answer = host.http.post(url + "/import", files={"file": ("acteurs.csv", messy, "text/csv")})
        assert "2 acteurs importés." in answer.text
        for viewer in (alice, bob, screen):
            frame = await viewer.wait_for("Régie de quartier")
            assert "CAF" in frame and f"beforeend:#sh-tray-{board}" in frame and "2 acteurs" in frame
        again = host.http.post(url + "/import", files={"file": ("acteurs.csv", messy, "text/csv")})
        assert "Aucun nouvel acteur importé." in again.text and "2 lignes ignorées" in again.text

        export = host.http.get(url + "/acteurs.csv")
        assert export.headers["content-type"].startswith("text/csv")
        assert export.content.startswith(codecs.BOM_UTF8)
        text = export.content.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("nom;type;zone")
        assert "Régie de quartier;association;" in text
        ties = host.http.get(url + "/liens.csv")
        assert ties.status_code == 200 and ties.content.decode("utf-8-sig").startswith("premier acteur;")

    run(scenario())


def test_bad_input_is_refused_to_its_sender_and_deleting_an_actor_removes_its_ties_everywhere(server):
    async def scenario():
        host, alice, bob, screen, workshop, board = await map_room(server)
        a = await add_actor(alice, board, "Centre social")
        b = await add_actor(alice, board, "Bailleur", "bailleur social")
        await bob.quiet(0.3)
        for message, words in (
            ({"type": "actor.move", "board": board, "actor": a, "x": 1.5, "y": 0}, "position horizontale"),
            ({"type": "actor.move", "board": board, "actor": a, "x": 0.1, "y": "beaucoup"}, "position verticale"),
            ({"type": "tie.add", "board": board, "source": a, "target": a, "category": "financement",
              "strength": 2, "direction": "one"}, "deux acteurs différents"),
            ({"type": "tie.add", "board": board, "source": a, "target": b, "category": "financement",
              "strength": 9, "direction": "one"}, "entre 1 et 3"),
            ({"type": "actor.add", "board": board, "name": "Club", "category": "club"}, "Type d&#39;acteur inconnu"),
        ):
            frame = await alice.refused(await alice.act(message))
            assert words in frame, frame
        # Bob saw none of it: no change of the map, no notice (presence updates may still come).
        assert all(f'id="sh-' not in f and "notice" not in f and "data-seq" not in f for f in await bob.quiet(0.5))

        await bob.ack(await bob.act({"type": "tie.add", "board": board, "source": a, "target": b,
                                     "category": "financement", "strength": 1, "direction": "one"}))
        refused = await bob.act({"type": "actor.delete", "board": board, "actor": a})
        assert "Seuls l&#39;animation" in await bob.refused(refused)
        await alice.ack(await alice.act({"type": "actor.delete", "board": board, "actor": a}))
        for viewer in (bob, screen, host):
            frame = await viewer.wait_for(f'<i id="actor-{a}" hx-swap-oob="delete">')
            assert re.search(r'<i id="tie-t\d+" hx-swap-oob="delete">', frame)
            assert re.search(r">0 liens?<", frame) and "1 acteur sans lien" in frame

    run(scenario())


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package")
def test_a_phone_drags_an_actor_onto_the_map_and_links_two_actors_by_tapping(server):
    loop = asyncio.new_event_loop()
    host, alice, bob, screen, workshop, board = loop.run_until_complete(map_room(server))

    async def prepare():
        placed = await add_actor(host, board, "Mission locale")
        await host.ack(await host.act({"type": "actor.move", "board": board, "actor": placed, "x": 0.2, "y": 0.2}))
        return placed, await add_actor(host, board, "Régie de quartier")

    placed, waiting = loop.run_until_complete(prepare())
    phone = Phone()
    try:
        phone.open_workshop(alice, server, workshop['id'])
        phone.wait(f"document.querySelector('#sh-tray-{board} #actor-{waiting}')")

        # Drag the waiting actor from the tray to three quarters across and down the map: with the
        # map at the top of the screen, the tray just under it is in view too.
        phone.value(f"document.getElementById('sh-map-{board}').scrollIntoView({{block: 'start'}})")
        start = phone.value(f"(() => {{ const r = document.getElementById('actor-{waiting}').getBoundingClientRect();"
                            " return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        box = phone.value(f"(() => {{ const r = document.getElementById('sh-map-{board}').getBoundingClientRect();"
                          " return [r.left, r.top, r.width, r.height]; })()")
        assert start[1] < 844, "the tray should be on screen under the map"
        end = [box[0] + box[2] * 0.75, box[1] + box[3] * 0.7]
        phone.drag(start, end)
        frame = loop.run_until_complete(bob.wait_for(f'<div hx-swap-oob="beforeend:#sh-actors-{board}"><button '
                                                     f'type="button" id="actor-{waiting}"'))
        left, top = map(float, re.search(rf'id="actor-{waiting}"[^>]*style="left:([\d.]+)%;top:([\d.]+)%',
                                         frame).groups())
        assert abs(left - 75) < 4 and abs(top - 70) < 4, (left, top)

        # Tap one actor, then the other: the link form opens; choose a type and send.
        phone.tap(*phone.centre(f"#actor-{placed}"))
        phone.wait(f"!document.getElementById('sh-panel-{board}').hidden")
        phone.value(f"document.getElementById('sh-map-{board}').scrollIntoView({{block: 'start'}})")
        phone.tap(*phone.value(f"(() => {{ const r = document.getElementById('actor-{waiting}').getBoundingClientRect();"
                               " return [r.left + r.width / 2, r.top + r.height / 2]; })()"))
        form = f"document.querySelector('#sh-panel-{board} .sh-link-form')"
        phone.wait(f"!{form}.hidden")
        phone.value(f"{form}.querySelector('[name=category]').value = 'financement';"
                    f"{form}.querySelector('[name=direction]').value = 'one';"
                    f"{form}.querySelector('button:not([type=button])').click()")
        frame = loop.run_until_complete(bob.wait_for("<polyline"))
        line = re.search(r"<polyline[^>]*>", frame).group(0)
        assert f'data-a="{placed}"' in line and f'data-b="{waiting}"' in line and 'data-k="financement"' in line
        assert " d" in re.search(r'class="([^"]*)"', line).group(1)
        phone.wait(f"document.querySelectorAll('#sh-ties-{board} polyline').length === 1")
        assert "Refusé" not in phone.value("document.getElementById('outbox').textContent")
    finally:
        phone.close()
        for person in (host, alice, bob, screen):
            loop.run_until_complete(person.close())
        loop.close()


def _middles(frame):
    """Tie id -> the middle point of its line, for the lines drawn in a frame or page."""
    return {tie: tuple(round(float(v), 1) for v in points.split()[1].split(","))
            for tie, points in re.findall(r'<polyline id="tie-(t\d+)"[^>]*points="([^"]+)"', frame)}


async def _two_ties(host, alice, bob, board):
    """Two placed actors joined by two ties of different types, drawn from two phones."""
    caf, mission = await add_actor(alice, board, "CAF"), await add_actor(bob, board, "Mission locale")
    for actor, x in ((caf, 0.2), (mission, 0.8)):
        await host.ack(await host.act({"type": "actor.move", "board": board, "actor": actor, "x": x, "y": 0.5}))
    first = await alice.ack(await alice.act({"type": "tie.add", "board": board, "source": caf, "target": mission,
                                             "category": "financement", "strength": 2, "direction": "one"}))
    second = await bob.ack(await bob.act({"type": "tie.add", "board": board, "source": mission, "target": caf,
                                          "category": "projet commun", "strength": 2, "direction": "both"}))
    return caf, mission, list(_middles(first)), second


def test_two_types_of_tie_between_the_same_actors_are_two_lines_on_every_screen(server):
    async def scenario():
        host, alice, bob, screen, workshop, board = await map_room(server)
        caf, mission, (funds,), _ = await _two_ties(host, alice, bob, board)
        for viewer in (alice, screen, host):
            frame = await viewer.wait_for(lambda f: re.search(r'<polyline[^>]*data-k="projet commun"', f))
            # The first line moves aside in the same frame that brings the second.
            middles = _middles(frame)
            assert len(middles) == 2 and funds in middles
            (x1, y1), (x2, y2) = sorted(middles.values(), key=lambda p: p[1])
            assert x1 == x2 == 50.0 and y2 - y1 >= 3 and abs((y1 + y2) / 2 - 50) <= 0.1
        return workshop, alice

    workshop, alice = run(scenario())
    page = alice.http.get(f"/a/{workshop['id']}").text
    assert len(set(_middles(page).values())) == 2


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium package")
def test_on_a_phone_each_of_two_ties_between_two_actors_is_seen_and_rated_apart(server):
    loop = asyncio.new_event_loop()
    host, alice, bob, screen, workshop, board = loop.run_until_complete(map_room(server))
    phone = Phone()
    try:
        phone.open_workshop(alice, server, workshop['id'])
        caf, mission, (funds,), frame = loop.run_until_complete(_two_ties(host, alice, bob, board))
        talks = next(t for t in _middles(frame) if t != funds)
        middle = ("(id => { const p = document.getElementById('tie-' + id).getAttribute('points').split(' ')[1];"
                  " return p.split(',').map(Number); })")
        phone.wait(f"document.querySelectorAll('#sh-ties-{board} polyline:not(.off)').length === 2")
        a, b = phone.value(f"{middle}('{funds}')"), phone.value(f"{middle}('{talks}')")
        assert abs(a[0] - 50) < 0.1 and abs(b[0] - 50) < 0.1 and abs(a[1] - b[1]) >= 3

        # When one end moves, they stay apart, however the pair now lies.
        loop.run_until_complete(host.ack(loop.run_until_complete(host.act(
            {"type": "actor.move", "board": board, "actor": mission, "x": 0.5, "y": 0.9}))))
        phone.wait(f"{middle}('{funds}')[1] > 60")
        a, b = phone.value(f"{middle}('{funds}')"), phone.value(f"{middle}('{talks}')")
        assert math.hypot(a[0] - b[0], a[1] - b[1]) == pytest.approx(3.5, abs=0.05)

        # Rating: the actor's panel lists both ties, each with its own button; the line rated stands out.
        loop.run_until_complete(host.ack(loop.run_until_complete(host.act(
            {"type": "board.phase", "board": board, "phase": "rate"}))))
        phone.wait(f"document.querySelector('#sh-{board}').getAttribute('data-rate') === '1'")
        phone.value(f"document.getElementById('sh-map-{board}').scrollIntoView({{block: 'start'}})")
        phone.tap(*phone.centre(f"#actor-{caf}"))
        phone.wait(f"document.querySelectorAll('#sh-panel-{board} .sh-row').length === 2")
        for tie in (funds, talks):
            phone.value(f"document.querySelector('#sh-panel-{board} .sh-row[data-tie=\"{tie}\"] .sh-r-rate').click()")
            form = f"document.querySelector('#sh-panel-{board} .sh-rate-form')"
            assert phone.value(f"{form}.querySelector('[name=tie]').value") == tie
            assert phone.value(f"document.getElementById('tie-{tie}').classList.contains('cur')")
            others = phone.value(f"document.querySelectorAll('#sh-ties-{board} .cur').length")
            assert others == 1
            phone.value(f"{form}.querySelector('[name=trust]').value = '3';"
                        f"{form}.querySelector('button:not([type=button])').click()")
            # Bob's backlog holds this line as it was before (the move, the phase): wait for it rated.
            loop.run_until_complete(bob.wait_for(
                lambda f, tie=tie: re.search(rf'<polyline id="tie-{tie}"[^>]* data-q="3 1 - 0 1"', f)))
        page = bob.http.get(f"/a/{workshop['id']}").text
        assert page.count('data-q="3 1 - 0 1"') == 2

        # Deleting one of them straightens the other on the phone.
        loop.run_until_complete(host.ack(loop.run_until_complete(host.act(
            {"type": "tie.delete", "board": board, "tie": talks}))))
        phone.wait(f"!document.getElementById('tie-{talks}')")
        phone.wait(f"(m => Math.abs(m[0] - 35) < 0.1 && Math.abs(m[1] - 70) < 0.1)({middle}('{funds}'))")
    finally:
        phone.close()
        for person in (host, alice, bob, screen):
            loop.run_until_complete(person.close())
        loop.close()
