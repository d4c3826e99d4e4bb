"""Cooperation network of one snapshot: graphs, whole-network figures, per-actor metrics.

Three graphs come out of a snapshot:

* ``build_graph``: a MultiDiGraph keeping every tie record (edge key = tie id). An undirected
  tie is stored once, in its recorded orientation, with ``directed=False``.
* ``aggregate``: an undirected Graph with one edge per linked pair; ``weight`` is the sum of
  the strengths of its ties and ``types`` lists their types. Degree, density, betweenness,
  closeness, eigenvector, cores and communities are computed on it: the question the
  workshop asks is "who works with whom", whichever way a tie was drawn.
* ``aggregate_directed``: a DiGraph where an undirected tie runs both ways; in/out degree
  and reciprocity come from it.

Betweenness, closeness, eigenvector centrality, Burt's constraint, transitivity, the
average path length and the diameter are computed exactly, at every size, by igraph's C
core (``paths``); communities by the best of several seeded Leiden runs (``groups``);
cross-type mixing and trust/value scores in ``mixing``. Whole analysis: about 0.3 s at
1,000 actors and 13 s at 10,000 (bench/bench_analysis.py), against 3 s and about seven
minutes for the same exact figures in networkx. Nothing is sampled: ``betweenness_sampled``
stays in the result, always False, because analyses stored before this change may say True
and the pages still warn about those.

A broker ("passeur") is an actor, among the five with the highest betweenness, whose
betweenness is at least ``BROKER_FACTOR`` times the mean betweenness of the actors that have
a partner: a threshold relative to the map, so a map of 10,000 actors, where every share
of shortest paths is small, still shows its brokers.

Ties whose ends are missing from the map, or that loop on one actor, are left out and
counted in ``network.ignored_ties``. A tie without ``directed`` is taken as directed, the
way it was drawn; strength is clamped to 1..3 (1 when absent).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import networkx as nx

from . import groups, mixing, paths
from .text import EXPLANATIONS

# A broker carries at least twice the average share of shortest paths of a linked actor.
BROKER_FACTOR = 2.0
BROKER_LIMIT = 5
# Figures keep 12 decimals: exact figures then agree with an independent computation to 1e-9.
DIGITS = 12


def number(value) -> float | int | None:
    """A finite number from a snapshot field, or None (booleans and other text included)."""
    if type(value) is int:  # the common case first: this runs for every field of every tie
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return value
    return None


def actor_records(snapshot: dict) -> list[dict]:
    """The snapshot's actors with every field filled; the first actor of a repeated id wins."""
    seen, records = set(), []
    for raw in snapshot.get("actors") or ():
        if not isinstance(raw, dict) or raw.get("id") is None or str(raw["id"]) in seen:
            continue
        actor_id = str(raw["id"])
        seen.add(actor_id)
        records.append({"id": actor_id, "name": str(raw.get("name") or actor_id),
                        "type": str(raw.get("type") or ""), "x": number(raw.get("x")),
                        "y": number(raw.get("y")), "zone": str(raw.get("zone") or ""),
                        "own": bool(raw.get("own"))})
    return records


def tie_records(snapshot: dict, actor_ids) -> tuple[list[dict], int]:
    """The ties linking two different actors of the map, and how many others were left out."""
    records, keys, ignored = [], set(), 0
    for position, raw in enumerate(snapshot.get("ties") or ()):
        if not isinstance(raw, dict):
            ignored += 1
            continue
        source, target = str(raw.get("source")), str(raw.get("target"))
        if source == target or source not in actor_ids or target not in actor_ids:
            ignored += 1
            continue
        key = str(raw.get("id") or f"t{position}")
        if key in keys:
            key = f"{key}#{position}"
        keys.add(key)
        strength = number(raw.get("strength"))
        ratings = number(raw.get("ratings"))
        records.append({"id": key, "source": source, "target": target,
                        "type": str(raw.get("type") or ""),
                        "strength": 1 if strength is None else min(3, max(1, round(strength))),
                        "directed": bool(raw.get("directed", True)),
                        "trust": number(raw.get("trust")), "value": number(raw.get("value")),
                        "ratings": int(ratings) if ratings else 0})
    return records, ignored


