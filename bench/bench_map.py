"""What a stakeholder map of 300 actors and 1,000 ties costs to draw, whole and change by change.

Run from the repository root: ``python bench/bench_map.py`` (add ``--no-browser`` to skip the
phone part). Two parts, each beside its anchor measured in the same run:

* Server: rendering the whole board for each view (what a page load or a resync sends) and the
  out-of-band fragment of one move and of one new tie (what every screen receives live), time
  and bytes. Anchor: the ideas board holding 300 notes, the core's own board.
* Phone (headless Chromium, 390×844 screen, CPU slowed 4×, as a mid-range phone): a real
  server holds the map; a participant's page receives the whole map (the facilitator shows the
  board), one move and one new tie made by the facilitator. Time from the frame's arrival to
  the end of the scripts it triggers (htmx swaps, stakeholders.js redrawing lines and lists),
  then to the next painted frame. Anchor: the same page receiving the ideas board of 300 notes.

Figures are medians of 3 repetitions, ours and the anchor's interleaved. The map is seeded and
shaped like a workshop's: every actor placed, ties of every type, 3 people rating half the ties.
Writes bench/results/bench_map.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from boards import rules  # noqa: E402
from boards.actions import parse  # noqa: E402
from boards.model import FACILITATOR, PARTICIPANT, Actor  # noqa: E402
from boards.state import apply, replay  # noqa: E402
from server import render  # noqa: E402

ACTORS, TIES, NOTES = 300, 1000, 300
REPEATS = 3
VIEWS = ("participant", "facilitator", "screen")
MAP, IDEAS = "b2", "b3"
CHROMIUM = "/usr/bin/chromium"


class Fold:
    """A workshop built through the real rules, events numbered as the store numbers them."""

    def __init__(self):
        self.ws = replay("bench", [])
        self.log: list[dict] = []
        self.do(rules.create_workshop("bench", "Banc d'essai", "QPV fictif", "BENCH2"))
        self.do([{"type": "board.added", "board": MAP, "kind": "stakeholders", "title": "Carte"},
                 {"type": "board.added", "board": IDEAS, "kind": "ideas", "title": "Idées"}])
        self.host = self.do(rules.join(self.ws, "Animation", role=FACILITATOR))[0]["participant"]
        self.people = [self.do(rules.join(self.ws, f"Personne {n}"))[0]["participant"] for n in range(3)]

    def do(self, events: list[dict]) -> list[dict]:
        stored = []
        for event in events:
            event = {**event, "seq": self.ws.seq + 1, "at": "2025-01-01T00:00:00+00:00"}
            apply(self.ws, event)
            self.log.append(event)
            stored.append(event)
        return stored

    def act(self, who: str, message: dict) -> list[dict]:
        role = FACILITATOR if who == self.host else PARTICIPANT
        return self.do(rules.decide(self.ws, Actor(who, role), parse(message)))


def build(actors: int = ACTORS, ties: int = TIES, notes: int = NOTES, seed: int = 7) -> Fold:
    rng = random.Random(seed)
    fold = Fold()
    data = fold.ws.boards[MAP].data
    for n in range(actors):
        actor = fold.act(fold.host, {"type": "actor.add", "board": MAP, "category": rng.choice(data.actor_types),
                                     "name": f"{rng.choice(['Association', 'Centre', 'Service', 'Collectif'])} {n}"
                                             f" des Tilleuls"})[0]["actor"]
        fold.act(fold.host, {"type": "actor.move", "board": MAP, "actor": actor, "x": round(rng.random(), 4),
                             "y": round(rng.random(), 4)})
    ids = list(data.actors)
    while len(data.ties) < ties:
        source, target = rng.sample(ids, 2)
        category = rng.choice(data.tie_types)
        if data.find_tie(source, target, category) is None:
            fold.act(fold.host, {"type": "tie.add", "board": MAP, "source": source, "target": target,
                                 "category": category, "strength": rng.randint(1, 3),
                                 "direction": rng.choice(["one", "both"])})
    fold.act(fold.host, {"type": "board.phase", "board": MAP, "phase": "rate"})
    for tie in list(data.ties)[::2]:
        for person in fold.people:
            fold.act(person, {"type": "tie.rate", "board": MAP, "tie": tie, "trust": rng.randint(1, 4),
                              "value": rng.randint(1, 4)})
    fold.act(fold.host, {"type": "board.phase", "board": MAP, "phase": "map"})
    for n in range(notes):
        fold.act(rng.choice(fold.people), {"type": "note.add", "board": IDEAS,
                                           "text": f"Idée {n} : les structures du quartier se connaissent mal "
                                                   f"et orientent peu les habitants les unes vers les autres."})
    return fold


# Server side --------------------------------------------------------------------------------------

def timed(render_once, reps: int) -> tuple[float, int]:
    """Seconds per call (mean of reps) and the bytes of one result."""
    size = len(render_once().encode())
    start = time.perf_counter()
    for _ in range(reps):
        render_once()
    return (time.perf_counter() - start) / reps, size


def server_cases(fold: Fold) -> dict:
    ws, rng = fold.ws, random.Random(3)
    macros = {kind: render.env("fr").get_template(f"boards/{kind}.html").module for kind in ("stakeholders", "ideas")}
    data = ws.boards[MAP].data
    ids = list(data.actors)
    cases = {}
    for view in VIEWS:
        me = fold.people[0] if view == "participant" else fold.host if view == "facilitator" else None
        cases[f"board {view}"] = lambda v=view, m=me: timed(
            lambda: str(macros["stakeholders"].board(ws, ws.boards[MAP], v, m)), 3)
        cases[f"anchor ideas {view}"] = lambda v=view, m=me: timed(
            lambda: str(macros["ideas"].board(ws, ws.boards[IDEAS], v, m)), 3)

    def move_delta(view: str) -> tuple[float, int]:
        ws.current_board = MAP
        actor = rng.choice(ids)
        events = fold.act(fold.host, {"type": "actor.move", "board": MAP, "actor": actor,
                                      "x": round(rng.random(), 4), "y": round(rng.random(), 4)})
        return timed(lambda: render.changes(ws, events, view, "fr"), 50)

    def tie_delta(view: str) -> tuple[float, int]:
        ws.current_board = MAP
        while True:
            source, target = rng.sample(ids, 2)
            if data.find_tie(source, target, "financement") is None:
                break
        events = fold.act(fold.host, {"type": "tie.add", "board": MAP, "source": source, "target": target,
                                      "category": "financement", "strength": 2, "direction": "one"})
        result = timed(lambda: render.changes(ws, events, view, "fr"), 50)
        fold.act(fold.host, {"type": "tie.delete", "board": MAP, "tie": events[0]["tie"]})
        return result

    for view in VIEWS:
        cases[f"move delta {view}"] = lambda v=view: move_delta(v)
        cases[f"tie delta {view}"] = lambda v=view: tie_delta(v)
    return cases


def run_server(fold: Fold) -> list[dict]:
    cases = server_cases(fold)
    samples: dict[str, list] = {name: [] for name in cases}
    for _ in range(REPEATS):
        for name, case in cases.items():
            samples[name].append(case())
    rows = []
    for name, got in samples.items():
        rows.append({"case": name, "ms": round(statistics.median(s for s, _ in got) * 1000, 3),
                     "bytes": statistics.median(b for _, b in got)})
    return rows


# Phone side (headless Chromium through the DevTools protocol) --------------------------------------

PROBE = """
(function () {
  window.__cost = [];
  var start = 0, size = 0, kind = "";
  function kindOf(m) {
    if (/id="sh-b\d+"/.test(m)) { return "map"; }
    if (m.indexOf('class="notes"') >= 0) { return "ideas"; }
    if (m.indexOf('beforeend:#sh-actors') >= 0) { return "move"; }
    if (m.indexOf("<polyline") >= 0) { return "tie"; }
    return "other";
  }
  document.addEventListener("htmx:wsBeforeMessage", function (e) {
    start = performance.now(); size = e.detail.message.length; kind = kindOf(e.detail.message);
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    var t0 = start, bytes = size, what = kind;
    queueMicrotask(function () {
      var script = performance.now() - t0;
      requestAnimationFrame(function () { setTimeout(function () {
        window.__cost.push({ kind: what, script: script, paint: performance.now() - t0, bytes: bytes });
      }, 0); });
    });
  });
})();
"""


class Chromium:
    def __init__(self):
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="bench-map-chromium-")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
             f"--remote-debugging-port={self.port}", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def page(self):
        import httpx
        for _ in range(200):
            try:
                target = httpx.put(f"http://127.0.0.1:{self.port}/json/new?about:blank", timeout=1).json()
                break
            except Exception:
                await asyncio.sleep(0.05)
        page = Page(target["webSocketDebuggerUrl"])
        await page.open()
        return page

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, url: str):
        self.url, self.ids, self.waiting = url, itertools.count(1), {}

    async def open(self):
        import websockets
        self.socket = await websockets.connect(self.url, max_size=None)
        self.reader = asyncio.create_task(self._read())
        await self.call("Page.enable")
        await self.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=3, mobile=True)
        await self.call("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=5)
        await self.call("Emulation.setCPUThrottlingRate", rate=4)

    async def _read(self):
        async for raw in self.socket:
            message = json.loads(raw)
            waiter = self.waiting.pop(message.get("id"), None)
            if waiter:
                waiter.set_result(message)

    async def call(self, method: str, **params):
        number = next(self.ids)
        self.waiting[number] = asyncio.get_running_loop().create_future()
        await self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        answer = await asyncio.wait_for(self.waiting[number], 60)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer.get("result", {})

    async def js(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    async def cost(self, kind: str, timeout: float = 60) -> list[dict]:
        """The cost of the next frame of this kind ("map", "ideas", "move", "tie"); others are dropped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in await self.js("window.__cost.splice(0)") or []:
                if item["kind"] == kind:
                    return [item]
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the page reported no {kind} frame")

    async def close(self):
        await self.socket.close()
        self.reader.cancel()


