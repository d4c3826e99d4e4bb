"""Nothing acknowledged is lost when one of two machines sharing PostgreSQL is killed (SIGKILL).

Ten short trials on the same two servers (tests/crash_machines.py): phones spread over both, one
machine killed mid-workshop and restarted. 0 acknowledged actions lost, 0 applied twice, every
phone converges. MAILLAGE_CRASH_SEED replays a run.
"""

import asyncio
import os
import random

from crash_machines import SpreadTrial
from players import Server
from test_cluster import Redis

TRIALS = int(os.environ.get("MAILLAGE_PG_CRASH_TRIALS", "10"))
SEED = int(os.environ.get("MAILLAGE_CRASH_SEED", random.randrange(2**31)))


def test_killing_one_of_two_machines_on_postgres_loses_nothing(postgres, tmp_path):
    url = postgres.new_database()
    redis = Redis().start()
    servers = [Server(url, extra=("--broker", redis.url)) for _ in range(2)]
    try:
        for server in servers:
            server.start()
        summary = []
        for trial in range(TRIALS):
            report = asyncio.run(SpreadTrial(tmp_path, servers, url, actions=60, phones=4, kills=1,
                                             seed=SEED + trial, deadline=30).run())
            replay = f"replay with MAILLAGE_CRASH_SEED={SEED + trial}"
            assert report["kills"] == 1, replay
            for check in report["after_kills"] + [report["final"]]:
                assert check["missing"] == [], (check, replay)
            final = report["final"]
            assert final["twice"] == [], (final, replay)
            assert final["mismatches"] == [], (final, replay)
            assert report["refusals"] == [], (report["refusals"][:5], replay)
            assert final["acked"] == report["actions"], replay
            assert report["converged"] == [0] * 4, (report["converged"], replay)
            assert report["tracebacks"] == 0, (report, replay)
            summary.append(f"{report['kill_times'][0]} s/{report['after_kills'][0]['acked']} acked/{report['seconds']} s")
        print("postgres crash trials (kill at / acknowledged before it):", "; ".join(summary))
    finally:
        for server in servers:
            server.stop()
        redis.stop()