def build_graph(snapshot: dict) -> nx.MultiDiGraph:
    """Every actor a node, every valid tie record an edge keyed by its id."""
    graph = nx.MultiDiGraph(snapshot=str(snapshot.get("id") or ""))
    for actor in actor_records(snapshot):
        graph.add_node(actor["id"], **{k: v for k, v in actor.items() if k != "id"})
    ties, ignored = tie_records(snapshot, graph)
    for tie in ties:
        attributes = {k: v for k, v in tie.items() if k not in ("id", "source", "target")}
        graph.add_edge(tie["source"], tie["target"], key=tie["id"], **attributes)
    graph.graph["ignored_ties"] = ignored
    return graph


def _merge(target: nx.Graph, u, v, data: dict) -> None:
    if target.has_edge(u, v):
        edge = target[u][v]
        edge["weight"] += data["strength"]
        edge["ties"] += 1
        if data["type"] not in edge["types"]:
            edge["types"].append(data["type"])
    else:
        target.add_edge(u, v, weight=data["strength"], ties=1, types=[data["type"]])


def aggregate(graph: nx.MultiDiGraph) -> nx.Graph:
    """One undirected edge per linked pair: weight = sum of strengths, types in order seen."""
    simple = nx.Graph()
    simple.add_nodes_from(graph.nodes(data=True))
    for u, v, data in graph.edges(data=True):
        _merge(simple, u, v, data)
    return simple


