"""A territory followed over many waves: each figure a series over T0…Tn, on the review page
and in the printable report.

The series are checked against an independent networkx computation of each wave (the same
figures the single-wave analysis must give); the charts' points are counted and their labels
checked escaped; the page's actor choice is a plain GET form; the report carries the series.
One real server process for the page and the report.
"""

from __future__ import annotations

import copy
import json
import random
import re
import sqlite3
import sys
from pathlib import Path

import networkx as nx
import pytest

from boards.network import analyse
from boards.network.series import ACTOR_SERIES, NETWORK_SERIES, actor_series, network_series, tracks
from exports import charts, jobs
from exports.series import context
from players import Person, Server
from test_network_exact import reference

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from bench_analysis import random_snapshot  # noqa: E402

HOSTILE = "<img src=x onerror=alert(1)>"
LABELS = ["T0", "T1 — <i>juin</i>", "T2", "T3"]


def territory(actors: int, waves: int = 4) -> list[dict]:
    """A map that changes over ``waves`` waves: actors arrive, one leaves (a1, from T2), one
    is drawn again under a new id with the same name (a2, from T1), ties are added."""
    rng = random.Random(5)
    base = random_snapshot(actors, seed=3)
    base["actors"][0]["name"] = HOSTILE
    result = []
    for wave in range(waves):
        data = copy.deepcopy(base)
        data.update(id=f"s{wave}", label=LABELS[wave], taken_at=f"2026-0{wave + 1}-01T10:00:00",
                    participants=8, workshop={"title": "Atelier", "territory": "QPV test"})
        if wave:
            renamed = {"a2": "b2"}
            for actor in data["actors"]:
                actor["id"] = renamed.get(actor["id"], actor["id"])
            for tie in data["ties"]:
                tie["source"], tie["target"] = (renamed.get(tie["source"], tie["source"]),
                                                renamed.get(tie["target"], tie["target"]))
        if wave >= 2:
            data["actors"] = [a for a in data["actors"] if a["id"] != "a1"]
            data["ties"] = [t for t in data["ties"] if "a1" not in (t["source"], t["target"])]
        ids = [a["id"] for a in data["actors"]]
        for k in range(5 * wave):
            data["actors"].append({"id": f"n{k}", "name": f"Nouvel acteur {k}", "type": "association"})
            for _ in range(2):
                data["ties"].append({"id": f"x{k}-{_}", "source": f"n{k}", "target": rng.choice(ids),
                                     "type": "projet commun", "strength": 2, "directed": False,
                                     "trust": 3, "value": None})
        result.append(data)
    return result


@pytest.fixture(scope="module")
def small():
    waves = territory(40)
    return waves, [analyse(w) for w in waves]


def test_each_wave_of_a_series_is_that_waves_own_figures(small):
    waves, analyses = small
    series = network_series(analyses)
    assert set(series) == set(NETWORK_SERIES) and all(len(v) == 4 for v in series.values())
    for i, data in enumerate(waves):
        graph = reference(data)  # built from the tie list, not through boards.network
        assert series["actors"][i] == graph.number_of_nodes() == len(data["actors"])
        assert series["ties"][i] == len(data["ties"])
        assert series["density"][i] == pytest.approx(nx.density(graph), abs=1e-9)
        assert series["transitivity"][i] == pytest.approx(nx.transitivity(graph), abs=1e-9)
        degrees = [d for _, d in graph.degree()]
        n, top = len(degrees), max(degrees)
        assert series["degree_centralization"][i] == pytest.approx(
            sum(top - d for d in degrees) / ((n - 1) * (n - 2)), abs=1e-9)
        for key in ("modularity", "ei_index", "trust_score", "value_score"):
            assert series[key][i] == analyses[i]["network"][key] is not None
    # The map grew, and the series says so.
    assert series["actors"] == [40, 45, 49, 54]


