"""Every figure of the analysis against an independent networkx computation.

The reference graphs are built here from the tie lists, not through boards.network, and
the figures come from networkx's own functions (or a plain loop where networkx has none).
Exact figures must agree to 1e-9, on the published networks networkx ships and on random
maps of 1,000 actors, the size above which the analysis used to sample.
"""

import os
import random

import networkx as nx
import pytest

from boards import network
from boards.network import paths
from exports.apart import on_another_core

TYPES = ["association", "collectivité", "entreprise", "habitants"]


def as_snapshot(graph: nx.Graph, seed: int = 0, parallel: bool = False) -> dict:
    """A map from a networkx graph: actors typed at random, ties rated at random.

    With ``parallel`` some pairs get a second tie of another type and random strengths, so
    the aggregated weights differ from 1.
    """
    rng = random.Random(seed)
    names = {node: f"n{i}" for i, node in enumerate(graph)}
    ties = []
    for u, v in graph.edges():
        count = 2 if parallel and rng.random() < 0.3 else 1
        for k in range(count):
            ties.append({"id": f"t{len(ties)}", "source": names[u], "target": names[v],
                         "type": ["projet commun", "financement"][k],
                         "strength": rng.randint(1, 3) if parallel else 1,
                         "directed": rng.random() < 0.5,
                         "trust": rng.choice([None, 1, 2.5, 4]), "value": rng.choice([None, 2, 3]),
                         "ratings": 1})
    return {"id": "s", "label": "T0", "actor_types": TYPES,
            "actors": [{"id": names[node], "name": str(node), "type": rng.choice(TYPES)}
                       for node in graph],
            "ties": ties}


def reference(snapshot: dict) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(a["id"] for a in snapshot["actors"])
    for tie in snapshot["ties"]:
        u, v = tie["source"], tie["target"]
        if graph.has_edge(u, v):
            graph[u][v]["weight"] += tie["strength"]
        else:
            graph.add_edge(u, v, weight=tie["strength"])
    return graph


def davis_women() -> nx.Graph:
    davis = nx.davis_southern_women_graph()
    return nx.bipartite.projected_graph(davis, davis.graph["top"])


def random_actors(n: int, seed: int) -> nx.Graph:
    graph = nx.gnm_random_graph(n, 3 * n, seed=seed)
    graph.add_nodes_from(range(n))
    return graph


