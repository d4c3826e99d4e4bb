"""Freezing a workshop: every board, counts, never an identity."""

import json

from boards.model import FACILITATOR
from boards.snapshot import freeze
from test_rules import Play


def test_freeze_keeps_content_and_counts_but_no_identities():
    play = Play()
    play.add(play.alice, "Les permanences sont mal connues")
    play.act(play.host, {"type": "board.add", "kind": "stakeholders", "title": "Carte"})
    board = [b for b in play.ws.boards.values() if b.kind == "stakeholders"][0].id
    play.act(play.alice, {"type": "actor.add", "board": board, "name": "Mission locale",
                          "category": "service public de l'emploi"})
    snapshot = freeze(play.ws, "s1", "T0 — janvier 2027", "2027-01-15T10:00:00+00:00")
    assert snapshot["seq"] == play.ws.seq and snapshot["participants"] == 2
    assert [a["name"] for a in snapshot["actors"]] == ["Mission locale"]
    assert snapshot["actor_types"] and snapshot["tie_types"]
    notes = [b for b in snapshot["boards"] if b["kind"] == "ideas"][0]["notes"]
    assert [n["text"] for n in notes] == ["Les permanences sont mal connues"]
    text = json.dumps(snapshot, ensure_ascii=False)
    for person in play.ws.participants.values():
        assert f'"{person.id}"' not in text
        assert person.name not in text
