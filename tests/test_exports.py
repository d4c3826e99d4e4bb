import csv
import io
import json
import re
import zipfile
from pathlib import Path

import networkx as nx
import openpyxl
import pytest

import exports
from boards.network import aggregate, analyse, build_graph
from boards.network.compare import compare
from exports import tables
from exports.templating import vis_assets

HOSTILE = ["</script><script>alert(1)</script>", "<img src=x onerror=alert(1)>",
           '" onmouseover="alert(1)', "javascript:alert(1)", 'hx-get="/x"',
           "\u202egauche\u200f", "\u2028ligne\u2029", "A" * 10_000]
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "exports"


def make_wave(names=None, label="T0 — janvier 2027"):
    names = names or ["Mission locale", "Centre social", "=HYPERLINK(\"http://x\")",
                      "Mairie", "Association Tremplin", "Isolé"]
    ids = [f"a{i}" for i in range(len(names))]
    return {
        "id": "s1", "label": label, "taken_at": "2027-01-15T10:00:00+00:00", "seq": 812,
        "workshop": {"id": "w1", "title": "Atelier coopération", "territory": "QPV Les Tilleuls"},
        "participants": 14,
        "actor_types": ["service public de l'emploi", "association", "collectivité"],
        "tie_types": ["échange d'information", "projet commun", "financement"],
        "actors": [{"id": i, "name": name, "type": ["association", "collectivité"][n % 2],
                    "x": round(0.1 + 0.15 * n, 2), "y": 0.72, "zone": "fort pouvoir / fort intérêt",
                    "own": n == 0} for n, (i, name) in enumerate(zip(ids, names))],
        "ties": [
            {"id": "t1", "source": "a0", "target": "a1", "type": "projet commun", "strength": 2,
             "directed": True, "trust": 3.5, "value": 2.0, "ratings": 3},
            {"id": "t2", "source": "a0", "target": "a1", "type": "financement", "strength": 3,
             "directed": False, "trust": 2.5, "value": None, "ratings": 1},
            {"id": "t3", "source": "a1", "target": "a2", "type": "échange d'information",
             "strength": 1, "directed": True, "trust": None, "value": None, "ratings": 0},
            {"id": "t4", "source": "a3", "target": "a1", "type": "projet commun", "strength": 1,
             "directed": True, "trust": None, "value": None, "ratings": 0},
            {"id": "t5", "source": "a4", "target": "a3", "type": "financement", "strength": 2,
             "directed": False, "trust": 4.0, "value": 3.0, "ratings": 2},
        ],
        "levers": [
            {"id": "c1", "kind": "frein", "category": "confiance", "text": "=1+2", "votes": 7,
             "cluster": "Manque de temps"},
            {"id": "c2", "kind": "levier", "category": "moyens", "text": "-0.5", "votes": 3,
             "cluster": None},
            {"id": "c3", "kind": "frein", "category": "temps", "text": "@SUM(A1)", "votes": 0,
             "cluster": "Manque de temps"},
            {"id": "c4", "kind": "levier", "category": "x", "text": "+33 6 00", "votes": 1,
             "cluster": None},
            {"id": "c5", "kind": "levier", "category": "x", "text": "\tcaché", "votes": 2,
             "cluster": None},
            {"id": "c6", "kind": "frein", "category": "x", "text": "\rretour", "votes": 1,
             "cluster": None},
        ],
        "indicators": [
            {"id": "i1", "name": "Interconnaissance", "dimension": "interconnaissance entre acteurs",
             "counts": {"1": 0, "2": 3, "3": 5, "4": 1, "5": 0, "dk": 2}, "median": 3.0,
             "previous": {"counts": {"1": 2, "2": 4, "3": 2, "4": 0, "5": 0, "dk": 1},
                          "median": 2.0}},
            {"id": "i2", "name": "Confiance", "dimension": "confiance",
             "counts": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "dk": 0}, "median": 3.0,
             "previous": None},
        ],
    }


