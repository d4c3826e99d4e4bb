"""Figure 3, a plenary: 2,000 phones on one brakes-and-levers board voting at 200 votes per second.

`python bench/plenary.py [--quick]`. The board is in its "vote" phase with twelve cards, a budget
of 20 dots and the tallies shown live (levers.tallies), so every vote changes what every phone
shows. Votes come round-robin from all the phones, open loop. A sample is the time from a vote's
send to the first frame at an observer phone (50 of them, never the voter) whose tally for that
card reaches the count the vote made. Without batching every vote would be a frame to every
phone; the hub joins what piles up into at most one frame per client per tick (10 ms at least), so the
frame rate must stay under N × 100 per second. There is no anchor: a bare server sending one
frame per vote per phone (400,000 frames/s) is exactly what cannot keep up.

All phones but the observers are bench/light.py's light phones, read in bursts: with full
clients the load generator took 77 to 97% of its core, and the observers' samples included its
backlog.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import html
import itertools
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
import light  # noqa: E402
import loadgen as lg  # noqa: E402

PHONES = 2_000
RATE = 200.0
SECONDS = 10.0
REPEATS = 3
CARDS = 12
OBSERVERS = 50
TICK_RATE = 100         # server/hub.py sends at most one frame per client every 10 ms (longer in big rooms)
GOAL_P99_MS = 250.0
WAIT_S = 30.0           # how long tallies are waited for after the last vote
TALLY = re.compile(r'id="lv-tally-(c\d+)"[^>]*>(\d+)')
CATEGORIES = ("social", "economique", "territorial", "gouvernance", "moyens", "confiance")


async def prepare(room: lg.Room) -> tuple[str, list[str]]:
    """A levers board on screen, twelve cards, in its vote phase with live tallies."""
    fac = await lg.facilitator(room)
    board = f"b{await fac({'type': 'board.add', 'kind': 'levers', 'title': 'Plénière'})}"
    await fac({"type": "board.show", "board": board})
    # The facilitator writes the cards once they are revealed (while writing, cards are private).
    await fac({"type": "board.phase", "board": board, "phase": "reveal"})
    cards = []
    for k in range(CARDS):
        seq = await fac({"type": "card.add", "board": board, "side": ("frein", "levier")[k % 2],
                         "category": CATEGORIES[k % len(CATEGORIES)],
                         "text": f"Carte {k + 1} : les partenaires ne partagent pas leurs agendas"})
        cards.append(f"c{seq}")
    await fac({"type": "levers.settings", "board": board, "budget": 20, "per_card": 20})
    await fac({"type": "levers.tallies", "board": board, "shown": True})
    await fac({"type": "board.phase", "board": board, "phase": "vote"})
    await fac.conn.close()
    return board, cards


async def window(server: c.Process, conns: list[lg.Conn], board: str, cards: list[str],
                 totals: dict[str, int], rate: float, seconds: float, wait_s: float = WAIT_S) -> dict:
    observers = [conns[k] for k in observer_indices(len(conns))]
    seen = {id(o): {card: ([], []) for card in cards} for o in observers}   # card -> (totals, times)
    refused = collections.Counter()        # the server's reason -> votes refused for it

    def on_frame(conn: lg.Conn, frame: str, now: float) -> None:
        if 'data-refused="' in frame:
            said = lg.NOTICE.search(frame)
            refused[html.unescape(said.group(1).strip()) if said else "?"] += 1
        tallies = seen.get(id(conn))
        if tallies is not None:
            best: dict[str, int] = {}
            for card, total in TALLY.findall(frame):
                best[card] = max(best.get(card, 0), int(total))
            for card, total in best.items():
                if card in tallies:
                    tallies[card][0].append(total)
                    tallies[card][1].append(now)

    for conn in conns:
        conn.on_frame = on_frame
    await lg.settle(conns, quiet=0.5)
    count = int(rate * seconds)
    votes = []                                  # (sent at, card, total it makes, voter)
    made = dict(totals)

    async def vote(k: int) -> None:
        # A phone the server closed (1013: it fell behind) does not vote; the next open one does.
        voter = next((x for i in range(len(conns)) if (x := conns[(k + i) % len(conns)]).closed_code is None), None)
        if voter is None:
            return
        card = cards[k % len(cards)]
        made[card] += 1
        votes.append((time.perf_counter(), card, made[card], voter))
        try:
            await voter.send({"type": "vote.add", "board": board, "card": card, "op": f"v{made[card]}-{card}"})
        except ConnectionClosed:
            # Closed while the vote was on its way: it is counted, and its tally waited for in vain.
            pass

    frames, cpu, own, queued = sum(x.frames for x in conns), server.cpu(), lg.own_cpu(), server.waited()
    start = time.perf_counter()
    end = await lg.pace(rate, count, vote)
    elapsed = end - start
    frames = sum(x.frames for x in conns) - frames
    server_cpu, own_cpu, queued = server.cpu() - cpu, lg.own_cpu() - own, server.waited() - queued

    def caught_up() -> bool:
        return all(tallies[card][0] and tallies[card][0][-1] >= made[card]
                   for tallies in seen.values() for card in cards if made[card] > totals[card])

    await lg.wait_until(caught_up, wait_s)
    waited = time.perf_counter() - end
    await lg.settle(conns, quiet=0.3)
    for conn in conns:
        conn.on_frame = None
    # A tally never seen within the wait counts as that long: the percentiles stay honest
    # (at least that much) instead of leaving the slowest votes out.
    samples, missing = [], 0
    for sent, card, total, voter in votes:
        for observer in observers:
            if observer is voter:
                continue
            got, times = seen[id(observer)][card]
            index = bisect.bisect_left(got, total)
            if index == len(got):
                missing += 1
                samples.append((end + waited - sent) * 1000)
            else:
                samples.append((times[index] - sent) * 1000)
    for card in cards:
        totals[card] = made[card]
    return {"votes": count, "p50_ms": c.rounded(c.percentile(samples, 0.5), 1),
            "p99_ms": c.rounded(c.percentile(samples, 0.99), 1), "max_ms": c.rounded(max(samples, default=None), 1),
            "frames_per_s": round(frames / elapsed), "server_cpu": round(server_cpu / elapsed, 2),
            "loadgen_cpu": round(own_cpu / elapsed, 2), "refused": sum(refused.values()),
            "refused_for": dict(refused), "unseen": missing,
            "closed": sum(1 for x in conns if x.closed_code is not None),
            "server_waited": round(queued / elapsed, 3),
            "samples": len(samples)}


def observer_indices(phones: int) -> range:
    return range(0, phones, max(1, phones // OBSERVERS))[:OBSERVERS]


async def open_room(ports: list[int], phones: int, light_phones: bool = False) -> tuple[str, list[str], list, list[lg.Conn]]:
    """The prepared board, and `phones` phones split evenly between the servers on `ports` (each
    joining through its own server), interleaved so that consecutive votes come through different
    servers; the console and the projector are on the first server. With `light_phones`, all but
    the observers are bench/light.py's phones, which cost the load generator less."""
    room = await lg.open_workshop(ports[0])
    board, cards = await prepare(room)
    specs = []
    for k, port in enumerate(ports):
        here = dataclasses.replace(room, port=port, cookies=[])
        share = phones // len(ports) + (1 if k < phones % len(ports) else 0)
        cookies = await lg.join_many(here, share, prefix="Personne" if k == 0 else f"Personne {k + 1}.")
        specs.append(lg.participant_specs(here, cookies))
    specs = [spec for batch in itertools.zip_longest(*specs) for spec in batch if spec is not None]
    full = set(observer_indices(phones)) if light_phones else set(range(phones))
    heavy = iter(await lg.open_many([s for k, s in enumerate(specs) if k in full]))
    lean = iter(await light.open_many([s for k, s in enumerate(specs) if k not in full]))
    conns = [next(heavy) if k in full else next(lean) for k in range(phones)]
    staff = await lg.open_many(lg.staff_specs(room))
    return board, cards, conns, staff


