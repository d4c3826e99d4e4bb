"""A workshop carried from a field laptop to the association's server, as one file.

Two real servers on two SQLite files: the laptop where the room worked, the server where the
coordinator reviews every territory. The file goes through the coordinator's pages both ways.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import sqlite3
import subprocess
import sys

from live_server import LiveServer
from players import ITEM, Person, ROOT

TOKEN = "jeton-de-coordination-assez-long"


def counts(db) -> tuple[int, int, int, int]:
    conn = sqlite3.connect(db)
    try:
        return tuple(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                     for table in ("workshops", "events", "ops", "snapshots"))
    finally:
        conn.close()


def signed_in(srv) -> Person:
    coordinator = Person(srv)
    assert coordinator.http.post("/coordination/connexion", data={"token": TOKEN}).status_code == 303
    return coordinator


class Answer:
    """A page's status and its text as a reader sees it (entities decoded)."""
    def __init__(self, response):
        self.status_code, self.headers, self.text = response.status_code, response.headers, html.unescape(response.text)


def upload(coordinator: Person, data: bytes) -> Answer:
    return Answer(coordinator.http.post("/coordination/ateliers/importer",
                                 files={"fichier": ("atelier.maillage.json", data, "application/json")}))


def test_a_workshop_travels_from_the_laptop_to_the_server_and_only_what_is_new_follows(tmp_path):
    with LiveServer(tmp_path / "portable.db", coordinator_token=TOKEN) as laptop, \
            LiveServer(tmp_path / "serveur.db", coordinator_token=TOKEN) as server:
        async def play():
            host = Person(laptop)
            workshop = host.create_workshop("Atelier de terrain", "QPV Les Aubiers")
            amina = Person(laptop)
            amina.join(workshop["code"], "Amina")
            await amina.connect()
            await amina.ack(await amina.act({**ITEM, "text": "Une crèche solidaire"}))
            assert host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": "T0"}).status_code == 303

            field, archive = signed_in(laptop), signed_in(server)
            assert f"/coordination/ateliers/{workshop['id']}/export.maillage.json" in field.http.get("/coordination").text
            first = field.http.get(f"/coordination/ateliers/{workshop['id']}/export.maillage.json")
            assert first.status_code == 200 and "attachment" in first.headers["content-disposition"]

            answer = upload(archive, first.content)
            assert answer.status_code == 200 and "L'atelier a été ajouté à ce serveur." in answer.text
            before = counts(server.db)
            assert before[0] == 1 and before[3] == 1
            review = archive.http.get("/coordination").text
            assert "Atelier de terrain" in review and "QPV Les Aubiers" in review and ">T0<" in review
            # The workshop lives on the server: a phone joins it with the code the page gave.
            code = re.search(r"<strong>([A-Z0-9]+)</strong>", answer.text).group(1)
            visitor = Person(server)
            assert visitor.join(code, "Brigitte").status_code == 303
            assert "Une crèche solidaire" in visitor.http.get(f"/a/{workshop['id']}").text

            # The same file again: nothing changes.
            before = counts(server.db)
            again = upload(archive, first.content)
            assert again.status_code == 200 and "rien n'a changé" in again.text
            assert counts(server.db) == before

            # The room goes on on the laptop (before Brigitte's join reached the server, the
            # server's copy had moved too: so the laptop's continuation is refused, whole).
            await amina.ack(await amina.act({**ITEM, "text": "Des horaires de bus"}))
            second = field.http.get(f"/coordination/ateliers/{workshop['id']}/export.maillage.json").content
            diverged = upload(archive, second)
            assert diverged.status_code == 400 and "rien n'a été importé" in diverged.text
            assert counts(server.db) == before
            await amina.close()

        asyncio.run(play())


def test_continued_on_the_laptop_only_the_new_events_and_waves_are_added(tmp_path):
    with LiveServer(tmp_path / "portable.db", coordinator_token=TOKEN) as laptop, \
            LiveServer(tmp_path / "serveur.db", coordinator_token=TOKEN) as server:
        async def play():
            host = Person(laptop)
            workshop = host.create_workshop("Atelier suivi", "QPV Nord/Sud")
            amina = Person(laptop)
            amina.join(workshop["code"], "Amina")
            await amina.connect()
            await amina.ack(await amina.act({**ITEM, "text": "Première idée"}))
            field, archive = signed_in(laptop), signed_in(server)
            url = f"/coordination/ateliers/{workshop['id']}/export.maillage.json"
            assert upload(archive, field.http.get(url).content).status_code == 200
            _, events, _, _ = counts(server.db)

            await amina.ack(await amina.act({**ITEM, "text": "Deuxième idée"}))
            assert host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": "T1"}).status_code == 303
            answer = upload(archive, field.http.get(url).content)
            assert answer.status_code == 200 and "1 événement ajouté" in answer.text
            assert "1 instantané ajouté" in answer.text
            assert counts(server.db)[1] == events + 1
            # The live copy on the server follows without a restart.
            viewer = Person(server)
            page = viewer.http.get(workshop["link"], follow_redirects=True).text
            assert "Deuxième idée" in page
            await amina.close()

        asyncio.run(play())


