"""Moving an actor's ties to another actor (merge, or delete with reassignment).

The decision computes a plan and the event carries it, so the event log says exactly which
tie went where; applying the event follows the plan without deciding anything again.

For each tie of the actor that goes away:

* a tie to the survivor itself would become a loop: it is dropped with its ratings;
* a tie whose other end and type match a tie the survivor already has describes the same
  cooperation twice: it is combined into the survivor's tie.
  - strength: the larger of the two. Strength is a declared intensity on a bounded 1..3
    scale; two records of one cooperation do not make it twice as intense, and a sum
    would leave the scale;
  - direction: one-way only if both were one-way in the same direction, else both ways
    (two opposite one-way records mean the cooperation runs both ways);
  - ratings: for each person and criterion the most recent rating wins, the same rule as
    when a person rates a tie again;
* any other tie is rewired: the survivor takes the place of the actor that goes.

Without a survivor (plain deletion) every tie of the actor is dropped.
"""

from __future__ import annotations

from .model import CRITERIA, MapData, MapTie


def plan(data: MapData, gone: str, into: str | None) -> dict:
    rewired: list[str] = []
    combined: list[dict] = []
    dropped: list[str] = []
    if into is None:
        return {"rewired": rewired, "combined": combined,
                "dropped": [t.id for t in data.ties_of(gone)]}
    # The survivor's ties by (other end, type), the key under which two ties are "the same".
    kept = {(t.other(into), t.category): t for t in data.ties_of(into)}
    for tie in data.ties_of(gone):
        other = tie.other(gone)
        if other == into:
            dropped.append(tie.id)
            continue
        host = kept.get((other, tie.category))
        if host is None:
            rewired.append(tie.id)
            continue
        source = into if tie.source == gone else tie.source
        same_way = host.directed and tie.directed and host.source == source
        combined.append({"tie": tie.id, "into": host.id, "strength": max(host.strength, tie.strength),
                         "directed": same_way})
    return {"rewired": rewired, "combined": combined, "dropped": dropped}


def carry_out(data: MapData, gone: str, into: str | None, event: dict) -> None:
    """Applies a plan recorded in `event`, then removes the actor that goes."""
    for tie_id in event.get("dropped", ()):
        data.ties.pop(tie_id, None)
    for tie_id in event.get("rewired", ()):
        tie = data.ties[tie_id]
        if tie.source == gone:
            tie.source = into
        if tie.target == gone:
            tie.target = into
    for step in event.get("combined", ()):
        moved = data.ties.pop(step["tie"])
        host = data.ties[step["into"]]
        host.strength, host.directed = step["strength"], step["directed"]
        combine_ratings(host, moved)
    del data.actors[gone]


def combine_ratings(host: MapTie, moved: MapTie) -> None:
    for criterion in CRITERIA:
        kept = getattr(host, criterion)
        for person, (score, seq) in getattr(moved, criterion).items():
            if person not in kept or seq > kept[person][1]:
                kept[person] = (score, seq)


def changed_ties(event: dict) -> list[str]:
    """Ties still on the map whose drawing changed with this plan (ends, strength, ratings)."""
    return list(event.get("rewired", ())) + [step["into"] for step in event.get("combined", ())]


def gone_ties(event: dict) -> list[str]:
    return list(event.get("dropped", ())) + [step["tie"] for step in event.get("combined", ())]
