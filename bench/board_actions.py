"""Figure 10, one action's render as the room grows: what every page of a view is sent after one
note, one allocation or one rating, in a room of 200 and of 2,000 people.

`python bench/board_actions.py [--quick] [--out DIR]`. No server: the workshop is folded in
memory from the same actions phones send (boards.rules), then `server.render.changes` (the
fragments one change sends to every page of a view, rendered once per view and language) is
timed for the next action on each view. The anchor is the same action in the room of 200: the
render of one action should not grow with the room (goal: at most 1.5× from 200 to 2,000 people).

- ideas: each person has written a note; one more note.
- allocation: each person has placed their dots on the indicators board; one more allocation.
- rating: each person has rated five adopted indicators; one more rating.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402
from boards import rules  # noqa: E402
from boards.actions import parse  # noqa: E402
from boards.model import FACILITATOR, PARTICIPANT, Actor  # noqa: E402
from boards.state import apply, replay  # noqa: E402
from server import render  # noqa: E402

SIZES = (200, 2_000)
VIEWS = ("participant", "screen", "facilitator")
REPEATS = 30
GOAL_RATIO = 1.5
INDICATORS = 20


class Room:
    def __init__(self):
        self.ws = replay("w1", [])
        self.do(rules.create_workshop("w1", "Banc d'essai", "QPV du banc", "ABC234"))
        self.host = self.do(rules.join(self.ws, "Animation", role=FACILITATOR))[0]["participant"]

    def do(self, events: list[dict]) -> list[dict]:
        for event in events:
            apply(self.ws, {**event, "seq": self.ws.seq + 1})
        return events

    def act(self, who: str, message: dict) -> list[dict]:
        role = FACILITATOR if who == self.host else PARTICIPANT
        return self.do(rules.decide(self.ws, Actor(who, role), parse(message)))

    def board(self, kind: str) -> str:
        board = self.act(self.host, {"type": "board.add", "kind": kind, "title": kind})[0]["board"]
        self.act(self.host, {"type": "board.show", "board": board})
        return board


def timed(room: Room, events: list[dict]) -> dict[str, float]:
    """Milliseconds to render one change for each view (the best of REPEATS: the least noise)."""
    found = {}
    for view in VIEWS:
        render.changes(room.ws, events, view, "fr")     # templates compiled outside the timing
        best = float("inf")
        for _ in range(REPEATS):
            start = time.perf_counter()
            render.changes(room.ws, events, view, "fr")
            best = min(best, time.perf_counter() - start)
        found[view] = best * 1000
    return found


def measure_size(people: int) -> dict[str, dict[str, float]]:
    room = Room()
    persons = [room.do(rules.join(room.ws, f"Personne {k + 1}"))[0]["participant"] for k in range(people)]
    ideas = room.board("ideas")
    for k, person in enumerate(persons[:-1]):
        room.act(person, {"type": "note.add", "board": ideas, "text": f"Idée {k + 1} : un lieu commun"})
    result = {"ideas": timed(room, room.act(persons[-1], {"type": "note.add", "board": ideas, "text": "Une de plus"}))}
    board = room.board("indicators")
    keys = [room.act(room.host, {"type": "indicator.propose", "board": board, "name": f"Indicateur {k + 1}"})[0]["indicator"]
            for k in range(INDICATORS)]
    room.act(room.host, {"type": "board.phase", "board": board, "phase": "prioritise"})
    for k, person in enumerate(persons[:-1]):
        room.act(person, {"type": "indicators.allocate", "board": board, "indicator": [keys[k % INDICATORS],
                          keys[(k + 3) % INDICATORS]], "points": [3, 2]})
    last = {"type": "indicators.allocate", "board": board, "indicator": [keys[1], keys[2]], "points": [2, 3]}
    result["allocation"] = timed(room, room.act(persons[-1], last))
    room.act(room.host, {"type": "board.phase", "board": board, "phase": "choose"})
    for key in keys[:5]:
        room.act(room.host, {"type": "indicator.choose", "board": board, "indicator": key, "chosen": True})
    room.act(room.host, {"type": "indicators.publish", "board": board})
    room.act(room.host, {"type": "board.phase", "board": board, "phase": "rate"})
    for k, person in enumerate(persons[:-1]):
        for key in keys[:5]:
            room.act(person, {"type": "indicator.rate", "board": board, "indicator": key, "value": str(1 + k % 5)})
    last = {"type": "indicator.rate", "board": board, "indicator": keys[0], "value": "3"}
    result["rating"] = timed(room, room.act(persons[-1], last))
    return result


def measure(sizes=SIZES) -> dict:
    small, large = sizes
    found = {people: measure_size(people) for people in sizes}
    rows = []
    for action in ("ideas", "allocation", "rating"):
        for view in VIEWS:
            ours, anchor = found[large][action][view], found[small][action][view]
            ratio = c.ratio(ours, anchor)
            rows.append({"action": action, "view": view, "people": large, "anchor_people": small,
                         "ms": round(ours, 3), "anchor_ms": round(anchor, 3), "ratio": c.rounded(ratio, 2),
                         "met": ratio is not None and ratio <= GOAL_RATIO})
    return {"repeats": REPEATS, "goal_ratio": GOAL_RATIO, "results": rows}


COLUMNS = [("action", 11), ("view", 12), ("large room", 11), ("anchor", 9), ("ratio", 7), ("goal", 7), ("verdict", 7)]


def report(result: dict) -> None:
    row = result["results"][0]
    c.print_table(f"One action's render for every page of a view, {row['people']:,} people against "
                  f"{row['anchor_people']:,} (best of {result['repeats']})", COLUMNS,
                  [[r["action"], r["view"], c.fmt(r["ms"], " ms", 3), c.fmt(r["anchor_ms"], " ms", 3),
                    c.fmt(r["ratio"], "x", 2), f"≤{result['goal_ratio']:g}x", c.verdict(r["met"])]
                   for r in result["results"]], ["anchor = the same action in the smaller room, same run"])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="One action's render as the room grows")
    parser.add_argument("--quick", action="store_true", help="100 against 1,000 people")
    parser.add_argument("--out", type=Path, default=c.RESULTS)
    args = parser.parse_args(argv)
    started = c.machine()
    result = measure((100, 1_000) if args.quick else SIZES)
    report(result)
    c.write_json("board_actions", {"machine": started, **result}, args.out)
    return result


if __name__ == "__main__":
    main()
