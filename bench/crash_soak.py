"""The long crash job: many trials of a scripted 500-action workshop against `python run.py`,
killed with SIGKILL at random moments and restarted (tests/crash_workshop.py does the work;
tests/test_crash.py runs 20 trials in CI).

`python bench/crash_soak.py [--trials 200] [--kills 3] [--seed N]`. Every trial must end with
every acknowledged action in the file, none applied twice, `PRAGMA integrity_check` ok after
every kill; the first failing trial stops the job and its seed is printed for replaying it. The
figures (trials, kills, acknowledgements seen before a kill, time per trial beside the time of a
trial without any kill, measured in the same run as the anchor) go to
bench/results/crash_soak.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from crash_workshop import Trial  # noqa: E402


def failures(report: dict) -> list[str]:
    found = []
    for check in report["after_kills"] + [report["final"]]:
        if check["integrity"] != "ok":
            found.append(f"integrity_check: {check['integrity']}")
        if check["missing"]:
            found.append(f"acknowledged but missing: {check['missing'][:5]}")
    final = report["final"]
    if final["twice"]:
        found.append(f"applied twice: {final['twice'][:5]}")
    if final["mismatches"]:
        found.append(f"board differs from the script: {final['mismatches'][:2]}")
    if report["refusals"]:
        found.append(f"refused: {report['refusals'][:3]}")
    if final["acked"] != report["actions"]:
        found.append(f"{final['acked']} of {report['actions']} acknowledged")
    if report["tracebacks"]:
        found.append(f"{report['tracebacks']} traceback(s) in the server's log")
    return found


def trial(seed: int, args, kills: int) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        return asyncio.run(Trial(Path(workdir), actions=args.actions, phones=5, kills=kills, seed=seed,
                                 gap=args.gap, pace=args.pace).run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs per trial, at random moments")
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--gap", type=float, default=1.5,
                        help="longest wait between a restart and the next kill, in seconds")
    parser.add_argument("--pace", type=float, default=0.05,
                        help="a phone's mean pause between two actions: the script lasts long enough for every kill")
    parser.add_argument("--seed", type=int, default=random.randrange(2**31))
    args = parser.parse_args()

    # The anchor: the same workshop with no kill, three times, interleaved with the soak's start.
    anchors, reports = [], []
    started = time.monotonic()
    for number in range(args.trials):
        if number < 3:
            anchors.append(trial(args.seed - 1 - number, args, 0)["seconds"])
        seed = args.seed + number
        report = trial(seed, args, args.kills)
        problems = failures(report)
        if problems:
            print(f"trial {number} FAILED (replay: --seed {seed} --trials 1 --kills {args.kills} --gap {args.gap} --pace {args.pace}):")
            for problem in problems:
                print("  " + problem)
            sys.exit(1)
        reports.append(report)
        print(f"trial {number}: {report['kills']} kills at {report['kill_times']} s, "
              f"{report['reconnects']} reconnects, {report['seconds']} s", flush=True)

    summary = {
        "trials": len(reports), "actions_per_trial": args.actions, "seed": args.seed,
        "kills": sum(r["kills"] for r in reports), "kills_asked_per_trial": args.kills,
        "acknowledged_before_first_kill_median": statistics.median(
            r["after_kills"][0]["acked"] for r in reports if r["after_kills"]),
        "seconds_per_trial_median": statistics.median(r["seconds"] for r in reports),
        "anchor_seconds_without_kill_median": statistics.median(anchors),
        "lost": 0, "applied_twice": 0, "integrity_failures": 0,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    out = HERE / "results" / "crash_soak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
