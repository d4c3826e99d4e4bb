"""The systems map's files open in the tools they are for (networkx for GEXF and GraphML, Python's
csv, openpyxl for the Kumu workbook), and a coordinator reviews, compares and downloads them."""

import asyncio
import csv
import io

import networkx as nx
from openpyxl import load_workbook

from boards.snapshot import freeze
from boards.systems import waves
from exports import systems as files
from players import Person, Server
from test_review_e2e import TOKEN, snapshot, wait_ready
from test_systems import Room, population


def wave(room, label="T0"):
    return freeze(room.ws, "s1", label, "2027-01-01T10:00:00")


def test_gexf_and_graphml_carry_each_links_polarity_and_delay():
    room = Room()
    births, people, deaths = population(room)
    snap = wave(room)
    for graph in (nx.read_gexf(io.BytesIO(files.gexf_bytes(snap))),
                  nx.read_graphml(io.BytesIO(files.graphml_bytes(snap)))):
        assert graph.is_directed() and graph.number_of_nodes() == 3 and graph.number_of_edges() == 4
        assert graph.edges[deaths, people]["polarity"] == "-" and graph.edges[people, deaths]["polarity"] == "+"
        assert int(graph.edges[deaths, people]["sign"]) == -1
        assert graph.edges[deaths, people]["delay"] in (True, "true")
        assert graph.nodes[people]["label"] == "Population" and int(graph.nodes[people]["boucles"]) == 2


def test_csv_tables_parse_and_defuse_formulas():
    room = Room()
    births, people, deaths = population(room)
    evil = room.factor(room.bob, '=HYPERLINK("http://x","clic")')
    room.link(room.bob, evil, people, "-")
    snap = wave(room)
    rows = list(csv.reader(io.StringIO(files.factors_csv(snap, sep=";").decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["id", "carte", "texte", "origine", "boucles"]
    assert ["'=HYPERLINK(\"http://x\",\"clic\")"] == [r[2] for r in rows[1:] if r[0] == evil]
    links = list(csv.DictReader(io.StringIO(files.links_csv(snap).decode("utf-8-sig"))))
    assert {(l["cause_texte"], l["effet_texte"], l["polarite"], l["signe"]) for l in links if l["effet"] == people} == {
        ("Naissances", "Population", "positif", "1"), ("Décès", "Population", "négatif", "-1"),
        ("'=HYPERLINK(\"http://x\",\"clic\")", "Population", "négatif", "-1")}
    loops = list(csv.DictReader(io.StringIO(files.loops_csv(snap).decode("utf-8-sig"))))
    assert [(l["boucle"], l["type"], l["longueur"]) for l in loops] == [("R1", "renforcement", "2"), ("B1", "équilibre", "2")]
    assert loops[1]["explication"].endswith("la boucle s'équilibre, le changement revient en sens inverse.")


def test_the_kumu_workbook_has_elements_and_connections_by_label():
    room = Room()
    population(room)
    book = load_workbook(io.BytesIO(files.kumu_xlsx(wave(room))))
    assert book.sheetnames == ["Elements", "Connections"]
    elements = list(book["Elements"].values)
    connections = list(book["Connections"].values)
    assert elements[0][:2] == ("Label", "Type") and connections[0][:3] == ("From", "To", "Type")
    assert {row[0] for row in elements[1:]} == {"Naissances", "Population", "Décès"}
    assert ("Décès", "Population", "négatif", "oui") in connections[1:]
    assert ("Naissances", "Population", "positif", "non") in connections[1:]


def test_waves_tell_which_loops_appeared_and_which_broke():
    room = Room()
    births, people, deaths = population(room)
    before = wave(room, "T0")
    birth_link = next(l.id for l in room.data.links.values() if (l.source, l.target) == (people, births))
    room.act(room.alice, {"type": "link.delete", "link": birth_link})
    jobs = room.factor(room.alice, "Emplois")
    room.link(room.alice, people, jobs, "+")
    room.link(room.alice, jobs, people, "+")
    changes = waves.compare(before, wave(room, "T1"))
    assert [l["names"] for l in changes["broke"]] == [["Naissances", "Population"]]
    assert [l["names"] for l in changes["appeared"]] == [["Population", "Emplois"]]
    assert [l["names"] for l in changes["kept"]] == [["Population", "Décès"]]


def test_a_coordinator_reviews_compares_and_downloads_the_systems_map(tmp_path):
    server = Server(tmp_path / "systeme.db", extra=("--coordinator-token", TOKEN)).start()
    try:
        host = Person(server)
        workshop = host.create_workshop("Atelier systémique", "QPV Les Tilleuls")

        async def scenario():
            await host.connect(view="facilitator")
            await host.wait_for('id="stage"')
            await host.ack(await host.act({"type": "board.add", "kind": "systems", "title": "Carte systémique"}))
            board = f"b{host.seq}"
            ids = {}
            for words in ("Naissances", "Population", "Décès"):
                await host.ack(await host.act({"type": "factor.add", "board": board, "text": words}))
                ids[words] = f"f{host.seq}"
            links = {}
            for source, target, polarity in (("Naissances", "Population", "+"), ("Population", "Naissances", "+"),
                                             ("Population", "Décès", "+"), ("Décès", "Population", "-")):
                await host.ack(await host.act({"type": "link.add", "board": board, "source": ids[source],
                                               "target": ids[target], "polarity": polarity}))
                links[source, target] = f"l{host.seq}"
            first = snapshot(host, workshop, "T0")
            await host.ack(await host.act({"type": "link.delete", "board": board,
                                           "link": links["Population", "Naissances"]}))
            return first, snapshot(host, workshop, "T1")

        first, second = asyncio.run(scenario())
        coordinator = Person(server)
        coordinator.http.post("/coordination/connexion", data={"token": TOKEN, "suite": "/coordination"})
        page = wait_ready(coordinator, first)
        assert "Carte systémique" in page and "Boucle d'équilibre" in page and "R1" in page
        assert "plus de « Population », donc plus de « Décès », donc moins de « Population »" in page
        wait_ready(coordinator, second)
        comparison = coordinator.http.get(f"/coordination/comparer?avant={first}&apres={second}").text
        assert "Boucles rompues (1)" in comparison and "Boucles apparues (0)" in comparison
        base = f"/coordination/instantanes/{first}/export/"
        graph = nx.read_graphml(io.BytesIO(coordinator.http.get(base + "systeme.graphml").content))
        assert sorted(d["polarity"] for _, _, d in graph.edges(data=True)) == ["+", "+", "+", "-"]
        kumu = load_workbook(io.BytesIO(coordinator.http.get(base + "systeme_kumu.xlsx").content))
        assert kumu["Connections"].max_row == 5
        loops = coordinator.http.get(base + "systeme_boucles.csv?sep=%3B")
        assert loops.headers["content-disposition"].startswith("attachment")
        assert len(list(csv.reader(io.StringIO(loops.content.decode("utf-8-sig")), delimiter=";"))) == 3
    finally:
        server.stop()
