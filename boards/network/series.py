"""A territory followed over its waves: each figure as a series over T0…Tn.

Read from the stored analyses only (``analyse()``'s output, one per wave, in wave order):
nothing is computed again, so a wave's figure in a series is exactly the figure its own
analysis shows. An actor is followed from wave to wave the way two waves are compared
(``compare.match_actors``: by id, then by normalised name), so a map redrawn from scratch
still gives one line per actor. A value is None where the actor is absent from a wave or
the figure has no value there (trust of an actor whose ties nobody rated).
"""

from __future__ import annotations

from .compare import match_actors

# Whole-network figures drawn as series, in the order the pages show them.
NETWORK_SERIES = ("actors", "ties", "density", "degree_centralization", "modularity",
                  "transitivity", "ei_index", "trust_score", "value_score")
# Per-actor figures drawn as series.
ACTOR_SERIES = ("degree", "betweenness", "constraint", "trust", "value")


def network_series(analyses: list[dict]) -> dict[str, list]:
    """Figure -> its value in each wave (None where the wave's analysis has none)."""
    return {key: [analysis["network"].get(key) for analysis in analyses] for key in NETWORK_SERIES}


def tracks(analyses: list[dict]) -> list[dict]:
    """Every actor seen in some wave, followed across waves.

    Each track gives the actor's id in each wave (None where absent) and its name in the
    last wave where it appears. Tracks come in order of first appearance."""
    found: list[dict] = []
    current: dict[str, int] = {}  # actor id in the previous wave -> its track
    previous: list[dict] = []
    for wave, analysis in enumerate(analyses):
        records = [{"id": a["id"], "name": a["name"]} for a in analysis["actors"]]
        matched, _ = match_actors(previous, records) if previous else ({}, [])
        following = {after: current[before] for before, after in matched.items()}
        now: dict[str, int] = {}
        for record in records:
            track = following.get(record["id"])
            if track is None:
                track = len(found)
                found.append({"ids": [None] * len(analyses), "name": record["name"]})
            found[track]["ids"][wave] = record["id"]
            found[track]["name"] = record["name"]
            now[record["id"]] = track
        current, previous = now, records
    return found


def actor_series(analyses: list[dict], track: dict) -> dict[str, list]:
    """Per-actor figure -> its value in each wave, for one track."""
    by_id = [{a["id"]: a for a in analysis["actors"]} for analysis in analyses]
    rows = [by_id[wave].get(actor_id) if actor_id is not None else None
            for wave, actor_id in enumerate(track["ids"])]
    return {key: [row.get(key) if row else None for row in rows] for key in ACTOR_SERIES}


def leading(analyses: list[dict], found: list[dict], limit: int) -> list[dict]:
    """The tracks of the last wave's actors with the most partners (ties broken by name)."""
    last = {a["id"]: a for a in analyses[-1]["actors"]} if analyses else {}
    present = [t for t in found if t["ids"] and t["ids"][-1] in last]
    present.sort(key=lambda t: (-last[t["ids"][-1]]["degree"], t["name"].casefold(), t["ids"][-1]))
    return present[:limit]
