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

Betweenness and closeness share one breadth-first search per source actor (Brandes'
accumulation; the distances found on the way give closeness). Measured on this machine
(2 shared cores, random maps with 3 ties per actor), one source costs 0.7-1.6 ms at 1,000
actors and 11-25 ms at 10,000. Every actor is a source up to ``EXACT_LIMIT`` = 400 actors
(whole analysis about 0.2 s, figures exact). Above it, each connected piece of the map
gets a share of ``SAMPLE_SIZE`` = 200 sources proportional to its size, drawn with the
seed (at least ``MIN_SOURCES``; a piece that small is computed exactly), and the sums are
scaled by size / sources. Whole analysis: about 0.4 s at 1,000 actors and 8 s at 10,000
(bench/bench_analysis.py), against 3 s and about ten minutes for exact networkx. The
result then says ``betweenness_sampled: True`` and ``betweenness_k`` (sources used) so a
page can warn the reader; closeness is estimated from the same sources
(``method.closeness_sampled``).

Eigenvector centrality is networkx's power iteration on the weighted aggregated graph,
rescaled so the most influential actor has 1. Fallbacks, so it never raises: a map without
ties gives 0 to everyone; if the iteration does not converge, degree divided by the
highest degree is used and ``method.eigenvector`` says ``"degree_fallback"``.

