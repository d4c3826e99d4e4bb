import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boards import network
from boards.network.text import ACTOR_LABELS, NETWORK_LABELS


def snapshot(actors, ties, **extra):
    """A snapshot from ("id", "type") actors and (source, target, type, strength, directed) ties."""
    return {
        "id": "s1", "label": "T0",
        "tie_types": ["échange d'information", "projet commun", "financement"],
        "actors": [{"id": a, "name": f"Acteur {a}", "type": kind, "x": 0.5, "y": 0.5}
                   for a, kind in actors],
        "ties": [{"id": f"t{i}", "source": s, "target": t, "type": kind, "strength": strength,
                  "directed": directed, "trust": None, "value": None, "ratings": 0}
                 for i, (s, t, kind, strength, directed) in enumerate(ties)],
        **extra,
    }


def by_id(result):
    return {a["id"]: a for a in result["actors"]}


def test_star_by_hand():
    leaves = ["b", "c", "d", "e"]
    result = network.analyse(snapshot(
        [("a", "association")] + [(x, "association") for x in leaves],
        [("a", x, "projet commun", 2, False) for x in leaves]))
    net, actors = result["network"], by_id(result)
    assert net["actors"] == 5 and net["ties"] == 4 and net["linked_pairs"] == 4
    assert net["density"] == pytest.approx(0.4)
    assert net["degree_centralization"] == pytest.approx(1.0)
    assert net["average_degree"] == pytest.approx(1.6)
    assert net["reciprocity"] == pytest.approx(1.0)
    assert net["components"] == 1 and net["isolated_count"] == 0
    assert actors["a"]["betweenness"] == pytest.approx(1.0)
    assert actors["b"]["betweenness"] == 0
    assert actors["a"]["closeness"] == pytest.approx(1.0)
    assert actors["b"]["closeness"] == pytest.approx(4 / 7)
    assert actors["a"]["eigenvector"] == pytest.approx(1.0, abs=1e-4)
    assert actors["b"]["eigenvector"] == pytest.approx(0.5, abs=1e-4)
    assert actors["a"]["in_degree"] == actors["a"]["out_degree"] == 4
    assert all(a["core"] == 1 for a in result["actors"])
    assert [b["id"] for b in result["brokers"]] == ["a"]
    assert sorted(m["id"] for m in result["margin"]) == leaves
    assert {m["reason"] for m in result["margin"]} == {"single_partner"}
    assert result["betweenness_sampled"] is False and result["betweenness_k"] is None


def test_directed_path_by_hand():
    result = network.analyse(snapshot(
        [(x, "association") for x in "abcd"],
        [("a", "b", "projet commun", 1, True), ("b", "c", "projet commun", 1, True),
         ("c", "d", "projet commun", 1, True)]))
    net, actors = result["network"], by_id(result)
    assert net["density"] == pytest.approx(0.5)
    assert net["degree_centralization"] == pytest.approx(1 / 3)
    assert net["reciprocity"] == 0
    assert actors["b"]["betweenness"] == pytest.approx(2 / 3)
    assert actors["c"]["betweenness"] == pytest.approx(2 / 3)
    assert actors["a"]["betweenness"] == 0
    assert actors["a"]["closeness"] == pytest.approx(0.5)
    assert actors["b"]["closeness"] == pytest.approx(0.75)
    assert (actors["a"]["in_degree"], actors["a"]["out_degree"]) == (0, 1)
    assert (actors["b"]["in_degree"], actors["b"]["out_degree"]) == (1, 1)
    assert (actors["d"]["in_degree"], actors["d"]["out_degree"]) == (1, 0)
    assert result["brokers"][0]["id"] == "b" and len(result["brokers"]) == 2


