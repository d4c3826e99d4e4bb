"""The shared ambition on a real server: two consent rounds, one with an objection, then the
agreed statement heading the wave's review and report, its rounds exported (CSV parsed by
Python's csv, JSON by json), and heading the review of the territory's next wave."""

import asyncio
import csv
import io
import json

from players import Person, Server
from test_review_e2e import TOKEN, snapshot, wait_ready

AGREED = "Chaque habitant sans emploi trouve un interlocuteur à 15 minutes, y compris le soir"


def test_two_consent_rounds_then_the_agreed_ambition_heads_the_review_report_and_next_wave(tmp_path):
    server = Server(tmp_path / "ambition.db", extra=("--coordinator-token", TOKEN)).start()
    try:
        host = Person(server)
        first = host.create_workshop("Atelier d'octobre", "QPV Les Tilleuls")
        alice, bob = Person(server), Person(server)
        assert alice.join(first["code"], "Alice").status_code == 303
        assert bob.join(first["code"], "Bob").status_code == 303

        async def rounds():
            await host.connect(view="facilitator")
            await host.wait_for('id="stage"')
            for person in (alice, bob):
                await person.connect()
                await person.wait_for('id="stage"')
            await host.ack(await host.act({"type": "board.add", "kind": "ambition", "title": "Ambition"}))
            board = f"b{host.seq}"
            await host.ack(await host.act({"type": "board.show", "board": board}))
            await alice.ack(await alice.act({"type": "ambition.propose", "board": board,
                                             "text": "Un interlocuteur à 15 minutes"}))
            statement = f"m{alice.seq}"
            await host.ack(await host.act({"type": "board.phase", "board": board, "phase": "consent"}))
            await host.ack(await host.act({"type": "ambition.round.open", "board": board, "statement": statement}))
            await alice.ack(await alice.act({"type": "ambition.answer", "board": board, "answer": "support"}))
            op = await bob.act({"type": "ambition.answer", "board": board, "answer": "object",
                                "reason": "Et le soir ? Plus aucun bus après 20 h"})
            await bob.ack(op)
            # Alice's phone learns that two answered, never what Bob said.
            frame = await alice.wait_for("2 réponses")
            assert "Plus aucun bus" not in frame
            await host.ack(await host.act({"type": "ambition.round.close", "board": board}))
            frame = await alice.wait_for("Pas de consentement")
            assert "Plus aucun bus après 20 h" in frame
            await host.ack(await host.act({"type": "ambition.edit", "board": board, "statement": statement,
                                           "text": AGREED}))
            await host.ack(await host.act({"type": "ambition.round.open", "board": board, "statement": statement}))
            await alice.ack(await alice.act({"type": "ambition.answer", "board": board, "answer": "support"}))
            await bob.ack(await bob.act({"type": "ambition.answer", "board": board, "answer": "reserve",
                                         "reason": "À vérifier avec la ligne de bus"}))
            await host.ack(await host.act({"type": "ambition.round.close", "board": board}))
            await alice.wait_for("Adoptée par consentement")
            for person in (host, alice, bob):
                await person.close()
            return snapshot(host, first, "T0")

        t0 = asyncio.run(rounds())
        later = Person(server)
        second = later.create_workshop("Atelier de mars", "QPV les Tilleuls")
        t1 = snapshot(later, second, "T1")

        coordinator = Person(server)
        coordinator.http.post("/coordination/connexion", data={"token": TOKEN, "suite": "/coordination"})
        page = wait_ready(coordinator, t0)
        assert page.index("Notre ambition de changement") < page.index("Le réseau en chiffres")
        assert AGREED in page and "2 tours de consentement" in page
        assert "Et le soir ? Plus aucun bus après 20 h" in page and "Alice" not in page and "Bob" not in page
        report = coordinator.http.get(f"/coordination/instantanes/{t0}/export/rapport.html").text
        assert report.index(AGREED) < report.index("Le réseau en chiffres")
        assert "Adoptée par consentement au tour n° 2" in report and "1 réserve notée." in report

        base = f"/coordination/instantanes/{t0}/export/"
        for sep in (",", ";"):
            body = coordinator.http.get(base + "ambition.csv" + ("?sep=%3B" if sep == ";" else "")).content
            rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=sep))
            assert [(r["tour"], r["resultat"], r["objections"], r["reserves"]) for r in rows] == [
                ("1", "objection", "1", "0"), ("2", "consentement", "0", "1")]
            assert rows[0]["texte_du_tour"] == "Un interlocuteur à 15 minutes" and rows[1]["texte_du_tour"] == AGREED
            assert rows[0]["raisons"] == "objection : Et le soir ? Plus aucun bus après 20 h"
        document = json.loads(coordinator.http.get(base + "ambition.json").content)
        assert document["statements"][0]["agreed"] and document["statements"][0]["versions"] == [
            "Un interlocuteur à 15 minutes"]
        assert "Alice" not in json.dumps(document) and "Bob" not in json.dumps(document)

        # The next wave of the territory, which held no ambition board, is headed by this one.
        next_page = wait_ready(coordinator, t1)
        assert AGREED in next_page and "Adoptée à la vague « T0 » (Atelier d&#39;octobre)." in next_page
    finally:
        server.stop()