async def run_windows(server, conns: list[lg.Conn], board: str, cards: list[str], rate: float, seconds: float,
                      repeats: int, wait_s: float, label: str = "plenary") -> list[dict]:
    """`repeats` voting windows; `server` has cpu() and waited() (one process or several)."""
    totals = {card: 0 for card in cards}
    runs = []
    for _ in range(repeats):
        runs.append(await window(server, conns, board, cards, totals, rate, seconds, wait_s))
        c.progress(f"{label}: p50 {runs[-1]['p50_ms']} ms, p99 {runs[-1]['p99_ms']} ms, "
                   f"{runs[-1]['frames_per_s']} frames/s, unseen {runs[-1]['unseen']}, closed {runs[-1]['closed']}")
        if runs[-1]["unseen"]:
            # Saturated: the server is still working through this run's votes, so another run
            # would measure that backlog, not the room. One run says it all.
            break
    return runs


def summary(runs: list[dict], phones: int, rate: float) -> dict:
    """One row: the medians of the runs, and whether the goal was met."""
    ceiling = phones * TICK_RATE
    row = {"phones": phones, "votes_per_s": rate, "frame_ceiling": ceiling}
    for key in ("p50_ms", "p99_ms", "frames_per_s", "server_cpu", "loadgen_cpu", "refused", "unseen", "server_waited",
                "closed"):
        row[key] = c.median(r[key] for r in runs)
    row["censored"] = any(r["unseen"] for r in runs)
    row["met"] = (not row["censored"] and row["p99_ms"] is not None and row["p99_ms"] < GOAL_P99_MS
                  and row["frames_per_s"] <= ceiling)
    row["runs"] = runs
    return row


