"""The snapshot's network as drawn on the review pages: SVG geometry in a 1000-wide frame.

Actors someone placed on the board keep their place. Actors nobody placed (added from a
phone without dragging, imported from a CSV file) are laid out on a grid, one cell each, so
no two of them overlap whatever their number: in the whole square when nobody placed
anyone, otherwise in a band below the board. They follow each other by group (community)
and, inside a group, by number of partners, so the members of a group sit side by side.
A node's radius grows with its partners but never exceeds its cell.
"""

from __future__ import annotations

import math

from boards.network import actor_records, number

PALETTE = ("#1d4e89", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207",
           "#be185d", "#4d7c0f", "#475569", "#9a3412", "#1e40af")
LABELLED = 40  # names drawn on the map; the others show on hover
FRAME, MARGIN = 1000, 40
WIDTH = FRAME - 2 * MARGIN
LARGEST = 24  # radius of the most linked actor
BAND_GAP = 30
MIN_LABEL_CELL = 60  # grid cells narrower than this leave names to the hover title


def radius(degree: int) -> float:
    return 6 + min(degree, 20) * 0.9


def grid(count: int, square: bool) -> tuple[float, int]:
    """Cell size and columns: a square grid filling the frame, or rows of the largest cells."""
    if square:
        columns = max(1, math.ceil(math.sqrt(count)))
        return WIDTH / columns, columns
    cell = 2 * LARGEST + 6
    return cell, max(1, int(WIDTH // cell))


def label_place(point: tuple[float, float], r: float, cell: float | None) -> dict:
    """Where a name goes: right of a placed actor; centred under a grid actor, cut to its cell."""
    x, y = point
    if cell is None:
        return {"tx": x + r + 3, "ty": y + 4, "anchor": "start", "chars": 28}
    return {"tx": x, "ty": y + r + 13, "anchor": "middle", "chars": max(4, int(cell / 7))}


def drawing(snapshot: dict, analysis: dict, positions: dict | None = None,
            key_of: dict | None = None) -> dict:
    """Nodes and edges, sized by partners and coloured by actor type (module docstring)."""
    key_of = key_of or {}
    actors = actor_records(snapshot)
    metrics = {a["id"]: a for a in analysis["actors"]}
    types = list(dict.fromkeys([*snapshot.get("actor_types", []), *(a["type"] for a in actors)]))
    colour = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}
    degree = {a["id"]: metrics.get(a["id"], {}).get("degree", 0) for a in actors}
    placed, size, waiting, room = {}, {}, [], {}
    for actor in actors:
        key = key_of.get(actor["id"], actor["id"])
        if positions and key in positions:
            x, y = positions[key]
        elif actor["x"] is not None and actor["y"] is not None:
            x, y = actor["x"], actor["y"]
        else:
            waiting.append(actor)
            continue
        placed[actor["id"]] = (MARGIN + WIDTH * float(x), MARGIN + WIDTH * float(y))
        size[actor["id"]] = radius(degree[actor["id"]])
    height, band = FRAME, bool(placed)
    if waiting:
        group = {a["id"]: metrics.get(a["id"], {}).get("community", 0) for a in waiting}
        waiting.sort(key=lambda a: (group[a["id"]], -degree[a["id"]]))
        first = FRAME + BAND_GAP if band else MARGIN
        cell, columns = grid(len(waiting), square=not band)
        for i, actor in enumerate(waiting):
            row, column = divmod(i, columns)
            placed[actor["id"]] = (MARGIN + (column + 0.5) * cell, first + (row + 0.5) * cell)
            size[actor["id"]] = min(radius(degree[actor["id"]]), cell / 2 - 1)
            room[actor["id"]] = cell
        if band:
            height = int(first + math.ceil(len(waiting) / columns) * cell + MARGIN)
    named = set(sorted(placed, key=lambda i: -degree[i])[:LABELLED])
    nodes = [{"id": a["id"], "name": a["name"], "type": a["type"], "x": placed[a["id"]][0],
              "y": placed[a["id"]][1], "r": size[a["id"]], "colour": colour[a["type"]],
              "label": a["id"] in named and room.get(a["id"], FRAME) >= MIN_LABEL_CELL,
              "degree": degree[a["id"]], **label_place(placed[a["id"]], size[a["id"]], room.get(a["id"]))}
             for a in actors]
    edges = [{"x1": placed[t["source"]][0], "y1": placed[t["source"]][1],
              "x2": placed[t["target"]][0], "y2": placed[t["target"]][1],
              "width": 0.8 + min(3, max(1, number(t.get("strength")) or 1))}
             for t in snapshot.get("ties", [])
             if isinstance(t, dict) and t.get("source") in placed and t.get("target") in placed
             and t["source"] != t["target"]]
    return {"nodes": nodes, "edges": edges, "legend": [(t, colour[t]) for t in types],
            "width": FRAME, "height": height}
