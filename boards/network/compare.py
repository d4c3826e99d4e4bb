"""What moved between two waves (snapshots) of a workshop's cooperation network.

Actors are matched by id, then, among those left, by normalised name (lowercase, accents
stripped, spaces collapsed) so a map redrawn from scratch still lines up with the previous
one. A matched actor keeps the later wave's id as its key; an actor only in the earlier
wave keeps its own id (it cannot clash: an equal id would have been matched).

A tie is keyed by its two ends and its type; the ends are ordered for a directed tie and
sorted for an undirected one, so turning a one-way tie into a two-way one shows as one tie
removed and one added. Parallel records with the same key add up their strengths.

``positions`` gives one layout for both waves: the board position when either wave has
one (the later wins), otherwise a seeded spring layout run around the placed actors. Above
``SPRING_LIMIT`` unplaced actors, or without numpy (which networkx's layouts need), the
unplaced actors go on a spiral instead: a spring layout of thousands of nodes takes minutes.
"""

from __future__ import annotations

import math
import re
import unicodedata

import networkx as nx

from .text import NETWORK_LABELS
from . import actor_records, analyse, tie_records

CHANGE_LIMIT = 5
SPRING_LIMIT = 1500


def normalise_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", str(name))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", bare).strip().casefold()


def match_actors(before: list[dict], after: list[dict]) -> tuple[dict, list]:
    """Map each earlier actor id that has a later counterpart to that counterpart's id.

    Returns the mapping and the pairs that were matched by name only.
    """
    after_ids = {a["id"] for a in after}
    matched = {a["id"]: a["id"] for a in before if a["id"] in after_ids}
    taken = set(matched.values())
    free_by_name: dict[str, list[str]] = {}
    for actor in after:
        if actor["id"] not in taken:
            free_by_name.setdefault(normalise_name(actor["name"]), []).append(actor["id"])
    by_name = []
    for actor in before:
        if actor["id"] in matched:
            continue
        candidates = free_by_name.get(normalise_name(actor["name"]))
        if candidates:
            matched[actor["id"]] = candidates.pop(0)
            by_name.append({"before_id": actor["id"], "after_id": matched[actor["id"]],
                            "name": actor["name"]})
    return matched, by_name


def _tie_table(snapshot: dict, actors: list[dict], key_of: dict) -> dict:
    ties, _ = tie_records(snapshot, {a["id"] for a in actors})
    table: dict[tuple, dict] = {}
    for tie in ties:
        source, target = key_of[tie["source"]], key_of[tie["target"]]
        if not tie["directed"]:
            source, target = sorted((source, target))
        key = (source, target, tie["type"], tie["directed"])
        if key in table:
            table[key]["strength"] += tie["strength"]
        else:
            table[key] = {"source": source, "target": target, "type": tie["type"],
                          "directed": tie["directed"], "strength": tie["strength"]}
    return table


def _network_changes(before: dict, after: dict) -> dict:
    keys = list(NETWORK_LABELS) + [k for k in {**before, **after} if k not in NETWORK_LABELS]
    changes = {}
    for key in keys:
        old, new = before.get(key), after.get(key)
        delta = None if old is None or new is None else round(new - old, 6)
        changes[key] = {"before": old, "after": new, "delta": delta}
    return changes


def _spiral(count: int) -> list[list[float]]:
    """Evenly spread points in the unit square: golden-angle spiral around its centre."""
    golden = math.pi * (3 - math.sqrt(5))
    return [[0.5 + 0.45 * math.sqrt((i + 0.5) / count) * math.cos(i * golden),
             0.5 + 0.45 * math.sqrt((i + 0.5) / count) * math.sin(i * golden)]
            for i in range(count)]


def shared_layout(keys: list, placed: dict, links, seed: int = 42) -> dict:
    """One position per key: ``placed`` ones kept, the others laid out around them."""
    unplaced = [k for k in keys if k not in placed]
    positions = {k: [float(x), float(y)] for k, (x, y) in placed.items()}
    if unplaced:
        positions.update(_layout_unplaced(keys, positions, unplaced, links, seed))
    return {k: [round(positions[k][0], 4), round(positions[k][1], 4)] for k in keys}