@pytest.fixture(scope="module")
def wave():
    snapshot = make_wave()
    return snapshot, analyse(snapshot)


@pytest.fixture(scope="module")
def hostile():
    snapshot = make_wave(HOSTILE, label=HOSTILE[1])
    snapshot["workshop"]["title"] = HOSTILE[0]
    snapshot["workshop"]["territory"] = HOSTILE[2]
    snapshot["actor_types"].append(HOSTILE[1])
    snapshot["actors"][1]["type"] = HOSTILE[0]
    snapshot["ties"][0]["type"] = HOSTILE[1]
    snapshot["levers"][0].update(text=HOSTILE[0], cluster=HOSTILE[1])
    snapshot["indicators"][0].update(name=HOSTILE[1], dimension=HOSTILE[0])
    later = make_wave(HOSTILE[::-1], label=HOSTILE[0])
    analysis = analyse(snapshot)
    comparison = compare(later, snapshot, analyse(later), analysis)
    return snapshot, analysis, comparison


def read_csv(data: bytes, sep=","):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=sep))


def test_actors_csv_round_trip_in_both_dialects(wave):
    snapshot, analysis = wave
    header, *rows = read_csv(exports.actors_csv(snapshot, analysis))
    assert header == ["id", "nom", "type", "x", "y", "zone", "propre_structure"]
    assert [r[0] for r in rows] == [a["id"] for a in snapshot["actors"]]
    assert rows[0][1:] == ["Mission locale", "association", "0.1", "0.72",
                           "fort pouvoir / fort intérêt", "oui"]
    assert rows[2][1] == "'=HYPERLINK(\"http://x\")"
    _, *french = read_csv(exports.actors_csv(snapshot, analysis, sep=";"), sep=";")
    assert french[0][3:5] == ["0,1", "0,72"]
    assert [r[1] for r in french] == [r[1] for r in rows]


def test_ties_and_metrics_csv_match_the_snapshot(wave):
    snapshot, analysis = wave
    header, *rows = read_csv(exports.ties_csv(snapshot, analysis))
    assert [r[0] for r in rows] == [t["id"] for t in snapshot["ties"]]
    assert rows[1][header.index("sens")] == "deux sens"
    assert rows[0][header.index("confiance")] == "3.5"
    assert rows[2][header.index("confiance")] == ""
    assert rows[0][header.index("cible_nom")] == "Centre social"
    header, *rows = read_csv(exports.metrics_csv(snapshot, analysis))
    for row, actor in zip(rows, analysis["actors"]):
        assert row[0] == actor["id"]
        assert float(row[header.index("intermediarite")]) == actor["betweenness"]
        assert int(row[header.index("groupe")]) == actor["community"]


def test_levers_and_indicators_csv(wave):
    snapshot, analysis = wave
    header, *rows = read_csv(exports.levers_csv(snapshot, analysis, sep=";"), sep=";")
    assert [r[header.index("points")] for r in rows] == ["7", "3", "0", "1", "2", "1"]
    assert rows[1][header.index("regroupement")] == ""
    header, *rows = read_csv(exports.indicators_csv(snapshot, analysis))
    first = dict(zip(header, rows[0]))
    assert (first["reponses_3"], first["ne_sait_pas"], first["mediane"]) == ("5", "2", "3.0")
    assert (first["avant_1"], first["avant_mediane"]) == ("2", "2.0")
    assert dict(zip(header, rows[1]))["avant_mediane"] == ""


def test_formula_cells_are_defused_and_numbers_kept(wave):
    snapshot, analysis = wave
    _, *rows = read_csv(exports.levers_csv(snapshot, analysis))
    assert [r[3] for r in rows] == ["'=1+2", "'-0.5", "'@SUM(A1)", "'+33 6 00", "'\tcaché",
                                    "'\rretour"]
    assert tables.spell(-0.5) == "-0.5" and tables.spell(-3) == "-3"
    assert tables.spell(-0.5, ",") == "-0,5"
    assert tables.spell("sans risque") == "sans risque"


