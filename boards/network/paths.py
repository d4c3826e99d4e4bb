"""Exact shortest-path figures, computed by igraph's C core on the aggregated graph.

networkx stays the graph model the rest of the code reads; this module copies its
undirected aggregated graph into an igraph graph once and runs there the algorithms whose
cost grows with actors × ties (one breadth-first search per actor): betweenness,
closeness, the average path length and the diameter. Every figure is exact, at any size;
nothing is sampled. Measured on this machine (2 shared cores, 10,000 actors, 30,000 ties):
betweenness 8.4 s (networkx: about 430 s), closeness 3.4 s, diameter about 1 s.

The figures follow networkx's definitions, so they read the same as before and can be
checked against it: betweenness normalised by (n-1)(n-2)/2, closeness in the
Wasserman-Faust variant ((r-1)/(n-1) times the reciprocal of the mean distance to the r-1
other actors of the node's piece, 0 when alone).
"""

from __future__ import annotations

import math
import warnings

import igraph
import numpy as np


def to_igraph(nodes: list, edges, weights: list[float]) -> igraph.Graph:
    """An undirected igraph graph with node i = nodes[i]; ``edges`` are index pairs."""
    graph = igraph.Graph(n=len(nodes), edges=list(edges), directed=False)
    graph.es["weight"] = list(weights)
    return graph


def betweenness(graph: igraph.Graph) -> list[float]:
    """Exact betweenness per node, normalised by (n-1)(n-2)/2: half the analysis of a large map."""
    n = graph.vcount()
    if n == 0:
        return []
    norm = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
    return [value * norm for value in graph.betweenness(directed=False)]


def closeness(graph: igraph.Graph) -> tuple[list[float], list[int]]:
    """Closeness per node, and each node's distance sum to the other actors of its piece.

    The distance sum gives the average path length without another breadth-first search per
    actor: closeness (r-1)/sum is exact on integers, so ``round((r-1)/closeness)`` is the sum
    itself.
    """
    n = graph.vcount()
    size = [0] * n
    for piece in graph.connected_components():
        for v in piece:
            size[v] = len(piece)
    within = graph.closeness(normalized=True) if n else []  # over the reachable actors only
    values, sums = [], []
    for v, value in enumerate(within):
        if size[v] < 2 or value is None or math.isnan(value) or value == 0:
            values.append(0.0)
            sums.append(0)
        else:
            values.append(value * (size[v] - 1) / (n - 1))
            sums.append(round((size[v] - 1) / value))
    return values, sums


def diameter(graph: igraph.Graph) -> int:
    """Exact diameter of a connected graph by eccentricity bounds (Takes and Kosters, 2011).

    Each breadth-first search from a node v bounds every other node's eccentricity:
    max(d, e-d) <= ecc <= e+d (d: distance to v, e: ecc of v). Searching alternately from
    the node with the highest upper bound and the one with the lowest lower bound closes the
    gap after a few hundred searches on a map of 10,000 actors, where a search from every
    actor costs three times as much.
    """
    n = graph.vcount()
    if n < 2:
        return 0
    lower = np.zeros(n, dtype=np.int64)
    upper = np.full(n, n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    degree = np.array(graph.degree(), dtype=np.int64)
    low, high, from_top = 0, n, True
    while alive.any() and low < high:
        candidates = np.flatnonzero(alive)
        if from_top:
            v = candidates[np.argmax(upper[candidates] * (n + 1) + degree[candidates])]
        else:
            v = candidates[np.argmin(lower[candidates] * (n + 1) - degree[candidates])]
        dist = np.array(graph.distances(source=[int(v)])[0], dtype=np.int64)
        ecc = int(dist.max())
        lower = np.maximum(lower, np.maximum(ecc - dist, dist))
        upper = np.minimum(upper, ecc + dist)
        low = max(low, ecc, int(lower.max()))
        high = min(high, 2 * ecc, int(upper.max()))
        alive &= ~(((upper <= low) & (2 * lower >= high)) | (lower == upper))
        alive[v] = False
        from_top = not from_top
    return low


def largest_piece_paths(graph: igraph.Graph, sums: list[int]) -> dict:
    """Average path length and diameter of the largest piece (None below two actors)."""
    if graph.vcount() == 0:
        return {"average_path_length": None, "diameter": None}
    piece = max(graph.connected_components(), key=len)
    r = len(piece)
    if r < 2:
        return {"average_path_length": None, "diameter": None}
    return {"average_path_length": sum(sums[v] for v in piece) / (r * (r - 1)),
            "diameter": diameter(graph.induced_subgraph(piece))}


def eigenvector(graph: igraph.Graph) -> list[float]:
    """Weighted eigenvector centrality scaled to max 1 (ARPACK); 0 for actors without ties.

    On a map in several pieces only the piece with the leading eigenvalue gets non-zero
    scores (igraph says so in a warning, silenced here: the page explains the figure).
    """
    if graph.ecount() == 0:
        return [0.0] * graph.vcount()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values = graph.eigenvector_centrality(scale=True, weights="weight")
    top = max(values) or 1.0
    degree = graph.degree()
    return [max(0.0, value / top) if degree[v] else 0.0 for v, value in enumerate(values)]


def constraint(graph: igraph.Graph) -> list[float | None]:
    """Burt's constraint per actor on the weighted graph (None for an actor without ties)."""
    values = graph.constraint(weights="weight")
    return [None if value is None or math.isnan(value) else value for value in values]


def transitivity(graph: igraph.Graph) -> float:
    """Share of connected triples that are closed triangles (0 when there is no triple)."""
    value = graph.transitivity_undirected(mode="zero")
    return 0.0 if value is None or math.isnan(value) else value