async def measure(phones: int = PHONES, rate: float = RATE, seconds: float = SECONDS, repeats: int = REPEATS,
                  wait_s: float = WAIT_S, light_phones: bool = True) -> dict:
    lg.raise_fd_limit()
    scratch = c.scratch("plenary")
    with c.ours(scratch / "plenary.db") as server:
        board, cards, conns, staff = await open_room([server.port], phones, light_phones)
        c.progress(f"plenary: {phones} phones, the console and the projector connected")
        runs = await run_windows(server, conns, board, cards, rate, seconds, repeats, wait_s)
        await lg.close_all(conns + staff)
    return {"seconds": seconds, "repeats": repeats, "wait_s": wait_s, "cards": CARDS, "observers": OBSERVERS,
            "goal_p99_ms": GOAL_P99_MS, "results": [summary(runs, phones, rate)]}


COLUMNS = [("plenary", 18), ("p50", 9), ("p99", 9), ("frames/s", 9), ("ceiling", 8), ("server cpu", 10),
           ("goal", 22), ("verdict", 7)]


def table_rows(result: dict) -> list[list[str]]:
    return [[f"{r['phones']} phones {r['votes_per_s']:g}/s", c.fmt(r["p50_ms"], " ms", 0), c.fmt(r["p99_ms"], " ms", 0),
             f"{r['frames_per_s']:,.0f}", f"{r['frame_ceiling']:,}", c.fmt(r["server_cpu"] * 100, "%", 0),
             f"p99<{result['goal_p99_ms']:g} ms, ≤N×100/s", c.verdict(r["met"])] for r in result["results"]]


def report(result: dict) -> None:
    row = result["results"][0]
    runs = len(row["runs"])
    took = (f"median of {runs} runs" if runs > 1 else
            "1 run (saturated: the next would measure its backlog)" if row["censored"] else "1 run")
    c.print_table(f"Plenary vote, vote to tally on other phones, {took} of {result['seconds']:g} s",
                  COLUMNS, table_rows(result),
                  [f"{result['observers']} observer phones; refused votes {row['refused']:g}; (vote, observer) "
                   f"pairs whose tally never came within {result['wait_s']:g} s: {row['unseen']:g} (counted as the time waited); "
                   f"load generator CPU {row['loadgen_cpu'] * 100:.0f}%; the server waited for a CPU "
                   f"{row['server_waited']:.0%} of the time."])


def main(argv: list[str] | None = None) -> dict:
    return c.run_bench("plenary", "2,000 phones voting at 200 votes/s",
                       lambda quick: measure(phones=300 if quick else PHONES, rate=50.0 if quick else RATE,
                                             seconds=4.0 if quick else SECONDS, wait_s=20.0 if quick else WAIT_S),
                       report, argv)


if __name__ == "__main__":
    main()
