"""Figure 3b, the plenary on PostgreSQL: one machine against two machines sharing the database.

`python bench/plenary_pg.py [--quick] [--phones N] [--rate R] [--delay-ms D] [--rounds N] [--postgres URL]
[--cases one two ...] [--full-phones]`.
The plenary of bench/plenary.py (a levers board voting with live tallies, the same votes, the
same vote-to-tally samples at 50 observer phones) on a PostgreSQL database, in these cases
taking turns (one, two, one, two: two rounds by default), each room on fresh servers and a
fresh database:

- one: one server process on core 0, as one machine runs alone (no Redis);
- two: two server processes ("machines": two ports, two process groups) on core 0 and core 1,
  sharing the database and a Redis relay; the phones join half through each, the votes alternate
  between them, observers are on both, the console and the projector on the first;
- two-one-core: the same two machines both on core 0, the budget of the first case: what the
  split itself costs.

`--delay-ms D` puts the throwaway cluster one network hop away (bench/netdelay.py holds every
chunk D ms in each direction), as PostgreSQL is for machines of a real deployment.

The load generator runs on core 1 (so in "two" it shares that core with the second machine);
PostgreSQL and Redis may run on either core. All phones but the 50 observers are bench/light.py's
light phones, which leave the second machine most of that core (`--full-phones`: figure 3's
clients, which took 65 to 80% of it). A throwaway cluster is started in a temporary
folder when PostgreSQL is installed (tests/pg_cluster.py), or --postgres names a database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
import loadgen as lg  # noqa: E402
import machines as m  # noqa: E402
import plenary  # noqa: E402

CASES = {"one": (c.SERVER_CORE,), "two": (c.SERVER_CORE, c.LOADGEN_CORE),
         "two-one-core": (c.SERVER_CORE, c.SERVER_CORE)}
PHONES = 2_000
ROUNDS = 2
QUICK = {"phones": 200, "rate": 50.0, "seconds": 3.0, "repeats": 1, "wait_s": 10.0}


async def room_on(database: m.Database, broker: m.Redis | None, cores: tuple[int, ...], phones: int, rate: float,
                  seconds: float, repeats: int, wait_s: float, label: str, light_phones: bool = True) -> tuple[list[dict], list[dict], list[str]]:
    """One room on fresh servers and a fresh database: its voting windows, each part's CPU in
    each window, and what the servers logged as errors or warnings."""
    url = database.new()
    extra = ("--broker", broker.url) if broker is not None and len(cores) > 1 else ()
    servers = [c.ours(url, extra=extra, core=core) for core in cores]
    others = {"postgres": database.cpu}
    if extra:
        others["redis"] = broker.cpu
    try:
        for server in servers:
            server.start()
        group = m.Group(servers, others)
        board, cards, conns, staff = await plenary.open_room([s.port for s in servers], phones, light_phones)
        c.progress(f"{label}: {phones} phones on {len(servers)} machine(s), the console and the projector connected")
        runs = await plenary.run_windows(group, conns, board, cards, rate, seconds, repeats, wait_s, label)
        await lg.close_all(conns + staff)
    finally:
        for server in servers:
            server.kill()
    # What the servers logged (a lost relay, a database error) says why a run went wrong.
    logged = [line for server in servers for line in server.process.stderr.read().decode(errors="replace").splitlines()
              if " ERROR " in line or " WARNING " in line]
    return runs, group.shares(), logged


async def measure(database: m.Database, cases: list[str], broker: m.Redis | None = None, phones: int = PHONES,
                  rate: float = plenary.RATE, seconds: float = plenary.SECONDS, repeats: int = plenary.REPEATS,
                  wait_s: float = plenary.WAIT_S, rounds: int = 1, light_phones: bool = True) -> dict:
    """`rounds` times each case in turn (one, two, one, two, ...: the machine's load drifts, and
    both must see the same drift), each round a fresh room; `broker` is needed by two machines."""
    lg.raise_fd_limit()
    found = {case: ([], [], []) for case in cases}
    for round_ in range(rounds):
        for case in cases:
            runs, shares, logged = await room_on(database, broker, CASES[case], phones, rate, seconds, repeats,
                                                 wait_s, f"{case} ({round_ + 1}/{rounds})" if rounds > 1 else case,
                                                 light_phones)
            for kept, new in zip(found[case], (runs, shares, logged)):
                kept.extend(new)
    rows = []
    for case, (runs, shares, logged) in found.items():
        row = plenary.summary(runs, phones, rate)
        row["cpu"] = {name: c.median(s[name] for s in shares) for name in shares[0]} if shares else {}
        row.update({"case": case, "machines": len(CASES[case]), "cores": list(CASES[case]), "server_log": logged[-20:]})
        rows.append(row)
    return {"seconds": seconds, "repeats": repeats, "rounds": rounds, "wait_s": wait_s, "observers": plenary.OBSERVERS,
            "light_phones": light_phones,
            "goal_p99_ms": plenary.GOAL_P99_MS, "results": rows}


def percent(share: float | None) -> str:
    return c.fmt(None if share is None else share * 100, "%", 0)


COLUMNS = [("plenary on PostgreSQL", 24), ("p50", 9), ("p99", 9), ("frames/s", 9), ("servers cpu", 11),
           ("postgres", 8), ("redis", 6), ("loadgen", 7), ("unseen", 7),
           ("verdict", 7)]


def table_rows(result: dict) -> list[list[str]]:
    rows = []
    for r in result["results"]:
        cpu = r.get("cpu", {})
        machines = " + ".join(percent(cpu.get(f"machine {k + 1}")) for k in range(r["machines"]))
        rows.append([f"{r['case']}: {r['phones']} at {r['votes_per_s']:g}/s", c.fmt(r["p50_ms"], " ms", 0),
                     c.fmt(r["p99_ms"], " ms", 0), f"{r['frames_per_s']:,.0f}", machines,
                     percent(cpu.get("postgres")), percent(cpu.get("redis")), percent(r.get("loadgen_cpu")),
                     f"{r['unseen']:g}",
                     c.verdict(r["met"])])
    return rows


def report(result: dict) -> None:
    c.print_table(f"Plenary vote on PostgreSQL, vote to tally on other phones, median of up to "
                  f"{result['repeats']} runs of {result['seconds']:g} s in each of {result['rounds']} rooms per case",
                  COLUMNS, table_rows(result),
                  [f"PostgreSQL {result.get('postgres_version', '')}"
                   + (f", {result['delay_ms']:g} ms each way (bench/netdelay.py)" if result.get("delay_ms") else "")
                   + ("; light phones (bench/light.py) but the observers" if result.get("light_phones") else "")
                   + "; CPU in % of a core during the votes "
                   f"(machine 1 on core {c.SERVER_CORE}; in 'two', machine 2 on core {c.LOADGEN_CORE} with the load "
                   f"generator); unseen: (vote, observer) pairs whose tally never came within "
                   f"{result['wait_s']:g} s (then one run only: saturated)"])


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description="The plenary on one machine and on two sharing PostgreSQL")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK['phones']} phones, one short run per case")
    parser.add_argument("--phones", type=int, help=f"phones in the room (default {PHONES:,})")
    parser.add_argument("--delay-ms", type=float, default=0.0,
                        help="one-way delay between the servers and the throwaway cluster (default 0: loopback)")
    parser.add_argument("--rate", type=float, help=f"votes a second in the room (default {plenary.RATE:g})")
    parser.add_argument("--postgres", help="postgresql:// URL of a database to use (default: a throwaway cluster)")
    parser.add_argument("--cases", nargs="*", choices=list(CASES), default=["one", "two"])
    parser.add_argument("--rounds", type=int, help="rooms per case, the cases taking turns (default 2, 1 with --quick)")
    parser.add_argument("--full-phones", action="store_true",
                        help="every phone a full loadgen client, as figure 3 (default: light phones but the observers)")
    parser.add_argument("--out", type=Path, default=c.RESULTS)
    args = parser.parse_args(argv)
    # PostgreSQL and Redis are started from here: they inherit this process's cores, so all of
    # them (run.py starts the bench on the load generator's core), before it pins itself.
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    started = c.machine()
    sizes = dict(QUICK) if args.quick else {"phones": PHONES, "rounds": ROUNDS}
    if args.rounds:
        sizes["rounds"] = args.rounds
    if args.phones:
        sizes["phones"] = args.phones
    if args.rate:
        sizes["rate"] = args.rate
    sizes["light_phones"] = not args.full_phones
    with m.postgres(args.postgres) as found, contextlib.ExitStack() as stack:
        if found is None:
            return None
        database = stack.enter_context(found.one_hop_away(args.delay_ms)) if args.delay_ms else found
        version = database.version
        broker = m.Redis().start() if any(len(CASES[case]) > 1 for case in args.cases) else None
        try:
            c.pin_here()
            lg.install_fast_loop()
            result = asyncio.run(measure(database, args.cases, broker, **sizes))
        finally:
            if broker is not None:
                broker.kill()
    result["postgres_version"] = version
    result["delay_ms"] = args.delay_ms
    report(result)
    c.write_json("plenary_pg", {"machine": started, **result}, args.out)
    return result


if __name__ == "__main__":
    main()