def test_a_damaged_or_foreign_file_is_refused_and_nothing_is_written(tmp_path):
    with LiveServer(tmp_path / "portable.db", coordinator_token=TOKEN) as laptop, \
            LiveServer(tmp_path / "serveur.db", coordinator_token=TOKEN) as server:
        host = Person(laptop)
        workshop = host.create_workshop("Atelier", "QPV")
        good = signed_in(laptop).http.get(f"/coordination/ateliers/{workshop['id']}/export.maillage.json").content
        archive = signed_in(server)
        before = counts(server.db)
        document = json.loads(good)
        document["events"][0][2] = document["events"][0][2].replace("Atelier", "Atelier modifié")
        forged = dict(document)
        forged["sha256"] = json.loads(good)["sha256"]
        cases = {
            "abîmé": good[: len(good) // 2],
            "somme de contrôle": json.dumps(forged).encode(),
            "pas un atelier exporté": json.dumps({"acteurs": []}).encode(),
            "autre version": json.dumps({**json.loads(good), "version": 99}).encode(),
        }
        for reason, data in cases.items():
            answer = upload(archive, data)
            assert answer.status_code == 400, reason
            assert "Rien n'a été écrit sur ce serveur." in answer.text
            assert counts(server.db) == before, reason
        # Someone who is not a coordinator can neither read nor write workshops this way.
        stranger = Person(server)
        assert upload(stranger, good).headers.get("location", "").startswith("/coordination/connexion")
        assert counts(server.db) == before


def test_an_erasure_on_the_laptop_reaches_the_server(tmp_path):
    with LiveServer(tmp_path / "portable.db", coordinator_token=TOKEN) as laptop, \
            LiveServer(tmp_path / "serveur.db", coordinator_token=TOKEN) as server:
        async def play():
            host = Person(laptop)
            workshop = host.create_workshop("Atelier", "QPV")
            amina = Person(laptop)
            amina.join(workshop["code"], "Amina")
            await amina.connect()
            await amina.ack(await amina.act({**ITEM, "text": "Mon adresse : 3 rue X"}))
            note = f"d{amina.seq}"
            field, archive = signed_in(laptop), signed_in(server)
            url = f"/coordination/ateliers/{workshop['id']}/export.maillage.json"
            assert upload(archive, field.http.get(url).content).status_code == 200
            # Amina deletes her note on the laptop: its words are erased from the log there.
            assert amina.http.post(f"/a/{workshop['id']}/mes-contributions",
                                   data={"board": "b2", "item": note}).status_code == 303
            answer = upload(archive, field.http.get(url).content)
            assert answer.status_code == 200 and "effacement" in answer.text
            conn = sqlite3.connect(server.db)
            stored = " ".join(row[0] for row in conn.execute("SELECT data FROM events"))
            conn.close()
            assert "3 rue X" not in stored
            await amina.close()

        asyncio.run(play())


def test_the_command_line_carries_the_same_file(tmp_path):
    with LiveServer(tmp_path / "portable.db", coordinator_token=TOKEN) as laptop:
        workshop = Person(laptop).create_workshop("Atelier en ligne de commande", "QPV")
    out = tmp_path / "atelier.maillage.json"
    run = [sys.executable, "-m", "server.transfer"]
    subprocess.run(run + ["--db", str(tmp_path / "portable.db"), "export", workshop["id"], "-o", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    target = tmp_path / "serveur.db"
    first = subprocess.run(run + ["--db", str(target), "import", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0 and "new" in first.stdout, first.stderr
    second = subprocess.run(run + ["--db", str(target), "import", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert second.returncode == 0 and "0 events" in second.stdout
    broken = tmp_path / "abime.json"
    broken.write_bytes(out.read_bytes()[:100])
    refused = subprocess.run(run + ["--db", str(target), "import", str(broken)], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "Maillage" in refused.stderr
