"""Every benchmark, each figure beside its anchor: `python bench/run.py [--quick]`.

Runs from the repository root. The live benches start their servers pinned to core 0 (taskset)
and run their load generator pinned to core 1 (plenary_pg's second machine shares core 1 with
it); the analysis, export and commit benches run on core 0. plenary_pg and commit's PostgreSQL
lines need PostgreSQL installed, plenary_pg also redis-server. Each bench runs in its own process
and writes bench/results/<name>.json; this script then prints one combined table and writes
bench/results/all.json. A full run takes about twenty-five minutes
on a lightly loaded machine; --quick is a smaller sanity pass of about three minutes whose results go to
bench/results/quick/ (the full results are left as they are).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402

LIVE = ("fanout", "latency", "plenary", "plenary_pg", "memory", "join_storm", "stall", "live_exports",
        "rename", "board_actions")
# Figure 10's actions, short enough for the combined table's case column.
ACTION_NAMES = {"ideas": "note", "allocation": "alloc", "rating": "rate"}
# The colleague-written benches, made smaller for --quick by changing their module constants.
QUICK_PATCH = {"bench_analysis": "SIZES = (100, 1_000)", "bench_exports": "SIZES = (1_000,)"}


def run_live(name: str, out: Path, quick: bool) -> float:
    command = [sys.executable, str(c.ROOT / "bench" / f"{name}.py"), "--out", str(out)] + (["--quick"] if quick else [])
    return timed(c.pinned(command, c.LOADGEN_CORE) if name != "commit" else command)


def run_existing(name: str, out: Path, quick: bool) -> float:
    """bench_analysis.py and bench_exports.py as their author wrote them; for --quick, the same
    main() with smaller sizes, writing under a scratch root whose JSON is then copied to `out`."""
    if not quick:
        took = timed(c.pinned([sys.executable, str(c.ROOT / "bench" / f"{name}.py")], c.SERVER_CORE))
        produced = c.RESULTS / f"{name}.json"
        if out != c.RESULTS and produced.exists():
            (out / f"{name}.json").write_text(produced.read_text(encoding="utf-8"), encoding="utf-8")
        return took
    scratch = Path(tempfile.mkdtemp(prefix="maillage-quick-"))
    snippet = (f"import sys; from pathlib import Path; sys.path.insert(0, {str(c.ROOT / 'bench')!r}); "
               f"import {name} as b; b.{QUICK_PATCH[name]}; b.ROOT = Path({str(scratch)!r}); b.main()")
    took = timed(c.pinned([sys.executable, "-c", snippet], c.SERVER_CORE))
    produced = scratch / "bench" / "results" / f"{name}.json"
    if produced.exists():
        (out / f"{name}.json").write_text(produced.read_text(encoding="utf-8"), encoding="utf-8")
    return took


def timed(command: list[str]) -> float:
    """Runs one bench in a session of its own (the kernel shares CPU between sessions first, and
    the load generator must not share one with whatever else runs in this terminal). A bench
    that fails is reported and the others still run."""
    start = time.perf_counter()
    print(f"\n$ {' '.join(command)}", flush=True)
    child = subprocess.Popen(command, cwd=c.ROOT, start_new_session=True)
    try:
        code = child.wait()
    except BaseException:
        child.terminate()
        child.wait()
        raise
    if code != 0:
        print("FAILED: this bench wrote no figures", flush=True)
    return time.perf_counter() - start


# The combined table: one line per figure and case --------------------------------------------

def _line(figure, case, ours, anchor, ratio, goal, met) -> dict:
    return {"figure": figure, "case": case, "ours": ours, "anchor": anchor, "ratio": ratio, "goal": goal,
            "verdict": c.verdict(met)}


def lines(results: dict) -> list[dict]:
    out = []
    if "fanout" in results:
        for r in results["fanout"]["results"] + results["fanout"].get("deflate_results", []):
            # Results written before rows named their case are plain (no compression) ones.
            out.append(_line("1 fan-out CPU/frame", r.get("case", f"N={r['clients']}"), c.fmt(r["ours_us_per_frame"], " µs"),
                             c.fmt(r["anchor_us_per_frame"], " µs"), c.fmt(r["ratio"], "x", 2),
                             f"≤{r['goal_ratio']}x" if r["goal_ratio"] else "—", r["met"]))
    if "latency" in results:
        for r in results["latency"]["results"]:
            out.append(_line("2 latency p50/p99", f"N={r['clients']} {r['rate']:g}/s",
                             f"{c.fmt(r['ours_p50_ms'])}/{c.fmt(r['ours_p99_ms'])} ms",
                             f"{c.fmt(r['anchor_p50_ms'])}/{c.fmt(r['anchor_p99_ms'])} ms",
                             c.fmt(r["p99_ratio"], "x", 2), r["goal"], r["met"]))
    if "plenary" in results:
        for r in results["plenary"]["results"]:
            out.append(_line("3 plenary p50/p99", f"{r['phones']} at {r['votes_per_s']:g}/s",
                             f"{c.fmt(r['p50_ms'], '', 0)}/{c.fmt(r['p99_ms'], '', 0)} ms", "—", "—",
                             f"p99<{results['plenary']['goal_p99_ms']:g} ms", r["met"]))
            out.append(_line("3 plenary frames/s", f"{r['phones']} at {r['votes_per_s']:g}/s",
                             f"{r['frames_per_s']:,.0f}", "—", "—", f"≤{r['frame_ceiling']:,}",
                             r["frames_per_s"] <= r["frame_ceiling"]))
    if "plenary_pg" in results:
        # The anchor of the two-machine lines is the one machine on the same database, same run.
        rows = results["plenary_pg"]["results"]
        alone = next((r for r in rows if r["machines"] == 1), None)
        for r in rows:
            anchor = alone if alone is not None and r is not alone else None
            out.append(_line("3b plenary on PG", f"{r['case']} {r['phones']}",
                             f"{c.fmt(r['p50_ms'], '', 0)}/{c.fmt(r['p99_ms'], '', 0)} ms",
                             f"{c.fmt(anchor['p50_ms'], '', 0)}/{c.fmt(anchor['p99_ms'], '', 0)} ms" if anchor else "—",
                             c.fmt(c.ratio(r["p99_ms"], anchor["p99_ms"]), "x", 2) if anchor else "—",
                             f"p99<{results['plenary_pg']['goal_p99_ms']:g} ms", r["met"]))
    if "memory" in results:
        for r in results["memory"]["results"]:
            out.append(_line("4 memory/client", f"N={r['clients']} deflate", c.fmt(r["ours_kib"], " KiB"),
                             c.fmt(r["anchor_kib"], " KiB"), c.fmt(r["ratio"], "x", 2),
                             f"≤{results['memory']['goal_ratio']:g}x", r["met"]))
    if "join_storm" in results:
        import join_storm

        for r in results["join_storm"]["results"]:
            ratio_only = r.get("console") or r.get("back")
            out.append(_line("5 join storm", join_storm.case(r),
                             ("≥" if r.get("censored") else "") + c.fmt(r["ours_total_s"], " s", 2),
                             c.fmt(r["anchor_total_s"], " s", 2),
                             c.fmt(r["ratio"], "x", 2), "≤2x" if ratio_only else "<5 s, ≤2x", r["met"]))
            if r.get("floor_total_s") is not None:
                # Beside the stack's floor (starlette and uvicorn alone): a figure, not a goal.
                out.append(_line("5 join storm/floor", join_storm.case(r), c.fmt(r["ours_total_s"], " s", 2),
                                 c.fmt(r["floor_total_s"], " s", 2), c.fmt(r["floor_ratio"], "x", 2), "—", None))
    if "commit" in results:
        for r in results["commit"]["results"]:
            out.append(_line("6 commit p50/p99", "1 action", f"{c.fmt(r['ours_p50_ms'], '', 2)}/{c.fmt(r['ours_p99_ms'], '', 2)} ms",
                             f"{c.fmt(r['anchor_p50_ms'], '', 2)}/{c.fmt(r['anchor_p99_ms'], '', 2)} ms",
                             c.fmt(r["p50_ratio"], "x", 2), "—", None))
    if "bench_analysis" in results:
        for r in results["bench_analysis"]["results"]:
            # What a coordinator waits for: the worker's time (older results have only one core's).
            ours = r.get("served_s", r["analyse_s"])
            met = None if not r["goal_s"] else ours < r["goal_s"]
            out.append(_line("7 analysis", f"{r['actors']} actors", c.fmt(ours, " s", 3),
                             c.fmt(r["anchor_s"], " s", 3), c.fmt(c.ratio(ours, r["anchor_s"]), "x", 2),
                             f"<{r['goal_s']:g} s" if r["goal_s"] else "—", met))
    if "stall" in results:
        for r in results["stall"]["results"]:
            out.append(_line("7 loop lag p99", f"{r['actors']} actors", c.fmt(r["lag_during_p99_ms"], " ms"),
                             c.fmt(r["lag_baseline_p99_ms"], " ms"),
                             c.fmt(c.ratio(r["lag_during_p99_ms"], r["lag_baseline_p99_ms"]), "x", 2), "<20 ms", r["met"]))
            out.append(_line("7 ack p99 (stall)", f"{r['actors']} actors", c.fmt(r["during_p99_ms"], " ms"),
                             c.fmt(r["baseline_p99_ms"], " ms"),
                             c.fmt(c.ratio(r["during_p99_ms"], r["baseline_p99_ms"]), "x", 2), "—", None))
    if "live_exports" in results:
        r = results["live_exports"]
        for what, key in (("8 loop lag p99", "lag"), ("8 ack p99 (exports)", "ack")):
            busy, idle = r[f"{key}_busy"]["p99_ms"], r[f"{key}_idle"]["p99_ms"]
            out.append(_line(what, f"{r['actors']} actors", c.fmt(busy, " ms"), c.fmt(idle, " ms"),
                             c.fmt(c.ratio(busy, idle), "x", 2), "<50 ms", busy is not None and busy < 50))
    if "rename" in results:
        bench = results["rename"]
        r, case = bench["result"], f"{bench['actors']:,} actors"
        out.append(_line("9 rename ack p50", case, c.fmt(r["renaming"]["p50_ms"], " ms"), c.fmt(r["anchor"]["p50_ms"], " ms"),
                         c.fmt(r["p50_ratio"], "x", 2), f"≤{bench['goal_ratio']:g}x", r["met"]))
        renaming, anchor = r["renaming"]["watcher_bytes_per_s"], r["anchor"]["watcher_bytes_per_s"]
        out.append(_line("9 rename kB/s/phone", case, c.fmt(renaming and renaming / 1000, " kB/s"),
                         c.fmt(anchor and anchor / 1000, " kB/s"), c.fmt(c.ratio(renaming, anchor), "x", 2), "—", None))
    if "board_actions" in results:
        bench = results["board_actions"]
        for r in bench["results"]:
            out.append(_line("10 action render", f"{ACTION_NAMES[r['action']]} {r['view']}", c.fmt(r["ms"], " ms", 3),
                             c.fmt(r["anchor_ms"], " ms", 3), c.fmt(r["ratio"], "x", 2),
                             f"≤{bench['goal_ratio']:g}x of {r['anchor_people']:,}", r["met"]))
    if "bench_exports" in results:
        for r in results["bench_exports"]["results"]:
            met = None if not r["goal_s"] else r["page_s"] < r["goal_s"]
            out.append(_line("8 network page", f"{r['actors']} actors", c.fmt(r["page_s"], " s", 3),
                             c.fmt(r["anchor_s"], " s", 3), c.fmt(c.ratio(r["page_s"], r["anchor_s"]), "x", 2),
                             f"<{r['goal_s']:g} s" if r["goal_s"] else "—", met))
    return out


COLUMNS = [("figure", 19), ("case", 16), ("ours", 15), ("anchor", 15), ("ratio", 8), ("goal", 20), ("verdict", 7)]


def print_combined(rows: list[dict], header: str) -> None:
    c.print_table(header, COLUMNS, [[r[k] for k, _ in COLUMNS] for r in rows],
                  ["ratio = ours / anchor (the anchor of the stall and live-export lines is the same clients "
                   "with nothing else running, of the rename lines the same room with nobody renaming, of the "
                   "action render lines the same action in a room a tenth the size; "
                   "of the analysis and page lines, the naive networkx / pyvis way; of the two-machine "
                   "plenary on PostgreSQL, one machine in the same run)."])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run every bench and print the combined table")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    parser.add_argument("--only", nargs="*", help="run only these benches (names as in bench/results)")
    args = parser.parse_args(argv)
    out = c.RESULTS / "quick" if args.quick else c.RESULTS
    out.mkdir(parents=True, exist_ok=True)
    started = c.machine()
    durations = {}
    order = ("commit", *LIVE, "bench_analysis", "bench_exports")
    for name in order:
        if args.only and name not in args.only:
            continue
        # A bench that fails must not leave an earlier run's figures in the table.
        (out / f"{name}.json").unlink(missing_ok=True)
        if name.startswith("bench_"):
            durations[name] = round(run_existing(name, out, args.quick), 1)
        else:
            durations[name] = round(run_live(name, out, args.quick), 1)
    results = {}
    for name in order:
        path = out / f"{name}.json"
        if path.exists():
            results[name] = json.loads(path.read_text(encoding="utf-8"))
    rows = lines(results)
    print()
    print_combined(rows, f"Maillage benchmarks{' (quick)' if args.quick else ''}: medians of interleaved "
                         f"repetitions, server on core {c.SERVER_CORE}, load generator on core {c.LOADGEN_CORE}")
    c.write_json("all", {"machine": started, "quick": args.quick, "durations_s": durations, "table": rows,
                         "benches": results}, out)


if __name__ == "__main__":
    main()