def test_an_actor_is_followed_across_waves_by_id_then_by_name(small):
    waves, analyses = small
    found = tracks(analyses)
    by_first = {t["ids"][0]: t for t in found if t["ids"][0]}
    assert by_first["a2"]["ids"] == ["a2", "b2", "b2", "b2"]  # drawn again under a new id
    assert by_first["a1"]["ids"] == ["a1", "a1", None, None]  # left the map at T2
    assert by_first["a0"]["name"] == HOSTILE
    assert next(t for t in found if t["ids"][-1] == "n4")["ids"] == [None, "n4", "n4", "n4"]
    assert next(t for t in found if t["ids"][-1] == "n12")["ids"] == [None, None, None, "n12"]
    for track in (by_first["a2"], by_first["a1"], by_first["a5"]):
        values = actor_series(analyses, track)
        assert set(values) == set(ACTOR_SERIES)
        for i, actor_id in enumerate(track["ids"]):
            if actor_id is None:
                assert all(values[key][i] is None for key in ACTOR_SERIES)
                continue
            graph = reference(waves[i])
            assert values["degree"][i] == graph.degree(actor_id)
            assert values["betweenness"][i] == pytest.approx(nx.betweenness_centrality(graph)[actor_id], abs=1e-9)
            expected = nx.constraint(graph, weight="weight")[actor_id]
            assert values["constraint"][i] == pytest.approx(expected, abs=1e-9)
            rated = [t["trust"] for t in waves[i]["ties"] if actor_id in (t["source"], t["target"])
                     and t.get("trust") is not None]
            assert values["trust"][i] == (pytest.approx(sum(rated) / len(rated), abs=1e-9) if rated else None)


def test_a_line_chart_has_one_point_per_known_value_and_breaks_at_gaps():
    chart = charts.line_chart(["T0", "T1", "T2", "T3", "T4"], [("x", [1, 2, None, 4, 5])], str)
    (line,) = chart["lines"]
    assert len(line["points"]) == 4 and len(line["paths"]) == 2
    assert [p["wave"] for p in line["points"]] == ["T0", "T1", "T3", "T4"]
    # Higher values are drawn higher (smaller y), all inside the chart.
    ys = [p["y"] for p in line["points"]]
    assert ys == sorted(ys, reverse=True) and chart["top"] <= min(ys) and max(ys) <= chart["base"]


def test_the_report_carries_the_series_with_escaped_labels(small):
    waves, analyses = small
    history = tuple((w["label"], w["taken_at"], json.dumps(a)) for w, a in zip(waves[:3], analyses[:3]))
    report = jobs.export("rapport.html", json.dumps(waves[3]), json.dumps(analyses[3]), ",", "fr",
                         history).decode()
    section = report.split("Le territoire au fil des vagues", 1)[1]
    charts_ = re.findall(r'<svg class="series-chart".*?</svg>', section, re.S)
    # The whole network's nine figures, then one chart per per-actor figure for the top actors.
    assert len(charts_) == len(NETWORK_SERIES) + len(ACTOR_SERIES)
    assert all(len(re.findall(r'class="point"', svg)) == 4 for svg in charts_[:len(NETWORK_SERIES)])
    assert "<i>juin</i>" not in report and "T1 — &lt;i&gt;juin&lt;/i&gt;" in report
    assert "De T0 à T3 : en hausse, de 40 à 54." in report
    # The table equivalent: one row per figure, one cell per wave.
    assert re.search(r"<tr><td>Acteurs</td>(<td class=\"num\">\d+</td>){4}</tr>", section)
    assert HOSTILE not in report


def store(db: Path, workshop_id: str, waves: list[dict]) -> list[str]:
    with sqlite3.connect(db, timeout=10) as conn:
        territory_ = conn.execute("SELECT territory FROM workshops WHERE id = ?", [workshop_id]).fetchone()[0]
        for seq, data in enumerate(waves, 1):
            conn.execute("INSERT INTO snapshots (id, workshop_id, territory, label, seq, taken_at, data, analysis)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [data["id"], workshop_id, territory_, data["label"], seq, data["taken_at"],
                          json.dumps(data, ensure_ascii=False), json.dumps(analyse(data), ensure_ascii=False)])
    return [w["id"] for w in waves]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # Waves of 400 actors: their stored text is above the review's inline limit, so the
    # series and the page are built in the worker process, as for a large territory.
    server = Server(tmp_path_factory.mktemp("vagues") / "atelier.db").start()
    try:
        host = Person(server)
        workshop = host.create_workshop()
        waves = territory(400)
        yield host, store(server.db, workshop["id"], waves), waves
    finally:
        server.stop()