def test_workbook_sheets_and_cells(wave):
    snapshot, analysis = wave
    book = openpyxl.load_workbook(io.BytesIO(exports.workbook_xlsx(snapshot, analysis)))
    assert book.sheetnames == ["acteurs", "liens", "indicateurs_reseau", "metriques_acteurs",
                               "freins_leviers", "indicateurs", "idees"]
    actors = list(book["acteurs"].iter_rows(values_only=True))
    assert [r[0] for r in actors[1:]] == [a["id"] for a in snapshot["actors"]]
    assert actors[3][1] == "'=HYPERLINK(\"http://x\")"
    assert actors[1][3] == 0.1 and actors[1][6] is True
    levers = list(book["freins_leviers"].iter_rows(values_only=True))
    assert [r[3] for r in levers[1:3]] == ["'=1+2", "'-0.5"]
    assert levers[1][4] == 7
    figures = {r[1]: r for r in book["indicateurs_reseau"].iter_rows(values_only=True)}
    assert figures["density"][2] == analysis["network"]["density"]
    assert figures["density"][3].startswith("Part des coopérations")
    metrics = list(book["metriques_acteurs"].iter_rows(values_only=True))
    assert [r[0] for r in metrics[1:]] == [a["id"] for a in analysis["actors"]]
    assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows()
               for cell in row)


def test_workbook_survives_control_characters():
    snapshot = make_wave(["nul\x00", "bip\x07", "=ok", "a", "b", "c"])
    book = openpyxl.load_workbook(io.BytesIO(exports.workbook_xlsx(snapshot, analyse(snapshot))))
    names = [r[1] for r in book["acteurs"].iter_rows(min_row=2, values_only=True)]
    assert names[:3] == ["nul", "bip", "'=ok"]


@pytest.mark.parametrize("writer, reader", [(exports.gexf_bytes, nx.read_gexf),
                                            (exports.graphml_bytes, nx.read_graphml)])
def test_gephi_files_parse_back(wave, writer, reader):
    snapshot, analysis = wave
    graph = reader(io.BytesIO(writer(snapshot, analysis)))
    expected = aggregate(build_graph(snapshot))
    assert graph.is_directed() and set(graph.nodes) == set(expected.nodes)
    assert {frozenset(e) for e in graph.edges()} == {frozenset(e) for e in expected.edges}
    for actor in analysis["actors"]:
        node = graph.nodes[actor["id"]]
        assert node["name"] == actor["name"] and node["type"] == actor["type"]
        assert node["community"] == actor["community"]
        assert node["betweenness"] == pytest.approx(actor["betweenness"])
        assert node["degree"] == actor["degree"]
    # One edge per tie type, each keeping its direction: the one-way "projet commun" runs
    # a0 -> a1 only, the two-way "financement" both ways.
    between = lambda u, v: {d["tie_type"]: d for d in graph.get_edge_data(u, v, default={}).values()}
    assert set(between("a0", "a1")) == {"projet commun", "financement"}
    assert set(between("a1", "a0")) <= {"financement"}
    funding = between("a0", "a1")["financement"]
    assert (funding["weight"], funding["strength"], funding["sens"]) == (3.0, 3, "deux sens")
    assert between("a0", "a1")["projet commun"]["trust"] == pytest.approx(3.5)
    assert between("a0", "a1")["projet commun"]["sens"] == "sens unique"
    assert set(between("a1", "a2")) == {"échange d'information"} and not between("a2", "a1")
    assert "trust" not in between("a1", "a2")["échange d'information"]