CASES = {
    "karate": lambda: as_snapshot(nx.karate_club_graph()),
    "florentine": lambda: as_snapshot(nx.florentine_families_graph(), seed=1, parallel=True),
    "davis": lambda: as_snapshot(davis_women(), seed=2, parallel=True),
    "random-1000": lambda: as_snapshot(random_actors(1000, 7), seed=3, parallel=True),
    "random-1000-pieces": lambda: as_snapshot(nx.gnm_random_graph(1000, 900, seed=9), seed=4,
                                              parallel=True),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    snapshot = CASES[request.param]()
    # As the server's worker computes it (betweenness on another core for the large maps).
    return request.param, snapshot, network.analyse(snapshot, apart=on_another_core), reference(snapshot)


def test_centralities_are_exact(case):
    _, _, result, graph = case
    between = nx.betweenness_centrality(graph)
    closeness = nx.closeness_centrality(graph)
    constraint = nx.constraint(graph, weight="weight")
    for actor in result["actors"]:
        assert actor["betweenness"] == pytest.approx(between[actor["id"]], abs=1e-9)
        assert actor["closeness"] == pytest.approx(closeness[actor["id"]], abs=1e-9)
        expected = constraint[actor["id"]]
        if expected != expected:  # NaN: an actor without ties
            assert actor["constraint"] is None
        else:
            assert actor["constraint"] == pytest.approx(expected, abs=1e-9)


def test_whole_network_paths_are_exact(case):
    _, _, result, graph = case
    net = result["network"]
    largest = graph.subgraph(max(nx.connected_components(graph), key=len))
    assert net["transitivity"] == pytest.approx(nx.transitivity(graph), abs=1e-9)
    # One breadth-first search per actor gives both (nx.diameter would search again).
    lengths = [d for _, row in nx.all_pairs_shortest_path_length(largest) for d in row.values()]
    r = len(largest)
    assert net["average_path_length"] == pytest.approx(sum(lengths) / (r * (r - 1)), abs=1e-9)
    assert net["diameter"] == max(lengths)


def test_modularity_is_that_of_the_groups_shown(case):
    _, _, result, graph = case
    groups = [set(c["members"]) for c in result["communities"]]
    assert sorted(m for g in groups for m in g) == sorted(graph)
    assert result["network"]["modularity"] == pytest.approx(
        nx.community.modularity(graph, groups, weight="weight"), abs=1e-9)
    for group in groups:  # Leiden's groups hold together
        assert nx.is_connected(graph.subgraph(group))


def test_mixing_and_ratings_by_hand(case):
    _, snapshot, result, graph = case
    kind = {a["id"]: a["type"] for a in snapshot["actors"]}
    external = sum(1 for u, v in graph.edges() if kind[u] != kind[v])
    internal = graph.number_of_edges() - external
    assert result["network"]["ei_index"] == pytest.approx(
        (external - internal) / (external + internal), abs=1e-9)
    for row in result["type_density"]:
        members = [a for a in graph if kind[a] == row["from"]]
        others = [a for a in graph if kind[a] == row["to"]]
        pairs = {frozenset((u, v)) for u in members for v in graph[u] if kind[v] == row["to"]}
        possible = (len(members) * (len(members) - 1) // 2 if row["from"] == row["to"]
                    else len(members) * len(others))
        assert (row["pairs"], row["possible"]) == (len(pairs), possible)
        assert row["density"] == (pytest.approx(len(pairs) / possible, abs=1e-9) if possible
                                  else None)
    rated = [t["trust"] for t in snapshot["ties"] if t["trust"] is not None]
    assert result["network"]["trust_score"] == pytest.approx(sum(rated) / len(rated) / 4, abs=1e-9)
    actor = result["actors"][0]
    mine = [t["value"] for t in snapshot["ties"] if actor["id"] in (t["source"], t["target"])
            and t["value"] is not None]
    assert actor["value"] == (pytest.approx(sum(mine) / len(mine), abs=1e-9) if mine else None)


def test_eigenvector_agrees_with_networkx_on_connected_maps(case):
    name, _, result, graph = case
    if not nx.is_connected(graph):
        pytest.skip("eigenvector centrality is only defined piece by piece")
    expected = nx.eigenvector_centrality_numpy(graph, weight="weight")
    top = max(expected.values())
    for actor in result["actors"]:  # an iterative method: agreement to its tolerance
        assert actor["eigenvector"] == pytest.approx(expected[actor["id"]] / top, abs=1e-6)


def test_karate_communities_reach_the_best_known_partition():
    result = network.analyse(CASES["karate"]())
    assert result["network"]["modularity"] >= 0.415
    assert len(result["communities"]) == 4
    assert network.analyse(CASES["karate"]())["communities"] == result["communities"]


def test_brokers_stand_out_on_a_large_map():
    """Every share of shortest paths is small on 1,000 actors; brokers are still found."""
    result = network.analyse(CASES["random-1000"]())
    linked = [a["betweenness"] for a in result["actors"] if a["degree"]]
    mean = sum(linked) / len(linked)
    assert 1 <= len(result["brokers"]) <= 5
    assert all(b["betweenness"] < 0.1 and b["betweenness"] >= 2 * mean for b in result["brokers"])
    top = max(result["actors"], key=lambda a: a["betweenness"])
    assert result["brokers"][0]["id"] == top["id"]


def test_betweenness_on_another_core_gives_the_same_analysis():
    """The worker computes exact betweenness in a forked child while it computes the rest: the
    figures are those of the analysis in one process, and the child really is another process."""
    snapshot = as_snapshot(random_actors(600, 5), seed=6, parallel=True)
    assert network.analyse(snapshot, apart=on_another_core) == network.analyse(snapshot)
    graph = paths.to_igraph(list(range(600)), [(i, i + 1) for i in range(599)], [1.0] * 599)
    assert on_another_core(lambda g: os.getpid(), graph)() != os.getpid()
