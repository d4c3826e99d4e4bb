"""Feedback loops of a causal graph, their polarity, and the factors worth acting on.

A causal link says how a change in one factor moves another: "+" when more of A brings more
of B, "−" when more of A brings less of B. Going once round a loop, each "−" turns the change
over: a loop with an even number of "−" links sends a change back amplified (reinforcing, R);
with an odd number, it sends it back reversed (balancing, B).

Loops are the graph's simple cycles, found by networkx up to a length (a room discusses loops
of a few factors; longer ones are many and say little) and up to a number, so that a dense
map cannot stall the analysis. Pure: plain data in, plain data out.
"""

from __future__ import annotations

from itertools import islice

import networkx as nx

PLUS, MINUS = "+", "-"
POLARITIES = (PLUS, MINUS)
REINFORCING, BALANCING = "R", "B"
LENGTH_MAX = 8
LOOPS_MAX = 200
LEVERAGE_TOP = 3


def causal_graph(factors, links) -> nx.DiGraph:
    """`factors`: ids (in the board's order); `links`: (source, target, polarity, delay) tuples."""
    graph = nx.DiGraph()
    graph.add_nodes_from(factors)
    for source, target, polarity, delay in links:
        if source in graph and target in graph and source != target:
            graph.add_edge(source, target, polarity=polarity, delay=bool(delay))
    return graph


def canonical(cycle: list, order: dict) -> tuple:
    """The cycle started at its earliest factor (by the board's order), so one loop has one key."""
    start = min(range(len(cycle)), key=lambda i: order.get(cycle[i], len(order)))
    return tuple(cycle[start:] + cycle[:start])


def kind_of(polarities) -> str:
    return REINFORCING if sum(1 for p in polarities if p == MINUS) % 2 == 0 else BALANCING


def find_loops(graph: nx.DiGraph, length_max: int = LENGTH_MAX, limit: int = LOOPS_MAX) -> tuple[list[dict], bool]:
    """The loops of at most `length_max` factors, shortest first, at most `limit` of them, and
    whether some were left out (more loops than `limit`)."""
    order = {node: index for index, node in enumerate(graph.nodes)}
    found = list(islice(nx.simple_cycles(graph, length_bound=length_max), limit + 1))
    truncated = len(found) > limit
    loops = []
    for cycle in found[:limit]:
        nodes = canonical(list(cycle), order)
        steps = list(zip(nodes, nodes[1:] + nodes[:1]))
        polarities = [graph.edges[a, b]["polarity"] for a, b in steps]
        loops.append({"key": "-".join(nodes), "factors": list(nodes), "polarities": polarities,
                      "kind": kind_of(polarities),
                      "delay": any(graph.edges[a, b]["delay"] for a, b in steps)})
    loops.sort(key=lambda loop: (len(loop["factors"]), [order[n] for n in loop["factors"]]))
    numbers = {REINFORCING: 0, BALANCING: 0}
    for loop in loops:
        numbers[loop["kind"]] += 1
        loop["label"] = f"{loop['kind']}{numbers[loop['kind']]}"
    return loops, truncated


def chain(loop: dict) -> list[tuple[str, bool]]:
    """The loop told as a story: each factor and whether it goes up (True) or down, starting from
    "more of" the first factor and ending back on it (its final direction says R or B)."""
    up, told = True, [(loop["factors"][0], True)]
    for index, polarity in enumerate(loop["polarities"]):
        up = up if polarity == PLUS else not up
        told.append((loop["factors"][(index + 1) % len(loop["factors"])], up))
    return told


def leverage(graph: nx.DiGraph, loops: list[dict], top: int = LEVERAGE_TOP) -> dict:
    """Candidates for acting: the factors on the most loops, and those most "between" the others
    on the causal graph (most shortest causal chains pass through them)."""
    on_loops: dict[str, int] = {}
    for loop in loops:
        for node in loop["factors"]:
            on_loops[node] = on_loops.get(node, 0) + 1
    order = {node: index for index, node in enumerate(graph.nodes)}
    # A factor on one loop only is no candidate: every factor of a loop is on it.
    most = sorted(((n, c) for n, c in on_loops.items() if c > 1), key=lambda item: (-item[1], order[item[0]]))[:top]
    between = nx.betweenness_centrality(graph, normalized=True) if graph.number_of_nodes() > 2 else {}
    brokers = sorted(((n, round(score, 4)) for n, score in between.items() if score > 0),
                     key=lambda item: (-item[1], order[item[0]]))[:top]
    return {"loops": [{"factor": n, "count": c} for n, c in most],
            "betweenness": [{"factor": n, "score": s} for n, s in brokers]}


def compare(before: list[dict], after: list[dict]) -> dict:
    """Loops that appeared or broke between two waves. Loops are matched by the names of their
    factors (normalised by the caller into `names`), so two workshops of a territory compare."""
    def keyed(loops):
        return {_turn(tuple(loop["names"])): loop for loop in loops}
    old, new = keyed(before), keyed(after)
    return {"appeared": [new[k] for k in new if k not in old],
            "broke": [old[k] for k in old if k not in new],
            "kept": [new[k] for k in new if k in old]}


def _turn(names: tuple) -> tuple:
    """One key for a loop whichever factor its telling starts from: its smallest rotation."""
    return min(names[i:] + names[:i] for i in range(len(names))) if names else names