def _free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def load(page: Page, url: str) -> dict:
    """Opens the page and waits until its socket is live; the browser's own timings of that load."""
    await page.call("Page.navigate", url=url)
    await asyncio.sleep(0.2)
    for _ in range(600):
        if await page.js("!!(document.readyState === 'complete' && document.getElementById('conn')"
                         " && document.getElementById('conn').className.indexOf('on') >= 0)"):
            break
        await asyncio.sleep(0.05)
    timing = await page.js("(function(){var n=performance.getEntriesByType('navigation')[0];"
                           "return {script: n.domContentLoadedEventEnd, paint: n.loadEventEnd, bytes: n.decodedBodySize};})()")
    return timing


def seed_database(fold: Fold, db: Path) -> dict:
    """The benched workshop written straight into a fresh store, as if it had been played."""
    from server.auth import new_key
    from server.store import Store
    store = Store(str(db))
    fold.ws.current_board = None
    events = [{k: v for k, v in e.items() if k not in ("seq", "at")} for e in fold.log]
    events.append({"type": "board.shown", "board": IDEAS})
    row = {"id": "bench", "join_code": "BENCH2", "facilitator_key": new_key(), "title": "Banc d'essai",
           "territory": "QPV fictif", "created_at": "2025-01-01T00:00:00+00:00", "demo": 0}
    store.create_workshop(row, events)
    store.close()
    return row


