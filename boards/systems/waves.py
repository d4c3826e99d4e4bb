"""Loops from one wave to the next: which appeared, which broke, which held.

A snapshot keeps each loop with the texts of its factors. Loops are matched on those texts,
normalised (case, accents, punctuation), so that two waves of a territory compare even when
they come from two workshops whose factors have different ids.
"""

from __future__ import annotations

from ..stakeholders.model import normalise
from . import loops


def snapshot_loops(snapshot: dict) -> list[dict]:
    """Every loop of the snapshot's systems maps, with the title of its board."""
    found = []
    for board in snapshot.get("boards") or ():
        if isinstance(board, dict) and board.get("kind") == "systems":
            found += [{**loop, "board": board.get("title", "")} for loop in board.get("loops") or ()]
    return found


def compare(before: dict, after: dict) -> dict:
    """{"appeared", "broke", "kept"}: loops of `after` not in `before`, of `before` no longer in
    `after`, and in both; each loop as its snapshot keeps it."""
    def keyed(snapshot):
        return [{**loop, "names": [normalise(n) for n in loop["names"]], "shown": loop["names"]}
                for loop in snapshot_loops(snapshot)]
    found = loops.compare(keyed(before), keyed(after))
    return {key: [{**loop, "names": loop["shown"]} for loop in value] for key, value in found.items()}


def any_map(snapshot: dict) -> bool:
    return any(isinstance(b, dict) and b.get("kind") == "systems" for b in snapshot.get("boards") or ())
