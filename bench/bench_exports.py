"""How long the interactive network page takes to build, beside pyvis's own way.

Run from the repository root: ``python bench/bench_exports.py``. The anchor is what the
pyvis documentation shows: ``Network.from_nx`` on the aggregated graph (given a copy, as
it changes its input) then ``generate_html``. Its edge insertion scans every edge already
added, so it is measured up to 1,000 actors only (about 30,000 ties would take minutes).
Each figure is the median of 3 interleaved repetitions, after one warm-up call that pays
for importing pyvis (reported apart). Writes bench/results/bench_exports.json.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_analysis import random_snapshot, timed  # noqa: E402

from boards.network import aggregate, analyse, build_graph  # noqa: E402
from exports.network_page import network_html  # noqa: E402

SIZES = (1_000, 10_000)
GOALS = {10_000: 2.0}
ANCHOR_LIMIT = 1_000
REPEATS = 3


def pyvis_stock(snapshot: dict) -> str:
    from pyvis.network import Network

    graph = aggregate(build_graph(snapshot))
    for _, data in graph.nodes(data=True):
        data.update(label=data.pop("name"), title=data.pop("type"))
        data.pop("x"), data.pop("y")
    net = Network(cdn_resources="in_line")
    net.from_nx(graph.copy())
    return net.generate_html()


def main() -> None:
    start = time.perf_counter()
    network_html(*(lambda s: (s, analyse(s)))(random_snapshot(10)))
    first_call = time.perf_counter() - start

    results = []
    for size in SIZES:
        snapshot = random_snapshot(size)
        analysis = analyse(snapshot)
        ours, anchor = [], []
        for _ in range(REPEATS):
            ours.append(timed(network_html, snapshot, analysis))
            if size <= ANCHOR_LIMIT:
                anchor.append(timed(pyvis_stock, snapshot))
        page = network_html(snapshot, analysis)
        results.append({"actors": size, "ties": len(snapshot["ties"]),
                        "page_s": round(statistics.median(ours), 3),
                        "anchor_s": round(statistics.median(anchor), 3) if anchor else None,
                        "page_mb": round(len(page.encode("utf-8")) / 1e6, 2),
                        "goal_s": GOALS.get(size)})

    print(f"Interactive network page, median of {REPEATS} interleaved runs")
    print(f"{'actors':>7} {'ties':>7} {'network_html':>13} {'pyvis from_nx':>14} "
          f"{'speed-up':>9} {'page':>8} {'goal':>6}  verdict")
    for row in results:
        anchor = f"{row['anchor_s']:.3f}s" if row["anchor_s"] else "skipped"
        ratio = f"{row['anchor_s'] / row['page_s']:.1f}x" if row["anchor_s"] else "—"
        goal = f"<{row['goal_s']:g}s" if row["goal_s"] else "—"
        verdict = ("—" if not row["goal_s"] else
                   "met" if row["page_s"] < row["goal_s"] else "MISSED")
        print(f"{row['actors']:>7} {row['ties']:>7} {row['page_s']:>12.3f}s {anchor:>14} "
              f"{ratio:>9} {row['page_mb']:>6.2f}MB {goal:>6}  {verdict}")
    print(f"pyvis from_nx + generate_html skipped above {ANCHOR_LIMIT} actors (quadratic in "
          f"ties). First call in a fresh process, importing pyvis: {first_call:.2f}s.")

    out = ROOT / "bench" / "results" / "bench_exports.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"bench": "exports", "python": platform.python_version(),
                               "repeats": REPEATS, "first_call_s": round(first_call, 3),
                               "results": results}, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