def test_the_review_page_draws_the_series_and_follows_a_chosen_actor(served):
    host, ids, waves = served
    first = host.http.get(f"/coordination/instantanes/{ids[0]}", timeout=60).text
    assert 'id="evolution"' not in first  # one wave: nothing to follow yet
    page = host.http.get(f"/coordination/instantanes/{ids[2]}", timeout=60)
    assert page.status_code == 200
    text = page.text
    section = text.split('id="evolution"', 1)[1].split("</section>", 1)[0]
    svgs = re.findall(r'<svg class="series-chart".*?</svg>', section, re.S)
    # Up to this wave (T2): three points per chart, later waves left out.
    assert len(svgs) == len(NETWORK_SERIES) + len(ACTOR_SERIES)
    assert all(len(re.findall(r'class="point"', svg)) == 3 for svg in svgs[:len(NETWORK_SERIES)])
    assert "T3" not in section and "T1 — &lt;i&gt;juin&lt;/i&gt;" in section and "<i>juin</i>" not in text
    # A form that works without JavaScript: GET on this page, one select named acteur.
    form = re.search(r'<form method="get" action="/coordination/instantanes/(\w+)#evolution-acteur"', section)
    assert form and form.group(1) == ids[2]
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]*)</option>',
                         section.split('name="acteur"', 1)[1].split("</select>", 1)[0])
    assert len(options) == 300  # of 409 actors, the 300 with the most partners
    assert HOSTILE not in text
    # An actor that is not on this wave's map: the page falls back to the most connected one.
    unknown = host.http.get(f"/coordination/instantanes/{ids[2]}", params={"acteur": "a1<"}, timeout=60)
    assert unknown.status_code == 200 and unknown.text.count(" selected>") == 1
    chosen = host.http.get(f"/coordination/instantanes/{ids[2]}", params={"acteur": "b2"}, timeout=60).text
    part = chosen.split('id="evolution-acteur"', 1)[1].split("</section>", 1)[0]
    assert '<option value="b2" selected>' in part
    analyses = [analyse(w) for w in waves[:3]]
    degrees = [next(a["degree"] for a in an["actors"] if a["id"] in ("a2", "b2")) for an in analyses]
    row = re.search(r"<tr><td>Partenaires</td>((?:<td class=\"num\">[^<]*</td>)+)</tr>", part).group(1)
    assert re.findall(r">([^<]*)<", row)[::2] == [str(d) for d in degrees]
    # The wave's own actors, with their constraint, trust and value (item of the same page).
    actors = text.split('id="acteurs"', 1)[1].split("</section>", 1)[0]
    assert "Contrainte (Burt)" in actors and "Confiance reçue" in actors and "Valeur reçue" in actors
    assert len(re.findall(r'<tr><th scope="row">', actors)) == 30


def test_the_report_of_a_wave_follows_the_territory_up_to_it(served):
    host, ids, _ = served
    report = host.http.get(f"/coordination/instantanes/{ids[3]}/export/rapport.html", timeout=60).text
    section = report.split("Le territoire au fil des vagues", 1)[1]
    assert all(len(re.findall(r'class="point"', svg)) == 4
               for svg in re.findall(r'<svg class="series-chart".*?</svg>', section, re.S)[:len(NETWORK_SERIES)])
    assert "Les acteurs les plus reliés au fil des vagues" in section
    only = host.http.get(f"/coordination/instantanes/{ids[0]}/export/rapport.html", timeout=60).text
    assert "Le territoire au fil des vagues" not in only


def test_english_captions_say_what_went_up(small):
    waves, analyses = small
    result = context([{"label": w["label"], "taken_at": w["taken_at"], "analysis": a}
                      for w, a in zip(waves, analyses)], "en")
    actors = next(r for r in result["network"] if r["key"] == "actors")
    assert actors["caption"] == "From T0 to T3: up, from 40 to 54." and actors["label"] == "Actors"
    density = next(r for r in result["network"] if r["key"] == "density")
    assert density["direction"] == "down" and density["caption"].startswith("From T0 to T3: down, from ")