Ties whose ends are missing from the map, or that loop on one actor, are left out and
counted in ``network.ignored_ties``. A tie without ``directed`` is taken as directed, the
way it was drawn; strength is clamped to 1..3 (1 when absent).
"""

from __future__ import annotations

import math
import random

import networkx as nx

from .text import EXPLANATIONS

EXACT_LIMIT = 400
SAMPLE_SIZE = 200
MIN_SOURCES = 12
# A broker lies on at least a tenth of the shortest paths between other actors.
BROKER_MIN_BETWEENNESS = 0.1
BROKER_LIMIT = 5
DIGITS = 6


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


def _brandes_pass(adjacency, source, dist, sigma, delta, between, far, scale) -> None:
    """One source's shortest paths: add its dependencies to ``between``, distances to ``far``.

    ``dist``, ``sigma`` and ``delta`` are shared scratch lists, reset on the way out, so a map
    of many small pieces does not pay a full allocation per source.
    """
    dist[source], sigma[source] = 0, 1
    order = [source]
    for v in order:  # the list grows while we walk it: a queue without popping
        next_dist, paths = dist[v] + 1, sigma[v]
        for w in adjacency[v]:
            if dist[w] < 0:
                dist[w] = next_dist
                sigma[w] = paths
                order.append(w)
            elif dist[w] == next_dist:
                sigma[w] += paths
    for w in reversed(order):
        level = dist[w] - 1
        share = (1.0 + delta[w]) / sigma[w]
        for v in adjacency[w]:
            if dist[v] == level:
                delta[v] += sigma[v] * share
        far[w] += level + 1
        if w != source:
            between[w] += delta[w] * scale
    for w in order:
        dist[w], sigma[w], delta[w] = -1, 0, 0.0


def path_metrics(adjacency: list[list[int]], pieces: list[list[int]], *,
                 sample_size: int | None, seed: int) -> tuple[list, list, int | None]:
    """Normalised betweenness and closeness per node index, and the sources used if sampled.

    ``sample_size=None`` makes every node a source (exact). Closeness follows networkx's
    Wasserman-Faust variant: (r-1)/(n-1) divided by the mean distance to the r-1 others of
    the node's piece; sampled, the mean runs over the sources of the piece.
    """
    n = len(adjacency)
    rng = random.Random(seed)
    dist, sigma, delta = [-1] * n, [0] * n, [0.0] * n
    between, far, closeness = [0.0] * n, [0] * n, [0.0] * n
    sources_used = 0
    for members in pieces:
        size = len(members)
        if size < 2:
            continue
        wanted = size if sample_size is None else max(MIN_SOURCES,
                                                      math.ceil(sample_size * size / n))
        sources = members if wanted >= size else rng.sample(members, wanted)
        sources_used += len(sources)
        scale = size / len(sources)
        for source in sources:
            _brandes_pass(adjacency, source, dist, sigma, delta, between, far, scale)
        chosen = set(sources)
        for v in members:
            others = len(sources) - (v in chosen)
            if far[v]:
                closeness[v] = (size - 1) / (n - 1) * others / far[v]
    norm = 1.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    between = [value * norm for value in between]
    return between, closeness, (None if sample_size is None else sources_used)


def eigenvector(simple: nx.Graph) -> tuple[dict, str]:
    """Eigenvector centrality scaled to max 1, and the method used (see module docstring)."""
    if simple.number_of_edges() == 0:
        return {node: 0.0 for node in simple}, "no_ties"
    try:
        values = nx.eigenvector_centrality(simple, max_iter=1000, weight="weight")
        method = "power_iteration"
    except nx.PowerIterationFailedConvergence:
        values = dict(simple.degree())
        method = "degree_fallback"
    top = max(values.values()) or 1.0
    return {node: (values[node] / top if simple.degree(node) else 0.0) for node in simple}, method


def communities(simple: nx.Graph, seed: int) -> list[list]:
    """Louvain groups, largest first, ties broken by the map order of their first actor."""
    if not len(simple):
        return []
    rank = {node: i for i, node in enumerate(simple)}
    groups = nx.community.louvain_communities(simple, weight="weight", seed=seed)
    groups = [sorted(group, key=rank.__getitem__) for group in groups]
    return sorted(groups, key=lambda group: (-len(group), rank[group[0]]))


def _round(value):
    return None if value is None else round(float(value), DIGITS)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return _round(sum(values) / len(values)) if values else None


def analyse(snapshot: dict, *, exact_limit: int = EXACT_LIMIT, seed: int = 42,
            sample_size: int = SAMPLE_SIZE) -> dict:
    """Whole-network figures, per-actor metrics, brokers, margin and communities (JSON-ready)."""
    graph = build_graph(snapshot)
    simple, arcs = aggregate(graph), aggregate_directed(graph)
    nodes = list(simple)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = [[index[m] for m in simple[node]] for node in nodes]
    # Members sorted: a set of names iterates in an order that changes with each process.
    pieces = sorted((sorted(index[m] for m in piece) for piece in nx.connected_components(simple)),
                    key=min)
    between, closeness, sources = path_metrics(
        adjacency, pieces, sample_size=None if n <= exact_limit else sample_size, seed=seed)
    influence, eigen_method = eigenvector(simple)
    cores = nx.core_number(simple) if n else {}
    groups = communities(simple, seed)
    group_of = {node: rank + 1 for rank, group in enumerate(groups) for node in group}
    degrees = dict(simple.degree())
    strength = dict(simple.degree(weight="weight"))

    actors = [{"id": node, "name": simple.nodes[node]["name"], "type": simple.nodes[node]["type"],
               "own": simple.nodes[node]["own"], "degree": degrees[node],
               "in_degree": arcs.in_degree(node), "out_degree": arcs.out_degree(node),
               "strength": strength[node], "betweenness": _round(between[i]),
               "closeness": _round(closeness[i]), "eigenvector": _round(influence[node]),
               "core": cores[node], "community": group_of[node]}
              for i, node in enumerate(nodes)]

    ties = [data for _, _, data in graph.edges(data=True)]
    network = whole_network(graph, simple, arcs, pieces, ties)
    ranked = sorted(actors, key=lambda a: (-a["betweenness"], index[a["id"]]))
    return {
        "snapshot_id": str(snapshot.get("id") or ""),
        "label": str(snapshot.get("label") or ""),
        "network": network,
        "tie_types": tie_type_breakdown(snapshot, ties),
        "actors": actors,
        "isolated": [{"id": a["id"], "name": a["name"]} for a in actors if a["degree"] == 0],
        "brokers": [{"id": a["id"], "name": a["name"], "betweenness": a["betweenness"],
                     "degree": a["degree"]}
                    for a in ranked[:BROKER_LIMIT]
                    if a["betweenness"] >= BROKER_MIN_BETWEENNESS],
        "margin": [{"id": a["id"], "name": a["name"], "degree": a["degree"],
                    "reason": "isolated" if a["degree"] == 0 else "single_partner"}
                   for a in actors if a["degree"] <= 1],
        "communities": [{"id": rank + 1, "size": len(group), "members": group,
                         "names": [simple.nodes[m]["name"] for m in group]}
                        for rank, group in enumerate(groups)],
        "betweenness_sampled": sources is not None,
        "betweenness_k": sources,
        "method": {"centrality_graph": "undirected, one edge per linked pair",
                   "exact_limit": exact_limit, "sample_size": sample_size, "seed": seed,
                   "closeness_sampled": sources is not None, "eigenvector": eigen_method,
                   "broker_min_betweenness": BROKER_MIN_BETWEENNESS},
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
