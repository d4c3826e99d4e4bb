"""Snapshots taken live, analysed off the event loop, reviewed and exported by a coordinator."""

import asyncio
import csv
import io
import re
import time
import zipfile

import networkx as nx
from openpyxl import load_workbook

from players import Person, Server

TOKEN = "jeton-de-test-coordination"


def run(coro):
    return asyncio.run(coro)


async def build_map(host, board, actors, ties):
    ids = {}
    for name, kind in actors:
        op = await host.act({"type": "actor.add", "board": board, "name": name, "category": kind})
        frame = await host.ack(op)
        ids[name] = f"a{host.seq}"
    for source, target in ties:
        await host.ack(await host.act({"type": "tie.add", "board": board, "source": ids[source],
                                       "target": ids[target], "category": "projet commun",
                                       "strength": 2, "direction": "both"}))
    return ids


def snapshot(host, workshop, label):
    response = host.http.post(f"/a/{workshop['id']}/instantanes", data={"label": label})
    assert response.status_code == 303
    return re.search(r"instantane=(s[0-9a-f]+)", response.headers["location"]).group(1)


def wait_ready(person, snapshot_id):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = person.http.get(f"/coordination/instantanes/{snapshot_id}")
        assert page.status_code == 200
        if "Le réseau en chiffres" in page.text:
            return page.text
        time.sleep(0.2)
    raise AssertionError("analysis never finished")


def test_two_waves_reviewed_compared_and_exported(tmp_path):
    server = Server(tmp_path / "revue.db", extra=("--coordinator-token", TOKEN)).start()
    try:
        host = Person(server)
        workshop = host.create_workshop("Atelier <b>vague</b>", "QPV Les Tilleuls")

        async def scenario():
            await host.connect(view="facilitator")
            await host.wait_for('id="stage"')
            await host.ack(await host.act({"type": "board.add", "kind": "stakeholders", "title": "Carte"}))
            board = f"b{host.seq}"
            await host.ack(await host.act({"type": "board.show", "board": board}))
            ids = await build_map(host, board, [("Mission locale", "service public de l'emploi"),
                                               ("Centre social", "association"),
                                               ("<script>alert(1)</script>", "association"),
                                               ("=HYPERLINK(\"x\")", "entreprise")],
                                  [("Mission locale", "Centre social")])
            first = snapshot(host, workshop, "T0 — janvier 2027")
            await host.ack(await host.act({"type": "tie.add", "board": board, "source": ids["Centre social"],
                                           "target": ids["<script>alert(1)</script>"],
                                           "category": "orientation de publics", "strength": 3,
                                           "direction": "one"}))
            return first, snapshot(host, workshop, "T1 — juin 2027")

        first, second = run(scenario())

        # Not a coordinator, not this workshop's facilitator: sent to sign in.
        stranger = Person(server)
        assert stranger.http.get(f"/coordination/instantanes/{first}").status_code == 303
        assert stranger.http.get("/coordination").status_code == 303
        assert stranger.http.post("/coordination/connexion", data={"token": "faux", "suite": "/coordination"}).status_code == 403

        coordinator = Person(server)
        signed = coordinator.http.post("/coordination/connexion", data={"token": TOKEN, "suite": "/coordination"})
        assert signed.status_code == 303
        index = coordinator.http.get("/coordination").text
        assert "QPV Les Tilleuls" in index and "T0 — janvier 2027" in index and "T1 — juin 2027" in index
        assert "<b>vague</b>" not in index and "&lt;b&gt;vague&lt;/b&gt;" in index

        page = wait_ready(coordinator, first)
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
        assert "Densité" in page or "densité" in page
        wait_ready(coordinator, second)

        # The facilitator of the workshop may review its own snapshots too.
        assert host.http.get(f"/coordination/instantanes/{first}").status_code == 200

        comparison = coordinator.http.get(f"/coordination/comparer?avant={first}&apres={second}")
        assert comparison.status_code == 200
        assert "Liens apparus (1)" in comparison.text and comparison.text.count("<svg") >= 2

        base = f"/coordination/instantanes/{second}/export/"
        gexf = coordinator.http.get(base + "reseau.gexf")
        graph = nx.read_gexf(io.BytesIO(gexf.content))
        # The two-way tie is one "mutual" edge, which networkx reads as two arcs; the one-way one, one.
        assert graph.number_of_nodes() == 4 and graph.number_of_edges() == 3
        graphml = nx.read_graphml(io.BytesIO(coordinator.http.get(base + "reseau.graphml").content))
        assert graphml.number_of_nodes() == 4
        book = load_workbook(io.BytesIO(coordinator.http.get(base + "classeur.xlsx").content))
        assert "acteurs" in book.sheetnames
        actors = coordinator.http.get(base + "acteurs.csv?sep=%3B")
        assert actors.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(actors.content.decode("utf-8-sig")), delimiter=";"))
        names = [row[1] for row in rows[1:]]
        assert "'=HYPERLINK(\"x\")" in names
        page = coordinator.http.get(base + "reseau.html")
        assert page.headers["content-disposition"].startswith("attachment")
        assert "<script>alert(1)</script>" not in page.text
        pack = zipfile.ZipFile(io.BytesIO(coordinator.http.get(base + "dossier.zip").content))
        assert any(name.endswith(".gexf") for name in pack.namelist())
        changes = coordinator.http.get(f"/coordination/comparer/export/changements.csv?avant={first}&apres={second}")
        assert changes.status_code == 200 and "Centre social" in changes.content.decode("utf-8-sig")
        # The analysis survives a restart with the snapshot.
        server.stop()
        server.start()
        coordinator.http.post("/coordination/connexion", data={"token": TOKEN, "suite": "/coordination"})
        assert "Le réseau en chiffres" in coordinator.http.get(f"/coordination/instantanes/{first}").text
    finally:
        server.stop()