def test_gexf_marks_two_way_ties_and_carries_positions_and_colours(wave):
    snapshot, analysis = wave
    raw = exports.gexf_bytes(snapshot, analysis)
    graph = nx.read_gexf(io.BytesIO(raw))
    assert set(between_types(graph, "a1", "a0")) == {"financement"}  # mutual: read as two arcs
    assert b'type="mutual"' in raw and b'type="directed"' in raw
    viz = graph.nodes["a0"]["viz"]
    assert viz["color"] == {"r": 0xc2, "g": 0x41, "b": 0x0c, "a": 1.0}  # "association": second type, second colour
    assert viz["size"] > 0 and {"x", "y"} <= set(viz["position"])
    spots = {(round(graph.nodes[a]["viz"]["position"]["x"]), round(graph.nodes[a]["viz"]["position"]["y"]))
             for a in graph}
    assert len(spots) == len(graph)
    graphml = nx.read_graphml(io.BytesIO(exports.graphml_bytes(snapshot, analysis)))
    assert {k: graphml.nodes["a0"][k] for k in ("r", "g", "b")} == {"r": 0xc2, "g": 0x41, "b": 0x0c}
    assert graphml.nodes["a0"]["x"] == viz["position"]["x"]
    assert any(d["directed"] is False for _, _, d in graphml.edges(data=True))


def between_types(graph, u, v):
    return {d["tie_type"] for d in graph.get_edge_data(u, v, default={}).values()}


def test_gephi_files_carry_hostile_text_as_text(hostile):
    snapshot, analysis, _ = hostile
    for writer, reader in ((exports.gexf_bytes, nx.read_gexf),
                           (exports.graphml_bytes, nx.read_graphml)):
        raw = writer(snapshot, analysis)
        assert b"<script>" not in raw and b"<img" not in raw
        graph = reader(io.BytesIO(raw))
        assert graph.nodes["a0"]["name"] == HOSTILE[0]
        assert graph.nodes["a7"]["name"] == HOSTILE[7]


def test_json_export_holds_every_tie_and_the_analysis(wave):
    snapshot, analysis = wave
    document = json.loads(exports.json_bytes(snapshot, analysis))
    graph = nx.node_link_graph(document["graph"], edges="edges")
    assert isinstance(graph, nx.MultiDiGraph)
    assert list(graph.nodes) == [a["id"] for a in snapshot["actors"]]
    assert sorted((u, v, k) for u, v, k in graph.edges(keys=True)) == sorted(
        (t["source"], t["target"], t["id"]) for t in snapshot["ties"])
    assert graph.edges["a0", "a1", "t2"]["directed"] is False
    assert document["analysis"] == json.loads(json.dumps(analysis))
    assert document["snapshot"]["workshop"]["territory"] == "QPV Les Tilleuls"


def embedded_data(page: str) -> dict:
    raw = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', page,
                    re.S).group(1)
    return json.loads(raw)


FETCHING = [re.compile(r"""\b(src|href|action|formaction|poster|srcset|data)\s*=\s*["']?\s*"""
                       r"""(https?:)?//""", re.I),
            re.compile(r"""url\(\s*["']?\s*(https?:)?//""", re.I),
            re.compile(r"@import", re.I),
            re.compile(r"<(link|iframe|object|embed|base)\b", re.I),
            re.compile(r"<script[^>]*\bsrc\s*=", re.I)]


def assert_inert(page: str):
    for raw in ("<script>alert", "<img src=x", '" onmouseover="', 'hx-get="/x"',
                "\u2028", "\u2029"):
        assert raw not in page
    assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", page, re.I)
    for pattern in FETCHING:
        assert not pattern.search(page), pattern.pattern


