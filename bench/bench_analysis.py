"""How long the network analysis of one wave takes, beside the exact networkx suite.

Run from the repository root: ``python bench/bench_analysis.py``. Maps are random and
seeded, with about 3 ties per actor (parallel ties and both directions included). The
anchor is what a naive implementation would run on the same aggregated graph: exact
betweenness, exact closeness, eigenvector and Louvain with networkx. Each figure is the
median of 3 repetitions, ours and the anchor's interleaved so both see the same machine
load. At 10,000 actors the anchor is skipped: exact betweenness alone would take about
ten minutes here. Writes bench/results/bench_analysis.json.
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402

from boards.network import EXACT_LIMIT, SAMPLE_SIZE, aggregate, analyse, build_graph  # noqa: E402

ACTOR_TYPES = ["institution publique", "collectivité", "association", "entreprise",
               "service public de l'emploi", "habitants"]
TIE_TYPES = ["échange d'information", "orientation de publics", "projet commun",
             "mutualisation de moyens", "financement", "partenariat formel"]
SIZES = (100, 1_000, 10_000)
GOALS = {1_000: 1.0, 10_000: 30.0}
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


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    results = []
    for size in SIZES:
        snapshot = random_snapshot(size)
        ours, anchor = [], []
        for _ in range(REPEATS):
            ours.append(timed(analyse, snapshot))
            if size <= ANCHOR_LIMIT:
                anchor.append(timed(naive_suite, snapshot))
        sampled = analyse(snapshot)["betweenness_k"]
        results.append({"actors": size, "ties": len(snapshot["ties"]),
                        "analyse_s": round(statistics.median(ours), 3),
                        "anchor_s": round(statistics.median(anchor), 3) if anchor else None,
                        "sources": sampled, "goal_s": GOALS.get(size)})

    print(f"Network analysis, median of {REPEATS} interleaved runs "
          f"(exact up to {EXACT_LIMIT} actors, then {SAMPLE_SIZE} sampled sources)")
    print(f"{'actors':>7} {'ties':>7} {'analyse()':>10} {'exact nx':>10} {'speed-up':>9} "
          f"{'sources':>8} {'goal':>7}  verdict")
    for row in results:
        anchor = f"{row['anchor_s']:.3f}s" if row["anchor_s"] else "skipped"
        ratio = f"{row['anchor_s'] / row['analyse_s']:.1f}x" if row["anchor_s"] else "—"
        goal = f"<{row['goal_s']:g}s" if row["goal_s"] else "—"
        verdict = ("—" if not row["goal_s"] else
                   "met" if row["analyse_s"] < row["goal_s"] else "MISSED")
        sources = "all" if row["sources"] is None else str(row["sources"])
        print(f"{row['actors']:>7} {row['ties']:>7} {row['analyse_s']:>9.3f}s {anchor:>10} "
              f"{ratio:>9} {sources:>8} {goal:>7}  {verdict}")
    print(f"exact nx = exact betweenness + closeness + eigenvector + Louvain; skipped above "
          f"{ANCHOR_LIMIT} actors (exact betweenness alone: ~57 s at 3,000 actors here).")

    out = ROOT / "bench" / "results" / "bench_analysis.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"bench": "analysis", "python": platform.python_version(),
                               "networkx": nx.__version__, "repeats": REPEATS,
                               "exact_limit": EXACT_LIMIT, "sample_size": SAMPLE_SIZE,
                               "results": results}, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