def test_triangle_and_an_isolate_by_hand():
    result = network.analyse(snapshot(
        [("a", "x"), ("b", "x"), ("c", "y"), ("d", "y")],
        [("a", "b", "projet commun", 1, False), ("b", "c", "projet commun", 1, False),
         ("c", "a", "projet commun", 1, False)]))
    net, actors = result["network"], by_id(result)
    assert net["density"] == pytest.approx(0.5)
    assert net["components"] == 2 and net["largest_component"] == 3
    assert net["isolated_count"] == 1
    assert result["isolated"] == [{"id": "d", "name": "Acteur d"}]
    assert net["degree_centralization"] == pytest.approx(1 / 3)
    assert net["average_degree"] == pytest.approx(1.5)
    assert net["cross_type_share"] == pytest.approx(2 / 3)
    assert actors["a"]["closeness"] == pytest.approx(2 / 3)
    assert actors["d"]["closeness"] == 0
    assert all(actors[x]["betweenness"] == 0 for x in "abcd")
    assert [actors[x]["core"] for x in "abcd"] == [2, 2, 2, 0]
    assert [actors[x]["eigenvector"] for x in "abcd"] == pytest.approx([1, 1, 1, 0], abs=1e-4)
    assert [c["members"] for c in result["communities"]] == [["a", "b", "c"], ["d"]]
    assert [actors[x]["community"] for x in "abcd"] == [1, 1, 1, 2]
    assert result["margin"] == [{"id": "d", "name": "Acteur d", "degree": 0, "reason": "isolated"}]
    assert result["brokers"] == []


def test_parallel_ties_of_two_types_make_one_weighted_pair():
    snap = snapshot([("a", "x"), ("b", "x"), ("c", "x")],
                    [("a", "b", "projet commun", 2, True), ("a", "b", "financement", 3, True),
                     ("b", "c", "échange d'information", 1, True)])
    simple = network.aggregate(network.build_graph(snap))
    assert simple["a"]["b"]["weight"] == 5
    assert simple["a"]["b"]["types"] == ["projet commun", "financement"]
    assert simple["a"]["b"]["ties"] == 2
    result = network.analyse(snap)
    net, actors = result["network"], by_id(result)
    assert net["ties"] == 3 and net["linked_pairs"] == 2
    assert net["density"] == pytest.approx(2 / 3)
    assert actors["a"]["degree"] == 1 and actors["a"]["out_degree"] == 1
    assert actors["b"]["strength"] == 6
    assert {t["type"]: t["count"] for t in result["tie_types"]} == {
        "échange d'information": 1, "projet commun": 1, "financement": 1}
    assert [t["type"] for t in result["tie_types"]] == [
        "échange d'information", "projet commun", "financement"]


@pytest.mark.parametrize("ties, expected, in_a, out_a", [
    ([("a", "b", "projet commun", 1, False)], 1.0, 1, 1),
    ([("a", "b", "projet commun", 1, True)], 0.0, 0, 1),
    ([("a", "b", "projet commun", 1, True), ("b", "a", "financement", 1, True)], 1.0, 1, 1),
    ([("a", "b", "projet commun", 1, True), ("b", "a", "financement", 1, True),
      ("a", "c", "financement", 1, True)], 2 / 3, 1, 2),
])
def test_reciprocity_counts_an_undirected_tie_both_ways(ties, expected, in_a, out_a):
    result = network.analyse(snapshot([("a", "x"), ("b", "x"), ("c", "x")], ties))
    assert result["network"]["reciprocity"] == pytest.approx(expected)
    assert (by_id(result)["a"]["in_degree"], by_id(result)["a"]["out_degree"]) == (in_a, out_a)


def test_empty_map_does_not_raise():
    result = network.analyse({"id": "empty"})
    net = result["network"]
    assert net["actors"] == 0 and net["ties"] == 0 and net["components"] == 0
    assert net["density"] == 0 and net["average_degree"] == 0
    assert net["reciprocity"] is None and net["average_trust"] is None
    assert result["actors"] == [] and result["communities"] == []
    json.dumps(result, allow_nan=False)


def test_actors_without_ties():
    result = network.analyse(snapshot([("a", "x"), ("b", "y"), ("c", "y")], []))
    net = result["network"]
    assert net["density"] == 0 and net["components"] == 3 and net["isolated_count"] == 3
    assert net["reciprocity"] is None and net["cross_type_share"] is None
    assert result["method"]["eigenvector"] == "no_ties"
    assert all(a["eigenvector"] == 0 and a["betweenness"] == 0 and a["closeness"] == 0
               for a in result["actors"])
    assert [c["members"] for c in result["communities"]] == [["a"], ["b"], ["c"]]
    assert len(result["margin"]) == 3


def test_bad_ties_are_left_out_and_counted():
    snap = snapshot([("a", "x"), ("b", "x")],
                    [("a", "a", "projet commun", 1, True), ("a", "zz", "projet commun", 1, True),
                     ("a", "b", "projet commun", 9, True)])
    snap["ties"].append("not a tie")
    snap["actors"].append({"id": "a", "name": "Doublon"})
    result = network.analyse(snap)
    assert result["network"]["ignored_ties"] == 3
    assert result["network"]["ties"] == 1 and result["network"]["actors"] == 2
    assert by_id(result)["a"]["name"] == "Acteur a"
    assert by_id(result)["a"]["strength"] == 3


