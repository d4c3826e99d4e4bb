"""The continuous diagnosis across two workshops of one territory, on a real server: a wave taken,
its open items carried into the next workshop's board by the facilitator's POST, kept, updated or
closed there, then reviewed and exported (CSV parsed by Python's csv, JSON by json)."""

import asyncio
import csv
import io
import json
import re

from players import Person, Server
from test_review_e2e import TOKEN, snapshot, wait_ready

FORMULA = '=HYPERLINK("http://example.invalid")'


async def diagnosis_board(host) -> str:
    await host.connect(view="facilitator")
    await host.wait_for('id="stage"')
    await host.ack(await host.act({"type": "board.add", "kind": "diagnosis", "title": "Diagnostic"}))
    board = f"b{host.seq}"
    await host.ack(await host.act({"type": "board.show", "board": board}))
    return board


async def add(person, board, text, nature="need", theme="mobilite", source="lived") -> str:
    await person.ack(await person.act({"type": "diagnosis.add", "board": board, "theme": theme,
                                       "nature": nature, "source": source, "text": text}))
    return f"d{person.seq}"


def test_a_diagnosis_is_carried_to_the_next_workshop_reviewed_and_exported(tmp_path):
    server = Server(tmp_path / "diagnostic.db", extra=("--coordinator-token", TOKEN)).start()
    try:
        host = Person(server)
        first = host.create_workshop("Atelier d'octobre", "QPV Les Tilleuls")

        async def first_wave():
            board = await diagnosis_board(host)
            await add(host, board, "Pas de bus après 20 h")
            await add(host, board, FORMULA, nature="resource", theme="emploi", source="study")
            await add(host, board, "Une crèche manque", nature="missing", theme="garde")
            await host.close()
            return snapshot(host, first, "T0")

        t0 = asyncio.run(first_wave())

        # A second workshop of the same territory (written differently) carries the open items.
        host2 = Person(server)
        second = host2.create_workshop("Atelier de mars", "qpv les  tilleuls")

        async def second_wave():
            board = await diagnosis_board(host2)
            stranger = Person(server)
            stranger.join(second["code"], "Intrus")
            refused = stranger.http.post(f"/a/{second['id']}/diagnostic/{board}/reprendre")
            assert refused.status_code == 403
            answer = host2.http.post(f"/a/{second['id']}/diagnostic/{board}/reprendre")
            assert answer.status_code == 200 and "3 éléments repris de la vague « T0 »." in answer.text
            frame = await host2.wait_for("Repris, à revoir")
            assert "Pas de bus après 20 h" in frame
            again = host2.http.post(f"/a/{second['id']}/diagnostic/{board}/reprendre")
            assert "Ce diagnostic a déjà repris la vague « T0 »." in again.text
            items = {text: item for item, text in
                     re.findall(r'id="dg-item-(d\w+)"[^>]*>.*?class="dg-text">([^<]*)<', frame, re.S)}
            bus, creche = items["Pas de bus après 20 h"], items["Une crèche manque"]
            await host2.ack(await host2.act({"type": "diagnosis.edit", "board": board, "item": bus,
                                             "theme": "mobilite", "nature": "need", "source": "partner",
                                             "text": "Pas de bus après 21 h"}))
            await host2.ack(await host2.act({"type": "diagnosis.review", "board": board, "item": creche,
                                             "status": "closed"}))
            await host2.close()
            return snapshot(host2, second, "T1")

        t1 = asyncio.run(second_wave())

        coordinator = Person(server)
        coordinator.http.post("/coordination/connexion", data={"token": TOKEN, "suite": "/coordination"})
        wait_ready(coordinator, t0)
        page = wait_ready(coordinator, t1)
        assert "Diagnostic continu : repris de la vague « T0 »" in page
        assert "Historique : 1 vague précédente" in page and "Pas de bus après 20 h" in page
        assert "Fermé" in page and "Mis à jour" in page

        base = f"/coordination/instantanes/{t1}/export/"
        for sep in (",", ";"):
            body = coordinator.http.get(base + "diagnostic.csv" + ("?sep=%3B" if sep == ";" else ""))
            assert body.status_code == 200 and body.content.startswith(b"\xef\xbb\xbf")
            rows = list(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig")), delimiter=sep))
            by_text = {row["texte"]: row for row in rows}
            assert by_text["Pas de bus après 21 h"]["statut"] == "Mis à jour"
            assert by_text["Pas de bus après 21 h"]["historique"].startswith("T0 (")
            assert by_text["Une crèche manque"]["statut"] == "Fermé"
            assert by_text["'" + FORMULA]["nature"] == "Ressource du territoire"
            assert all(row["repris_de"] == "T0" for row in rows)
        document = json.loads(coordinator.http.get(base + "diagnostic.json").content)
        assert document["format"] == "maillage-diagnostic/1"
        refs = {item["text"]: item["ref"] for item in document["items"]}
        first_refs = {item["text"]: item["ref"] for item in
                      json.loads(coordinator.http.get(f"/coordination/instantanes/{t0}/export/diagnostic.json").content)["items"]}
        assert refs["Pas de bus après 21 h"] == first_refs["Pas de bus après 20 h"]
    finally:
        server.stop()