def aggregate_directed(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """One arc per direction in which some tie runs; an undirected tie runs both ways."""
    arcs = nx.DiGraph()
    arcs.add_nodes_from(graph.nodes(data=True))
    for u, v, data in graph.edges(data=True):
        _merge(arcs, u, v, data)
        if not data["directed"]:
            _merge(arcs, v, u, data)
    return arcs


def _round(value):
    if value is None or isinstance(value, int):
        return value
    return round(float(value), DIGITS)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return _round(sum(values) / len(values)) if values else None


def brokers(actors: list[dict], order: dict) -> list[dict]:
    """The (at most five) actors whose betweenness stands out on this map (module docstring)."""
    linked = [a["betweenness"] for a in actors if a["degree"]]
    if not linked:
        return []
    threshold = BROKER_FACTOR * sum(linked) / len(linked)
    ranked = sorted(actors, key=lambda a: (-a["betweenness"], order[a["id"]]))
    return [{"id": a["id"], "name": a["name"], "betweenness": a["betweenness"],
             "degree": a["degree"], "ratio": _round(a["betweenness"] * BROKER_FACTOR / threshold)}
            for a in ranked[:BROKER_LIMIT]
            if a["betweenness"] > 0 and a["betweenness"] >= threshold * (1 - 1e-9)]


def _in_place(function: Callable, *args) -> Callable[[], Any]:
    result = function(*args)
    return lambda: result


def analyse(snapshot: dict, apart: Callable[..., Callable[[], Any]] = _in_place) -> dict:
    """Whole-network figures, per-actor metrics, brokers, margin and communities (JSON-ready).

    Exact betweenness is about half the time of a large map's analysis: ``apart(function, *args)``
    may start it elsewhere (another core) and return what waits for its result, while the rest is
    computed here. By default it is computed in place."""
    graph = build_graph(snapshot)
    simple, arcs = aggregate(graph), aggregate_directed(graph)
    nodes = list(simple)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    core_graph = paths.to_igraph(nodes, ((index[u], index[v]) for u, v in simple.edges()),
                                 [d["weight"] for _, _, d in simple.edges(data=True)])
    # Members sorted: a set of names iterates in an order that changes with each process.
    pieces = sorted((sorted(index[m] for m in piece) for piece in nx.connected_components(simple)),
                    key=min)
    between_later = apart(paths.betweenness, core_graph)
    closeness, sums = paths.closeness(core_graph)
    influence = paths.eigenvector(core_graph)
    burt = paths.constraint(core_graph)
    cores = nx.core_number(simple) if n else {}
    membership, modularity = groups.leiden(core_graph)
    found = groups.ordered_groups(nodes, membership)
    group_of = {node: rank + 1 for rank, group in enumerate(found) for node in group}
    degrees = dict(simple.degree())
    strength = dict(simple.degree(weight="weight"))
    ties = [data for _, _, data in graph.edges(data=True)]
    ratings, network_ratings = mixing.rating_scores(nodes, ties, list(graph.edges()))
    type_of = {node: simple.nodes[node]["type"] for node in nodes}
    network = whole_network(graph, simple, arcs, pieces, ties)
    network.update(modularity=_round(modularity), transitivity=_round(paths.transitivity(core_graph)),
                   **{k: _round(v) for k, v in paths.largest_piece_paths(core_graph, sums).items()},
                   ei_index=_round(mixing.ei_index(simple, type_of)["ei_index"]),
                   **{k: _round(v) for k, v in network_ratings.items()})
    between = between_later()

    actors = [{"id": node, "name": simple.nodes[node]["name"], "type": simple.nodes[node]["type"],
               "own": simple.nodes[node]["own"], "degree": degrees[node],
               "in_degree": arcs.in_degree(node), "out_degree": arcs.out_degree(node),
               "strength": strength[node], "betweenness": _round(between[i]),
               "closeness": _round(closeness[i]), "eigenvector": _round(influence[i]),
               "constraint": _round(burt[i]), "core": cores[node], "community": group_of[node],
               **{k: _round(v) for k, v in ratings[node].items()}}
              for i, node in enumerate(nodes)]

    order = [str(t) for t in snapshot.get("actor_types") or ()]
    return {
        "snapshot_id": str(snapshot.get("id") or ""),
        "label": str(snapshot.get("label") or ""),
        "network": network,
        "tie_types": tie_type_breakdown(snapshot, ties),
        "type_density": [{**row, "density": _round(row["density"])}
                         for row in mixing.type_density(simple, type_of, order)],
        "actors": actors,
        "isolated": [{"id": a["id"], "name": a["name"]} for a in actors if a["degree"] == 0],
        "brokers": brokers(actors, index),
        "margin": [{"id": a["id"], "name": a["name"], "degree": a["degree"],
                    "reason": "isolated" if a["degree"] == 0 else "single_partner"}
                   for a in actors if a["degree"] <= 1],
        "communities": [{"id": rank + 1, "size": len(group), "members": group,
                         "names": [simple.nodes[m]["name"] for m in group]}
                        for rank, group in enumerate(found)],
        "betweenness_sampled": False,
        "betweenness_k": None,
        "method": {"centrality_graph": "undirected, one edge per linked pair",
                   "paths": "exact (igraph)", "communities": f"leiden, best of {groups.SEEDS} seeds",
                   "eigenvector": "no_ties" if not simple.number_of_edges() else "arpack",
                   "broker_factor": BROKER_FACTOR},
        "explanations": dict(EXPLANATIONS),
    }


def tie_type_breakdown(snapshot: dict, ties: list[dict]) -> list[dict]:
    """Tie counts per type: the workshop's types in their order (even at zero), then others."""
    counts: dict[str, int] = {str(t): 0 for t in snapshot.get("tie_types") or ()}
    for tie in ties:
        counts[tie["type"]] = counts.get(tie["type"], 0) + 1
    total = len(ties)
    return [{"type": kind, "count": count, "share": _round(count / total) if total else 0.0}
            for kind, count in counts.items()]


def whole_network(graph: nx.MultiDiGraph, simple: nx.Graph, arcs: nx.DiGraph,
                  pieces: list, ties: list[dict]) -> dict:
    """The figures that describe the map as a whole (see metrics_text for their meaning)."""
    n, pairs = len(simple), simple.number_of_edges()
    degrees = [d for _, d in simple.degree()]
    top_degree = max(degrees, default=0)
    typed = [(graph.nodes[u]["type"], graph.nodes[v]["type"]) for u, v in graph.edges()]
    typed = [a != b for a, b in typed if a and b]
    relations = arcs.number_of_edges()
    returned = sum(1 for u, v in arcs.edges() if arcs.has_edge(v, u))
    return {
        "actors": n,
        "ties": len(ties),
        "linked_pairs": pairs,
        "density": _round(2 * pairs / (n * (n - 1))) if n > 1 else 0.0,
        "components": len(pieces),
        "largest_component": max((len(p) for p in pieces), default=0),
        "isolated_count": degrees.count(0),
        "average_degree": _round(2 * pairs / n) if n else 0.0,
        "degree_centralization": _round(sum(top_degree - d for d in degrees)
                                        / ((n - 1) * (n - 2))) if n > 2 else 0.0,
        "reciprocity": _round(returned / relations) if relations else None,
        "cross_type_share": _round(sum(typed) / len(typed)) if typed else None,
        "average_trust": _mean(t["trust"] for t in ties),
        "average_value": _mean(t["value"] for t in ties),
        "rated_ties": sum(1 for t in ties if t["trust"] is not None or t["value"] is not None),
        "ignored_ties": graph.graph["ignored_ties"],
    }
