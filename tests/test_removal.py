"""Removing a participant: their dots, points and ratings stop counting on every board, in the
snapshot and in the exports built from it; what they wrote stays. Without a server."""

import csv
import io
from pathlib import Path

import exports
from boards import indicators, rules
from boards.indicators import library as indicator_library
from boards.actions import parse
from boards.model import FACILITATOR, PARTICIPANT, Actor
from boards.snapshot import freeze
from boards.state import apply, replay

LIBRARY = indicator_library.parse_json(
    (Path(__file__).resolve().parent.parent / "boards" / "data" / "indicators.json").read_text("utf-8"))


class Workshop:
    """A workshop with a map "bm", a brakes and levers board "bl" and an indicators board "bi"."""

    def __init__(self):
        self.log = []
        self.ws = replay("w1", [])
        self.do(rules.create_workshop("w1", "Atelier", "QPV des Tilleuls", "ABC234"))
        for board, kind in (("bm", "stakeholders"), ("bl", "levers"), ("bi", "indicators")):
            self.do([{"type": "board.added", "board": board, "kind": kind, "title": kind}])
        self.host = self.do(rules.join(self.ws, "Animation", role=FACILITATOR))[0]["participant"]
        self.alice = self.do(rules.join(self.ws, "Alice"))[0]["participant"]
        self.bob = self.do(rules.join(self.ws, "Bob"))[0]["participant"]
        self.do(rules.decide(self.ws, Actor(self.host, FACILITATOR), indicators.Seed("bi", tuple(LIBRARY))))

    def do(self, events):
        for event in events:
            event = {**event, "seq": self.ws.seq + 1, "at": "2026-01-10T09:00:00+00:00"}
            apply(self.ws, event)
            self.log.append(event)
        return events

    def act(self, who, message):
        role = FACILITATOR if who == self.host else PARTICIPANT
        return self.do(rules.decide(self.ws, Actor(who, role), parse(message)))

    def phase(self, board, phase):
        self.act(self.host, {"type": "board.phase", "board": board, "phase": phase})


def read_csv(raw: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_a_removed_participant_counts_nowhere_but_what_they_wrote_stays():
    room = Workshop()
    alice, bob = room.alice, room.bob
    # The map: two actors, a tie both rate.
    caf, cs = (room.act(alice, {"type": "actor.add", "board": "bm", "name": n, "category": "association"})[0]["actor"]
               for n in ("CAF", "Centre social"))
    tie = room.act(bob, {"type": "tie.add", "board": "bm", "source": caf, "target": cs,
                         "category": "projet commun", "strength": 2, "direction": "both"})[0]["tie"]
    room.phase("bm", "rate")
    room.act(alice, {"type": "tie.rate", "board": "bm", "tie": tie, "trust": 4, "value": 4})
    room.act(bob, {"type": "tie.rate", "board": "bm", "tie": tie, "trust": 1, "value": 1})
    # Brakes and levers: Bob's card, and his dots on it.
    card = room.act(bob, {"type": "card.add", "board": "bl", "side": "frein", "category": "confiance",
                          "text": "Personne ne se parle", "actors": [caf]})[0]["card"]
    room.phase("bl", "vote")
    for _ in range(3):
        room.act(bob, {"type": "vote.add", "board": "bl", "card": card})
    room.act(alice, {"type": "vote.add", "board": "bl", "card": card})
    # Indicators: both prioritise, then both rate the adopted one.
    first = LIBRARY[0]["id"]
    room.phase("bi", "prioritise")
    for who, n in ((alice, 1), (bob, 4)):
        for _ in range(n):
            room.act(who, {"type": "indicator.dot", "board": "bi", "indicator": first, "add": True})
    room.act(room.host, {"type": "indicator.choose", "board": "bi", "indicator": first, "chosen": True})
    room.act(room.host, {"type": "indicators.publish", "board": "bi"})
    room.phase("bi", "rate")
    room.act(alice, {"type": "indicator.rate", "board": "bi", "indicator": first, "value": "4"})
    room.act(bob, {"type": "indicator.rate", "board": "bi", "indicator": first, "value": "1"})
    before = freeze(room.ws, "s1", "T0", "2026-01-10T10:00:00+00:00")
    assert before["levers"][0]["votes"] == 4 and before["ties"][0]["ratings"] == 2

    room.act(room.host, {"type": "participant.remove", "participant": bob})
    wave = freeze(room.ws, "s2", "T0", "2026-01-10T10:00:00+00:00")
    assert wave["participants"] == 1
    (lever,) = wave["levers"]
    assert (lever["text"], lever["votes"], lever["actors"]) == ("Personne ne se parle", 1, [caf])
    (drawn,) = wave["ties"]
    assert (drawn["id"], drawn["trust"], drawn["value"], drawn["ratings"]) == (tie, 4.0, 4.0, 1)
    rated = next(i for i in wave["indicators"] if i["id"] == first)
    assert rated["priority"] == 1 and rated["median"] == 4.0 and sum(rated["counts"].values()) == 1
    # The coordinators' tables are built from the snapshot.
    assert [row["points"] for row in read_csv(exports.levers_csv(wave))] == ["1"]
    row = next(r for r in read_csv(exports.indicators_csv(wave)) if r["mediane"])
    assert row["mediane"] == "4.0"
    # The removal is an event like any other: replaying the log gives the same boards.
    again = replay("w1", room.log)
    assert freeze(again, "s2", "T0", "2026-01-10T10:00:00+00:00") == wave