def test_trust_and_value_are_averaged_over_rated_ties():
    snap = snapshot([("a", "x"), ("b", "x"), ("c", "x")],
                    [("a", "b", "projet commun", 1, True), ("b", "c", "projet commun", 1, True),
                     ("a", "c", "projet commun", 1, True)])
    snap["ties"][0].update(trust=3.5, value=2.0)
    snap["ties"][1].update(trust=2.5)
    net = network.analyse(snap)["network"]
    assert net["average_trust"] == pytest.approx(3.0)
    assert net["average_value"] == pytest.approx(2.0)
    assert net["rated_ties"] == 2


def test_every_figure_has_a_french_explanation():
    result = network.analyse(snapshot([("a", "x")], []))
    for key in list(NETWORK_LABELS) + list(ACTOR_LABELS) + ["brokers", "margin", "tie_types"]:
        assert result["explanations"][key].endswith(".")


def random_map(n, m, seed, **extra):
    rng = random.Random(seed)
    ties = []
    for _ in range(m):
        a, b = rng.sample(range(n), 2)
        ties.append((f"n{a}", f"n{b}", rng.choice(["projet commun", "financement"]),
                     rng.randint(1, 3), rng.random() < 0.5))
    return snapshot([(f"n{i}", rng.choice("xyz")) for i in range(n)], ties, **extra)


@pytest.mark.parametrize("n, m, seed", [(40, 35, 1), (60, 90, 2), (80, 200, 3), (30, 12, 4)])
def test_agrees_with_igraph(n, m, seed):
    igraph = pytest.importorskip("igraph")
    snap = random_map(n, m, seed)
    pairs = {tuple(sorted((int(t["source"][1:]), int(t["target"][1:])))) for t in snap["ties"]}
    reference = igraph.Graph(n=n, edges=sorted(pairs))
    result = network.analyse(snap)
    actors = result["actors"]
    assert [a["degree"] for a in actors] == reference.degree()
    assert [a["core"] for a in actors] == reference.coreness()
    assert result["network"]["density"] == pytest.approx(reference.density(), abs=1e-6)
    assert result["network"]["components"] == len(reference.connected_components())
    scale = (n - 1) * (n - 2) / 2
    for actor, raw in zip(actors, reference.betweenness(directed=False)):
        assert actor["betweenness"] == pytest.approx(raw / scale, abs=1e-6)
    sizes = {v: len(c) for c in reference.connected_components() for v in c}
    for i, (actor, within) in enumerate(zip(actors, reference.closeness(normalized=True))):
        expected = 0.0 if math.isnan(within) else within * (sizes[i] - 1) / (n - 1)
        assert actor["closeness"] == pytest.approx(expected, abs=1e-6)


names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 12), st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13),
                                              st.sampled_from(["a", "b", ""]),
                                              st.one_of(st.none(), st.integers(-5, 9)),
                                              st.booleans()), max_size=30), names)
def test_any_small_map_gives_consistent_json(n, ties, name):
    snap = snapshot([(f"n{i}", name) for i in range(n)],
                    [(f"n{s}", f"n{t}", kind, strength, directed)
                     for s, t, kind, strength, directed in ties])
    result = network.analyse(snap)
    json.dumps(result, allow_nan=False)
    net = result["network"]
    assert 0 <= net["density"] <= 1
    assert net["ties"] + net["ignored_ties"] == len(ties)
    assert sum(c["size"] for c in result["communities"]) == n == net["actors"]
    assert all(0 <= a["betweenness"] <= 1 + 1e-9 and 0 <= a["closeness"] <= 1 + 1e-9
               and 0 <= a["eigenvector"] <= 1 + 1e-9 for a in result["actors"])
    alone = {a["community"] for a in result["actors"] if a["degree"] == 0}
    assert len(alone) == net["isolated_count"] <= net["components"]


def test_analysis_repeats_across_processes():
    """The same map gives the same figures in another process (hash order must not matter)."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, json; sys.path.insert(0, 'tests'); from test_network import random_map; "
            "from boards import network; a = network.analyse(random_map(300, 600, seed=5)); "
            "print(json.dumps([[x['betweenness'], x['community']] for x in a['actors']]))")
    root = Path(__file__).resolve().parent.parent
    outputs = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                              env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2", "3")}
    assert len(outputs) == 1