def test_network_page_is_self_contained_and_inert(hostile):
    snapshot, analysis, comparison = hostile
    for page in (exports.network_html(snapshot, analysis),
                 exports.network_html(snapshot, analysis, comparison=comparison)):
        assert_inert(page)
        script, style = vis_assets()
        assert str(script) in page and str(style) in page
        assert "@license" in page and "vis-network" in page
        ours = page.replace(str(script), "")
        assert "http:" not in ours and "https:" not in ours
        assert "innerHTML" not in ours and "insertAdjacentHTML" not in ours
        assert ours.lower().count("</script") == 3
        data = embedded_data(page)
        labels = {node["id"]: node["label"] for node in data["nodes"]}
        assert labels["a0"] == HOSTILE[0] and labels["a1"] == HOSTILE[1]
        assert len(labels["a7"]) <= 40
        assert data["info"][0]["tip"][0] == HOSTILE[0]
        assert "title" not in data["nodes"][0]


def test_network_page_data(wave):
    snapshot, analysis = wave
    page = exports.network_html(snapshot, analysis)
    data = embedded_data(page)
    assert [n["id"] for n in data["nodes"]] == [a["id"] for a in snapshot["actors"]]
    assert {(e["from"], e["to"]) for e in data["edges"]} == {("a0", "a1"), ("a1", "a2"),
                                                             ("a1", "a3"), ("a3", "a4")}
    by_pair = {(e["from"], e["to"]): e for e in data["edges"]}
    assert by_pair["a0", "a1"]["value"] == 5 and by_pair["a0", "a1"]["arrows"] == ""
    assert by_pair["a1", "a3"]["arrows"] == "from"
    assert data["nodes"][0]["x"] == pytest.approx(100) and data["options"]["physics"]["enabled"] is False
    assert [i["group"] for i in data["info"]] == [a["community"] for a in analysis["actors"]]
    assert data["types"][:3] == ["service public de l'emploi", "association", "collectivité"]


def test_network_page_marks_changes(wave):
    snapshot, analysis = wave
    later = make_wave()
    later["ties"] = later["ties"][1:] + [{"id": "t9", "source": "a5", "target": "a0",
                                          "type": "projet commun", "strength": 1}]
    later["actors"] = later["actors"][:3] + later["actors"][4:]
    comparison = compare(snapshot, later)
    data = embedded_data(exports.network_html(later, analyse(later), comparison=comparison))
    states = {frozenset((e["from"], e["to"])): info["state"]
              for e, info in zip(data["edges"], data["edgeInfo"])}
    assert states[frozenset(("a0", "a5"))] == "added"
    assert states[frozenset(("a0", "a1"))] == ""  # the pair still has a tie
    assert states[frozenset(("a3", "a1"))] == "removed"
    assert states[frozenset(("a4", "a3"))] == "removed"
    ghost = [i for n, i in zip(data["nodes"], data["info"]) if n["id"] == "a3"]
    assert ghost and ghost[0]["ghost"] is True


def test_report_is_printable_inert_and_complete(hostile, wave):
    snapshot, analysis, comparison = hostile
    for page in (exports.report_html(snapshot, analysis),
                 exports.report_html(snapshot, analysis, comparison=comparison),
                 exports.comparison_report_html(comparison)):
        assert_inert(page)
        assert "http:" not in page and "https:" not in page
        assert "<script" not in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
    snapshot, analysis = wave
    page = exports.report_html(snapshot, analysis)
    assert "@page" in page and "size: A4" in page and "break-before: page" in page
    for text in ("Densité", "Part des coopérations possibles", "Centre social",
                 "Interconnaissance", "Médiane : 3,0", "vague précédente : 2,0"):
        assert text in page
    assert page.count("<svg") == 2 + 2 + len(snapshot["indicators"])
    assert "Isolé" in page.split("Sans aucun lien")[1].split("Avec un seul")[0]


def test_templates_never_mark_text_safe():
    for template in TEMPLATES.glob("*"):
        assert template.suffix == ".html"
        assert "|safe" not in template.read_text().replace(" ", "")


