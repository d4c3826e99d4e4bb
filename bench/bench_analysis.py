"""How long the network analysis of one wave takes, beside the exact networkx suite.

Run from the repository root: ``python bench/bench_analysis.py [--anchor-10k]``. Maps are
random and seeded, with about 3 ties per actor (parallel ties and both directions included).
The anchor is the same exact figures in networkx on the same aggregated graph: exact
betweenness, exact closeness, eigenvector, Louvain, transitivity and diameter. Each figure
is the median of 3 repetitions, ours and the anchor's interleaved so both see the same
machine load. At 10,000 actors the anchor runs once, and only with ``--anchor-10k`` (exact
betweenness alone takes about seven minutes here); without it the 10,000-actor anchor is
exact networkx betweenness timed from 200 sources and scaled by 10,000 / 200, its cost
growing linearly with the sources. Writes bench/results/bench_analysis.json.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402

from boards.network import aggregate, analyse, build_graph  # noqa: E402
from exports.apart import on_another_core  # noqa: E402

ACTOR_TYPES = ["institution publique", "collectivité", "association", "entreprise",
               "service public de l'emploi", "habitants"]
TIE_TYPES = ["échange d'information", "orientation de publics", "projet commun",
             "mutualisation de moyens", "financement", "partenariat formel"]
SIZES = (100, 1_000, 10_000)
GOALS = {1_000: 1.0, 10_000: 15.0}
ANCHOR_LIMIT = 1_000
REPEATS = 3


def random_snapshot(actors: int, ties_per_actor: int = 3, seed: int = 1) -> dict:
    """A seeded map shaped like a workshop's, scaled up."""
    rng = random.Random(seed)
    return {
        "id": f"bench-{actors}", "label": f"Carte de {actors} acteurs",
        "workshop": {"id": "bench", "title": "Banc d'essai", "territory": "QPV fictif"},
        "actor_types": ACTOR_TYPES, "tie_types": TIE_TYPES,
        "actors": [{"id": f"a{i}", "name": f"Acteur {i}", "type": rng.choice(ACTOR_TYPES),
                    "x": rng.random(), "y": rng.random(), "zone": "", "own": rng.random() < 0.1}
                   for i in range(actors)],
        "ties": [{"id": f"t{k}", "source": f"a{source}", "target": f"a{target}",
                  "type": rng.choice(TIE_TYPES), "strength": rng.randint(1, 3),
                  "directed": rng.random() < 0.6,
                  "trust": rng.choice([None, 1.5, 2.5, 3.5]), "value": rng.choice([None, 2.0, 3.0]),
                  "ratings": rng.randint(0, 4)}
                 for k in range(ties_per_actor * actors)
                 for source, target in [rng.sample(range(actors), 2)]],
    }


def naive_suite(snapshot: dict) -> None:
    graph = aggregate(build_graph(snapshot))
    nx.betweenness_centrality(graph)
    nx.closeness_centrality(graph)
    nx.eigenvector_centrality(graph, max_iter=1000, weight="weight")
    nx.community.louvain_communities(graph, weight="weight", seed=42)
    nx.transitivity(graph)
    nx.diameter(graph.subgraph(max(nx.connected_components(graph), key=len)))


def betweenness_extrapolated(snapshot: dict, sources: int = 200) -> float:
    """Seconds exact networkx betweenness would take: ``sources`` of the n searches, scaled."""
    graph = aggregate(build_graph(snapshot))
    start = time.perf_counter()
    nx.betweenness_centrality(graph, k=sources, seed=1)
    return (time.perf_counter() - start) * len(graph) / sources


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    full_anchor = "--anchor-10k" in sys.argv
    results = []
    for size in SIZES:
        snapshot = random_snapshot(size)
        ours, served, anchor, how = [], [], [], "full"
        for repeat in range(REPEATS):
            ours.append(timed(analyse, snapshot))
            served.append(timed(analyse, snapshot, on_another_core))
            if size <= ANCHOR_LIMIT:
                anchor.append(timed(naive_suite, snapshot))
            elif repeat == 0:
                how = "full" if full_anchor else "betweenness, 200 of n sources x n/200"
                anchor.append(timed(naive_suite, snapshot) if full_anchor
                              else betweenness_extrapolated(snapshot))
        results.append({"actors": size, "ties": len(snapshot["ties"]),
                        "analyse_s": round(statistics.median(ours), 3),
                        "served_s": round(statistics.median(served), 3),
                        "anchor_s": round(statistics.median(anchor), 3), "anchor": how,
                        "goal_s": GOALS.get(size)})

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Network analysis, exact figures at every size, median of {REPEATS} interleaved runs "
          f"(load average {load})")
    print(f"{'actors':>7} {'ties':>7} {'one core':>10} {'worker':>10} {'exact nx':>10} {'speed-up':>9} "
          f"{'goal':>7}  verdict")
    for row in results:
        mark = "" if row["anchor"] == "full" else "*"
        ratio = f"{row['anchor_s'] / row['served_s']:.1f}x"
        goal = f"<{row['goal_s']:g}s" if row["goal_s"] else "—"
        verdict = ("—" if not row["goal_s"] else
                   "met" if row["served_s"] < row["goal_s"] else "MISSED")
        print(f"{row['actors']:>7} {row['ties']:>7} {row['analyse_s']:>9.3f}s {row['served_s']:>9.3f}s "
              f"{row['anchor_s']:>9.3f}s{mark or ' '} {ratio:>8} {goal:>7}  {verdict}")
    print("one core = analyse() in one process; worker = as the server's worker runs it, exact "
          "betweenness on a second core (exports/apart.py); the verdict reads the worker.")
    print("exact nx = exact betweenness + closeness + eigenvector + Louvain + transitivity + "
          "diameter in networkx; * = betweenness alone, timed from 200 sources and scaled to n "
          "(a lower bound of the whole suite).")

    out = ROOT / "bench" / "results" / "bench_analysis.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"bench": "analysis", "python": platform.python_version(),
                               "networkx": nx.__version__, "repeats": REPEATS,
                               "results": results}, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