def _layout_unplaced(keys: list, positions: dict, unplaced: list, links, seed: int) -> dict:
    if len(unplaced) > SPRING_LIMIT:
        return dict(zip(unplaced, _spiral(len(unplaced))))
    graph = nx.Graph()
    graph.add_nodes_from(keys)
    graph.add_edges_from(links)
    try:
        if positions:
            found = nx.spring_layout(graph, pos=positions, fixed=list(positions), seed=seed)
        else:
            found = nx.spring_layout(graph, seed=seed, center=(0.5, 0.5), scale=0.5)
    except ImportError:
        return dict(zip(unplaced, _spiral(len(unplaced))))
    return {k: [float(found[k][0]), float(found[k][1])] for k in unplaced}


def _tie_entry(tie: dict, names: dict, **strengths) -> dict:
    entry = {k: tie[k] for k in ("source", "target", "type", "directed")}
    entry.update(source_name=names[tie["source"]], target_name=names[tie["target"]], **strengths)
    return entry


def compare(before_snapshot: dict, after_snapshot: dict, before_analysis: dict | None = None,
            after_analysis: dict | None = None) -> dict:
    """Actors and ties added, removed, strengthened, weakened; figure changes; shared layout."""
    before_analysis = before_analysis or analyse(before_snapshot)
    after_analysis = after_analysis or analyse(after_snapshot)
    before, after = actor_records(before_snapshot), actor_records(after_snapshot)
    matched, by_name = match_actors(before, after)
    key_of_before = {a["id"]: matched.get(a["id"], a["id"]) for a in before}
    key_of_after = {a["id"]: a["id"] for a in after}
    names = {key_of_before[a["id"]]: a["name"] for a in before}
    names.update((a["id"], a["name"]) for a in after)
    matched_after = set(matched.values())

    old_ties = _tie_table(before_snapshot, before, key_of_before)
    new_ties = _tie_table(after_snapshot, after, key_of_after)
    ties = {"added": [], "removed": [], "strengthened": [], "weakened": []}
    for key, tie in new_ties.items():
        old = old_ties.get(key)
        if old is None:
            ties["added"].append(_tie_entry(tie, names, strength=tie["strength"]))
        elif tie["strength"] != old["strength"]:
            kind = "strengthened" if tie["strength"] > old["strength"] else "weakened"
            ties[kind].append(_tie_entry(tie, names, strength_before=old["strength"],
                                         strength_after=tie["strength"]))
    ties["removed"] = [_tie_entry(tie, names, strength=tie["strength"])
                       for key, tie in old_ties.items() if key not in new_ties]

    old_between = {key_of_before[a["id"]]: a["betweenness"] for a in before_analysis["actors"]
                   if a["id"] in matched}
    moves = [{"id": a["id"], "name": a["name"], "before": old_between[a["id"]],
              "after": a["betweenness"], "delta": round(a["betweenness"] - old_between[a["id"]], 6)}
             for a in after_analysis["actors"] if a["id"] in old_between]
    moves.sort(key=lambda m: m["delta"])

    keys = [a["id"] for a in after] + [key_of_before[a["id"]] for a in before
                                       if a["id"] not in matched]
    placed = {key_of_before[a["id"]]: (a["x"], a["y"]) for a in before
              if a["x"] is not None and a["y"] is not None}
    placed.update({a["id"]: (a["x"], a["y"]) for a in after
                   if a["x"] is not None and a["y"] is not None})
    links = [(t["source"], t["target"]) for t in (*old_ties.values(), *new_ties.values())]
    return {
        "before": _wave(before_snapshot), "after": _wave(after_snapshot),
        "actors_added": [{"id": a["id"], "name": a["name"], "type": a["type"]}
                         for a in after if a["id"] not in matched_after],
        "actors_removed": [{"id": a["id"], "name": a["name"], "type": a["type"]}
                           for a in before if a["id"] not in matched],
        "matched_by_name": by_name,
        "ties_added": ties["added"], "ties_removed": ties["removed"],
        "ties_strengthened": ties["strengthened"], "ties_weakened": ties["weakened"],
        "network": _network_changes(before_analysis["network"], after_analysis["network"]),
        "betweenness_rose": [m for m in reversed(moves) if m["delta"] > 0][:CHANGE_LIMIT],
        "betweenness_fell": [m for m in moves if m["delta"] < 0][:CHANGE_LIMIT],
        "betweenness_sampled": bool(before_analysis.get("betweenness_sampled")
                                    or after_analysis.get("betweenness_sampled")),
        "positions": shared_layout(keys, placed, links),
    }


def _wave(snapshot: dict) -> dict:
    return {k: str(snapshot.get(k) or "") for k in ("id", "label", "taken_at")}