def test_changes_csv_and_comparison_report(wave):
    snapshot, analysis = wave
    later = make_wave(label="T1")
    later["ties"][0]["strength"] = 1
    later["ties"].append({"id": "t9", "source": "a5", "target": "a0", "type": "financement",
                          "strength": 2, "directed": True})
    comparison = compare(snapshot, later)
    header, *rows = read_csv(exports.changes_csv(comparison, sep=";"), sep=";")
    kinds = [r[0] for r in rows]
    assert kinds.count("lien ajouté") == 1 and kinds.count("lien affaibli") == 1
    weakened = rows[kinds.index("lien affaibli")]
    assert weakened[header.index("ecart")] == "-1"  # a number, not defused text
    ties = [r for r in rows if r[1] == "ties"][0]
    assert ties[header.index("avant")] == "5" and ties[header.index("apres")] == "6"
    page = exports.comparison_report_html(comparison)
    assert "Liens apparus (1)" in page and "Liens affaiblis (1)" in page and "2 → 1" in page


def test_evidence_pack_holds_everything(wave):
    snapshot, analysis = wave
    comparison = compare(snapshot, make_wave(label="T1"))
    archive = zipfile.ZipFile(io.BytesIO(exports.evidence_pack(snapshot, analysis,
                                                               comparison=comparison)))
    names = archive.namelist()
    assert all(re.fullmatch(r"[a-z0-9_./-]+", name, re.I) for name in names)
    folder = "maillage-t0-janvier-2027/"
    expected = {"README.txt", "rapport.html", "reseau_interactif.html", "classeur.xlsx",
                "acteurs.csv", "liens.csv", "metriques_acteurs.csv", "indicateurs_reseau.csv",
                "freins_leviers.csv", "indicateurs.csv", "idees.csv", "reseau.gexf", "reseau.graphml",
                "reseau.json", "comparaison.html", "changements.csv"}
    assert set(names) == {folder + name for name in expected}
    assert all(archive.read(name) for name in names)
    readme = archive.read(folder + "README.txt").decode("utf-8")
    assert "Atelier coopération" in readme and "T0 — janvier 2027" in readme
    _, *rows = read_csv(archive.read(folder + "acteurs.csv"), sep=";")
    assert len(rows) == len(snapshot["actors"])
    nx.read_gexf(io.BytesIO(archive.read(folder + "reseau.gexf")))


def test_exports_of_an_empty_wave():
    snapshot = {"id": "vide"}
    analysis = analyse(snapshot)
    archive = zipfile.ZipFile(io.BytesIO(exports.evidence_pack(snapshot, analysis)))
    assert len(archive.namelist()) == 14
    assert embedded_data(exports.network_html(snapshot, analysis))["nodes"] == []
    assert "Aucun" in exports.report_html(snapshot, analysis)


def test_board_ids_become_labels_and_unchosen_indicators_stay_out_of_the_report():
    snapshot = make_wave()
    snapshot["categories"] = [{"id": "k1", "label": "Confiance entre structures"}]
    snapshot["boards"] = [{"id": "b1", "kind": "levers",
                           "clusters": [{"id": "g1", "name": "Temps partagé", "votes": 9}]}]
    snapshot["levers"][0].update(category="k1", cluster="g1")
    snapshot["indicators"].append({"id": "i3", "name": "Candidat écarté", "dimension": "x",
                                   "chosen": False, "counts": {"3": 4}, "median": 3.0})
    snapshot["indicators"][0]["chosen"] = True
    analysis = analyse(snapshot)
    header, *rows = read_csv(exports.levers_csv(snapshot, analysis))
    assert rows[0][header.index("categorie")] == "Confiance entre structures"
    assert rows[0][header.index("regroupement")] == "Temps partagé"
    assert rows[1][header.index("categorie")] == "moyens"  # a plain label is kept
    header, *rows = read_csv(exports.indicators_csv(snapshot, analysis))
    assert [r[header.index("retenu")] for r in rows] == ["oui", "", "non"]
    page = exports.report_html(snapshot, analysis)
    assert "Temps partagé" in page and "Candidat écarté" not in page
