"""The stakeholder map end to end: a real server process, real websocket clients, a real SQLite file."""

import asyncio
import codecs
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


async def add_actor(person, board, name, category="association"):
    frame = await person.ack(await person.act({"type": "actor.add", "board": board, "name": name,
                                               "category": category}))
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
            assert f'data-a="{mission}"' in line and f'data-b="{caf}"' in line and 'class="s3 q0 d"' in line
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
        gone = await add_actor(bob, board, "mission  locale")
        caf = await add_actor(bob, board, "CAF", "institution publique")
        await host.wait_for("Garder « mission locale »")
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
        for name, value in alice.http.cookies.items():
            phone.call("Network.setCookie", name=name, value=value, url=server.url)
        phone.call("Page.navigate", url=f"{server.url}/a/{workshop['id']}")
        phone.wait("document.getElementById('conn') && document.getElementById('conn').classList.contains('on')")
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
