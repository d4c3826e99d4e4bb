"""Nothing acknowledged is lost: a real server killed with SIGKILL in the middle of a workshop.

Each trial plays a scripted workshop (500 actions from 5 phones: notes written, edited, deleted)
against `python run.py`, kills the process at random moments and restarts it on the same file.
See tests/crash_workshop.py for how the phones behave and what is checked; bench/crash_soak.py
runs many more trials. Set MAILLAGE_CRASH_TRIALS / MAILLAGE_CRASH_SEED to change or replay.
"""

import asyncio
import os
import random

import pytest

from crash_workshop import Trial

TRIALS = int(os.environ.get("MAILLAGE_CRASH_TRIALS", "10"))
SEED = int(os.environ.get("MAILLAGE_CRASH_SEED", random.randrange(2**31)))


@pytest.mark.parametrize("trial", range(TRIALS))
def test_acknowledged_actions_survive_sigkill(tmp_path, trial):
    report = asyncio.run(Trial(tmp_path, actions=500, phones=5, kills=2, seed=SEED + trial).run())
    replay = f"replay with MAILLAGE_CRASH_SEED={SEED + trial} MAILLAGE_CRASH_TRIALS=1"
    assert report["kills"] >= 1, replay
    for check in report["after_kills"] + [report["final"]]:
        # The file the killed process left is sound, and holds every operation a phone saw acknowledged.
        assert check["integrity"] == "ok", (check, replay)
        assert check["missing"] == [], (check, replay)
    final = report["final"]
    # Applied once each (a retry recognised by its op id, never replayed), and the board is what the
    # script says, phone by phone.
    assert final["twice"] == [], (final, replay)
    assert final["mismatches"] == [], (final, replay)
    assert report["refusals"] == [], (report["refusals"][:5], replay)
    assert final["acked"] == report["actions"], replay
    assert report["tracebacks"] == 0, replay
    print(f"crash trial {trial}: {report['kills']} kills at {report['kill_times']} s, "
          f"{report['after_kills'][0]['acked']} acknowledged before the first, "
          f"{report['reconnects']} reconnects, {report['seconds']} s")
