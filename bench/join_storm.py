"""Figure 5, join storm: 2,000 participants join a workshop and each receives the first render of
the board, beside the anchor's connection storm (2,000 websocket connections, each receiving a
first frame of the same size).

`python bench/join_storm.py [--quick]`. Each repetition opens a new workshop whose ideas board
already holds 30 notes, with the projector connected.
Each participant then does what a phone does after scanning the QR code: posts the join form,
opens the websocket with the session cookie, says hello and waits for the board. At most 250
phones are between their first byte and their first render at any moment, on both sides. The
figure is the time from the first join to the last first render.

Phones on both sides are bench/light.py's light phones, read as soon as data comes. With full
clients the load generator spent as much CPU as the anchor's storm lasted (0.86 s of 0.86 s):
the anchor's figure was the load generator's pace, not the anchor's, and the ratio read 1.9 to
2.1× where the servers' own costs give 3.1×.

A third storm is the same room after a wifi drop: the 2,000 phones joined before the clock starts
and come back at once, each opening its websocket and getting the whole board (their pages are
behind). That is the anchor's own exchange, one websocket and one large frame per phone; the
join storm adds the join form to it.

Beside the two, the stack's floor (bench/floor_server.py): starlette and uvicorn as our server
runs them, parsing the same join form into a signed session cookie and sending the same first
frame over a websocket, with nothing of ours behind (no rules, no database, no templates). Every
starlette application pays it for this exchange; "ours/floor" is the part of the distance to the
bare anchor that is ours to cut.

A second, smaller storm has the facilitator's console open too, as it usually is while people
arrive: the console lists every participant, and that list is rendered again for each arrival,
so the storm's cost grows with the square of the room. It is measured at 200 phones, where it
takes seconds rather than the minutes it would take at 2,000.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
import light  # noqa: E402
import loadgen as lg  # noqa: E402

PHONES = 2_000
CONSOLE_PHONES = 200
IN_FLIGHT = 250
SEED_NOTES = 30
REPEATS = 3
CAP_S = 60.0        # a storm still running after this long is stopped and counted as this long
GOAL_S, GOAL_RATIO = 5.0, 2.0


async def storm(server: c.Process, count: int, arrive, cap: float) -> tuple[dict, list[light.LightConn]]:
    """Runs the storm for at most `cap` seconds; phones still waiting then count as `cap`."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    waits: list[float] = []
    conns: list[light.LightConn] = []

    async def one(index: int) -> None:
        async with gate:
            begun = time.perf_counter()
            conn = await arrive(index)
            conns.append(conn)
            await asyncio.shield(conn.first_frame)
            waits.append(conn.first_at - begun)

    cpu, queued = server.cpu(), server.waited()
    start = time.perf_counter()
    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=cap)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()
    served = [conn for conn in conns if conn.first_at is not None]
    total = cap if pending else max(conn.first_at for conn in served) - start
    waits += [cap] * (count - len(waits))
    first_bytes = sorted(len(conn.first_message) for conn in served)[len(served) // 2] if served else 0
    return ({"total_s": round(total, 3), "censored": bool(pending), "served": len(served),
             "p50_s": c.rounded(c.percentile(waits, 0.5), 3), "p99_s": c.rounded(c.percentile(waits, 0.99), 3),
             "server_cpu_s": round(server.cpu() - cpu, 2), "server_waited_s": round(server.waited() - queued, 2),
             "first_bytes": first_bytes}, conns)


async def ours_storm(phones: int, console: bool, cap: float, back: bool = False) -> dict:
    """One storm on a fresh server, killed afterwards: closing 2,000 sockets one by one would
    refresh the presence of the others 2,000 times over. With `back`, the phones joined before
    the storm and only come back (a wifi drop)."""
    server = c.ours(c.scratch("storm") / "storm.db").start()
    room = await lg.open_workshop(server.port)
    fac = await lg.facilitator(room)
    for k in range(SEED_NOTES):
        await fac({**room.note(k), "text": f"Idée de départ {k + 1} : mieux connaître les partenaires du quartier"})
    await fac.conn.close()
    staff = await lg.open_many(lg.staff_specs(room)[0 if console else 1:])

    joined = await lg.join_many(room, phones, concurrency=IN_FLIGHT, prefix="Téléphone") if back else None

    async def arrive(index: int) -> light.LightConn:
        cookie = joined[index] if joined else await lg.join(room, f"Téléphone {index + 1}")
        return await light.open_light(**lg.participant_specs(room, [cookie])[0], every=None)

    result, conns = await storm(server, phones, arrive, cap)
    server.kill()
    await lg.close_all(conns + staff)
    return result


async def anchor_storm(bare: c.Process, phones: int, first_bytes: int, cap: float) -> dict:
    async def arrive(index: int) -> light.LightConn:
        return await light.open_light(**lg.anchor_specs(bare.port, 1, first_bytes)[0], every=None)

    result, conns = await storm(bare, phones, arrive, cap)
    await lg.close_all(conns)
    return result


async def floor_join(port: int, name: str) -> str:
    reply = await lg.http(port, "POST", "/rejoindre", {"code": "FLOOR", "name": name})
    if reply.status != 303 or "maillage" not in reply.cookies:
        raise RuntimeError(f"the floor refused a join ({reply.status})")
    return "maillage=" + reply.cookies["maillage"]


async def floor_storm(base: c.Process, phones: int, first_bytes: int, cap: float, back: bool) -> dict:
    """The same storm on the stack's floor, the phones joining or (with `back`) coming back."""
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def joined(index: int) -> str:
        async with gate:
            return await floor_join(base.port, f"Téléphone {index + 1}")

    cookies = await asyncio.gather(*(joined(i) for i in range(phones))) if back else None

    async def arrive(index: int) -> light.LightConn:
        cookie = cookies[index] if cookies else await floor_join(base.port, f"Téléphone {index + 1}")
        return await light.open_light(f"ws://{lg.HOST}:{base.port}/live", cookie=cookie, first='id="stage"',
                                      hello={"type": "hello", "size": first_bytes}, every=None)

    result, conns = await storm(base, phones, arrive, cap)
    await lg.close_all(conns)
    return result


async def measure(phones: int = PHONES, repeats: int = REPEATS, console_phones: int = CONSOLE_PHONES,
                  cap: float = CAP_S) -> dict:
    lg.raise_fd_limit()
    rows = []
    with c.anchor() as bare, c.floor() as base:
        for count, console, back in ((phones, False, False), (console_phones, True, False), (phones, False, True)):
            # The floor has no console: it stands beside the storms of phones alone.
            sides = ("ours", "anchor") if console else ("ours", "anchor", "floor")
            runs = {side: [] for side in sides}
            for _ in range(repeats):
                runs["ours"].append(await ours_storm(count, console, cap, back))
                first_bytes = runs["ours"][-1]["first_bytes"]
                runs["anchor"].append(await anchor_storm(bare, count, first_bytes, cap))
                if "floor" in runs:
                    await asyncio.sleep(0.5)
                    runs["floor"].append(await floor_storm(base, count, first_bytes, cap, back))
                c.progress(f"storm of {count}{' with the console' if console else ''}{' coming back' if back else ''}: "
                           + ", ".join(f"{side} {runs[side][-1]['total_s']} s" for side in sides))
                await asyncio.sleep(1)
            row = {"phones": count, "console": console, "back": back,
                   "censored": any(r["censored"] for side in sides for r in runs[side])}
            for side in sides:
                for key in ("total_s", "p50_s", "p99_s", "server_cpu_s"):
                    row[f"{side}_{key}"] = c.median(r[key] for r in runs[side])
            row["ratio"] = c.rounded(c.ratio(row["ours_total_s"], row["anchor_total_s"]), 2)
            if "floor" in runs:
                row["floor_ratio"] = c.rounded(c.ratio(row["ours_total_s"], row["floor_total_s"]), 2)
                row["floor_anchor_ratio"] = c.rounded(c.ratio(row["floor_total_s"], row["anchor_total_s"]), 2)
            ratio_ok = row["ratio"] is not None and row["ratio"] <= GOAL_RATIO
            row["met"] = ratio_ok if console or back else (row["ours_total_s"] < GOAL_S and ratio_ok)
            row["first_bytes"] = runs["ours"][-1]["first_bytes"]
            row["runs"] = runs
            rows.append(row)
    return {"repeats": repeats, "in_flight": IN_FLIGHT, "seed_notes": SEED_NOTES, "cap_s": cap, "results": rows}


COLUMNS = [("join storm", 16), ("ours", 8), ("anchor", 8), ("ratio", 7), ("floor", 8), ("ours/floor", 11),
           ("ours p99", 9), ("server cpu", 11), ("goal", 14), ("verdict", 7)]


def table_rows(result: dict) -> list[list[str]]:
    return [[case(r),
             ("≥" if r["censored"] else "") + c.fmt(r["ours_total_s"], " s", 2),
             c.fmt(r["anchor_total_s"], " s", 2), c.fmt(r["ratio"], "x", 2), c.fmt(r.get("floor_total_s"), " s", 2),
             c.fmt(r.get("floor_ratio"), "x", 2), c.fmt(r["ours_p99_s"], " s", 2),
             c.fmt(r["ours_server_cpu_s"], " s", 1),
             f"≤{GOAL_RATIO:g}x" if r["console"] or r.get("back") else f"<{GOAL_S:g} s, ≤{GOAL_RATIO:g}x",
             c.verdict(r["met"])]
            for r in result["results"]]


def case(row: dict) -> str:
    return f"N={row['phones']}" + (" + console" if row["console"] else "") + (" back" if row.get("back") else "")


def report(result: dict) -> None:
    row = result["results"][0]
    c.print_table(f"Join storm: join form + websocket + first render, median of {result['repeats']} "
                  f"interleaved runs ({result['in_flight']} phones in flight)", COLUMNS, table_rows(result),
                  [f"first render {row['first_bytes']} bytes ({result['seed_notes']} notes on the board); anchor = "
                   "websocket connection + one frame of that size; back = phones that joined before, coming "
                   "back at once after a wifi drop (the anchor's exchange); floor = starlette and uvicorn alone making "
                   "the same exchanges (bench/floor_server.py); ours p99 = one phone's wait; "
                   f"a storm still running after {result['cap_s']:g} s is stopped and counted as that long (≥)."])


def main(argv: list[str] | None = None) -> dict:
    return c.run_bench("join_storm", "2,000 participants joining beside a bare connection storm",
                       lambda quick: measure(phones=300 if quick else PHONES, console_phones=100 if quick else CONSOLE_PHONES), report, argv)


if __name__ == "__main__":
    main()