async def run_phone(fold: Fold) -> list[dict]:
    from players import Person, Server
    scratch = Path(tempfile.mkdtemp(prefix="bench-map-"))
    row = seed_database(fold, scratch / "bench.db")
    server = Server(scratch / "bench.db").start()
    browser = Chromium()
    try:
        host = Person(server)
        assert host.http.get(f"/a/{row['id']}/animer/{row['facilitator_key']}").status_code == 303
        host.workshop_id = row["id"]
        phone = Person(server)
        assert phone.join(row["join_code"], "Téléphone").status_code == 303
        page = await browser.page()
        for name, value in phone.http.cookies.items():
            await page.call("Network.setCookie", name=name, value=value, url=server.url)
        await host.connect(view="facilitator")
        await host.wait_for('id="stage"')
        ids = list(fold.ws.boards[MAP].data.actors)
        rng = random.Random(5)
        samples: dict[str, list] = {k: [] for k in ("page load, map shown", "anchor page load, ideas shown",
                                                    "whole map", "anchor whole ideas", "move", "new tie")}
        for _ in range(REPEATS):
            for board, name in ((MAP, "page load, map shown"), (IDEAS, "anchor page load, ideas shown")):
                await host.ack(await host.act({"type": "board.show", "board": board}))
                samples[name].append(await load(page, f"{server.url}/a/{row['id']}"))
            await page.js(PROBE)
            for board, name, kind in ((MAP, "whole map", "map"), (IDEAS, "anchor whole ideas", "ideas")):
                await host.ack(await host.act({"type": "board.show", "board": board}))
                samples[name] += await page.cost(kind)
            await host.ack(await host.act({"type": "board.show", "board": MAP}))
            await page.cost("map")
            dom = await page.js("document.getElementsByTagName('*').length")
            for _ in range(3):
                await host.ack(await host.act({"type": "actor.move", "board": MAP, "actor": rng.choice(ids),
                                               "x": round(rng.random(), 4), "y": round(rng.random(), 4)}))
                samples["move"] += await page.cost("move")
                source, target = rng.sample(ids, 2)
                op = await host.act({"type": "tie.add", "board": MAP, "source": source, "target": target,
                                     "category": "partenariat formel", "strength": 1, "direction": "both"})
                answer = await host.wait_for(lambda frame, op=op: op in frame)
                if "data-refused=" in answer and op in answer.split("data-refused=")[1]:
                    continue        # that pair already had this type of tie: no frame to measure
                samples["new tie"] += await page.cost("tie")
            await host.ack(await host.act({"type": "board.show", "board": IDEAS}))
            await page.cost("ideas")
        await page.close()
        await host.close()
    finally:
        browser.stop()
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    rows = []
    for name, got in samples.items():
        rows.append({"case": f"phone {name}", "script_ms": round(statistics.median(c["script"] for c in got), 1),
                     "paint_ms": round(statistics.median(c["paint"] for c in got), 1),
                     "bytes": int(statistics.median(c["bytes"] for c in got)), "samples": len(got)})
    rows.append({"case": "phone DOM elements, map shown", "value": dom})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-browser", action="store_true", help="skip the headless Chromium part")
    args = parser.parse_args()
    started = time.perf_counter()
    fold = build()
    built = time.perf_counter() - started
    print(f"Built a map of {ACTORS} actors and {TIES} ties and an ideas board of {NOTES} notes "
          f"through the rules: {len(fold.log)} events, {built:.1f} s.\n")
    server_rows = run_server(fold)
    by_case = {row["case"]: row for row in server_rows}
    print(f"{'server: render':34} {'ms':>9} {'bytes':>9} {'× anchor':>9}")
    for row in server_rows:
        view = row["case"].split()[-1]
        anchor = by_case.get(f"anchor ideas {view}") if row["case"].startswith("board") else None
        versus = f"{row['ms'] / anchor['ms']:.1f}" if anchor and anchor["ms"] else ""
        print(f"{row['case']:34} {row['ms']:9.3f} {row['bytes']:9.0f} {versus:>9}")
    phone_rows = []
    if not args.no_browser and Path(CHROMIUM).exists():
        phone_rows = asyncio.run(run_phone(fold))
        print(f"\n{'phone (Chromium, CPU ÷4)':34} {'script ms':>9} {'paint ms':>9} {'bytes':>9}")
        print("(page loads: DOMContentLoaded and load event; frames: arrival to end of scripts, to next paint)")
        for row in phone_rows:
            if "script_ms" in row:
                print(f"{row['case']:34} {row['script_ms']:9.1f} {row['paint_ms']:9.1f} {row['bytes']:9d}")
            else:
                print(f"{row['case']:34} {row['value']:>9}")
    elif not args.no_browser:
        print(f"\n{CHROMIUM} is missing: phone part skipped.")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    payload = {"bench": "bench_map", "python": platform.python_version(), "machine": platform.machine(),
               "cpus": os.cpu_count(), "repeats": REPEATS, "actors": ACTORS, "ties": TIES, "notes": NOTES,
               "server": server_rows, "phone": phone_rows}
    path = out / "bench_map.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    print(f"\nWrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
